// wsk.h, part two: the socket object, the provider's and the client's dispatch tables and every
// function-pointer type (PFN_WSK_*), member order as in C (each links its Microsoft page). They
// refer to each other (a WSK_SOCKET's Dispatch takes a PWSK_SOCKET), so they live together.
import type { WSK_BUF } from '../kernel/mdl';
import type { NTSTATUS } from '../kernel/ntstatus';
import type { PUNICODE_STRING } from '../kernel/rtl';
import type { PCMSGHDR } from '../net/cmsg';
import type { PSOCKADDR } from '../net/sockaddr';
import type { ADDRESS_FAMILY } from '../net/ws2def';
import type {
  ADDRINFOEXW,
  GUID,
  PADDRINFOEXW,
  PEPROCESS,
  PETHREAD,
  PIRP,
  PSIZE_T,
  PULONG,
  PVOID,
  PWSK_BUF_LIST,
  PWSK_CLIENT,
  PWSK_DATAGRAM_INDICATION,
  PWSK_DATA_INDICATION,
  PWSK_INSPECT_ID,
  SIZE_T,
  ULONG,
  USHORT,
  WSK_CONTROL_SOCKET_TYPE,
  WSK_INSPECT_ACTION,
} from './wsk-base';

/**
 * WSK_PROVIDER_NPI (wsk.h): what `WskCaptureProviderNPI` fills: the client object to pass to
 * the provider's functions and the provider's client-level dispatch table.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_provider_npi
 */
export interface WSK_PROVIDER_NPI {
  Client: PWSK_CLIENT;
  Dispatch: WSK_PROVIDER_DISPATCH;
}
/** PWSK_PROVIDER_NPI: a pointer to a WSK_PROVIDER_NPI, which here is the object itself. */
export type PWSK_PROVIDER_NPI = WSK_PROVIDER_NPI;

/** The socket object: `Dispatch` is the provider table of its category; cast it as C does. */
export interface WSK_SOCKET {
  readonly Dispatch: WSK_PROVIDER_BASIC_DISPATCH;
}
/** PWSK_SOCKET: a pointer to a WSK_SOCKET, which here is the object itself. */
export type PWSK_SOCKET = WSK_SOCKET;

// ---- provider dispatch (§2, §3.2): member order as in C ----

/**
 * WskSocket (`WSK_PROVIDER_DISPATCH`): creates a socket of the category `Flags` names over a real
 * OS socket; the IRP completes with the new `WSK_SOCKET` in `IoStatus.Information`. An unsupported
 * family or (type, protocol) gives `STATUS_NOT_SUPPORTED`, flags naming no single category
 * `STATUS_INVALID_PARAMETER`. Returns `STATUS_SUCCESS` or the failure when it completes the IRP at once, else `STATUS_PENDING`; no IRP is `STATUS_INVALID_PARAMETER`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_socket
 */
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

/**
 * WskSocketConnect (`WSK_PROVIDER_DISPATCH`): creates a connection-oriented socket, binds it to
 * `LocalAddress` and connects it to `RemoteAddress`; the IRP completes with the new `WSK_SOCKET` in
 * `IoStatus.Information`, or with the failure (`STATUS_CONNECTION_REFUSED`...). Returns `STATUS_SUCCESS` or the failure when it completes the IRP at once, else `STATUS_PENDING`; no IRP is `STATUS_INVALID_PARAMETER`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_socket_connect
 */
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

/**
 * WskControlClient (`WSK_PROVIDER_DISPATCH`): client-level control: `WSK_TRANSPORT_LIST_QUERY`,
 * `WSK_TRANSPORT_LIST_CHANGE` (pends until cancelled or `WskDeregister`), `WSK_CACHE_SD` /
 * `WSK_RELEASE_SD`, `WSK_SET_STATIC_EVENT_CALLBACKS`, the TDI codes. A buffer too small gives
 * `STATUS_BUFFER_OVERFLOW`, a code used too late `STATUS_INVALID_DEVICE_STATE`; codes that take no
 * IRP complete a given one with `STATUS_INVALID_PARAMETER` (docs/SEMANTICS.md, "Client control").
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_control_client
 */
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

