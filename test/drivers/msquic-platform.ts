// The platform part of the msquic datapath port (msquic-datapath.ts says what is ported from where):
// its constants, structures (C's structs as objects), address conversions and the IRP + event
// pattern every synchronous WSK call of datapath_winkernel.c follows.
import {
  AF_INET6, IO_NO_INCREMENT, IRP, IoAllocateIrp, IoInitializeIrp, IoReuseIrp, IoSetCompletionRoutine, IoSizeOfIrp,
  KEVENT, KeClearEvent, KeInitializeEvent, KeSetEvent, KeWaitForSingleObject, Executive, KernelMode, NTSTATUS,
  NT_SUCCESS, PSOCKADDR, PWSK_DATAGRAM_INDICATION, PWSK_SOCKET, SOCKADDR_IN, SOCKADDR_IN6,
  STATUS_MORE_PROCESSING_REQUIRED, STATUS_PENDING, STATUS_SUCCESS, SynchronizationEvent,
  WSK_CLIENT_DATAGRAM_DISPATCH, WSK_PROVIDER_DATAGRAM_DISPATCH, WSK_PROVIDER_NPI, WSK_REGISTRATION,
  sockaddrAddressString, sockaddrFromString, sockaddrPort,
} from '../../lib';
import { IN_RECVERR_LAYOUT } from '../../lib/net/mstcpip';
import { sockaddrFamily } from '../../lib/net/sockaddr';

export type QUIC_ADDR = SOCKADDR_IN | SOCKADDR_IN6;

export const CXPLAT_DATAPATH_FEATURE_RECV_SIDE_SCALING = 0x1;
export const CXPLAT_DATAPATH_FEATURE_RECV_COALESCING = 0x2;
export const CXPLAT_DATAPATH_FEATURE_SEND_SEGMENTATION = 0x4;
export const CXPLAT_DATAPATH_FEATURE_TTL = 0x80;
export const CXPLAT_DATAPATH_FEATURE_SEND_DSCP = 0x100;
export const CXPLAT_UDP_HEADER_SIZE = 8;
export const MAX_URO_PAYLOAD_LENGTH = 0xffff - CXPLAT_UDP_HEADER_SIZE;
export const CXPLAT_LARGE_SEND_BUFFER_SIZE = 0xf000;
export const URO_MAX_DATAGRAMS_PER_INDICATION = 64;
export const CXPLAT_MAX_MTU = 1500;
export const CXPLAT_DSCP_LE = 1;
export const ICMP4_DST_UNREACH = 3; // ipexport.h / ws2ipdef.h
export const ICMP6_DST_UNREACH = 1;
/** IN_RECVERR.type's offset (ws2ipdef.h: protocol, info, type, code). */
export const IN_RECVERR_TYPE = IN_RECVERR_LAYOUT.find(([name]: readonly [string, number, number]) => name === 'type')![1];

/** C's CXPLAT_DBG_ASSERT in a debug build: the driver's own invariants. */
export function CXPLAT_DBG_ASSERT(condition: boolean, what: string): void {
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
export interface DATAPATH_RX_IO_BLOCK {
  Binding: CXPLAT_SOCKET;
  DataIndication: PWSK_DATAGRAM_INDICATION | null;
  DataBufferStart: Uint8Array | null;
  IsCopiedBuffer: boolean;
  ReferenceCount: number;
  DataIndicationSize: number;
  Route: CXPLAT_ROUTE;
}
/** DATAPATH_RX_PACKET's IoBlock back-pointer (CXPLAT_CONTAINING_RECORD in C). */
export const IoBlockOf = new WeakMap<CXPLAT_RECV_DATA, DATAPATH_RX_IO_BLOCK>();

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

export const dgrm = (Binding: CXPLAT_SOCKET) => Binding.Socket!.Dispatch as WSK_PROVIDER_DATAGRAM_DISPATCH;

// ---- events and IRPs ----

export function CxPlatEventInitialize(): KEVENT {
  const Event: KEVENT = {};
  KeInitializeEvent(Event, SynchronizationEvent, false);
  return Event;
}
export const CxPlatEventWaitForever = (Event: KEVENT) => KeWaitForSingleObject(Event, Executive, KernelMode, false, null);

/** CxPlatDataPathIoCompletion: used for all WSK IoCompletion routines. */
export function CxPlatDataPathIoCompletion(_DeviceObject: null, _Irp: IRP, Context: unknown): NTSTATUS {
  CXPLAT_DBG_ASSERT(Context !== null, 'CxPlatDataPathIoCompletion Context');
  KeSetEvent(Context as KEVENT, IO_NO_INCREMENT, false);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

/** C's `uint8_t IrpBuffer[sizeof(IRP) + sizeof(IO_STACK_LOCATION)]` + IoInitializeIrp. */
export function stackIrp(): IRP {
  // In C this memory is a stack array or part of a struct msquic already allocated: it cannot
  // fail. IoAllocateIrp stands in for it here, so a null from NODE_WSK_VERIFIER's lowres is not
  // one C could see: ask again (bounded; lowres is a probability below 1).
  let Irp: IRP | null = null;
  for (let i = 0; i < 1000 && Irp === null; i++) Irp = IoAllocateIrp(1, false);
  IoInitializeIrp(Irp!, IoSizeOfIrp(1), 1);
  return Irp!;
}

/** The IoReuseIrp + IoSetCompletionRoutine + CxPlatEventReset that precede every call. */
export function rearm(Irp: IRP, Event: KEVENT): void {
  IoReuseIrp(Irp, STATUS_SUCCESS);
  IoSetCompletionRoutine(Irp, CxPlatDataPathIoCompletion, Event, true, true, true);
  KeClearEvent(Event);
}

/** `Status = Call(...); if PENDING wait; else if failed bail; Status = Irp->IoStatus.Status`. */
export async function callAndWait(Irp: IRP, Event: KEVENT, Status: NTSTATUS): Promise<NTSTATUS> {
  if (Status === STATUS_PENDING) {
    await CxPlatEventWaitForever(Event);
  } else if (!NT_SUCCESS(Status)) {
    return Status;
  }
  return Irp.IoStatus.Status;
}
