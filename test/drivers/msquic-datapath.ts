// microsoft/msquic, src/platform/datapath_winkernel.c at commit
// a9504fe1eaef4e23ddf337aaf42d6482e166ca63 (2025-05-12, MIT): the kernel UDP datapath of msquic,
// ported call for call. That commit is the last one before #5091 ("Remove DataIndication
// Queuing from Kernel Datapath"): its receive path returns STATUS_PENDING from
// WskReceiveFromEvent after calling WskRelease inside it, and, when PENDING_BUFFER_LIMIT lets
// it, keeps each datagram's indication (cut from the chain) until the app returns it, releasing
// them one by one (RecvDataReturn). Shipped msquic had PENDING_BUFFER_LIMIT 0 (copy, #845) from
// 2020-09 to 2025-05, and 256000 (retain) before: the port takes it as a parameter, so both
// paths of the same code run. SocketSend is identical in the current version (d87eed2).
//
// What differs from C, and why: one processor (CxPlatProcCount() == 1, so one rundown and one
// proc context); CXPLAT_EVENT is a KEVENT (SynchronizationEvent: CxPlatEventInitialize(FALSE,
// FALSE)) and CxPlatEventWaitForever an awaited KeWaitForSingleObject, so the functions that
// wait are async; IoCleanupIrp has no counterpart (IRPs hold nothing to clean); QUIC_ADDR is a
// SOCKADDR_IN / SOCKADDR_IN6 object; the send-buffer pools (lookaside lists) are a plain
// allocation of the same shape: one WSK_BUF_LIST entry per packet, or one large buffer of
// segments when SegmentSize is set (CxPlatSendDataAllocSegmentBuffer's layout).
import {
  AF_INET, AF_INET6, AI_CANONNAME, AI_NUMERICHOST, CMSG_SPACE, IO_NO_INCREMENT,
  IPPROTO_IP, IPPROTO_IPV6, IPPROTO_TCP, IPPROTO_UDP, IPV6_DONTFRAG, IPV6_ECN, IPV6_HOPLIMIT, IPV6_PKTINFO,
  IPV6_RECVERR, IPV6_TCLASS, IPV6_UNICAST_IF, IPV6_V6ONLY, IP_DONTFRAGMENT, IP_ECN, IP_HOPLIMIT, IP_PKTINFO,
  IP_RECVERR, IP_TOS, IP_TTL, IP_UNICAST_IF, IRP, IoAllocateIrp, IoAllocateMdl, IoFreeIrp, IoInitializeIrp,
  IoReuseIrp, IoSetCompletionRoutine, IoSizeOfIrp, KEVENT, KeClearEvent, KeInitializeEvent, KeSetEvent,
  KeWaitForSingleObject, Executive, KernelMode, LowPagePriority, MAKE_WSK_VERSION, MDL, MdlMappingNoExecute,
  MmBuildMdlForNonPagedPool, MmGetSystemAddressForMdlSafe, NPI_WSK_INTERFACE_ID, NS_ALL, NTSTATUS, NT_SUCCESS,
  PADDRINFOEXW, PSOCKADDR, PWSK_DATAGRAM_INDICATION, PWSK_SOCKET, RSS_SCALABILITY_INFO, RtlInitUnicodeString,
  RtlUlongByteSwap, SIO_QUERY_RSS_SCALABILITY_INFO, SIO_WSK_SET_REMOTE_ADDRESS, SOCK_DGRAM, SOCK_STREAM,
  SOCKADDR_IN, SOCKADDR_IN6, SOL_SOCKET, STATUS_DEVICE_NOT_READY, STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_PARAMETER, STATUS_MORE_PROCESSING_REQUIRED, STATUS_NOT_FOUND, STATUS_PENDING, STATUS_SUCCESS,
  SynchronizationEvent, UDP_COALESCED_INFO, UDP_RECV_MAX_COALESCED_SIZE, UDP_SEND_MSG_SIZE, UNICODE_STRING,
  WSK_BUF_LIST, WSK_CLIENT_DATAGRAM_DISPATCH, WSK_CLIENT_DISPATCH, WSK_CLIENT_NPI, WSK_CONTROL_SOCKET_TYPE,
  WSK_EVENT_CALLBACK_CONTROL, WSK_EVENT_RECEIVE_FROM, WSK_FLAG_BASIC_SOCKET, WSK_FLAG_DATAGRAM_SOCKET,
  WSK_INFINITE_WAIT, WSK_PROVIDER_BASIC_DISPATCH, WSK_PROVIDER_DATAGRAM_DISPATCH, WSK_PROVIDER_NPI,
  WSK_REGISTRATION, WSK_SET_STATIC_EVENT_CALLBACKS, WSK_TDI_BEHAVIOR, WSK_TDI_BEHAVIOR_BYPASS_TDI, WskCaptureProviderNPI,
  WskDeregister, WskGetOption, WskIoctl, WskRegister, WskReleaseProviderNPI, WskSetOption, cmsgParse,
  sockaddrAddressString, sockaddrFromString, sockaddrPort,
} from '../../lib';
import { cmsgWrite } from '../../lib/net/cmsg';
import { IN_RECVERR_LAYOUT } from '../../lib/net/mstcpip';
import { sockaddrFamily } from '../../lib/net/sockaddr';

export type QUIC_ADDR = SOCKADDR_IN | SOCKADDR_IN6;

export const CXPLAT_DATAPATH_FEATURE_RECV_SIDE_SCALING = 0x1;
export const CXPLAT_DATAPATH_FEATURE_RECV_COALESCING = 0x2;
export const CXPLAT_DATAPATH_FEATURE_SEND_SEGMENTATION = 0x4;
export const CXPLAT_DATAPATH_FEATURE_TTL = 0x80;
export const CXPLAT_DATAPATH_FEATURE_SEND_DSCP = 0x100;
const CXPLAT_UDP_HEADER_SIZE = 8;
const MAX_URO_PAYLOAD_LENGTH = 0xffff - CXPLAT_UDP_HEADER_SIZE;
export const CXPLAT_LARGE_SEND_BUFFER_SIZE = 0xf000;
const URO_MAX_DATAGRAMS_PER_INDICATION = 64;
const CXPLAT_MAX_MTU = 1500;
const CXPLAT_DSCP_LE = 1;
const ICMP4_DST_UNREACH = 3; // ipexport.h / ws2ipdef.h
const ICMP6_DST_UNREACH = 1;
/** IN_RECVERR.type's offset (ws2ipdef.h: protocol, info, type, code). */
const IN_RECVERR_TYPE = IN_RECVERR_LAYOUT.find(([name]: readonly [string, number, number]) => name === 'type')![1];

