// wsk.h, part one: WSK's scalar types, constants and plain structures, named and valued as in C
// (each declaration links its Microsoft page). The dispatch tables and function-pointer types are
// in wsk-dispatch.ts; wsk.ts is both. Behaviour lives in the files named after each concept.
import type { IRP } from '../kernel/irp';
import type { WSK_BUF } from '../kernel/mdl';
import type { NTSTATUS } from '../kernel/ntstatus';
import type { PCMSGHDR } from '../net/cmsg';
import type { PSOCKADDR } from '../net/sockaddr';
import type { ADDRESS_FAMILY } from '../net/ws2def';
/** ULONG: a C unsigned 32-bit integer, a `number` here. */
export type ULONG = number;
/** USHORT: a C unsigned 16-bit integer, a `number` here. */
export type USHORT = number;
/** SIZE_T: a C size, a `number` here. */
export type SIZE_T = number;
/** A caller buffer: C's PVOID. Byte buffers are Uint8Arrays (any typed array is read as its bytes). */
export type PVOID = ArrayBufferView | object;
/** A pointer to a scalar the call writes (C's `ULONG *` / `SIZE_T *`): `[0]` reads like `*p`. */
export interface PULONG {
  0: number;
}
/** PSIZE_T: a pointer to a SIZE_T the call writes, `{ 0: n }` (see PULONG). */
export type PSIZE_T = PULONG;
/** Process and thread objects do not exist here; pass null. */
export type PEPROCESS = null;
/** PETHREAD: thread objects do not exist here; pass null. */
export type PETHREAD = null;
export type PIRP = IRP;

// ---- versions and registration (§1) ----

/**
 * MAKE_WSK_VERSION (wsk.h): a WSK version number from its major and minor parts; clients
 * register with `MAKE_WSK_VERSION(1, 0)`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_client_dispatch
 */
export function MAKE_WSK_VERSION(Mj: number, Mn: number): number {
  return ((Mj << 8) & 0xff00) | (Mn & 0xff);
}
/** WSK_MAJOR_VERSION (wsk.h): the major part of a WSK version number. */
export function WSK_MAJOR_VERSION(V: number): number {
  return (V >> 8) & 0xff;
}
/** WSK_MINOR_VERSION (wsk.h): the minor part of a WSK version number. */
export function WSK_MINOR_VERSION(V: number): number {
  return V & 0xff;
}

/**
 * WSK_NO_WAIT / WSK_INFINITE_WAIT (wsk.h): the `WaitTimeout` of `WskCaptureProviderNPI` (which
 * never waits here: the subsystem is always ready).
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nf-wsk-wskcaptureprovidernpi
 */
export const WSK_NO_WAIT = 0;
export const WSK_INFINITE_WAIT = 0xffffffff;

/** {2227E803-8D8B-11D4-ABAD-009027719E09} */
export const NPI_WSK_INTERFACE_ID: Readonly<GUID> = Object.freeze({
  Data1: 0x2227e803,
  Data2: 0x8d8b,
  Data3: 0x11d4,
  Data4: Object.freeze([0xab, 0xad, 0x00, 0x90, 0x27, 0x71, 0x9e, 0x09]) as unknown as Uint8Array,
});

/** GUID (guiddef.h): `{ Data1, Data2, Data3, Data4 }` as in C. */
export interface GUID {
  Data1: number;
  Data2: number;
  Data3: number;
  Data4: ArrayLike<number>;
}
/** NPIID (netioddk.h): a network programming interface identifier, a GUID. */
export type NPIID = GUID;

/**
 * PFN_WSK_CLIENT_EVENT: the client's WskClientEvent callback, in `WSK_CLIENT_DISPATCH`. Never
 * called here: the only client-level event, a transport-list change, does not happen.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_client_event
 */
export type PFN_WSK_CLIENT_EVENT = (
  ClientContext: unknown,
  EventType: ULONG,
  Information: unknown,
  InformationLength: SIZE_T,
) => NTSTATUS;

/**
 * WSK_CLIENT_DISPATCH (wsk.h): the client's version (`MAKE_WSK_VERSION(1, 0)`) and its
 * `WskClientEvent`, given to `WskRegister` in the client NPI.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_client_dispatch
 */
export interface WSK_CLIENT_DISPATCH {
  Version: USHORT;
  Reserved: USHORT;
  WskClientEvent: PFN_WSK_CLIENT_EVENT | null;
}

/**
 * WSK_CLIENT_NPI (wsk.h): what `WskRegister` takes: the client's context and dispatch table.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_client_npi
 */
export interface WSK_CLIENT_NPI {
  ClientContext: unknown;
  Dispatch: WSK_CLIENT_DISPATCH;
}

/** Opaque client object (PWSK_CLIENT). */
export interface WSK_CLIENT {
  readonly __brand_WSK_CLIENT: never;
}
/** PWSK_CLIENT: a pointer to the opaque WSK_CLIENT, which here is the object itself. */
export type PWSK_CLIENT = WSK_CLIENT;

