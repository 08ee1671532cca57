// LINBIT/windrbd, windrbd/src/windrbd_winsocket.c at commit 308559b8 (release 1.1.10, GPL-2.0):
// the Linux socket API DRBD's TCP transport calls (sock_create_kern, kernel_bind, listen,
// kernel_accept, kernel_connect, kernel_sendmsg, kernel_recvmsg, kernel_setsockopt,
// kernel_sock_shutdown, sock_release), which windrbd implements over WSK. Ported call for call:
// the listener takes connections through WskAcceptEvent, enabled with SO_WSK_EVENT_CALLBACK
// through an IRP (wsk_listen -> wsk_set_event_callbacks); sends are WskSend on an IRP waited
// with a timeout (KeWaitForMultipleObjects, WaitAny); receives WskReceive likewise, cancelled
// on timeout with the bytes that came kept.
//
// What differs from C, and why: struct socket / struct sock are one object with the members
// this path reads; a Linux wait queue or mutex has no use on one JS thread (a KEVENT stands
// for accept_event and the connect wait, as in C); the receiver cache (a kthread filling a ring
// buffer, on by default, off with the registry key enable_receiver_cache = 0) is not ported:
// kernel_recvmsg takes the driver's own cache-off branch, wsk_recvmsg. Errors are Linux's
// negative errno, as in C. The blocking functions are async.
import {
  Executive, IO_NO_INCREMENT, IRP, IoAllocateIrp, IoAllocateMdl, IoCancelIrp, IoFreeIrp, IoFreeMdl, IoReadAccess,
  IoSetCompletionRoutine, IoWriteAccess, KEVENT, KeInitializeEvent, KeSetEvent, KeWaitForMultipleObjects,
  KeWaitForSingleObject, KernelMode, MAKE_WSK_VERSION, MDL_PAGES_LOCKED, MmProbeAndLockPages, MmUnlockPages, NPI_WSK_INTERFACE_ID,
  NTSTATUS, NT_SUCCESS, NotificationEvent, PSOCKADDR, PWSK_SOCKET, SOL_SOCKET, SO_REUSEADDR, SO_WSK_EVENT_CALLBACK,
  STATUS_ACCESS_DENIED, STATUS_INSUFFICIENT_RESOURCES, STATUS_CONNECTION_ABORTED, STATUS_CONNECTION_DISCONNECTED, STATUS_CONNECTION_REFUSED,
  STATUS_CONNECTION_RESET, STATUS_HOST_UNREACHABLE, STATUS_INVALID_DEVICE_STATE, STATUS_IO_TIMEOUT,
  STATUS_MORE_PROCESSING_REQUIRED, STATUS_NETWORK_UNREACHABLE, STATUS_PENDING, STATUS_SUCCESS, STATUS_TIMEOUT,
  STATUS_WAIT_0, SynchronizationEvent, WSK_BUF, WSK_CLIENT_DISPATCH, WSK_CLIENT_LISTEN_DISPATCH, WSK_CLIENT_NPI,
  WSK_CONTROL_SOCKET_TYPE, WSK_EVENT_ACCEPT, WSK_EVENT_CALLBACK_CONTROL, WSK_FLAG_CONNECTION_SOCKET,
  WSK_FLAG_DATAGRAM_SOCKET, WSK_FLAG_LISTEN_SOCKET, WSK_FLAG_NODELAY, WSK_FLAG_WAITALL, WSK_INFINITE_WAIT,
  WSK_PROVIDER_BASIC_DISPATCH, WSK_PROVIDER_CONNECTION_DISPATCH, WSK_PROVIDER_NPI, WSK_REGISTRATION, WskCaptureProviderNPI,
  WskDeregister, WskRegister, WskReleaseProviderNPI, WskSetOption, SOCK_DGRAM, SOCK_STREAM,
} from '../../lib';

// Linux errno values (asm-generic/errno*.h) the file returns.
export const EINVAL = 22, ENOMEM = 12, EIO = 5, EAGAIN = 11, EWOULDBLOCK = 11, EOPNOTSUPP = 95, ENOTCONN = 107;
export const ECONNRESET = 104, ECONNABORTED = 103, ENETUNREACH = 101, EHOSTUNREACH = 113, ECONNREFUSED = 111;
export const SOCK_LISTEN = 100; // windrbd-specific socket type (transform.d/579)
export const O_NONBLOCK = 0o4000;
export const MSG_WAITALL = 0x100;
export const SOL_TCP = 6, TCP_NODELAY = 1;
export const HZ = 1000;
const TCP_ESTABLISHED = 1;