/** C's CXPLAT_DBG_ASSERT in a debug build: the driver's own invariants. */
function CXPLAT_DBG_ASSERT(condition: boolean, what: string): void {
  if (!condition) throw new Error(`msquic datapath: ${what}`);
}

// ---- addresses (CxPlatConvertToMappedV6 / CxPlatConvertFromMappedV6, quic_platform_winkernel.h) ----

export function CxPlatConvertToMappedV6(InAddr: QUIC_ADDR): SOCKADDR_IN6 {
  if (sockaddrFamily(InAddr) === AF_INET6) return InAddr as SOCKADDR_IN6;
  return sockaddrFromString(`::ffff:${sockaddrAddressString(InAddr as PSOCKADDR)}`, sockaddrPort(InAddr as PSOCKADDR)) as SOCKADDR_IN6;
}

export function CxPlatConvertFromMappedV6(InAddr: QUIC_ADDR): QUIC_ADDR {
  const text = sockaddrAddressString(InAddr as PSOCKADDR);
  if (sockaddrFamily(InAddr) === AF_INET6 && /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(text)) {
    return sockaddrFromString(text.slice(7), sockaddrPort(InAddr as PSOCKADDR)) as SOCKADDR_IN;
  }
  return InAddr;
}

// ---- structures ----

export interface CXPLAT_ROUTE {
  LocalAddress: QUIC_ADDR;
  RemoteAddress: QUIC_ADDR;
}

/** CXPLAT_RECV_DATA: what the app gets; Buffer is WSK's memory while the indication is retained. */
export interface CXPLAT_RECV_DATA {
  Next: CXPLAT_RECV_DATA | null;
  Route: CXPLAT_ROUTE;
  Buffer: Uint8Array;
  BufferLength: number;
  TypeOfService: number;
  HopLimitTTL: number;
  Allocated: boolean;
  QueuedOnConnection: boolean;
}

/** DATAPATH_RX_IO_BLOCK: the batch a receive made out of one indication (copied or retained). */
interface DATAPATH_RX_IO_BLOCK {
  Binding: CXPLAT_SOCKET;
  DataIndication: PWSK_DATAGRAM_INDICATION | null;
  DataBufferStart: Uint8Array | null;
  IsCopiedBuffer: boolean;
  ReferenceCount: number;
  DataIndicationSize: number;
  Route: CXPLAT_ROUTE;
}
/** DATAPATH_RX_PACKET's IoBlock back-pointer (CXPLAT_CONTAINING_RECORD in C). */
const IoBlockOf = new WeakMap<CXPLAT_RECV_DATA, DATAPATH_RX_IO_BLOCK>();

export interface CXPLAT_UDP_DATAPATH_CALLBACKS {
  Receive: (Binding: CXPLAT_SOCKET, Context: unknown, RecvDataChain: CXPLAT_RECV_DATA) => void;
  Unreachable: (Binding: CXPLAT_SOCKET, Context: unknown, RemoteAddress: QUIC_ADDR) => void;
}

export interface CXPLAT_DATAPATH {
  WskRegistration: WSK_REGISTRATION;
  WskProviderNpi: WSK_PROVIDER_NPI;
  WskDispatch: WSK_CLIENT_DATAGRAM_DISPATCH;
  UdpHandlers: CXPLAT_UDP_DATAPATH_CALLBACKS;
  Features: number;
  /** The one proc context's OutstandingPendingBytes. */
  OutstandingPendingBytes: number;
  /** PENDING_BUFFER_LIMIT: 0 as shipped 2020-09..2025-05 (always copy), 256000 before (retain). */
  PendingBufferLimit: number;
}

export interface CXPLAT_SOCKET {
  Datapath: CXPLAT_DATAPATH;
  ClientContext: unknown;
  Socket: PWSK_SOCKET | null;
  Irp: IRP;
  WskCompletionEvent: KEVENT;
  LocalAddress: QUIC_ADDR;
  RemoteAddress: QUIC_ADDR | null;
  Connected: boolean;
  Mtu: number;
  /** CXPLAT_RUNDOWN_REF: no new receive once SocketDelete has begun. */
  RundownClosed: boolean;
  /** Set when WskCloseSocket has completed (CxPlatSocketDeleteComplete). */
  Deleted: Promise<void>;
  DeleteComplete: () => void;
}

export interface CXPLAT_UDP_CONFIG {
  LocalAddress: QUIC_ADDR | null;
  RemoteAddress: QUIC_ADDR | null;
  InterfaceIndex: number;
  CallbackContext: unknown;
}

const dgrm = (Binding: CXPLAT_SOCKET) => Binding.Socket!.Dispatch as WSK_PROVIDER_DATAGRAM_DISPATCH;

// ---- events and IRPs ----

function CxPlatEventInitialize(): KEVENT {
  const Event: KEVENT = {};
  KeInitializeEvent(Event, SynchronizationEvent, false);
  return Event;
}
const CxPlatEventWaitForever = (Event: KEVENT) => KeWaitForSingleObject(Event, Executive, KernelMode, false, null);

