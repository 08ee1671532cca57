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
  AF_INET6, IPPROTO_IP, IPPROTO_IPV6, IPPROTO_TCP, IPPROTO_UDP, IPV6_DONTFRAG, IPV6_ECN, IPV6_HOPLIMIT, IPV6_PKTINFO,
  IPV6_RECVERR, IPV6_TCLASS, IPV6_UNICAST_IF, IPV6_V6ONLY, IP_DONTFRAGMENT, IP_ECN, IP_HOPLIMIT, IP_PKTINFO,
  IP_RECVERR, IP_UNICAST_IF, IRP, IoFreeIrp, IoReuseIrp, IoSetCompletionRoutine, KEVENT, MAKE_WSK_VERSION,
  NPI_WSK_INTERFACE_ID, NTSTATUS, NT_SUCCESS, PSOCKADDR, PWSK_SOCKET, RSS_SCALABILITY_INFO, RtlUlongByteSwap,
  SIO_QUERY_RSS_SCALABILITY_INFO, SIO_WSK_SET_REMOTE_ADDRESS, SOCK_DGRAM, SOCK_STREAM, SOCKADDR_IN6, SOL_SOCKET,
  STATUS_INVALID_PARAMETER, STATUS_MORE_PROCESSING_REQUIRED, STATUS_PENDING, STATUS_SUCCESS,
  UDP_RECV_MAX_COALESCED_SIZE, UDP_SEND_MSG_SIZE, WSK_CLIENT_DISPATCH, WSK_CLIENT_NPI, WSK_CONTROL_SOCKET_TYPE,
  WSK_EVENT_CALLBACK_CONTROL, WSK_EVENT_RECEIVE_FROM, WSK_FLAG_BASIC_SOCKET, WSK_FLAG_DATAGRAM_SOCKET,
  WSK_INFINITE_WAIT, WSK_PROVIDER_BASIC_DISPATCH, WSK_PROVIDER_NPI, WSK_SET_STATIC_EVENT_CALLBACKS, WSK_TDI_BEHAVIOR,
  WSK_TDI_BEHAVIOR_BYPASS_TDI, WskCaptureProviderNPI, WskDeregister, WskGetOption, WskIoctl, WskRegister,
  WskReleaseProviderNPI, WskSetOption, sockaddrFromString, sockaddrPort,
} from '../../lib';
import {
  CXPLAT_DATAPATH_FEATURE_RECV_SIDE_SCALING, CXPLAT_DATAPATH_FEATURE_RECV_COALESCING,
  CXPLAT_DATAPATH_FEATURE_SEND_SEGMENTATION, CXPLAT_DATAPATH_FEATURE_TTL, CXPLAT_DATAPATH_FEATURE_SEND_DSCP,
  MAX_URO_PAYLOAD_LENGTH, CXPLAT_MAX_MTU, CXPLAT_DSCP_LE, CXPLAT_DBG_ASSERT, CxPlatConvertToMappedV6,
  CxPlatConvertFromMappedV6, CXPLAT_UDP_DATAPATH_CALLBACKS, CXPLAT_DATAPATH, CXPLAT_SOCKET, CXPLAT_UDP_CONFIG, dgrm,
  CxPlatEventInitialize, CxPlatEventWaitForever, CxPlatDataPathIoCompletion, stackIrp, rearm, callAndWait,
} from './msquic-platform';
import { CxPlatDataPathSocketReceive } from './msquic-receive';

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

export * from './msquic-platform';
export * from './msquic-receive';
export * from './msquic-send';