/** struct socket + its struct sock: the members this path uses. */
export interface socket {
  wsk_socket: PWSK_SOCKET | null;
  wsk_flags: number;
  accept_wsk_socket: PWSK_SOCKET | null;
  accept_event: KEVENT;
  dropped_accept_sockets: number;
  error_status: number;
  is_closed: boolean;
  is_connected: boolean;
  no_delay: boolean;
  sk: { sk_state: number; sk_sndtimeo: number; sk_rcvtimeo: number; sk_state_change: ((sk: unknown) => void) | null };
}

const WSK_DEINITIALIZED = 0, WSK_INITIALIZED = 2;
let wsk_state = WSK_DEINITIALIZED;
const g_WskDispatch: WSK_CLIENT_DISPATCH = { Version: MAKE_WSK_VERSION(1, 0), Reserved: 0, WskClientEvent: null };
let g_WskRegistration: WSK_REGISTRATION = {};
const g_WskProvider = {} as WSK_PROVIDER_NPI;

function winsock_to_linux_error(status: NTSTATUS): number {
  switch (status) {
    case STATUS_SUCCESS: return 0;
    case STATUS_CONNECTION_RESET: return -ECONNRESET;
    case STATUS_CONNECTION_DISCONNECTED: return -ENOTCONN;
    case STATUS_CONNECTION_ABORTED: return -ECONNABORTED;
    case STATUS_IO_TIMEOUT:
    case STATUS_TIMEOUT: return -EAGAIN;
    case STATUS_INVALID_DEVICE_STATE: return -EINVAL;
    case STATUS_NETWORK_UNREACHABLE: return -ENETUNREACH;
    case STATUS_HOST_UNREACHABLE: return -EHOSTUNREACH;
    case STATUS_CONNECTION_REFUSED: return -ECONNREFUSED;
    case STATUS_ACCESS_DENIED: return -EAGAIN; // "port is blocked by firewall, retry again later"
    default: return -EIO;
  }
}

function completion_fire_event(_d: null, _Irp: IRP, CompletionEvent: unknown): NTSTATUS {
  KeSetEvent(CompletionEvent as KEVENT, IO_NO_INCREMENT, false);
  return STATUS_MORE_PROCESSING_REQUIRED;
}
function completion_fire_linux_event(_d: null, _Irp: IRP, s: unknown): NTSTATUS {
  (s as socket).is_connected = true;
  KeSetEvent(connectedWait.get(s as socket)!, IO_NO_INCREMENT, false); // wake_up(&s->connected_waitqueue)
  return STATUS_MORE_PROCESSING_REQUIRED;
}
function completion_free_irp(_d: null, Irp: IRP): NTSTATUS {
  IoFreeIrp(Irp);
  return STATUS_MORE_PROCESSING_REQUIRED;
}
/** connected_waitqueue: a KEVENT per socket (wait_event_interruptible on is_connected). */
const connectedWait = new WeakMap<socket, KEVENT>();

/** wsk_new_irp: an event-signalling, a socket-waking or a self-freeing completion. */
function wsk_new_irp(CompletionEvent: KEVENT | null, s: socket | null): IRP | null {
  const irp = IoAllocateIrp(1, false);
  if (irp === null) return null;
  if (CompletionEvent !== null) {
    KeInitializeEvent(CompletionEvent, NotificationEvent, false);
    IoSetCompletionRoutine(irp, completion_fire_event, CompletionEvent, true, true, true);
  } else if (s !== null) {
    IoSetCompletionRoutine(irp, completion_fire_linux_event, s, true, true, true);
  } else {
    IoSetCompletionRoutine(irp, completion_free_irp, null, true, true, true);
  }
  return irp;
}