/** Opaque registration block: pass an empty object to WskRegister. */
export interface WSK_REGISTRATION {
  /** @internal */ _registration?: unknown;
}
/** PWSK_REGISTRATION: a pointer to a WSK_REGISTRATION, which here is the object itself. */
export type PWSK_REGISTRATION = WSK_REGISTRATION;

/**
 * WSK_PROVIDER_CHARACTERISTICS (wsk.h): the versions `WskQueryProviderCharacteristics` reports.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_provider_characteristics
 */
export interface WSK_PROVIDER_CHARACTERISTICS {
  HighestVersion: USHORT;
  LowestVersion: USHORT;
}

// ---- sockets (§3) ----

/**
 * WSK_FLAG_*_SOCKET (wsk.h): the socket category, the `Flags` of `WskSocket`; exactly one.
 * @see https://learn.microsoft.com/windows-hardware/drivers/network/winsock-kernel-socket-categories
 */
export const WSK_FLAG_BASIC_SOCKET = 0x00000000;
export const WSK_FLAG_LISTEN_SOCKET = 0x00000001;
export const WSK_FLAG_CONNECTION_SOCKET = 0x00000002;
export const WSK_FLAG_DATAGRAM_SOCKET = 0x00000004;
export const WSK_FLAG_STREAM_SOCKET = 0x00000008;

/**
 * WSK_FLAG_* per-call flags (wsk.h): `WSK_FLAG_NODELAY` for sends, `WSK_FLAG_WAITALL` and
 * `WSK_FLAG_DRAIN` for receives, `WSK_FLAG_ABORTIVE` for disconnects (`WSK_FLAG_OOB` is refused:
 * `STATUS_NOT_SUPPORTED`).
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_send
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_receive
 */
export const WSK_FLAG_OOB = 0x00000001;
export const WSK_FLAG_NODELAY = 0x00000002;
export const WSK_FLAG_WAITALL = 0x00000002;
export const WSK_FLAG_DRAIN = 0x00000004;
export const WSK_FLAG_ABORTIVE = 0x00000001;

/**
 * WSK_FLAG_* indication flags (wsk.h), in the `Flags` of event callbacks. `WSK_FLAG_RELEASE_ASAP`
 * and `WSK_FLAG_ENTIRE_MESSAGE` are never set here; `WSK_FLAG_AT_DISPATCH_LEVEL` never is either (no IRQL).
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_receive_event
 */
export const WSK_FLAG_RELEASE_ASAP = 0x00000002;
export const WSK_FLAG_ENTIRE_MESSAGE = 0x00000004;
export const WSK_FLAG_AT_DISPATCH_LEVEL = 0x00000008;

/**
 * WSK_EVENT_*: the `EventMask` bits of `WSK_EVENT_CALLBACK_CONTROL`, one per event callback;
 * `WSK_EVENT_DISABLE` with one of them disables it.
 * @see https://learn.microsoft.com/windows-hardware/drivers/network/so-wsk-event-callback
 */
export const WSK_EVENT_SEND_BACKLOG = 0x00000010;
export const WSK_EVENT_RECEIVE = 0x00000040;
export const WSK_EVENT_DISCONNECT = 0x00000080;
export const WSK_EVENT_RECEIVE_FROM = 0x00000100;
export const WSK_EVENT_ACCEPT = 0x00000200;
export const WSK_EVENT_DISABLE = 0x80000000;

/**
 * WSK_CONTROL_SOCKET_TYPE values (wsk.h): the `RequestType` of `WskControlSocket`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_control_socket
 */
export const WskSetOption = 0;
export const WskGetOption = 1;
export const WskIoctl = 2;
export const WskControlMax = 3;
/** `WskSetOption`, `WskGetOption` or `WskIoctl`. */
export type WSK_CONTROL_SOCKET_TYPE = number;

/**
 * WSK_INSPECT_ACTION values (wsk.h): what `WskInspectEvent` returns, or `WskInspectComplete` decides.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_inspect_event
 */
export const WskInspectReject = 0;
export const WskInspectAccept = 1;
export const WskInspectPend = 2;
export const WskInspectMax = 3;
/** `WskInspectReject`, `WskInspectAccept` or `WskInspectPend`. */
export type WSK_INSPECT_ACTION = number;

/**
 * WskControlClient control codes (wsk.h): the transport list and its change notification, cached
 * security descriptors, static event callbacks, the TDI codes (accepted no-ops here).
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_control_client
 */
export const WSK_TRANSPORT_LIST_QUERY = 2;
export const WSK_TRANSPORT_LIST_CHANGE = 3;
export const WSK_CACHE_SD = 4;
export const WSK_RELEASE_SD = 5;
export const WSK_TDI_DEVICENAME_MAPPING = 6;
export const WSK_SET_STATIC_EVENT_CALLBACKS = 7;
export const WSK_TDI_BEHAVIOR = 8;
export const WSK_TDI_BEHAVIOR_BYPASS_TDI = 0x00000001;