/**
 * WskGetAddressInfo (`WSK_PROVIDER_DISPATCH`): resolves a name and service on libuv's thread pool;
 * the list comes back through `Result[0]`. Completes `STATUS_SUCCESS`, `STATUS_NOT_FOUND` (no such
 * name), `STATUS_IO_TIMEOUT` (a temporary failure), `STATUS_NOT_SUPPORTED` (a name space other than
 * `NS_ALL` / `NS_DNS`, or a `Provider`), `STATUS_INVALID_PARAMETER` (unknown `AI_*` bits), or
 * `STATUS_CANCELLED` after `IoCancelIrp`. Free the list with `WskFreeAddressInfo`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_get_address_info
 */
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

/**
 * WskFreeAddressInfo (`WSK_PROVIDER_DISPATCH`): frees a list from `WskGetAddressInfo`; freeing one
 * twice is the verifier error `INVALID_ARGUMENT`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_free_address_info
 */
export type PFN_WSK_FREE_ADDRESS_INFO = (Client: PWSK_CLIENT, AddrInfo: PADDRINFOEXW | null) => void;

/**
 * WskGetNameInfo (`WSK_PROVIDER_DISPATCH`): the host and service names of an address, into the
 * caller's `UNICODE_STRING`s. Completes `STATUS_SUCCESS`, `STATUS_NO_MATCH` (no name),
 * `STATUS_BUFFER_TOO_SMALL` (a name that does not fit with its NUL), `STATUS_INVALID_PARAMETER`
 * (unknown `NI_*` bits) or `STATUS_CANCELLED`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_get_name_info
 */
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

/**
 * WSK_PROVIDER_DISPATCH (wsk.h): the provider's client-level functions, members in C's order;
 * `WskCaptureProviderNPI` gives it in `WSK_PROVIDER_NPI.Dispatch`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_provider_dispatch
 */
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

/**
 * WskControlSocket (every category): sets or gets a socket option (`WskSetOption`,
 * `WskGetOption`) or performs an IOCTL (`WskIoctl`), with Windows' level, name and code values
 * (docs/SEMANTICS.md, "Options and IOCTLs", lists each and its mapping). Options that WSK
 * documents as needing an IRP return `STATUS_INVALID_PARAMETER` without one; an unknown option is
 * `STATUS_INVALID_PARAMETER`, an IOCTL with no host counterpart `STATUS_NOT_IMPLEMENTED`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_control_socket
 */
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
/**
 * WskCloseSocket (every category): closes the socket. Every pending IRP of the socket completes
 * `STATUS_CANCELLED` first; a connection not disconnected both ways is reset (abortive), as on
 * Windows. Closing with indications still retained is the verifier error
 * `RETAINED_INDICATIONS_AT_CLOSE`; a call on the socket afterwards is `SOCKET_CLOSED`. Returns `STATUS_SUCCESS` or the failure when it completes the IRP at once, else `STATUS_PENDING`; no IRP is `STATUS_INVALID_PARAMETER`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_close_socket
 */
export type PFN_WSK_CLOSE_SOCKET = (Socket: PWSK_SOCKET, Irp: PIRP | null) => NTSTATUS;
/**
 * WskBind (listen, datagram, connection, stream): binds the socket to a local address, with
 * Windows' address-sharing rules: a taken address completes `STATUS_ADDRESS_ALREADY_EXISTS` or
 * `STATUS_ACCESS_DENIED` (see Sharing Transport Addresses); a second bind
 * `STATUS_INVALID_DEVICE_STATE`. A listening socket listens once bound. Returns `STATUS_SUCCESS` or the failure when it completes the IRP at once, else `STATUS_PENDING`; no IRP is `STATUS_INVALID_PARAMETER`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_bind
 * @see https://learn.microsoft.com/windows-hardware/drivers/network/sharing-transport-addresses
 */