/** InitWskBuffer: IoAllocateMdl + MmProbeAndLockPages (C retries a failed probe every 100 ms; none fails here). */
function InitWskBuffer(Buffer: Uint8Array, BufferSize: number, WskBuffer: WSK_BUF, bWriteAccess: boolean): NTSTATUS {
  WskBuffer.Offset = 0;
  WskBuffer.Length = BufferSize;
  WskBuffer.Mdl = IoAllocateMdl(Buffer, BufferSize, false, false, null);
  if (WskBuffer.Mdl === null) return -ENOMEM;
  MmProbeAndLockPages(WskBuffer.Mdl, KernelMode, bWriteAccess ? IoWriteAccess : IoReadAccess);
  return STATUS_SUCCESS;
}
function FreeWskBuffer(WskBuffer: WSK_BUF): void {
  if (WskBuffer.Mdl!.MdlFlags & MDL_PAGES_LOCKED) MmUnlockPages(WskBuffer.Mdl!);
  IoFreeMdl(WskBuffer.Mdl!);
}

/** SocketsInit: register and capture the provider, waiting for it (WSK_INFINITE_WAIT). */
export function SocketsInit(): NTSTATUS {
  const WskClient: WSK_CLIENT_NPI = { ClientContext: null, Dispatch: g_WskDispatch };
  g_WskRegistration = {};
  let Status = WskRegister(WskClient, g_WskRegistration);
  if (!NT_SUCCESS(Status)) return Status;
  Status = WskCaptureProviderNPI(g_WskRegistration, WSK_INFINITE_WAIT, g_WskProvider);
  if (!NT_SUCCESS(Status)) {
    void WskDeregister(g_WskRegistration);
    return Status;
  }
  wsk_state = WSK_INITIALIZED;
  return STATUS_SUCCESS;
}

/** SocketsDeinit. WskDeregister waits for every socket to be closed: awaited here. */
export async function SocketsDeinit(): Promise<void> {
  if (wsk_state !== WSK_INITIALIZED) return;
  wsk_state = WSK_DEINITIALIZED;
  WskReleaseProviderNPI(g_WskRegistration);
  await WskDeregister(g_WskRegistration);
}

async function CreateSocket(
  AddressFamily: number, SocketType: number, Protocol: number, SocketContext: unknown, Dispatch: WSK_CLIENT_LISTEN_DISPATCH | null,
  Flags: number, out: { 0: PWSK_SOCKET | null },
): Promise<number> {
  if (wsk_state !== WSK_INITIALIZED) return -EINVAL;
  const CompletionEvent: KEVENT = {};
  const Irp = wsk_new_irp(CompletionEvent, null);
  if (Irp === null) return -ENOMEM;
  let Status = g_WskProvider.Dispatch.WskSocket(g_WskProvider.Client, AddressFamily, SocketType, Protocol, Flags, SocketContext, Dispatch, null, null, null, Irp);
  if (Status === STATUS_PENDING) {
    await KeWaitForSingleObject(CompletionEvent, Executive, KernelMode, false, null);
    Status = Irp.IoStatus.Status;
  }
  if (NT_SUCCESS(Status)) out[0] = Irp.IoStatus.Information as PWSK_SOCKET;
  IoFreeIrp(Irp);
  return winsock_to_linux_error(Status);
}

/** close_wsk_socket: WskCloseSocket on a self-freeing IRP, not waited for. */
function close_wsk_socket(wsk_socket: PWSK_SOCKET | null): void {
  if (wsk_state !== WSK_INITIALIZED || wsk_socket === null) return;
  const Irp = wsk_new_irp(null, null);
  if (Irp === null) return;
  void (wsk_socket.Dispatch as WSK_PROVIDER_BASIC_DISPATCH).WskCloseSocket(wsk_socket, Irp);
}

/** close_socket: "We do not wait for completion here, errors are ignored." */
function close_socket(s: socket): void {
  if (wsk_state !== WSK_INITIALIZED || s.is_closed) return;
  const Irp = wsk_new_irp(null, null);
  if (Irp === null) return;
  if (s.wsk_socket !== null) {
    void (s.wsk_socket.Dispatch as WSK_PROVIDER_BASIC_DISPATCH).WskCloseSocket(s.wsk_socket, Irp);
    s.wsk_socket = null;
  } else {
    IoFreeIrp(Irp);
  }
  if (s.accept_wsk_socket !== null) {
    close_wsk_socket(s.accept_wsk_socket);
    s.accept_wsk_socket = null;
  }
  s.error_status = 0;
  s.is_closed = true;
}