/**
 * WSK's own socket options (wsk.h), at level `SOL_SOCKET`: `SO_WSK_SECURITY` (a cached security
 * descriptor) and `SO_WSK_EVENT_CALLBACK` (enable or disable event callbacks).
 * @see https://learn.microsoft.com/windows-hardware/drivers/network/wsk-socket-options
 */
export const WSK_SO_BASE = 0x4000;
export const SO_WSK_SECURITY = WSK_SO_BASE + 1;
export const SO_WSK_EVENT_CALLBACK = WSK_SO_BASE + 2;

/**
 * WSK's own IOCTLs (wsk.h), for `WskControlSocket` with `WskIoctl`: fixed remote or send-to
 * addresses of datagram sockets, backlog queries, the inspect ID.
 * @see https://learn.microsoft.com/windows-hardware/drivers/network/wsk-socket-ioctl-operations
 */
export const IOC_WSK = 0x0f000000;
export const SIO_WSK_SET_REMOTE_ADDRESS = 0x8f000001;
export const SIO_WSK_REGISTER_EXTENSION = 0xcf000002;
export const SIO_WSK_QUERY_IDEAL_SEND_BACKLOG = 0x4f000003;
export const SIO_WSK_QUERY_RECEIVE_BACKLOG = 0x4f000004;
export const SIO_WSK_QUERY_INSPECT_ID = 0x4f000005;
export const SIO_WSK_SET_SENDTO_ADDRESS = 0x8f000006;
export const SIO_WSK_SET_TCP_SILENT_MODE = 0x2f000007;

/**
 * WSK_EVENT_CALLBACK_CONTROL (wsk.h): the input of `SO_WSK_EVENT_CALLBACK`: `NpiId` (pass
 * `NPI_WSK_INTERFACE_ID`) and the `WSK_EVENT_*` mask.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_event_callback_control
 */
export interface WSK_EVENT_CALLBACK_CONTROL {
  NpiId: NPIID;
  EventMask: ULONG;
}

/**
 * WSK_INSPECT_ID (wsk.h): identifies a connection request under conditional accept.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_inspect_id
 */
export interface WSK_INSPECT_ID {
  Key: number;
  SerialNumber: ULONG;
}
/** PWSK_INSPECT_ID: a pointer to a WSK_INSPECT_ID, which here is the object itself. */
export type PWSK_INSPECT_ID = WSK_INSPECT_ID;

/**
 * WSK_DATA_INDICATION (wsk.h): one element of the chain `WskReceiveEvent` indicates: a `WSK_BUF`
 * over WSK's memory, linked through `Next`. Valid until the callback returns, or until `WskRelease`
 * when it returned `STATUS_PENDING`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_data_indication
 */
export interface WSK_DATA_INDICATION {
  Next: WSK_DATA_INDICATION | null;
  Buffer: WSK_BUF;
}
/** PWSK_DATA_INDICATION: a pointer to a WSK_DATA_INDICATION, which here is the object itself. */
export type PWSK_DATA_INDICATION = WSK_DATA_INDICATION;

// CMSGHDR lives with the control-message helpers (ws2def.h); named here too, as wsk.h uses it.
export type { CMSGHDR, PCMSGHDR } from '../net/cmsg';

/**
 * WSK_DATAGRAM_INDICATION (wsk.h): one datagram of the chain `WskReceiveFromEvent` indicates: its
 * data, control information and sender, linked through `Next`. Valid as a data indication is.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_datagram_indication
 */
export interface WSK_DATAGRAM_INDICATION {
  Next: WSK_DATAGRAM_INDICATION | null;
  Buffer: WSK_BUF;
  ControlInfo: PCMSGHDR | null;
  ControlInfoLength: ULONG;
  RemoteAddress: PSOCKADDR;
}
/** PWSK_DATAGRAM_INDICATION: a pointer to a WSK_DATAGRAM_INDICATION, which here is the object itself. */
export type PWSK_DATAGRAM_INDICATION = WSK_DATAGRAM_INDICATION;

/**
 * WSK_BUF_LIST (wsk.h): the datagrams `WskSendMessages` sends, one `WSK_BUF` each, linked through `Next`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-wsk_buf_list
 */
export interface WSK_BUF_LIST {
  Next: WSK_BUF_LIST | null;
  Buffer: WSK_BUF;
}
/** PWSK_BUF_LIST: a pointer to a WSK_BUF_LIST, which here is the object itself. */
export type PWSK_BUF_LIST = WSK_BUF_LIST;

/**
 * WSK_TRANSPORT (wsk.h): one entry of the transport list `WSK_TRANSPORT_LIST_QUERY` returns
 * (`SIZEOF_WSK_TRANSPORT` bytes each in C).
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_transport
 */
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
/** PADDRINFOEXW: a pointer to an ADDRINFOEXW, which here is the object itself. */
export type PADDRINFOEXW = ADDRINFOEXW;