export type PFN_WSK_BIND = (Socket: PWSK_SOCKET, LocalAddress: PSOCKADDR, Flags: ULONG, Irp: PIRP | null) => NTSTATUS;
/**
 * WskAccept (listen, stream): completes with the next incoming connection's new `WSK_SOCKET` in
 * `IoStatus.Information` (and its addresses, when given), at once if one waits, else when one
 * arrives; before the socket is bound (or listening) it is `STATUS_INVALID_DEVICE_STATE`. Returns `STATUS_SUCCESS` or the failure when it completes the IRP at once, else `STATUS_PENDING`; no IRP is `STATUS_INVALID_PARAMETER`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_accept
 */
export type PFN_WSK_ACCEPT = (
  ListenSocket: PWSK_SOCKET,
  Flags: ULONG,
  AcceptSocketContext: unknown,
  AcceptSocketDispatch: WSK_CLIENT_CONNECTION_DISPATCH | null,
  LocalAddress: PSOCKADDR | null,
  RemoteAddress: PSOCKADDR | null,
  Irp: PIRP | null,
) => NTSTATUS;
/**
 * WskInspectComplete (listen): decides a connection `WskInspectEvent` left pending
 * (`WskInspectAccept` or `WskInspectReject`); an unknown or aborted `InspectID` is
 * `STATUS_INVALID_PARAMETER`. Returns `STATUS_SUCCESS` or the failure when it completes the IRP at once, else `STATUS_PENDING`; no IRP is `STATUS_INVALID_PARAMETER`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_inspect_complete
 */
export type PFN_WSK_INSPECT_COMPLETE = (
  ListenSocket: PWSK_SOCKET,
  InspectID: PWSK_INSPECT_ID,
  Action: WSK_INSPECT_ACTION,
  Irp: PIRP | null,
) => NTSTATUS;
/**
 * WskGetLocalAddress: fills `LocalAddress` with the socket's bound address (port 0 for a bind to
 * port 0 with `SO_REUSE_UNICASTPORT`, until it connects). Before a bind it is
 * `STATUS_INVALID_DEVICE_STATE`. Returns `STATUS_SUCCESS` or the failure when it completes the IRP at once, else `STATUS_PENDING`; no IRP is `STATUS_INVALID_PARAMETER`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_get_local_address
 */
export type PFN_WSK_GET_LOCAL_ADDRESS = (Socket: PWSK_SOCKET, LocalAddress: PSOCKADDR, Irp: PIRP | null) => NTSTATUS;
/**
 * WskGetRemoteAddress (connection, stream): fills `RemoteAddress` with the peer's address; before
 * the socket is connected it is `STATUS_INVALID_DEVICE_STATE`. Returns `STATUS_SUCCESS` or the failure when it completes the IRP at once, else `STATUS_PENDING`; no IRP is `STATUS_INVALID_PARAMETER`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_get_remote_address
 */
export type PFN_WSK_GET_REMOTE_ADDRESS = (Socket: PWSK_SOCKET, RemoteAddress: PSOCKADDR, Irp: PIRP | null) => NTSTATUS;
/**
 * WskConnect (connection, stream): connects a bound socket to `RemoteAddress`. Completes
 * `STATUS_SUCCESS` or the failure (`STATUS_CONNECTION_REFUSED`, `STATUS_IO_TIMEOUT`,
 * `STATUS_NETWORK_UNREACHABLE`...); before a bind `STATUS_INVALID_DEVICE_STATE`, when connected
 * `STATUS_CONNECTION_ACTIVE`. A cancelled connect leaves the socket unusable. Returns `STATUS_SUCCESS` or the failure when it completes the IRP at once, else `STATUS_PENDING`; no IRP is `STATUS_INVALID_PARAMETER`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_connect
 */