const conn = (s: socket) => s.wsk_socket!.Dispatch as WSK_PROVIDER_CONNECTION_DISPATCH;

/** wsk_getname (peer only; the local name is -EOPNOTSUPP in C). */
export async function wsk_getname(s: socket, uaddr: PSOCKADDR, peer: number): Promise<number> {
  if (peer === 0) return -EOPNOTSUPP;
  if (wsk_state !== WSK_INITIALIZED || s.wsk_socket === null) return -EINVAL;
  const CompletionEvent: KEVENT = {};
  const Irp = wsk_new_irp(CompletionEvent, null);
  if (Irp === null) return -ENOMEM;
  let status = conn(s).WskGetRemoteAddress(s.wsk_socket, uaddr, Irp);
  if (status === STATUS_PENDING) {
    await KeWaitForSingleObject(CompletionEvent, Executive, KernelMode, false, null);
    status = Irp.IoStatus.Status;
  }
  IoFreeIrp(Irp);
  return status === STATUS_SUCCESS ? 16 : winsock_to_linux_error(status); // sizeof(*uaddr)
}

/** wsk_connect: WskConnect whose completion wakes the socket (completion_fire_linux_event). */
export async function wsk_connect(s: socket, vaddr: PSOCKADDR): Promise<number> {
  if (wsk_state !== WSK_INITIALIZED || s.wsk_socket === null) return -EINVAL;
  const wait: KEVENT = {};
  KeInitializeEvent(wait, NotificationEvent, false);
  connectedWait.set(s, wait);
  const Irp = wsk_new_irp(null, s);
  if (Irp === null) return -ENOMEM;
  s.is_connected = false;
  let Status = conn(s).WskConnect(s.wsk_socket, vaddr, 0, Irp);
  if (Status === STATUS_PENDING) {
    while (!s.is_connected) await KeWaitForSingleObject(wait, Executive, KernelMode, false, null); // wait_event_interruptible
    Status = STATUS_SUCCESS;
  }
  if (Status === STATUS_SUCCESS) {
    Status = Irp.IoStatus.Status;
    if (Status === STATUS_SUCCESS) s.sk.sk_state = TCP_ESTABLISHED;
  }
  IoFreeIrp(Irp);
  return winsock_to_linux_error(Status);
}

/** kernel_accept: takes the socket wsk_incoming_connection left, waiting on accept_event. */
export async function kernel_accept(s: socket, newsock: { 0: socket | null }, io_flags: number): Promise<number> {
  if (wsk_state !== WSK_INITIALIZED || s.wsk_socket === null) return -EINVAL;
  while (s.accept_wsk_socket === null) {
    if ((io_flags & O_NONBLOCK) !== 0) return -EWOULDBLOCK;
    await KeWaitForSingleObject(s.accept_event, Executive, KernelMode, false, null);
  }
  const wsk_socket = s.accept_wsk_socket;
  s.accept_wsk_socket = null;
  const accept_socket = sock_create_linux_socket();
  accept_socket.wsk_socket = wsk_socket;
  accept_socket.sk.sk_state = TCP_ESTABLISHED;
  accept_socket.sk.sk_state_change = s.sk.sk_state_change;
  newsock[0] = accept_socket;
  return 0;
}

/** wsk_set_event_callbacks: SO_WSK_EVENT_CALLBACK through an IRP, waited for. */
async function wsk_set_event_callbacks(s: socket, mask: number): Promise<number> {
  if (wsk_state !== WSK_INITIALIZED || s.wsk_socket === null) return -EINVAL;
  const CompletionEvent: KEVENT = {};
  const Irp = wsk_new_irp(CompletionEvent, null);
  if (Irp === null) return -ENOMEM;
  const callbackControl: WSK_EVENT_CALLBACK_CONTROL = { NpiId: NPI_WSK_INTERFACE_ID, EventMask: mask };
  let Status = (s.wsk_socket.Dispatch as WSK_PROVIDER_BASIC_DISPATCH).WskControlSocket(
    s.wsk_socket, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, callbackControl, 0, null, null, Irp,
  );
  if (Status === STATUS_PENDING) {
    await KeWaitForSingleObject(CompletionEvent, Executive, KernelMode, false, null);
    Status = Irp.IoStatus.Status;
  }
  IoFreeIrp(Irp);
  return winsock_to_linux_error(Status);
}

