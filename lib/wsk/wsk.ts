// wsk.h: WSK constants, structures, dispatch tables and function-pointer types, named and
// valued as in C (each declaration links its Microsoft page). Behaviour lives in the files named after each concept.
import type { IRP } from '../kernel/irp';
import type { WSK_BUF } from '../kernel/mdl';
import type { NTSTATUS } from '../kernel/ntstatus';
import type { PUNICODE_STRING } from '../kernel/rtl';
import type { PCMSGHDR } from '../net/cmsg';
import type { PSOCKADDR } from '../net/sockaddr';
import type { ADDRESS_FAMILY } from '../net/ws2def';

export type ULONG = number;
export type USHORT = number;
export type SIZE_T = number;
/** A caller buffer: C's PVOID. Byte buffers are Uint8Arrays (any typed array is read as its bytes). */
export type PVOID = ArrayBufferView | object;
/** A pointer to a scalar the call writes (C's `ULONG *` / `SIZE_T *`): `[0]` reads like `*p`. */
export interface PULONG {
  0: number;
}
export type PSIZE_T = PULONG;
/** Process and thread objects do not exist here; pass null. */
export type PEPROCESS = null;
export type PETHREAD = null;
export type PIRP = IRP;

// ---- versions and registration (§1) ----

export function MAKE_WSK_VERSION(Mj: number, Mn: number): number {
  return ((Mj << 8) & 0xff00) | (Mn & 0xff);
}
export function WSK_MAJOR_VERSION(V: number): number {
  return (V >> 8) & 0xff;
}
export function WSK_MINOR_VERSION(V: number): number {
  return V & 0xff;
}

export const WSK_NO_WAIT = 0;
export const WSK_INFINITE_WAIT = 0xffffffff;

/** {2227E803-8D8B-11D4-ABAD-009027719E09} */
export const NPI_WSK_INTERFACE_ID: Readonly<GUID> = Object.freeze({
  Data1: 0x2227e803,
  Data2: 0x8d8b,
  Data3: 0x11d4,
  Data4: Object.freeze([0xab, 0xad, 0x00, 0x90, 0x27, 0x71, 0x9e, 0x09]) as unknown as Uint8Array,
});

export interface GUID {
  Data1: number;
  Data2: number;
  Data3: number;
  Data4: ArrayLike<number>;
}
export type NPIID = GUID;

export type PFN_WSK_CLIENT_EVENT = (
  ClientContext: unknown,
  EventType: ULONG,
  Information: unknown,
  InformationLength: SIZE_T,
) => NTSTATUS;

export interface WSK_CLIENT_DISPATCH {
  Version: USHORT;
  Reserved: USHORT;
  WskClientEvent: PFN_WSK_CLIENT_EVENT | null;
}

export interface WSK_CLIENT_NPI {
  ClientContext: unknown;
  Dispatch: WSK_CLIENT_DISPATCH;
}

/** Opaque client object (PWSK_CLIENT). */
export interface WSK_CLIENT {
  readonly __brand_WSK_CLIENT: never;
}
export type PWSK_CLIENT = WSK_CLIENT;

/** Opaque registration block: pass an empty object to WskRegister. */
export interface WSK_REGISTRATION {
  /** @internal */ _registration?: unknown;
}
export type PWSK_REGISTRATION = WSK_REGISTRATION;

export interface WSK_PROVIDER_NPI {
  Client: PWSK_CLIENT;
  Dispatch: WSK_PROVIDER_DISPATCH;
}
export type PWSK_PROVIDER_NPI = WSK_PROVIDER_NPI;

export interface WSK_PROVIDER_CHARACTERISTICS {
  HighestVersion: USHORT;
  LowestVersion: USHORT;
}

// ---- sockets (§3) ----

export const WSK_FLAG_BASIC_SOCKET = 0x00000000;
export const WSK_FLAG_LISTEN_SOCKET = 0x00000001;
export const WSK_FLAG_CONNECTION_SOCKET = 0x00000002;
export const WSK_FLAG_DATAGRAM_SOCKET = 0x00000004;
export const WSK_FLAG_STREAM_SOCKET = 0x00000008;