export type PFN_WSK_CONNECT = (Socket: PWSK_SOCKET, RemoteAddress: PSOCKADDR, Flags: ULONG, Irp: PIRP | null) => NTSTATUS;
/**
 * WskConnectEx (connection, stream): `WskConnect`, then sends `Buffer` (at most 65,535 bytes,
 * else `STATUS_BUFFER_OVERFLOW`) once connected; `Information` is the bytes sent. Reserved `Flags`
 * give `STATUS_INVALID_PARAMETER`. Returns `STATUS_SUCCESS` or the failure when it completes the IRP at once, else `STATUS_PENDING`; no IRP is `STATUS_INVALID_PARAMETER`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_connect_ex
 */
export type PFN_WSK_CONNECT_EX = (
  Socket: PWSK_SOCKET,
  RemoteAddress: PSOCKADDR,
  Buffer: WSK_BUF | null,
  Flags: ULONG,
  Irp: PIRP | null,
) => NTSTATUS;
/**
 * WskListen (stream): makes a bound stream socket a listening one; the IRP completes once it
 * listens, not when a connection arrives. Returns `STATUS_SUCCESS` or the failure when it completes the IRP at once, else `STATUS_PENDING`; no IRP is `STATUS_INVALID_PARAMETER`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_listen
 */
export type PFN_WSK_LISTEN = (Socket: PWSK_SOCKET, Irp: PIRP | null) => NTSTATUS;
/**
 * WskSend (connection, stream): sends the bytes `Buffer` describes; the IRP completes once every
 * byte is handed to the OS, `Information` = the bytes sent. Before connect it is
 * `STATUS_INVALID_DEVICE_STATE`, after a graceful disconnect `STATUS_PIPE_DISCONNECTED`, after an
 * abortive one `STATUS_CONNECTION_ABORTED`; an unsupported flag `STATUS_NOT_SUPPORTED`. Returns `STATUS_SUCCESS` or the failure when it completes the IRP at once, else `STATUS_PENDING`; no IRP is `STATUS_INVALID_PARAMETER`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_send
 */
export type PFN_WSK_SEND = (Socket: PWSK_SOCKET, Buffer: WSK_BUF, Flags: ULONG, Irp: PIRP | null) => NTSTATUS;
/**
 * WskReceive (connection, stream): receives into the memory `Buffer` describes; completes with at
 * least one byte (all of them with `WSK_FLAG_WAITALL`), or 0 at the peer's FIN; a reset completes
 * `STATUS_CONNECTION_RESET`. Before connect it is `STATUS_INVALID_DEVICE_STATE`; an unsupported
 * flag `STATUS_NOT_SUPPORTED`. Returns `STATUS_SUCCESS` or the failure when it completes the IRP at once, else `STATUS_PENDING`; no IRP is `STATUS_INVALID_PARAMETER`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_receive
 */
export type PFN_WSK_RECEIVE = (Socket: PWSK_SOCKET, Buffer: WSK_BUF, Flags: ULONG, Irp: PIRP | null) => NTSTATUS;
/**
 * WskSendEx (connection, stream): `WskSend` with control information, which must be whole
 * `WSACMSGHDR`s (`STATUS_INVALID_PARAMETER` otherwise); TCP has none to send. Returns `STATUS_SUCCESS` or the failure when it completes the IRP at once, else `STATUS_PENDING`; no IRP is `STATUS_INVALID_PARAMETER`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_send_ex
 */
export type PFN_WSK_SEND_EX = (
  Socket: PWSK_SOCKET,
  Buffer: WSK_BUF,
  Flags: ULONG,
  ControlInfoLength: ULONG,
  ControlInfo: PCMSGHDR | null,
  Irp: PIRP | null,
) => NTSTATUS;
/**
 * WskReceiveEx (connection, stream): `WskReceive`; sets `*ControlInfoLength` and `*ControlFlags`
 * to 0 (TCP has no control data to return). Returns `STATUS_SUCCESS` or the failure when it completes the IRP at once, else `STATUS_PENDING`; no IRP is `STATUS_INVALID_PARAMETER`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_receive_ex
 */