/** CxPlatDataPathIoCompletion: used for all WSK IoCompletion routines. */
export function CxPlatDataPathIoCompletion(_DeviceObject: null, _Irp: IRP, Context: unknown): NTSTATUS {
  CXPLAT_DBG_ASSERT(Context !== null, 'CxPlatDataPathIoCompletion Context');
  KeSetEvent(Context as KEVENT, IO_NO_INCREMENT, false);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

/** C's `uint8_t IrpBuffer[sizeof(IRP) + sizeof(IO_STACK_LOCATION)]` + IoInitializeIrp. */
function stackIrp(): IRP {
  const Irp = IoAllocateIrp(1, false)!;
  IoInitializeIrp(Irp, IoSizeOfIrp(1), 1);
  return Irp;
}

/** The IoReuseIrp + IoSetCompletionRoutine + CxPlatEventReset that precede every call. */
function rearm(Irp: IRP, Event: KEVENT): void {
  IoReuseIrp(Irp, STATUS_SUCCESS);
  IoSetCompletionRoutine(Irp, CxPlatDataPathIoCompletion, Event, true, true, true);
  KeClearEvent(Event);
}

/** `Status = Call(...); if PENDING wait; else if failed bail; Status = Irp->IoStatus.Status`. */
async function callAndWait(Irp: IRP, Event: KEVENT, Status: NTSTATUS): Promise<NTSTATUS> {
  if (Status === STATUS_PENDING) {
    await CxPlatEventWaitForever(Event);
  } else if (!NT_SUCCESS(Status)) {
    return Status;
  }
  return Irp.IoStatus.Status;
}

// ---- initialization ----

const WskAppDispatch: WSK_CLIENT_DISPATCH = { Version: MAKE_WSK_VERSION(1, 0), Reserved: 0, WskClientEvent: null };

/** DataPathInitialize (UDP part; TcpCallbacks and WorkerPool are unreferenced in C too). */
export async function DataPathInitialize(
  UdpCallbacks: CXPLAT_UDP_DATAPATH_CALLBACKS, PendingBufferLimit: number, NewDataPath: { 0: CXPLAT_DATAPATH | null },
): Promise<NTSTATUS> {
  const WskClientNpi: WSK_CLIENT_NPI = { ClientContext: null, Dispatch: WskAppDispatch };
  const CallbackControl: WSK_EVENT_CALLBACK_CONTROL = { NpiId: NPI_WSK_INTERFACE_ID, EventMask: WSK_EVENT_RECEIVE_FROM };
  const NoTdi = new Uint32Array([WSK_TDI_BEHAVIOR_BYPASS_TDI]);
  if (UdpCallbacks.Receive == null || UdpCallbacks.Unreachable == null) return STATUS_INVALID_PARAMETER;
  const Datapath: CXPLAT_DATAPATH = {
    WskRegistration: {}, WskProviderNpi: {} as WSK_PROVIDER_NPI, WskDispatch: { WskReceiveFromEvent: null },
    UdpHandlers: UdpCallbacks, Features: 0, OutstandingPendingBytes: 0, PendingBufferLimit,
  };
  Datapath.WskDispatch.WskReceiveFromEvent = CxPlatDataPathSocketReceive;

  let Status = WskRegister(WskClientNpi, Datapath.WskRegistration);
  if (!NT_SUCCESS(Status)) return Status;
  Status = WskCaptureProviderNPI(Datapath.WskRegistration, WSK_INFINITE_WAIT, Datapath.WskProviderNpi);
  if (NT_SUCCESS(Status)) {
    // Not fatal: "MSDN says that this may be removed in the future".
    Datapath.WskProviderNpi.Dispatch.WskControlClient(Datapath.WskProviderNpi.Client, WSK_TDI_BEHAVIOR, 4, NoTdi, 0, null, null, null);
    Status = Datapath.WskProviderNpi.Dispatch.WskControlClient(
      Datapath.WskProviderNpi.Client, WSK_SET_STATIC_EVENT_CALLBACKS, 16, CallbackControl, 0, null, null, null,
    );
  }
  if (!NT_SUCCESS(Status)) {
    await WskDeregister(Datapath.WskRegistration);
    return Status;
  }
  await CxPlatDataPathQueryRssScalabilityInfo(Datapath);
  await CxPlatDataPathQuerySockoptSupport(Datapath);
  NewDataPath[0] = Datapath;
  return STATUS_SUCCESS;
}

/** Opens a basic socket, runs `query` on it, closes it: the frame of the two feature probes. */
async function withBasicSocket(
  Datapath: CXPLAT_DATAPATH, SockType: number, Protocol: number,
  query: (Socket: PWSK_SOCKET, Dispatch: WSK_PROVIDER_BASIC_DISPATCH, Irp: IRP, Event: KEVENT) => Promise<void>,
): Promise<void> {
  const CompletionEvent = CxPlatEventInitialize();
  const Irp = stackIrp();
  IoSetCompletionRoutine(Irp, CxPlatDataPathIoCompletion, CompletionEvent, true, true, true);
  const p = Datapath.WskProviderNpi;
  const Status = await callAndWait(Irp, CompletionEvent,
    p.Dispatch.WskSocket(p.Client, AF_INET6, SockType, Protocol, WSK_FLAG_BASIC_SOCKET, null, null, null, null, null, Irp));
  if (NT_SUCCESS(Status)) {
    const Socket = Irp.IoStatus.Information as PWSK_SOCKET;
    const Dispatch = Socket.Dispatch as WSK_PROVIDER_BASIC_DISPATCH;
    await query(Socket, Dispatch, Irp, CompletionEvent);
    rearm(Irp, CompletionEvent);
    const Close = Dispatch.WskCloseSocket(Socket, Irp);
    CXPLAT_DBG_ASSERT(NT_SUCCESS(Close), 'WskCloseSocket');
    if (Close === STATUS_PENDING) await CxPlatEventWaitForever(CompletionEvent);
  }
  IoFreeIrp(Irp);
}

/** CxPlatDataPathQueryRssScalabilityInfo: SIO_QUERY_RSS_SCALABILITY_INFO on a basic TCP socket. */
async function CxPlatDataPathQueryRssScalabilityInfo(Datapath: CXPLAT_DATAPATH): Promise<void> {
  await withBasicSocket(Datapath, SOCK_STREAM, IPPROTO_TCP, async (RssSocket, Dispatch, Irp, Event) => {
    const RssInfo: RSS_SCALABILITY_INFO = { RssEnabled: false };
    rearm(Irp, Event);
    const Status = await callAndWait(Irp, Event,
      Dispatch.WskControlSocket(RssSocket, WskIoctl, SIO_QUERY_RSS_SCALABILITY_INFO, SOL_SOCKET, 0, null, 1, RssInfo, { 0: 0 }, Irp));
    if (NT_SUCCESS(Status) && RssInfo.RssEnabled) Datapath.Features |= CXPLAT_DATAPATH_FEATURE_RECV_SIDE_SCALING;
  });
}

/** CxPlatDataPathQuerySockoptSupport: USO, URO and DSCP probed on a basic UDP socket. */
async function CxPlatDataPathQuerySockoptSupport(Datapath: CXPLAT_DATAPATH): Promise<void> {
  await withBasicSocket(Datapath, SOCK_DGRAM, IPPROTO_UDP, async (UdpSocket, Dispatch, Irp, Event) => {
    const probe = async (RequestType: WSK_CONTROL_SOCKET_TYPE, Code: number, Level: number, In: Uint32Array | null, Out: Uint32Array | null, Feature: number) => {
      rearm(Irp, Event);
      const Status = await callAndWait(Irp, Event,
        Dispatch.WskControlSocket(UdpSocket, RequestType, Code, Level, In ? 4 : 0, In, Out ? 4 : 0, Out, { 0: 0 }, Irp));
      if (NT_SUCCESS(Status)) Datapath.Features |= Feature;
    };
    await probe(WskGetOption, UDP_SEND_MSG_SIZE, IPPROTO_UDP, null, new Uint32Array(1), CXPLAT_DATAPATH_FEATURE_SEND_SEGMENTATION);
    await probe(WskGetOption, UDP_RECV_MAX_COALESCED_SIZE, IPPROTO_UDP, null, new Uint32Array(1), CXPLAT_DATAPATH_FEATURE_RECV_COALESCING);
    await probe(WskSetOption, IPV6_TCLASS, IPPROTO_IPV6, new Uint32Array([CXPLAT_DSCP_LE << 2]), null, CXPLAT_DATAPATH_FEATURE_SEND_DSCP);
  });
  // "Some USO/URO bug blocks TTL ... on Windows Server 2022" (build 20348): not this host.
  Datapath.Features |= CXPLAT_DATAPATH_FEATURE_TTL;
}

/** DataPathUninitialize. */
export async function DataPathUninitialize(Datapath: CXPLAT_DATAPATH): Promise<void> {
  WskReleaseProviderNPI(Datapath.WskRegistration);
  await WskDeregister(Datapath.WskRegistration);
}

// ---- the UDP binding ----

/** CxPlatDataPathSetControlSocket: a WskControlSocket on the binding's IRP, waited for. */
export async function CxPlatDataPathSetControlSocket(
  Binding: CXPLAT_SOCKET, RequestType: WSK_CONTROL_SOCKET_TYPE, ControlCode: number, Level: number, InputSize: number,
  InputBuffer: object | null,
): Promise<NTSTATUS> {
  rearm(Binding.Irp, Binding.WskCompletionEvent);
  const OutputSizeReturned = { 0: 0 };
  let Status = dgrm(Binding).WskControlSocket(Binding.Socket!, RequestType, ControlCode, Level, InputSize, InputBuffer, 0, null, OutputSizeReturned, Binding.Irp);
  if (Status === STATUS_PENDING) {
    await CxPlatEventWaitForever(Binding.WskCompletionEvent);
    Status = Binding.Irp.IoStatus.Status;
  }
  return Status;
}

/** SocketCreateUdp: the socket, its option sequence (each failure fatal), bind, remote, local address. */
export async function SocketCreateUdp(Datapath: CXPLAT_DATAPATH, Config: CXPLAT_UDP_CONFIG, NewBinding: { 0: CXPLAT_SOCKET | null }): Promise<NTSTATUS> {
  let DeleteComplete!: () => void;
  const Deleted = new Promise<void>((r) => (DeleteComplete = r));
  const Binding: CXPLAT_SOCKET = {
    Datapath, ClientContext: Config.CallbackContext, Socket: null, Irp: stackIrp(), WskCompletionEvent: CxPlatEventInitialize(),
    LocalAddress: Config.LocalAddress !== null ? CxPlatConvertToMappedV6(Config.LocalAddress) : sockaddrFromString('::', 0),
    RemoteAddress: null, Connected: Config.RemoteAddress !== null, Mtu: CXPLAT_MAX_MTU, RundownClosed: false, Deleted, DeleteComplete,
  };
  // "Must set output pointer first thing, as the receive path will try to use the output."
  NewBinding[0] = Binding;
  const Status = await createUdpSteps(Datapath, Config, Binding);
  if (!NT_SUCCESS(Status)) await SocketDelete(Binding);
  return Status;
}

async function createUdpSteps(Datapath: CXPLAT_DATAPATH, Config: CXPLAT_UDP_CONFIG, Binding: CXPLAT_SOCKET): Promise<NTSTATUS> {
  const { Irp, WskCompletionEvent: Event } = Binding;
  IoSetCompletionRoutine(Irp, CxPlatDataPathIoCompletion, Event, true, true, true);
  const p = Datapath.WskProviderNpi;
  let Status = await callAndWait(Irp, Event,
    p.Dispatch.WskSocket(p.Client, AF_INET6, SOCK_DGRAM, IPPROTO_UDP, WSK_FLAG_DATAGRAM_SOCKET, Binding, Datapath.WskDispatch, null, null, null, Irp));
  if (!NT_SUCCESS(Status)) return Status;
  Binding.Socket = Irp.IoStatus.Information as PWSK_SOCKET;

  const set = (Code: number, Level: number, Value: number) =>
    CxPlatDataPathSetControlSocket(Binding, WskSetOption, Code, Level, 4, new Uint32Array([Value >>> 0]));
  // In C's order; every one is fatal ("goto Error").
  const options: [number, number, number, boolean][] = [
    [IPV6_V6ONLY, IPPROTO_IPV6, 0, true], // dual-stack
    [IP_DONTFRAGMENT, IPPROTO_IP, 1, true],
    [IPV6_DONTFRAG, IPPROTO_IPV6, 1, true],
    [IPV6_PKTINFO, IPPROTO_IPV6, 1, true],
    [IP_PKTINFO, IPPROTO_IP, 1, true],
    [IPV6_ECN, IPPROTO_IPV6, 1, true],
    [IP_ECN, IPPROTO_IP, 1, true],
    [IPV6_RECVERR, IPPROTO_IPV6, 1, true],
    [IP_RECVERR, IPPROTO_IP, 1, true],
    [IP_HOPLIMIT, IPPROTO_IP, 1, (Datapath.Features & CXPLAT_DATAPATH_FEATURE_TTL) !== 0],
    [IPV6_HOPLIMIT, IPPROTO_IPV6, 1, (Datapath.Features & CXPLAT_DATAPATH_FEATURE_TTL) !== 0],
    [UDP_RECV_MAX_COALESCED_SIZE, IPPROTO_UDP, MAX_URO_PAYLOAD_LENGTH, (Datapath.Features & CXPLAT_DATAPATH_FEATURE_RECV_COALESCING) !== 0],
    [IPV6_UNICAST_IF, IPPROTO_IPV6, Config.InterfaceIndex, Config.InterfaceIndex !== 0],
    // IP_UNICAST_IF takes the index in network byte order (as Windows documents).
    [IP_UNICAST_IF, IPPROTO_IP, RtlUlongByteSwap(Config.InterfaceIndex), Config.InterfaceIndex !== 0],
  ];
  for (const [Code, Level, Value, applies] of options) {
    if (!applies) continue;
    Status = await set(Code, Level, Value);
    if (!NT_SUCCESS(Status)) return Status;
  }

  rearm(Irp, Event);
  Status = await callAndWait(Irp, Event, dgrm(Binding).WskBind(Binding.Socket, Binding.LocalAddress as PSOCKADDR, 0, Irp));
  if (!NT_SUCCESS(Status)) return Status;

  if (Config.RemoteAddress !== null) {
    const MappedRemoteAddress = CxPlatConvertToMappedV6(Config.RemoteAddress);
    Status = await CxPlatDataPathSetControlSocket(Binding, WskIoctl, SIO_WSK_SET_REMOTE_ADDRESS, SOL_SOCKET, 28, MappedRemoteAddress);
    if (!NT_SUCCESS(Status)) return Status;
  }

  // "If no specific local port was indicated, then the stack just assigned this socket a port."
  rearm(Irp, Event);
  const Local = {} as SOCKADDR_IN6;
  Status = await callAndWait(Irp, Event, dgrm(Binding).WskGetLocalAddress(Binding.Socket, Local as PSOCKADDR, Irp));
  if (!NT_SUCCESS(Status)) return Status;
  if (Config.LocalAddress !== null && sockaddrPort(Config.LocalAddress as PSOCKADDR) !== 0) {
    CXPLAT_DBG_ASSERT(sockaddrPort(Config.LocalAddress as PSOCKADDR) === sockaddrPort(Local as PSOCKADDR), 'bound port');
  }
  Binding.LocalAddress = CxPlatConvertFromMappedV6(Local);
  Binding.RemoteAddress = Config.RemoteAddress;
  return STATUS_SUCCESS;
}

/** CxPlatDataPathCloseSocketIoCompletion: only a pended close completes the delete here. */
function CxPlatDataPathCloseSocketIoCompletion(_DeviceObject: null, Irp: IRP, Context: unknown): NTSTATUS {
  if (Irp.PendingReturned) (Context as CXPLAT_SOCKET).DeleteComplete();
  return STATUS_MORE_PROCESSING_REQUIRED;
}

/** SocketDelete: closes the rundown, then WskCloseSocket; resolves when the delete is complete. */
export async function SocketDelete(Binding: CXPLAT_SOCKET): Promise<void> {
  if (Binding.Socket !== null) {
    Binding.RundownClosed = true; // CxPlatRundownReleaseAndWait: callbacks run to completion on this thread
    IoReuseIrp(Binding.Irp, STATUS_SUCCESS);
    IoSetCompletionRoutine(Binding.Irp, CxPlatDataPathCloseSocketIoCompletion, Binding, true, true, true);
    const Status = dgrm(Binding).WskCloseSocket(Binding.Socket, Binding.Irp);
    if (Status !== STATUS_PENDING) Binding.DeleteComplete();
  } else {
    Binding.DeleteComplete();
  }
  await Binding.Deleted;
  IoFreeIrp(Binding.Irp); // CxPlatSocketDeleteComplete
}

// ---- receive ----

/** The per-datagram information CxPlatDataPathSocketReceive parses out of the control info. */
interface Ancillary {
  LocalAddr: QUIC_ADDR | null;
  IsUnreachableError: boolean;
  MessageLength: number;
  IsCoalesced: boolean;
  ECN: number;
  HopLimitTTL: number;
}

function parseAncillary(Binding: CXPLAT_SOCKET, DataIndication: PWSK_DATAGRAM_INDICATION): Ancillary {
  const a: Ancillary = { LocalAddr: null, IsUnreachableError: false, MessageLength: 0, IsCoalesced: false, ECN: 0, HopLimitTTL: 0 };
  const port = sockaddrPort(Binding.LocalAddress as PSOCKADDR);
  const int = (d: Uint8Array) => new DataView(d.buffer, d.byteOffset, d.byteLength).getInt32(0, true);
  const control = DataIndication.ControlInfo;
  for (const CMsg of control ? cmsgParse(control, DataIndication.ControlInfoLength) : []) {
    const d = CMsg.data;
    if (CMsg.cmsg_level === IPPROTO_IPV6) {
      if (CMsg.cmsg_type === IPV6_PKTINFO) {
        const sa = sockaddrFromString(ipv6Text(d.subarray(0, 16)), port) as SOCKADDR_IN6;
        a.LocalAddr = CxPlatConvertFromMappedV6(sa);
      } else if (CMsg.cmsg_type === IPV6_RECVERR) {
        if (d[IN_RECVERR_TYPE] === ICMP6_DST_UNREACH) {
          a.IsUnreachableError = true;
          break;
        }
      } else if (CMsg.cmsg_type === IPV6_ECN) {
        a.ECN = int(d);
      } else if (CMsg.cmsg_type === IPV6_HOPLIMIT) {
        a.HopLimitTTL = int(d);
      }
    } else if (CMsg.cmsg_level === IPPROTO_IP) {
      if (CMsg.cmsg_type === IP_PKTINFO) {
        a.LocalAddr = sockaddrFromString(`${d[0]}.${d[1]}.${d[2]}.${d[3]}`, port) as SOCKADDR_IN;
      } else if (CMsg.cmsg_type === IP_RECVERR) {
        if (d[IN_RECVERR_TYPE] === ICMP4_DST_UNREACH) {
          a.IsUnreachableError = true;
          break;
        }
      } else if (CMsg.cmsg_type === IP_ECN) {
        a.ECN = int(d);
      } else if (CMsg.cmsg_type === IP_TTL) {
        a.HopLimitTTL = int(d);
      }
    } else if (CMsg.cmsg_level === IPPROTO_UDP && CMsg.cmsg_type === UDP_COALESCED_INFO) {
      a.MessageLength = int(d);
      a.IsCoalesced = true;
    }
  }
  return a;
}

function ipv6Text(b: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return groups.join(':');
}

/** CxPlatMdlMapChain: MmGetSystemAddressForMdlSafe is MmMapLockedPagesSpecifyCache when unmapped. */
function CxPlatMdlMapChain(Mdl: MDL | null): boolean {
  for (; Mdl !== null; Mdl = Mdl.Next) {
    if (MmGetSystemAddressForMdlSafe(Mdl, LowPagePriority | MdlMappingNoExecute) === null) return false;
  }
  return true;
}

/**
 * CxPlatDataPathSocketReceive (WskReceiveFromEvent). Each indication is cut from the chain; a
 * copied or dropped one goes into the release chain given back with WskRelease before
 * returning; a retained one stays WSK's memory until RecvDataReturn. Always STATUS_PENDING.
 */
export function CxPlatDataPathSocketReceive(Context: unknown, _Flags: number, DataIndicationHead: PWSK_DATAGRAM_INDICATION | null): NTSTATUS {
  // "a NULL DataIndication indicates that the socket has been closed".
  if (DataIndicationHead === null) return STATUS_SUCCESS;
  CXPLAT_DBG_ASSERT(Context !== null, 'receive Context');
  const Binding = Context as CXPLAT_SOCKET;
  if (Binding.RundownClosed) return STATUS_DEVICE_NOT_READY;

  let ReleaseChain: PWSK_DATAGRAM_INDICATION | null = null;
  let ReleaseTail: PWSK_DATAGRAM_INDICATION | null = null;
  const RecvDataChain: CXPLAT_RECV_DATA[] = [];
  while (DataIndicationHead !== null) {
    const DataIndication: PWSK_DATAGRAM_INDICATION = DataIndicationHead;
    DataIndicationHead = DataIndicationHead.Next;
    DataIndication.Next = null;
    const IoBlock = receiveOne(Binding, DataIndication, RecvDataChain);
    if (IoBlock === null || IoBlock.IsCopiedBuffer) {
      if (ReleaseTail === null) ReleaseChain = DataIndication;
      else ReleaseTail.Next = DataIndication;
      ReleaseTail = DataIndication;
    }
  }
  for (let i = 0; i + 1 < RecvDataChain.length; i++) RecvDataChain[i]!.Next = RecvDataChain[i + 1]!;
  // Indicate all accepted datagrams.
  if (RecvDataChain.length > 0) Binding.Datapath.UdpHandlers.Receive(Binding, Binding.ClientContext, RecvDataChain[0]!);
  // Release any dropped or copied datagrams.
  if (ReleaseChain !== null) dgrm(Binding).WskRelease(Binding.Socket!, ReleaseChain);
  return STATUS_PENDING;
}

/** The body of the loop for one indication: its IoBlock, or null when it was dropped. */
function receiveOne(Binding: CXPLAT_SOCKET, DataIndication: PWSK_DATAGRAM_INDICATION, Chain: CXPLAT_RECV_DATA[]): DATAPATH_RX_IO_BLOCK | null {
  if (DataIndication.Buffer.Mdl === null || DataIndication.Buffer.Length === 0) return null; // DatapathDropEmptyMdl
  const a = parseAncillary(Binding, DataIndication);
  // "The underlying data path does not guarantee ancillary data ... under memory pressure."
  if (a.LocalAddr === null && !a.IsUnreachableError) return null;
  const RemoteAddr = CxPlatConvertFromMappedV6(DataIndication.RemoteAddress as QUIC_ADDR);
  if (a.IsUnreachableError) {
    Binding.Datapath.UdpHandlers.Unreachable(Binding, Binding.ClientContext, RemoteAddr);
    return null;
  }
  let Mdl: MDL = DataIndication.Buffer.Mdl;
  let MdlOffset = DataIndication.Buffer.Offset;
  let DataLength = DataIndication.Buffer.Length;
  let MessageLength = a.MessageLength;
  if (MessageLength === 0) {
    // "the entire datagram constitutes a single message"
    if (DataLength > 0xffff) return null;
    MessageLength = DataLength;
  }
  if (!CxPlatMdlMapChain(Mdl)) return null;

  let IoBlock: DATAPATH_RX_IO_BLOCK | null = null;
  let CurrentCopied = 0;
  for (; DataLength !== 0; DataLength -= MessageLength) {
    if (MessageLength > DataLength) MessageLength = DataLength; // the last message is smaller
    if (MessageLength > Mdl.ByteCount - MdlOffset) return dropBlock(Binding, IoBlock); // "We require contiguous buffers."
    if (IoBlock === null) IoBlock = newIoBlock(Binding, DataIndication, DataLength, a.LocalAddr!, RemoteAddr);
    const mapped = MmGetSystemAddressForMdlSafe(Mdl, LowPagePriority)!;
    let Buffer: Uint8Array;
    if (IoBlock.IsCopiedBuffer) {
      Buffer = IoBlock.DataBufferStart!.subarray(CurrentCopied, CurrentCopied + MessageLength);
      Buffer.set(mapped.subarray(MdlOffset, MdlOffset + MessageLength));
      CurrentCopied += MessageLength;
    } else {
      Buffer = mapped.subarray(MdlOffset, MdlOffset + MessageLength);
    }
    const Datagram: CXPLAT_RECV_DATA = {
      Next: null, Route: IoBlock.Route, Buffer, BufferLength: MessageLength, TypeOfService: a.ECN, HopLimitTTL: a.HopLimitTTL,
      Allocated: true, QueuedOnConnection: false,
    };
    IoBlockOf.set(Datagram, IoBlock);
    Chain.push(Datagram);
    if (++IoBlock.ReferenceCount === URO_MAX_DATAGRAMS_PER_INDICATION) break; // DatapathUroExceeded
    // Walk the MDL chain.
    MdlOffset += MessageLength;
    if (MdlOffset === Mdl.ByteCount) {
      if (Mdl.Next === null) break;
      Mdl = Mdl.Next;
      MdlOffset = 0;
    }
  }
  return IoBlock;
}

/** The IoBlock allocation of the loop: copy past PENDING_BUFFER_LIMIT, else keep the indication. */
function newIoBlock(Binding: CXPLAT_SOCKET, DataIndication: PWSK_DATAGRAM_INDICATION, DataLength: number, LocalAddress: QUIC_ADDR, RemoteAddress: QUIC_ADDR): DATAPATH_RX_IO_BLOCK {
  const Datapath = Binding.Datapath;
  const IoBlock: DATAPATH_RX_IO_BLOCK = {
    Binding, DataIndication: null, DataBufferStart: null, IsCopiedBuffer: false, ReferenceCount: 0, DataIndicationSize: 0,
    Route: { LocalAddress, RemoteAddress },
  };
  if (Datapath.OutstandingPendingBytes >= Datapath.PendingBufferLimit) {
    IoBlock.IsCopiedBuffer = true;
    IoBlock.DataBufferStart = new Uint8Array(DataLength > 4096 ? 65536 : 4096); // RecvBufferPools[0 or 1]
  } else {
    IoBlock.DataIndication = DataIndication;
    CXPLAT_DBG_ASSERT(DataIndication.Next === null, 'a retained indication is cut from its chain');
    IoBlock.DataIndicationSize = DataLength;
    Datapath.OutstandingPendingBytes += DataLength;
  }
  return IoBlock;
}

/** `Drop:` with an IoBlock that produced no datagram: freed now, its indication released. */
function dropBlock(_Binding: CXPLAT_SOCKET, IoBlock: DATAPATH_RX_IO_BLOCK | null): null {
  if (IoBlock !== null && IoBlock.ReferenceCount === 0) CxPlatDataPathFreeRxIoBlock(IoBlock);
  return null;
}

/** CxPlatDataPathFreeRxIoBlock: returns the retained indication, if any, for WskRelease. */
function CxPlatDataPathFreeRxIoBlock(IoBlock: DATAPATH_RX_IO_BLOCK): PWSK_DATAGRAM_INDICATION | null {
  if (IoBlock.IsCopiedBuffer || IoBlock.DataIndication === null) return null;
  IoBlock.Binding.Datapath.OutstandingPendingBytes -= IoBlock.DataIndicationSize;
  return IoBlock.DataIndication;
}

/**
 * RecvDataReturn: the app gives datagrams back (any subset, any order). An IoBlock whose last
 * datagram comes back frees its indication; those are linked into one chain for one WskRelease.
 */
export function RecvDataReturn(RecvDataChain: CXPLAT_RECV_DATA | null): void {
  let Binding: CXPLAT_SOCKET | null = null;
  let Head: PWSK_DATAGRAM_INDICATION | null = null;
  let Tail: PWSK_DATAGRAM_INDICATION | null = null;
  let BatchedIoBlock: DATAPATH_RX_IO_BLOCK | null = null;
  let BatchedBufferCount = 0;
  const flush = () => {
    if (BatchedIoBlock !== null && (BatchedIoBlock.ReferenceCount -= BatchedBufferCount) === 0) {
      const DataIndication = CxPlatDataPathFreeRxIoBlock(BatchedIoBlock);
      if (DataIndication !== null) {
        CXPLAT_DBG_ASSERT(DataIndication.Next === null, 'a returned indication stands alone');
        if (Tail === null) Head = DataIndication;
        else Tail.Next = DataIndication;
        Tail = DataIndication;
      }
    }
  };
  for (let Datagram = RecvDataChain; Datagram !== null; ) {
    const Next: CXPLAT_RECV_DATA | null = Datagram.Next;
    CXPLAT_DBG_ASSERT(Datagram.Allocated && !Datagram.QueuedOnConnection, 'RecvDataReturn of a datagram not held');
    const IoBlock = IoBlockOf.get(Datagram)!;
    CXPLAT_DBG_ASSERT(Binding === null || Binding === IoBlock.Binding, 'one binding per chain');
    Binding = IoBlock.Binding;
    Datagram.Allocated = false;
    if (BatchedIoBlock === IoBlock) {
      BatchedBufferCount++;
    } else {
      flush();
      BatchedIoBlock = IoBlock;
      BatchedBufferCount = 1;
    }
    Datagram = Next;
  }
  flush();
  // Return the datagram indications back to Wsk.
  if (Head !== null) dgrm(Binding!).WskRelease(Binding!.Socket!, Head);
}

// ---- send ----

/** CXPLAT_SEND_DATA: the buffers of one WskSendMessages, and how they are to be sent. */
export interface CXPLAT_SEND_DATA {
  Binding: CXPLAT_SOCKET | null;
  Irp: IRP;
  WskBufs: WSK_BUF_LIST | null;
  Tail: WSK_BUF_LIST | null;
  WskBufferCount: number;
  TotalSize: number;
  SegmentSize: number;
  ECN: number;
  DSCP: number;
  Completed: Promise<NTSTATUS>;
  Complete: (Status: NTSTATUS) => void;
}

export function SendDataAlloc(Config: { ECN: number; DSCP: number; MaxPacketSize: number }, SegmentSize = 0): CXPLAT_SEND_DATA {
  let Complete!: (Status: NTSTATUS) => void;
  const Completed = new Promise<NTSTATUS>((r) => (Complete = r));
  return {
    Binding: null, Irp: IoAllocateIrp(1, false)!, WskBufs: null, Tail: null, WskBufferCount: 0, TotalSize: 0, SegmentSize,
    ECN: Config.ECN, DSCP: Config.DSCP, Completed, Complete,
  };
}

/**
 * SendDataAllocBuffer: room for one packet. Unsegmented, each packet is its own WSK_BUF_LIST
 * entry (one datagram each); segmented, packets are appended to one buffer of up to
 * CXPLAT_LARGE_SEND_BUFFER_SIZE that UDP_SEND_MSG_SIZE cuts into datagrams.
 */
export function SendDataAllocBuffer(SendData: CXPLAT_SEND_DATA, MaxBufferLength: number): Uint8Array | null {
  const last = SendData.Tail;
  if (SendData.SegmentSize > 0 && last !== null) {
    if (MaxBufferLength > SendData.SegmentSize || last.Buffer.Length + MaxBufferLength > CXPLAT_LARGE_SEND_BUFFER_SIZE) return null;
    const view = MmGetSystemAddressForMdlSafe(last.Buffer.Mdl!, LowPagePriority)!;
    const at = last.Buffer.Length;
    last.Buffer.Length += MaxBufferLength;
    SendData.TotalSize += MaxBufferLength;
    return view.subarray(at, at + MaxBufferLength);
  }
  const Raw = new Uint8Array(SendData.SegmentSize > 0 ? CXPLAT_LARGE_SEND_BUFFER_SIZE : MaxBufferLength);
  const Mdl = IoAllocateMdl(Raw, Raw.byteLength, false, false, null);
  if (Mdl === null) return null;
  MmBuildMdlForNonPagedPool(Mdl);
  const Link: WSK_BUF_LIST = { Next: null, Buffer: { Mdl, Offset: 0, Length: MaxBufferLength } };
  if (last === null) SendData.WskBufs = Link;
  else last.Next = Link;
  SendData.Tail = Link;
  SendData.WskBufferCount++;
  SendData.TotalSize += MaxBufferLength;
  return Raw.subarray(0, MaxBufferLength);
}

/** CxPlatDataPathSendComplete: frees the send data whatever the status. */
function CxPlatDataPathSendComplete(_DeviceObject: null, Irp: IRP, Context: unknown): NTSTATUS {
  const SendData = Context as CXPLAT_SEND_DATA;
  SendData.Complete(Irp.IoStatus.Status); // SendDataFree
  return STATUS_MORE_PROCESSING_REQUIRED;
}

/** SocketSend: PKTINFO (unconnected), TOS/ECN, UDP_SEND_MSG_SIZE control info; one WskSendMessages. */
export function SocketSend(Binding: CXPLAT_SOCKET, Route: CXPLAT_ROUTE, SendData: CXPLAT_SEND_DATA): void {
  IoInitializeIrp(SendData.Irp, IoSizeOfIrp(1), 1); // CxPlatSocketPrepareSendData
  IoSetCompletionRoutine(SendData.Irp, CxPlatDataPathSendComplete, SendData, true, true, true);
  SendData.Binding = Binding;
  const MappedAddress = CxPlatConvertToMappedV6(Route.RemoteAddress);
  const CMsgBuffer = new Uint8Array(CMSG_SPACE(20) + CMSG_SPACE(4) + CMSG_SPACE(4));
  let CMsgLen = 0;
  const int = (v: number) => new Uint8Array(new Int32Array([v]).buffer);
  const local = Route.LocalAddress;
  const isV4 = sockaddrFamily(local) === AF_INET;
  if (!Binding.Connected) {
    if (isV4) {
      // IN_PKTINFO { ipi_addr; ipi_ifindex }
      const PktInfo = new Uint8Array(8);
      new DataView(PktInfo.buffer).setUint32(0, (local as SOCKADDR_IN).sin_addr.s_addr, true);
      CMsgLen = cmsgWrite(CMsgBuffer, CMsgLen, CMsgBuffer.byteLength, IPPROTO_IP, IP_PKTINFO, PktInfo);
    } else {
      const PktInfo6 = new Uint8Array(20);
      PktInfo6.set((local as SOCKADDR_IN6).sin6_addr.u.Byte);
      new DataView(PktInfo6.buffer).setUint32(16, (local as SOCKADDR_IN6).sin6_scope_id, true);
      CMsgLen = cmsgWrite(CMsgBuffer, CMsgLen, CMsgBuffer.byteLength, IPPROTO_IPV6, IPV6_PKTINFO, PktInfo6);
    }
  }
  if (Binding.Datapath.Features & CXPLAT_DATAPATH_FEATURE_SEND_DSCP) {
    if (SendData.ECN !== 0 || SendData.DSCP !== 0) {
      CMsgLen = cmsgWrite(CMsgBuffer, CMsgLen, CMsgBuffer.byteLength, isV4 ? IPPROTO_IP : IPPROTO_IPV6, isV4 ? IP_TOS : IPV6_TCLASS, int(SendData.ECN | (SendData.DSCP << 2)));
    }
  } else if (SendData.ECN !== 0) {
    CMsgLen = cmsgWrite(CMsgBuffer, CMsgLen, CMsgBuffer.byteLength, isV4 ? IPPROTO_IP : IPPROTO_IPV6, IP_ECN, int(SendData.ECN)); // IP_ECN == IPV6_ECN
  }
  if (SendData.SegmentSize > 0) {
    CMsgLen = cmsgWrite(CMsgBuffer, CMsgLen, CMsgBuffer.byteLength, IPPROTO_UDP, UDP_SEND_MSG_SIZE, int(SendData.SegmentSize));
  }
  // "Callback still gets invoked on failure to do the cleanup": the status is only traced.
  dgrm(Binding).WskSendMessages(
    Binding.Socket!, SendData.WskBufs!, 0, Binding.Connected ? null : (MappedAddress as PSOCKADDR), CMsgLen, CMsgBuffer, SendData.Irp,
  );
}

// ---- resolution ----

/** CxPlatDataPathResolveAddressWithHint: WskGetAddressInfo on an IRP, waited for. */
async function CxPlatDataPathResolveAddressWithHint(
  Datapath: CXPLAT_DATAPATH, UniHostName: UNICODE_STRING, Hints: { ai_family: number; ai_flags: number }, Ai: { 0: PADDRINFOEXW | null },
): Promise<NTSTATUS> {
  const CompletionEvent = CxPlatEventInitialize();
  const Irp = IoAllocateIrp(1, false);
  if (Irp === null) return STATUS_INSUFFICIENT_RESOURCES;
  IoSetCompletionRoutine(Irp, CxPlatDataPathIoCompletion, CompletionEvent, true, true, true);
  const p = Datapath.WskProviderNpi;
  let Status = p.Dispatch.WskGetAddressInfo(p.Client, UniHostName, null, NS_ALL, null, Hints, Ai, null, null, Irp);
  if (Status === STATUS_PENDING) {
    await CxPlatEventWaitForever(CompletionEvent);
    Status = Irp.IoStatus.Status;
  } else if (NT_SUCCESS(Status)) {
    Status = Irp.IoStatus.Status;
  }
  IoFreeIrp(Irp);
  return Status;
}

/** CxPlatDataPathResolveAddress: numeric first, then the canonical name; STATUS_NOT_FOUND otherwise. */
export async function CxPlatDataPathResolveAddress(Datapath: CXPLAT_DATAPATH, HostName: string, Address: { 0: QUIC_ADDR }): Promise<NTSTATUS> {
  if (HostName.length >= 1024) return STATUS_INVALID_PARAMETER;
  const UniHostName = {} as UNICODE_STRING;
  RtlInitUnicodeString(UniHostName, HostName); // RtlUTF8ToUnicodeN in C
  // "Prepopulate hint with input family. It might be unspecified."
  const Hints = { ai_family: sockaddrFamily(Address[0]) ?? 0, ai_flags: AI_NUMERICHOST };
  const Ai: { 0: PADDRINFOEXW | null } = { 0: null };
  let Status = await CxPlatDataPathResolveAddressWithHint(Datapath, UniHostName, Hints, Ai);
  if (!NT_SUCCESS(Status)) {
    Hints.ai_flags = AI_CANONNAME;
    Status = await CxPlatDataPathResolveAddressWithHint(Datapath, UniHostName, Hints, Ai);
    if (!NT_SUCCESS(Status)) Status = STATUS_NOT_FOUND;
  }
  if (NT_SUCCESS(Status)) Address[0] = Ai[0]!.ai_addr as QUIC_ADDR;
  if (Ai[0] !== null) Datapath.WskProviderNpi.Dispatch.WskFreeAddressInfo(Datapath.WskProviderNpi.Client, Ai[0]);
  return Status;
}

export { STATUS_SUCCESS };