export const WSK_FLAG_OOB = 0x00000001;
export const WSK_FLAG_NODELAY = 0x00000002;
export const WSK_FLAG_WAITALL = 0x00000002;
export const WSK_FLAG_DRAIN = 0x00000004;
export const WSK_FLAG_ABORTIVE = 0x00000001;

export const WSK_FLAG_RELEASE_ASAP = 0x00000002;
export const WSK_FLAG_ENTIRE_MESSAGE = 0x00000004;
export const WSK_FLAG_AT_DISPATCH_LEVEL = 0x00000008;

export const WSK_EVENT_SEND_BACKLOG = 0x00000010;
export const WSK_EVENT_RECEIVE = 0x00000040;
export const WSK_EVENT_DISCONNECT = 0x00000080;
export const WSK_EVENT_RECEIVE_FROM = 0x00000100;
export const WSK_EVENT_ACCEPT = 0x00000200;
export const WSK_EVENT_DISABLE = 0x80000000;

export const WskSetOption = 0;
export const WskGetOption = 1;
export const WskIoctl = 2;
export const WskControlMax = 3;
export type WSK_CONTROL_SOCKET_TYPE = number;

export const WskInspectReject = 0;
export const WskInspectAccept = 1;
export const WskInspectPend = 2;
export const WskInspectMax = 3;
export type WSK_INSPECT_ACTION = number;

export const WSK_TRANSPORT_LIST_QUERY = 2;
export const WSK_TRANSPORT_LIST_CHANGE = 3;
export const WSK_CACHE_SD = 4;
export const WSK_RELEASE_SD = 5;
export const WSK_TDI_DEVICENAME_MAPPING = 6;
export const WSK_SET_STATIC_EVENT_CALLBACKS = 7;
export const WSK_TDI_BEHAVIOR = 8;
export const WSK_TDI_BEHAVIOR_BYPASS_TDI = 0x00000001;

export const WSK_SO_BASE = 0x4000;
export const SO_WSK_SECURITY = WSK_SO_BASE + 1;
export const SO_WSK_EVENT_CALLBACK = WSK_SO_BASE + 2;

export const IOC_WSK = 0x0f000000;
export const SIO_WSK_SET_REMOTE_ADDRESS = 0x8f000001;
export const SIO_WSK_REGISTER_EXTENSION = 0xcf000002;
export const SIO_WSK_QUERY_IDEAL_SEND_BACKLOG = 0x4f000003;
export const SIO_WSK_QUERY_RECEIVE_BACKLOG = 0x4f000004;
export const SIO_WSK_QUERY_INSPECT_ID = 0x4f000005;
export const SIO_WSK_SET_SENDTO_ADDRESS = 0x8f000006;
export const SIO_WSK_SET_TCP_SILENT_MODE = 0x2f000007;

/** The socket object: `Dispatch` is the provider table of its category; cast it as C does. */
export interface WSK_SOCKET {
  readonly Dispatch: WSK_PROVIDER_BASIC_DISPATCH;
}
export type PWSK_SOCKET = WSK_SOCKET;

export interface WSK_EVENT_CALLBACK_CONTROL {
  NpiId: NPIID;
  EventMask: ULONG;
}

export interface WSK_INSPECT_ID {
  Key: number;
  SerialNumber: ULONG;
}
export type PWSK_INSPECT_ID = WSK_INSPECT_ID;

export interface WSK_DATA_INDICATION {
  Next: WSK_DATA_INDICATION | null;
  Buffer: WSK_BUF;
}
export type PWSK_DATA_INDICATION = WSK_DATA_INDICATION;

// CMSGHDR lives with the control-message helpers (ws2def.h); named here too, as wsk.h uses it.
export type { CMSGHDR, PCMSGHDR } from '../net/cmsg';

export interface WSK_DATAGRAM_INDICATION {
  Next: WSK_DATAGRAM_INDICATION | null;
  Buffer: WSK_BUF;
  ControlInfo: PCMSGHDR | null;
  ControlInfoLength: ULONG;
  RemoteAddress: PSOCKADDR;
}
export type PWSK_DATAGRAM_INDICATION = WSK_DATAGRAM_INDICATION;