export type PFN_WSK_RECEIVE_EX = (
  Socket: PWSK_SOCKET,
  Buffer: WSK_BUF,
  Flags: ULONG,
  ControlInfoLength: PULONG | null,
  ControlInfo: PCMSGHDR | null,
  ControlFlags: PULONG | null,
  Irp: PIRP | null,
) => NTSTATUS;
/**
 * WskDisconnect (connection, stream): a graceful disconnect, after every earlier send and the
 * optional last `Buffer` (completes once the FIN is handed to the OS), or with `WSK_FLAG_ABORTIVE`
 * a reset at once; pending sends and receives then complete `STATUS_CONNECTION_ABORTED`. Returns `STATUS_SUCCESS` or the failure when it completes the IRP at once, else `STATUS_PENDING`; no IRP is `STATUS_INVALID_PARAMETER`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_disconnect
 */
export type PFN_WSK_DISCONNECT = (Socket: PWSK_SOCKET, Buffer: WSK_BUF | null, Flags: ULONG, Irp: PIRP | null) => NTSTATUS;
/**
 * WskRelease (connection, stream): gives back data indications `WskReceiveEvent` retained
 * (returned `STATUS_PENDING` for): this element and every one linked after it, in any order, also
 * from inside the callback. Returns `STATUS_SUCCESS`, or `STATUS_INVALID_PARAMETER` for what is not
 * held.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_release_data_indication_list
 */
export type PFN_WSK_RELEASE_DATA_INDICATION_LIST = (Socket: PWSK_SOCKET, DataIndication: PWSK_DATA_INDICATION) => NTSTATUS;
/**
 * WskSendTo (datagram): sends one datagram to `RemoteAddress` (or the fixed one), with optional
 * control information (`IP_PKTINFO`, `IP_TOS`, `UDP_SEND_MSG_SIZE`...). No address and none fixed,
 * or a control message WSK cannot translate, is `STATUS_INVALID_PARAMETER`; before `WskBind`
 * `STATUS_INVALID_DEVICE_STATE`. Returns `STATUS_SUCCESS` or the failure when it completes the IRP at once, else `STATUS_PENDING`; no IRP is `STATUS_INVALID_PARAMETER`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_send_to
 */
export type PFN_WSK_SEND_TO = (
  Socket: PWSK_SOCKET,
  Buffer: WSK_BUF,
  Flags: ULONG,
  RemoteAddress: PSOCKADDR | null,
  ControlInfoLength: ULONG,
  ControlInfo: PCMSGHDR | null,
  Irp: PIRP | null,
) => NTSTATUS;
/**
 * WskSendMessages (datagram): sends every datagram of `BufferList` to one address, in one
 * `sendmmsg` per batch; `Information` is the bytes sent. Fails as `WskSendTo` does. Returns `STATUS_SUCCESS` or the failure when it completes the IRP at once, else `STATUS_PENDING`; no IRP is `STATUS_INVALID_PARAMETER`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_send_messages
 */
export type PFN_WSK_SEND_MESSAGES = (
  Socket: PWSK_SOCKET,
  BufferList: PWSK_BUF_LIST,
  Flags: ULONG,
  RemoteAddress: PSOCKADDR | null,
  ControlInfoLength: ULONG,
  ControlInfo: PCMSGHDR | null,
  Irp: PIRP | null,
) => NTSTATUS;
/**
 * WskReceiveFrom (datagram): receives one datagram into `Buffer`, its sender into `RemoteAddress`
 * and its control information, as asked. A datagram larger than the buffer completes
 * `STATUS_BUFFER_OVERFLOW` with the bytes that fit and `MSG_TRUNC` in `ControlFlags`; with
 * `SIO_UDP_CONNRESET` on, an ICMP port unreachable completes `STATUS_PORT_UNREACHABLE`. Before
 * `WskBind` it is `STATUS_INVALID_DEVICE_STATE`. Returns `STATUS_SUCCESS` or the failure when it completes the IRP at once, else `STATUS_PENDING`; no IRP is `STATUS_INVALID_PARAMETER`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_receive_from
 */
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
/**
 * WskRelease (datagram): gives back datagram indications `WskReceiveFromEvent` retained: this one
 * and every one linked after it, in any order. Returns `STATUS_SUCCESS`, or
 * `STATUS_INVALID_PARAMETER` for what is not held.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_release_datagram_indication_list
 */