/** wsk_listen: "This just sets the callback event mask" of a WSK_FLAG_LISTEN_SOCKET. */
export function wsk_listen(s: socket, _len: number): Promise<number> {
  return wsk_set_event_callbacks(s, WSK_EVENT_ACCEPT);
}

export function kernel_sock_shutdown(s: socket): number {
  if (wsk_state !== WSK_INITIALIZED || s.wsk_socket === null) return -EINVAL;
  s.sk.sk_state = 0;
  close_socket(s);
  return 0;
}

/** The receive/send wait: KeWaitForMultipleObjects(WaitAny) on the completion, with sk_*timeo. */
function waitFor(CompletionEvent: KEVENT, timeo: number): Promise<NTSTATUS> {
  const pTime = timeo <= 0 ? null : { QuadPart: -(timeo * 10 * 1000 * 1000) / HZ };
  return KeWaitForMultipleObjects(1, [CompletionEvent], 1 /* WaitAny */, Executive, KernelMode, false, pTime, null);
}

/** kernel_sendmsg: one kvec, WskSend (WSK_FLAG_NODELAY from TCP_NODELAY), sk_sndtimeo. */
export async function kernel_sendmsg(s: socket, vec: Uint8Array[], num: number): Promise<number> {
  if (wsk_state !== WSK_INITIALIZED || s.wsk_socket === null || vec[0] === undefined || vec[0].byteLength === 0) return -EINVAL;
  if (num !== 1) return -EOPNOTSUPP;
  const WskBuffer: WSK_BUF = { Mdl: null, Offset: 0, Length: 0 };
  const init = InitWskBuffer(vec[0], vec[0].byteLength, WskBuffer, false);
  if (!NT_SUCCESS(init)) return init;
  const CompletionEvent: KEVENT = {};
  const Irp = wsk_new_irp(CompletionEvent, null);
  if (Irp === null) {
    FreeWskBuffer(WskBuffer);
    return -ENOMEM;
  }
  const Flags = s.no_delay ? WSK_FLAG_NODELAY : 0;
  const Status = conn(s).WskSend(s.wsk_socket, WskBuffer, Flags, Irp);
  let BytesSent: number;
  if (Status === STATUS_PENDING) {
    const Wait = await waitFor(CompletionEvent, s.sk.sk_sndtimeo);
    if (Wait === STATUS_TIMEOUT) {
      IoCancelIrp(Irp);
      await KeWaitForSingleObject(CompletionEvent, Executive, KernelMode, false, null);
      BytesSent = -EAGAIN;
    } else if (Wait === STATUS_WAIT_0) {
      const st = Irp.IoStatus.Status;
      if (NT_SUCCESS(st)) BytesSent = Irp.IoStatus.Information as number;
      else BytesSent = st === STATUS_IO_TIMEOUT || st === STATUS_INVALID_DEVICE_STATE ? -EAGAIN : -ECONNRESET;
    } else {
      BytesSent = winsock_to_linux_error(Wait);
    }
  } else {
    BytesSent = Status === STATUS_SUCCESS ? (Irp.IoStatus.Information as number) : winsock_to_linux_error(Status);
  }
  IoFreeIrp(Irp);
  FreeWskBuffer(WskBuffer);
  return BytesSent;
}