export interface WSK_BUF_LIST {
  Next: WSK_BUF_LIST | null;
  Buffer: WSK_BUF;
}
export type PWSK_BUF_LIST = WSK_BUF_LIST;

export interface WSK_TRANSPORT {
  Version: USHORT;
  SocketType: USHORT;
  Protocol: ULONG;
  AddressFamily: ADDRESS_FAMILY;
  ProviderId: GUID;
}

/** ADDRINFOEXW, the result list of WskGetAddressInfo. */
export interface ADDRINFOEXW {
  ai_flags: number;
  ai_family: number;
  ai_socktype: number;
  ai_protocol: number;
  ai_addrlen: SIZE_T;
  ai_canonname: string | null;
  ai_addr: PSOCKADDR | null;
  ai_blob: Uint8Array | null;
  ai_bloblen: SIZE_T;
  ai_provider: GUID | null;
  ai_next: ADDRINFOEXW | null;
}
export type PADDRINFOEXW = ADDRINFOEXW;

// ---- provider dispatch (§2, §3.2): member order as in C ----

export type PFN_WSK_SOCKET = (
  Client: PWSK_CLIENT,
  AddressFamily: ADDRESS_FAMILY,
  SocketType: USHORT,
  Protocol: ULONG,
  Flags: ULONG,
  SocketContext: unknown,
  Dispatch: unknown,
  OwningProcess: PEPROCESS,
  OwningThread: PETHREAD,
  SecurityDescriptor: unknown,
  Irp: PIRP | null,
) => NTSTATUS;

export type PFN_WSK_SOCKET_CONNECT = (
  Client: PWSK_CLIENT,
  SocketType: USHORT,
  Protocol: ULONG,
  LocalAddress: PSOCKADDR,
  RemoteAddress: PSOCKADDR,
  Flags: ULONG,
  SocketContext: unknown,
  Dispatch: WSK_CLIENT_CONNECTION_DISPATCH | null,
  OwningProcess: PEPROCESS,
  OwningThread: PETHREAD,
  SecurityDescriptor: unknown,
  Irp: PIRP | null,
) => NTSTATUS;

export type PFN_WSK_CONTROL_CLIENT = (
  Client: PWSK_CLIENT,
  ControlCode: ULONG,
  InputSize: SIZE_T,
  InputBuffer: PVOID | null,
  OutputSize: SIZE_T,
  OutputBuffer: PVOID | null,
  OutputSizeReturned: PSIZE_T | null,
  Irp: PIRP | null,
) => NTSTATUS;

export type PFN_WSK_GET_ADDRESS_INFO = (
  Client: PWSK_CLIENT,
  NodeName: PUNICODE_STRING | null,
  ServiceName: PUNICODE_STRING | null,
  NameSpace: ULONG,
  Provider: GUID | null,
  Hints: Partial<ADDRINFOEXW> | null,
  Result: { 0: PADDRINFOEXW | null },
  OwningProcess: PEPROCESS,
  OwningThread: PETHREAD,
  Irp: PIRP | null,
) => NTSTATUS;

export type PFN_WSK_FREE_ADDRESS_INFO = (Client: PWSK_CLIENT, AddrInfo: PADDRINFOEXW | null) => void;

export type PFN_WSK_GET_NAME_INFO = (
  Client: PWSK_CLIENT,
  SockAddr: PSOCKADDR,
  SockAddrLength: ULONG,
  NodeName: PUNICODE_STRING | null,
  ServiceName: PUNICODE_STRING | null,
  Flags: ULONG,
  OwningProcess: PEPROCESS,
  OwningThread: PETHREAD,
  Irp: PIRP | null,
) => NTSTATUS;

export interface WSK_PROVIDER_DISPATCH {
  readonly Version: USHORT;
  readonly Reserved: USHORT;
  readonly WskSocket: PFN_WSK_SOCKET;
  readonly WskSocketConnect: PFN_WSK_SOCKET_CONNECT;
  readonly WskControlClient: PFN_WSK_CONTROL_CLIENT;
  readonly WskGetAddressInfo: PFN_WSK_GET_ADDRESS_INFO;
  readonly WskFreeAddressInfo: PFN_WSK_FREE_ADDRESS_INFO;
  readonly WskGetNameInfo: PFN_WSK_GET_NAME_INFO;
}