export type PFN_WSK_RELEASE_DATAGRAM_INDICATION_LIST = (
  Socket: PWSK_SOCKET,
  DatagramIndication: PWSK_DATAGRAM_INDICATION,
) => NTSTATUS;

/**
 * WSK_PROVIDER_BASIC_DISPATCH (wsk.h): a basic socket's functions, and the first members of every
 * other category's table.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_provider_basic_dispatch
 */
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

/**
 * WSK_PROVIDER_LISTEN_DISPATCH (wsk.h): a listening socket's functions, members in C's order.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_provider_listen_dispatch
 */
export interface WSK_PROVIDER_LISTEN_DISPATCH extends WSK_PROVIDER_BASIC_DISPATCH, WSK_PROVIDER_BASIC_MEMBER {
  readonly WskBind: PFN_WSK_BIND;
  readonly WskAccept: PFN_WSK_ACCEPT;
  readonly WskInspectComplete: PFN_WSK_INSPECT_COMPLETE;
  readonly WskGetLocalAddress: PFN_WSK_GET_LOCAL_ADDRESS;
}

/**
 * WSK_PROVIDER_DATAGRAM_DISPATCH (wsk.h): a datagram socket's functions, members in C's order.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_provider_datagram_dispatch
 */
export interface WSK_PROVIDER_DATAGRAM_DISPATCH extends WSK_PROVIDER_BASIC_DISPATCH, WSK_PROVIDER_BASIC_MEMBER {
  readonly WskBind: PFN_WSK_BIND;
  readonly WskSendTo: PFN_WSK_SEND_TO;
  readonly WskReceiveFrom: PFN_WSK_RECEIVE_FROM;
  readonly WskRelease: PFN_WSK_RELEASE_DATAGRAM_INDICATION_LIST;
  readonly WskGetLocalAddress: PFN_WSK_GET_LOCAL_ADDRESS;
  readonly WskSendMessages: PFN_WSK_SEND_MESSAGES;
}

/**
 * WSK_PROVIDER_CONNECTION_DISPATCH (wsk.h): a connection-oriented socket's functions, members in
 * C's order.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_provider_connection_dispatch
 */
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

/**
 * WSK_PROVIDER_STREAM_DISPATCH (wsk.h): a stream socket's functions (Windows 10 1703 and later),
 * members in C's order.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_provider_stream_dispatch
 */
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
/**
 * WskInspectEvent (the client's, listen): under `SO_CONDITIONAL_ACCEPT`, decides on each incoming
 * connection: return `WskInspectAccept`, `WskInspectReject` (the connection is reset) or
 * `WskInspectPend` (decide later with `WskInspectComplete`). Here the OS has already completed the
 * handshake (docs/SEMANTICS.md, "Conditional accept").
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_inspect_event
 */
export type PFN_WSK_INSPECT_EVENT = (
  SocketContext: unknown,
  LocalAddress: PSOCKADDR,
  RemoteAddress: PSOCKADDR,
  InspectID: PWSK_INSPECT_ID | null,
) => WSK_INSPECT_ACTION;
/**
 * WskAbortEvent (the client's, listen): a connection request `WskInspectEvent` pended was reset
 * by its peer before `WskInspectComplete`. Return `STATUS_SUCCESS`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_abort_event
 */