/** wsk_recvmsg: WskReceive (WSK_FLAG_WAITALL from MSG_WAITALL), sk_rcvtimeo; a cancel keeps what came. */
async function wsk_recvmsg(s: socket, vec: Uint8Array[], num: number, flags: number): Promise<number> {
  if (wsk_state !== WSK_INITIALIZED || s.wsk_socket === null || vec[0] === undefined || vec[0].byteLength === 0) return -EINVAL;
  if (num !== 1) return -EOPNOTSUPP;
  if (s.error_status !== 0) return s.error_status;
  const WskBuffer: WSK_BUF = { Mdl: null, Offset: 0, Length: 0 };
  const init = InitWskBuffer(vec[0], vec[0].byteLength, WskBuffer, true);
  if (!NT_SUCCESS(init)) return init;
  const CompletionEvent: KEVENT = {};
  const Irp = wsk_new_irp(CompletionEvent, null);
  if (Irp === null) {
    FreeWskBuffer(WskBuffer);
    return -ENOMEM;
  }
  const wsk_flags = flags & MSG_WAITALL ? WSK_FLAG_WAITALL : 0;
  const Status = conn(s).WskReceive(s.wsk_socket, WskBuffer, wsk_flags, Irp);
  let BytesReceived: number;
  if (Status === STATUS_PENDING) {
    const Wait = await waitFor(CompletionEvent, s.sk.sk_rcvtimeo);
    if (Wait === STATUS_WAIT_0) {
      BytesReceived = Irp.IoStatus.Status === STATUS_SUCCESS ? (Irp.IoStatus.Information as number) : winsock_to_linux_error(Irp.IoStatus.Status);
    } else {
      BytesReceived = Wait === STATUS_TIMEOUT ? -EAGAIN : winsock_to_linux_error(Wait);
    }
  } else {
    BytesReceived = Status === STATUS_SUCCESS ? (Irp.IoStatus.Information as number) : winsock_to_linux_error(Status);
  }
  if (BytesReceived === -EAGAIN) {
    // Cancel in WSK; "Deliver what we have in case we timed out."
    IoCancelIrp(Irp);
    await KeWaitForSingleObject(CompletionEvent, Executive, KernelMode, false, null);
    if ((Irp.IoStatus.Information as number) > 0) BytesReceived = Irp.IoStatus.Information as number;
  }
  IoFreeIrp(Irp);
  FreeWskBuffer(WskBuffer);
  if (BytesReceived < 0 && BytesReceived !== -EAGAIN) s.error_status = BytesReceived;
  return BytesReceived;
}

/** kernel_recvmsg with the receiver cache off (enable_receiver_cache = 0): wsk_recvmsg. */
export function kernel_recvmsg(s: socket, vec: Uint8Array[], num: number, _len: number, flags: number): Promise<number> {
  return wsk_recvmsg(s, vec, num, flags);
}

/** wsk_bind: WskBind through the connection table, whatever the socket's kind (as C casts it). */
export async function wsk_bind(s: socket, myaddr: PSOCKADDR): Promise<number> {
  if (wsk_state !== WSK_INITIALIZED || s.wsk_socket === null) return -EINVAL;
  const CompletionEvent: KEVENT = {};
  const Irp = wsk_new_irp(CompletionEvent, null);
  if (Irp === null) return -ENOMEM;
  let Status = conn(s).WskBind(s.wsk_socket, myaddr, 0, Irp);
  if (Status === STATUS_PENDING) {
    await KeWaitForSingleObject(CompletionEvent, Executive, KernelMode, false, null);
    Status = Irp.IoStatus.Status;
  }
  IoFreeIrp(Irp);
  return winsock_to_linux_error(Status);
}

async function ControlSocket(
  WskSocket: PWSK_SOCKET | null, RequestType: WSK_CONTROL_SOCKET_TYPE, ControlCode: number, Level: number, InputSize: number,
  InputBuffer: object | null,
): Promise<NTSTATUS> {
  if (wsk_state !== WSK_INITIALIZED || WskSocket === null) return -EINVAL;
  const CompletionEvent: KEVENT = {};
  const Irp = wsk_new_irp(CompletionEvent, null);
  if (Irp === null) return STATUS_INSUFFICIENT_RESOURCES;
  let Status = (WskSocket.Dispatch as WSK_PROVIDER_CONNECTION_DISPATCH).WskControlSocket(
    WskSocket, RequestType, ControlCode, Level, InputSize, InputBuffer, 0, null, null, Irp,
  );
  if (Status === STATUS_PENDING) {
    await KeWaitForSingleObject(CompletionEvent, Executive, KernelMode, false, null);
    Status = Irp.IoStatus.Status;
  }
  IoFreeIrp(Irp);
  return Status;
}