export type PFN_WSK_CONTROL_SOCKET = (
  Socket: PWSK_SOCKET,
  RequestType: WSK_CONTROL_SOCKET_TYPE,
  ControlCode: ULONG,
  Level: ULONG,
  InputSize: SIZE_T,
  InputBuffer: PVOID | null,
  OutputSize: SIZE_T,
  OutputBuffer: PVOID | null,
  OutputSizeReturned: PSIZE_T | null,
  Irp: PIRP | null,
) => NTSTATUS;
export type PFN_WSK_CLOSE_SOCKET = (Socket: PWSK_SOCKET, Irp: PIRP | null) => NTSTATUS;
export type PFN_WSK_BIND = (Socket: PWSK_SOCKET, LocalAddress: PSOCKADDR, Flags: ULONG, Irp: PIRP | null) => NTSTATUS;
export type PFN_WSK_ACCEPT = (
  ListenSocket: PWSK_SOCKET,
  Flags: ULONG,
  AcceptSocketContext: unknown,
  AcceptSocketDispatch: WSK_CLIENT_CONNECTION_DISPATCH | null,
  LocalAddress: PSOCKADDR | null,
  RemoteAddress: PSOCKADDR | null,
  Irp: PIRP | null,
) => NTSTATUS;
export type PFN_WSK_INSPECT_COMPLETE = (
  ListenSocket: PWSK_SOCKET,
  InspectID: PWSK_INSPECT_ID,
  Action: WSK_INSPECT_ACTION,
  Irp: PIRP | null,
) => NTSTATUS;
export type PFN_WSK_GET_LOCAL_ADDRESS = (Socket: PWSK_SOCKET, LocalAddress: PSOCKADDR, Irp: PIRP | null) => NTSTATUS;
export type PFN_WSK_GET_REMOTE_ADDRESS = (Socket: PWSK_SOCKET, RemoteAddress: PSOCKADDR, Irp: PIRP | null) => NTSTATUS;
export type PFN_WSK_CONNECT = (Socket: PWSK_SOCKET, RemoteAddress: PSOCKADDR, Flags: ULONG, Irp: PIRP | null) => NTSTATUS;
export type PFN_WSK_CONNECT_EX = (
  Socket: PWSK_SOCKET,
  RemoteAddress: PSOCKADDR,
  Buffer: WSK_BUF | null,
  Flags: ULONG,
  Irp: PIRP | null,
) => NTSTATUS;
export type PFN_WSK_LISTEN = (Socket: PWSK_SOCKET, Irp: PIRP | null) => NTSTATUS;
export type PFN_WSK_SEND = (Socket: PWSK_SOCKET, Buffer: WSK_BUF, Flags: ULONG, Irp: PIRP | null) => NTSTATUS;
export type PFN_WSK_RECEIVE = (Socket: PWSK_SOCKET, Buffer: WSK_BUF, Flags: ULONG, Irp: PIRP | null) => NTSTATUS;
export type PFN_WSK_SEND_EX = (
  Socket: PWSK_SOCKET,
  Buffer: WSK_BUF,
  Flags: ULONG,
  ControlInfoLength: ULONG,
  ControlInfo: PCMSGHDR | null,
  Irp: PIRP | null,
) => NTSTATUS;
export type PFN_WSK_RECEIVE_EX = (
  Socket: PWSK_SOCKET,
  Buffer: WSK_BUF,
  Flags: ULONG,
  ControlInfoLength: PULONG | null,
  ControlInfo: PCMSGHDR | null,
  ControlFlags: PULONG | null,
  Irp: PIRP | null,
) => NTSTATUS;
export type PFN_WSK_DISCONNECT = (Socket: PWSK_SOCKET, Buffer: WSK_BUF | null, Flags: ULONG, Irp: PIRP | null) => NTSTATUS;
export type PFN_WSK_RELEASE_DATA_INDICATION_LIST = (Socket: PWSK_SOCKET, DataIndication: PWSK_DATA_INDICATION) => NTSTATUS;
export type PFN_WSK_SEND_TO = (
  Socket: PWSK_SOCKET,
  Buffer: WSK_BUF,
  Flags: ULONG,
  RemoteAddress: PSOCKADDR | null,
  ControlInfoLength: ULONG,
  ControlInfo: PCMSGHDR | null,
  Irp: PIRP | null,
) => NTSTATUS;
export type PFN_WSK_SEND_MESSAGES = (
  Socket: PWSK_SOCKET,
  BufferList: PWSK_BUF_LIST,
  Flags: ULONG,
  RemoteAddress: PSOCKADDR | null,
  ControlInfoLength: ULONG,
  ControlInfo: PCMSGHDR | null,
  Irp: PIRP | null,
) => NTSTATUS;
export type PFN_WSK_RECEIVE_FROM = (
  Socket: PWSK_SOCKET,
  Buffer: WSK_BUF,
  Flags: ULONG,
  RemoteAddress: PSOCKADDR | null,
  ControlLength: PULONG | null,
  ControlInfo: PCMSGHDR | null,
  ControlFlags: PULONG | null,
  Irp: PIRP | null,
) => NTSTATUS;
export type PFN_WSK_RELEASE_DATAGRAM_INDICATION_LIST = (
  Socket: PWSK_SOCKET,
  DatagramIndication: PWSK_DATAGRAM_INDICATION,
) => NTSTATUS;