export type PFN_WSK_ABORT_EVENT = (SocketContext: unknown, InspectID: PWSK_INSPECT_ID) => NTSTATUS;
/**
 * WskReceiveFromEvent (the client's, datagram): datagrams arrived, as a chain (one per
 * `recvmmsg` batch). Return `STATUS_SUCCESS` (done with them), `STATUS_PENDING` (keep them until
 * `WskRelease`) or `STATUS_DATA_NOT_ACCEPTED` (refused: a dynamic event is disabled and they go to
the next `WskReceiveFrom`; a static event drops them).
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_receive_from_event
 */
export type PFN_WSK_RECEIVE_FROM_EVENT = (
  SocketContext: unknown,
  Flags: ULONG,
  DataIndication: PWSK_DATAGRAM_INDICATION | null,
) => NTSTATUS;
/**
 * WskReceiveEvent (the client's, connection): data arrived, as a chain of `BytesIndicated` bytes.
 * Return `STATUS_SUCCESS` (all taken, or `*BytesAccepted` of them), `STATUS_PENDING` (keep the
 * chain until `WskRelease`) or `STATUS_DATA_NOT_ACCEPTED`. A NULL `DataIndication` means the
 * connection failed for good: close the socket.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_receive_event
 */
export type PFN_WSK_RECEIVE_EVENT = (
  SocketContext: unknown,
  Flags: ULONG,
  DataIndication: PWSK_DATA_INDICATION | null,
  BytesIndicated: SIZE_T,
  BytesAccepted: PSIZE_T,
) => NTSTATUS;
/**
 * WskDisconnectEvent (the client's, connection): the peer disconnected, gracefully (after the data
 * before its FIN) or abortively (`WSK_FLAG_ABORTIVE` in `Flags`). Return `STATUS_SUCCESS`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_disconnect_event
 */
export type PFN_WSK_DISCONNECT_EVENT = (SocketContext: unknown, Flags: ULONG) => NTSTATUS;
/**
 * WskSendBacklogEvent (the client's, connection): the ideal send backlog (the OS send buffer
 * size here), once after connect or when enabled. Return `STATUS_SUCCESS`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_send_backlog_event
 */
export type PFN_WSK_SEND_BACKLOG_EVENT = (SocketContext: unknown, IdealBacklogSize: SIZE_T) => NTSTATUS;

/**
 * WSK_CLIENT_LISTEN_DISPATCH (wsk.h): a listening socket's event callbacks; a callback the client
 * does not have is `null`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_client_listen_dispatch
 */
export interface WSK_CLIENT_LISTEN_DISPATCH {
  WskAcceptEvent: PFN_WSK_ACCEPT_EVENT | null;
  WskInspectEvent: PFN_WSK_INSPECT_EVENT | null;
  WskAbortEvent: PFN_WSK_ABORT_EVENT | null;
}
/**
 * WSK_CLIENT_DATAGRAM_DISPATCH (wsk.h): a datagram socket's event callback.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_client_datagram_dispatch
 */
export interface WSK_CLIENT_DATAGRAM_DISPATCH {
  WskReceiveFromEvent: PFN_WSK_RECEIVE_FROM_EVENT | null;
}
/**
 * WSK_CLIENT_CONNECTION_DISPATCH (wsk.h): a connection-oriented socket's event callbacks; a
 * callback the client does not have is `null`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_client_connection_dispatch
 */
export interface WSK_CLIENT_CONNECTION_DISPATCH {
  WskReceiveEvent: PFN_WSK_RECEIVE_EVENT | null;
  WskDisconnectEvent: PFN_WSK_DISCONNECT_EVENT | null;
  WskSendBacklogEvent: PFN_WSK_SEND_BACKLOG_EVENT | null;
}
/**
 * WSK_CLIENT_STREAM_DISPATCH (wsk.h): a stream socket's event callbacks, for its listening and
 * its connection role.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_client_stream_dispatch
 */
export interface WSK_CLIENT_STREAM_DISPATCH {
  Listen: WSK_CLIENT_LISTEN_DISPATCH | null;
  Connect: WSK_CLIENT_CONNECTION_DISPATCH | null;
}