/** kernel_setsockopt: TCP_NODELAY (remembered for WskSend) and SO_REUSEADDR (a ULONG set). */
export async function kernel_setsockopt(s: socket, level: number, optname: number, optval: Uint8Array): Promise<number> {
  if (level === SOL_TCP && optname === TCP_NODELAY) {
    if (optval.byteLength < 1) return -EINVAL;
    s.no_delay = optval[0] !== 0;
    return 0;
  }
  if (level === SOL_SOCKET && optname === SO_REUSEADDR) {
    if (optval.byteLength < 1) return -EINVAL;
    const flag = new Uint32Array([optval[0]!]);
    return winsock_to_linux_error(await ControlSocket(s.wsk_socket, WskSetOption, SO_REUSEADDR, SOL_SOCKET, 4, flag));
  }
  return -EOPNOTSUPP;
}

/** sock_create_linux_socket: the defaults windrbd gives (10 s send and receive timeouts). */
function sock_create_linux_socket(): socket {
  const accept_event: KEVENT = {};
  KeInitializeEvent(accept_event, SynchronizationEvent, false);
  return {
    wsk_socket: null, wsk_flags: 0, accept_wsk_socket: null, accept_event, dropped_accept_sockets: 0, error_status: 0,
    is_closed: false, is_connected: false, no_delay: false,
    sk: { sk_state: 0, sk_sndtimeo: 10 * HZ, sk_rcvtimeo: 10 * HZ, sk_state_change: null },
  };
}

/**
 * wsk_incoming_connection (WskAcceptEvent): keeps the newest connection for kernel_accept; an
 * older one not yet taken is closed (dropped_accept_sockets). No context or dispatch for it.
 */
function wsk_incoming_connection(
  SocketContext: unknown, _Flags: number, _LocalAddress: PSOCKADDR | null, _RemoteAddress: PSOCKADDR | null,
  AcceptSocket: PWSK_SOCKET | null, AcceptSocketContext: { 0: unknown }, AcceptSocketDispatch: { 0: unknown },
): NTSTATUS {
  const s = SocketContext as socket;
  let socket_to_close: PWSK_SOCKET | null = null;
  if (s.accept_wsk_socket !== null) {
    socket_to_close = s.accept_wsk_socket;
    s.dropped_accept_sockets++;
  }
  s.accept_wsk_socket = AcceptSocket;
  if (socket_to_close !== null) close_wsk_socket(socket_to_close);
  KeSetEvent(s.accept_event, IO_NO_INCREMENT, false);
  s.sk.sk_state_change?.(s.sk);
  if (AcceptSocketContext) AcceptSocketContext[0] = null;
  if (AcceptSocketDispatch) AcceptSocketDispatch[0] = null;
  return STATUS_SUCCESS;
}

const listen_dispatch: WSK_CLIENT_LISTEN_DISPATCH = { WskAcceptEvent: wsk_incoming_connection, WskInspectEvent: null, WskAbortEvent: null };

/** sock_create_kern: SOCK_DGRAM, SOCK_STREAM (connection) or windrbd's SOCK_LISTEN (listen socket). */
export async function sock_create_kern(family: number, type: number, proto: number, res: { 0: socket | null }): Promise<number> {
  let Flags: number;
  if (type === SOCK_DGRAM) Flags = WSK_FLAG_DATAGRAM_SOCKET;
  else if (type === SOCK_STREAM) Flags = WSK_FLAG_CONNECTION_SOCKET;
  else if (type === SOCK_LISTEN) [Flags, type] = [WSK_FLAG_LISTEN_SOCKET, SOCK_STREAM];
  else return -EINVAL;
  const s = sock_create_linux_socket();
  const out: { 0: PWSK_SOCKET | null } = { 0: null };
  const err = Flags === WSK_FLAG_LISTEN_SOCKET
    ? await CreateSocket(family, type, proto, s, listen_dispatch, Flags, out)
    : await CreateSocket(family, type, proto, null, null, Flags, out);
  if (err < 0) return err;
  s.wsk_socket = out[0];
  s.wsk_flags = Flags;
  res[0] = s;
  return 0;
}

/** sock_release: close_socket (the kref and the Linux memory go with it in C). */
export function sock_release(s: socket): void {
  close_socket(s);
}