export interface WSK_PROVIDER_BASIC_DISPATCH {
  readonly WskControlSocket: PFN_WSK_CONTROL_SOCKET;
  readonly WskCloseSocket: PFN_WSK_CLOSE_SOCKET;
}

/**
 * What C++ names the embedded basic members: `Dispatch->Basic.WskCloseSocket` (wsk.h, under
 * __cplusplus). Every category table has it beside the flat members C uses.
 */
export interface WSK_PROVIDER_BASIC_MEMBER {
  readonly Basic: WSK_PROVIDER_BASIC_DISPATCH;
}

export interface WSK_PROVIDER_LISTEN_DISPATCH extends WSK_PROVIDER_BASIC_DISPATCH, WSK_PROVIDER_BASIC_MEMBER {
  readonly WskBind: PFN_WSK_BIND;
  readonly WskAccept: PFN_WSK_ACCEPT;
  readonly WskInspectComplete: PFN_WSK_INSPECT_COMPLETE;
  readonly WskGetLocalAddress: PFN_WSK_GET_LOCAL_ADDRESS;
}

export interface WSK_PROVIDER_DATAGRAM_DISPATCH extends WSK_PROVIDER_BASIC_DISPATCH, WSK_PROVIDER_BASIC_MEMBER {
  readonly WskBind: PFN_WSK_BIND;
  readonly WskSendTo: PFN_WSK_SEND_TO;
  readonly WskReceiveFrom: PFN_WSK_RECEIVE_FROM;
  readonly WskRelease: PFN_WSK_RELEASE_DATAGRAM_INDICATION_LIST;
  readonly WskGetLocalAddress: PFN_WSK_GET_LOCAL_ADDRESS;
  readonly WskSendMessages: PFN_WSK_SEND_MESSAGES;
}

export interface WSK_PROVIDER_CONNECTION_DISPATCH extends WSK_PROVIDER_BASIC_DISPATCH, WSK_PROVIDER_BASIC_MEMBER {
  readonly WskBind: PFN_WSK_BIND;
  readonly WskConnect: PFN_WSK_CONNECT;
  readonly WskGetLocalAddress: PFN_WSK_GET_LOCAL_ADDRESS;
  readonly WskGetRemoteAddress: PFN_WSK_GET_REMOTE_ADDRESS;
  readonly WskSend: PFN_WSK_SEND;
  readonly WskReceive: PFN_WSK_RECEIVE;
  readonly WskDisconnect: PFN_WSK_DISCONNECT;
  readonly WskRelease: PFN_WSK_RELEASE_DATA_INDICATION_LIST;
  readonly WskConnectEx: PFN_WSK_CONNECT_EX;
  readonly WskSendEx: PFN_WSK_SEND_EX;
  readonly WskReceiveEx: PFN_WSK_RECEIVE_EX;
}

export interface WSK_PROVIDER_STREAM_DISPATCH extends WSK_PROVIDER_BASIC_DISPATCH, WSK_PROVIDER_BASIC_MEMBER {
  readonly WskBind: PFN_WSK_BIND;
  readonly WskAccept: PFN_WSK_ACCEPT;
  readonly WskConnect: PFN_WSK_CONNECT;
  readonly WskListen: PFN_WSK_LISTEN;
  readonly WskSend: PFN_WSK_SEND;
  readonly WskReceive: PFN_WSK_RECEIVE;
  readonly WskDisconnect: PFN_WSK_DISCONNECT;
  readonly WskRelease: PFN_WSK_RELEASE_DATA_INDICATION_LIST;
  readonly WskGetLocalAddress: PFN_WSK_GET_LOCAL_ADDRESS;
  readonly WskGetRemoteAddress: PFN_WSK_GET_REMOTE_ADDRESS;
  readonly WskConnectEx: PFN_WSK_CONNECT_EX;
  readonly WskSendEx: PFN_WSK_SEND_EX;
  readonly WskReceiveEx: PFN_WSK_RECEIVE_EX;
}

// ---- client dispatch (§4) ----

/** AcceptSocket NULL (and both addresses with it): the listener no longer works; close it. */
export type PFN_WSK_ACCEPT_EVENT = (
  SocketContext: unknown,
  Flags: ULONG,
  LocalAddress: PSOCKADDR | null,
  RemoteAddress: PSOCKADDR | null,
  AcceptSocket: PWSK_SOCKET | null,
  AcceptSocketContext: { 0: unknown },
  AcceptSocketDispatch: { 0: WSK_CLIENT_CONNECTION_DISPATCH | null },
) => NTSTATUS;
export type PFN_WSK_INSPECT_EVENT = (
  SocketContext: unknown,
  LocalAddress: PSOCKADDR,
  RemoteAddress: PSOCKADDR,
  InspectID: PWSK_INSPECT_ID | null,
) => WSK_INSPECT_ACTION;
export type PFN_WSK_ABORT_EVENT = (SocketContext: unknown, InspectID: PWSK_INSPECT_ID) => NTSTATUS;
export type PFN_WSK_RECEIVE_FROM_EVENT = (
  SocketContext: unknown,
  Flags: ULONG,
  DataIndication: PWSK_DATAGRAM_INDICATION | null,
) => NTSTATUS;
export type PFN_WSK_RECEIVE_EVENT = (
  SocketContext: unknown,
  Flags: ULONG,
  DataIndication: PWSK_DATA_INDICATION | null,
  BytesIndicated: SIZE_T,
  BytesAccepted: PSIZE_T,
) => NTSTATUS;
export type PFN_WSK_DISCONNECT_EVENT = (SocketContext: unknown, Flags: ULONG) => NTSTATUS;
export type PFN_WSK_SEND_BACKLOG_EVENT = (SocketContext: unknown, IdealBacklogSize: SIZE_T) => NTSTATUS;

export interface WSK_CLIENT_LISTEN_DISPATCH {
  WskAcceptEvent: PFN_WSK_ACCEPT_EVENT | null;
  WskInspectEvent: PFN_WSK_INSPECT_EVENT | null;
  WskAbortEvent: PFN_WSK_ABORT_EVENT | null;
}
export interface WSK_CLIENT_DATAGRAM_DISPATCH {
  WskReceiveFromEvent: PFN_WSK_RECEIVE_FROM_EVENT | null;
}
export interface WSK_CLIENT_CONNECTION_DISPATCH {
  WskReceiveEvent: PFN_WSK_RECEIVE_EVENT | null;
  WskDisconnectEvent: PFN_WSK_DISCONNECT_EVENT | null;
  WskSendBacklogEvent: PFN_WSK_SEND_BACKLOG_EVENT | null;
}
export interface WSK_CLIENT_STREAM_DISPATCH {
  Listen: WSK_CLIENT_LISTEN_DISPATCH | null;
  Connect: WSK_CLIENT_CONNECTION_DISPATCH | null;
}
