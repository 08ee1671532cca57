// microsoft/win-net-test, src/wskclient/wskclient.c (commit 21eb198e46e2638dbb599e33a1b750dfcffc2648,
// MIT): the WSK wrapper Microsoft's own CI drives, ported call for call. Every helper allocates an
// IRP whose completion routine signals a KEVENT only when the call pended (GenericCompletionRoutine),
// calls the provider, waits on STATUS_PENDING and then reads the status from the IRP. The
// helpers are kept in C's order and with C's names so that a reader can hold the two side by
// side; C's `ASSERT` (a DBG build's break) throws here, so a result the driver checks is checked.
import {
  Executive, IoAllocateIrp, IoAllocateMdl, IoCancelIrp, IoFreeIrp, IoFreeMdl, IoSetCompletionRoutine, KEVENT,
  KeInitializeEvent, KeSetEvent, KeWaitForSingleObject, KernelMode, IoWriteAccess, MAKE_WSK_VERSION,
  MmBuildMdlForNonPagedPool, MmProbeAndLockPages, MmUnlockPages, NotificationEvent, NPI_WSK_INTERFACE_ID, NT_SUCCESS,
  NTSTATUS, PCMSGHDR, PIRP, PSOCKADDR, PULONG, PSIZE_T, PWSK_SOCKET, SOL_SOCKET, SO_WSK_EVENT_CALLBACK,
  STATUS_CANCELLED, STATUS_INSUFFICIENT_RESOURCES, STATUS_MORE_PROCESSING_REQUIRED, STATUS_NOT_SUPPORTED,
  STATUS_PENDING, STATUS_SUCCESS, STATUS_TIMEOUT, STATUS_UNSUCCESSFUL, WSK_BUF, WSK_CLIENT_CONNECTION_DISPATCH,
  WSK_CLIENT_DISPATCH, WSK_CLIENT_NPI, WSK_CONTROL_SOCKET_TYPE, WSK_EVENT_CALLBACK_CONTROL, WSK_FLAG_ABORTIVE,
  WSK_FLAG_BASIC_SOCKET, WSK_FLAG_CONNECTION_SOCKET, WSK_FLAG_DATAGRAM_SOCKET, WSK_FLAG_LISTEN_SOCKET,
  WSK_FLAG_STREAM_SOCKET, WSK_FLAG_WAITALL, WSK_NO_WAIT, WSK_PROVIDER_BASIC_DISPATCH,
  WSK_PROVIDER_CONNECTION_DISPATCH, WSK_PROVIDER_DATAGRAM_DISPATCH, WSK_PROVIDER_LISTEN_DISPATCH, WSK_PROVIDER_NPI,
  WSK_PROVIDER_STREAM_DISPATCH, WSK_REGISTRATION, WskCaptureProviderNPI, WskDeregister, WskRegister,
  WskReleaseProviderNPI, WskSetOption,
} from '../../lib';

export const WSKCLIENT_UNKNOWN_BYTES = 0xffffffff;
export const WSKCLIENT_INFINITE = 0xffffffff;

/** C's ASSERT in a DBG build: what the driver itself checks. */
export function ASSERT(condition: boolean, what = 'ASSERT'): asserts condition {
  if (!condition) throw new Error(`win-net-test wskclient: ${what} failed`);
}
const LOG = (..._args: unknown[]): void => undefined;

/** `*p` out-parameters: C's `PWSK_SOCKET *Sock` is `{ 0: socket }`. */
export interface Out<T> {
  0: T;
}

// ---- registration (static state of the C file) ----

const WskAppDispatch: WSK_CLIENT_DISPATCH = { Version: MAKE_WSK_VERSION(1, 0), Reserved: 0, WskClientEvent: null };
let Registration: WSK_REGISTRATION = {};
const ClientNpi: WSK_CLIENT_NPI = { ClientContext: null, Dispatch: WskAppDispatch };
export const ProviderNpi = {} as WSK_PROVIDER_NPI;

/** WskClientReg: register, then capture the provider without waiting (WSK_NO_WAIT). */
export function WskClientReg(): NTSTATUS {
  Registration = {};
  ClientNpi.ClientContext = null;
  ClientNpi.Dispatch = WskAppDispatch;
  let Status = WskRegister(ClientNpi, Registration);
  if (!NT_SUCCESS(Status)) {
    LOG('WskRegister failed with %d\n', Status);
    return Status;
  }
  Status = WskCaptureProviderNPI(Registration, WSK_NO_WAIT, ProviderNpi);
  if (!NT_SUCCESS(Status)) {
    LOG('WskCaptureProviderNPI failed with %d\n', Status);
    void WskDeregister(Registration);
  }
  return Status;
}

/** WskClientDereg. C's WskDeregister blocks until every socket is closed; here it is awaited. */
export async function WskClientDereg(): Promise<void> {
  WskReleaseProviderNPI(Registration);
  await WskDeregister(Registration);
}

// ---- buffers ----

/**
 * InitializeWskBuf. As in C, a failed MmProbeAndLockPages frees the MDL and the function still
 * returns STATUS_SUCCESS (the Cleanup label returns it): callers then pass an empty WSK_BUF.
 */
function InitializeWskBuf(
  Buf: Uint8Array, BufLen: number, BufOffset: number, BufIsNonPagedPool: boolean, WskBuf: WSK_BUF,
  BufLocked: Out<boolean>,
): NTSTATUS {
  Object.assign(WskBuf, { Mdl: null, Offset: 0, Length: 0 });
  BufLocked[0] = false;
  let Mdl = IoAllocateMdl(Buf, BufLen, false, false, null);
  if (Mdl === null) return STATUS_SUCCESS;
  if (BufIsNonPagedPool) {
    MmBuildMdlForNonPagedPool(Mdl);
  } else {
    try {
      MmProbeAndLockPages(Mdl, KernelMode, IoWriteAccess);
    } catch {
      LOG('MmProbeAndLockPages failed\n');
      IoFreeMdl(Mdl);
      return STATUS_SUCCESS;
    }
    BufLocked[0] = true;
  }
  WskBuf.Length = BufLen;
  WskBuf.Offset = BufOffset;
  WskBuf.Mdl = Mdl;
  Mdl = null;
  return STATUS_SUCCESS;
}

function UninitializeWskBuf(WskBuf: WSK_BUF, BufLocked: boolean): void {
  if (WskBuf.Mdl !== null) {
    if (BufLocked) MmUnlockPages(WskBuf.Mdl);
    IoFreeMdl(WskBuf.Mdl);
  }
}

function emptyWskBuf(): WSK_BUF {
  return { Mdl: null, Offset: 0, Length: 0 };
}

// ---- the IRP pattern ----

/** GenericCompletionRoutine: signals only when the call pended (an inline completion is not waited for). */
function GenericCompletionRoutine(_DeviceObject: null, Irp: PIRP, Context: unknown): NTSTATUS {
  if (Irp.PendingReturned) KeSetEvent(Context as KEVENT, 0, false);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

function newEvent(): KEVENT {
  const Event: KEVENT = {};
  KeInitializeEvent(Event, NotificationEvent, false);
  return Event;
}

/** WskWaitForIrpCompletion: a timed wait; on timeout the IRP is cancelled and waited for. */
export async function WskWaitForIrpCompletion(Event: KEVENT, Irp: PIRP, TimeoutMs: number): Promise<NTSTATUS> {
  const Timeout = TimeoutMs !== WSKCLIENT_INFINITE ? { QuadPart: -(TimeoutMs * 10000) } : null;
  const Status = await KeWaitForSingleObject(Event, Executive, KernelMode, false, Timeout);
  if (Status === STATUS_TIMEOUT) {
    IoCancelIrp(Irp);
    await KeWaitForSingleObject(Event, Executive, KernelMode, false, null);
  }
  return Irp.IoStatus.Status;
}

/**
 * The body every *Sync helper shares: a fresh IRP and event, the call, a wait on STATUS_PENDING,
 * then the IRP's status. `after` reads what else the helper takes out of the IRP before it is freed.
 */
async function syncCall(name: string, start: (Irp: PIRP) => NTSTATUS, after?: (Irp: PIRP) => void): Promise<NTSTATUS> {
  const Irp = IoAllocateIrp(1, false);
  if (Irp === null) return STATUS_INSUFFICIENT_RESOURCES;
  const Event = newEvent();
  IoSetCompletionRoutine(Irp, GenericCompletionRoutine, Event, true, true, true);
  const Status = start(Irp);
  if (Status === STATUS_PENDING) {
    await KeWaitForSingleObject(Event, Executive, KernelMode, false, null);
  } else if (!NT_SUCCESS(Status)) {
    LOG(`${name} failed with %d\n`, Status);
  }
  after?.(Irp);
  const Result = Irp.IoStatus.Status;
  IoFreeIrp(Irp);
  return Result;
}

type AnyDispatch = WSK_PROVIDER_CONNECTION_DISPATCH &
  WSK_PROVIDER_STREAM_DISPATCH &
  WSK_PROVIDER_LISTEN_DISPATCH &
  WSK_PROVIDER_DATAGRAM_DISPATCH;
/** C's `((PWSK_PROVIDER_xxx_DISPATCH)Sock->Dispatch)->Member`, the cast chosen by SockType. */
function dispatchOf(Sock: PWSK_SOCKET): AnyDispatch {
  return Sock.Dispatch as AnyDispatch;
}

// ---- sockets ----

export async function WskSocketSync(
  WskSockType: number, Family: number, SockType: number, Protocol: number, Sock: Out<PWSK_SOCKET | null>,
  Context: unknown, Dispatch: unknown,
): Promise<NTSTATUS> {
  Sock[0] = null;
  return syncCall(
    'WskSocket',
    (Irp) => ProviderNpi.Dispatch.WskSocket(ProviderNpi.Client, Family, SockType, Protocol, WskSockType, Context, Dispatch, null, null, null, Irp),
    (Irp) => {
      // C takes Information on every path that is not an inline failure: a socket, or 0.
      if (NT_SUCCESS(Irp.IoStatus.Status)) Sock[0] = Irp.IoStatus.Information as PWSK_SOCKET;
    },
  );
}

export async function WskSocketConnectSync(
  SockType: number, Protocol: number, LocalAddr: PSOCKADDR, RemoteAddr: PSOCKADDR, Sock: Out<PWSK_SOCKET | null>,
  Context: unknown, Dispatch: WSK_CLIENT_CONNECTION_DISPATCH | null,
): Promise<NTSTATUS> {
  Sock[0] = null;
  return syncCall(
    'WskSocketConnect',
    (Irp) =>
      ProviderNpi.Dispatch.WskSocketConnect(ProviderNpi.Client, SockType, Protocol, LocalAddr, RemoteAddr, 0, Context, Dispatch, null, null, null, Irp),
    (Irp) => {
      if (NT_SUCCESS(Irp.IoStatus.Status)) Sock[0] = Irp.IoStatus.Information as PWSK_SOCKET;
    },
  );
}

export async function WskBindSync(Sock: PWSK_SOCKET, SockType: number, Addr: PSOCKADDR): Promise<NTSTATUS> {
  if (![WSK_FLAG_CONNECTION_SOCKET, WSK_FLAG_STREAM_SOCKET, WSK_FLAG_LISTEN_SOCKET, WSK_FLAG_DATAGRAM_SOCKET].includes(SockType)) {
    ASSERT(false, 'WskBindSync SockType');
  }
  const WskBind = dispatchOf(Sock).WskBind;
  return syncCall('WskBind', (Irp) => WskBind(Sock, Addr, 0, Irp));
}

/** WskListenSync: stream sockets only (a listen socket is created listening). */
export async function WskListenSync(Sock: PWSK_SOCKET, SockType: number): Promise<NTSTATUS> {
  ASSERT(SockType === WSK_FLAG_STREAM_SOCKET, 'WskListenSync SockType');
  const WskListen = (Sock.Dispatch as WSK_PROVIDER_STREAM_DISPATCH).WskListen;
  return syncCall('WskListen', (Irp) => WskListen(Sock, Irp));
}

export async function WskConnectSync(Sock: PWSK_SOCKET, SockType: number, Addr: PSOCKADDR): Promise<NTSTATUS> {
  ASSERT(SockType === WSK_FLAG_CONNECTION_SOCKET || SockType === WSK_FLAG_STREAM_SOCKET, 'WskConnectSync SockType');
  const WskConnect = dispatchOf(Sock).WskConnect;
  return syncCall('WskConnect', (Irp) => WskConnect(Sock, Addr, 0, Irp));
}

export async function WskConnectExSync(
  Sock: PWSK_SOCKET, SockType: number, Addr: PSOCKADDR, Buf: Uint8Array | null, BufLen: number,
  BufIsNonPagedPool: boolean,
): Promise<NTSTATUS> {
  ASSERT(SockType === WSK_FLAG_CONNECTION_SOCKET || SockType === WSK_FLAG_STREAM_SOCKET, 'WskConnectExSync SockType');
  const WskConnectEx = dispatchOf(Sock).WskConnectEx;
  const WskBuf = emptyWskBuf();
  const BufLocked: Out<boolean> = { 0: false };
  if (Buf !== null) {
    const Status = InitializeWskBuf(Buf, BufLen, 0, BufIsNonPagedPool, WskBuf, BufLocked);
    if (!NT_SUCCESS(Status)) return Status;
  }
  const Status = await syncCall('WskConnectEx', (Irp) => WskConnectEx(Sock, Addr, Buf !== null ? WskBuf : null, 0, Irp));
  UninitializeWskBuf(WskBuf, BufLocked[0]);
  return Status;
}

/** WSKACCEPT_COMPLETION (wskclient.h). */
export interface WSKACCEPT_COMPLETION {
  Irp: PIRP;
  Event: KEVENT;
  Status: NTSTATUS;
}

export async function WskAcceptSync(ListenSock: PWSK_SOCKET, SockType: number, TimeoutMs: number, AcceptSock: Out<PWSK_SOCKET | null>): Promise<NTSTATUS> {
  ASSERT(SockType === WSK_FLAG_LISTEN_SOCKET || SockType === WSK_FLAG_STREAM_SOCKET, 'WskAcceptSync SockType');
  const WskAccept = dispatchOf(ListenSock).WskAccept;
  const Irp = IoAllocateIrp(1, false);
  if (Irp === null) return STATUS_INSUFFICIENT_RESOURCES;
  const Event = newEvent();
  IoSetCompletionRoutine(Irp, GenericCompletionRoutine, Event, true, true, true);
  let Status = WskAccept(ListenSock, 0, null, null, null, null, Irp);
  if (Status === STATUS_PENDING) Status = await WskWaitForIrpCompletion(Event, Irp, TimeoutMs);
  if (NT_SUCCESS(Status)) {
    AcceptSock[0] = Irp.IoStatus.Information as PWSK_SOCKET;
  } else {
    LOG('WskAccept failed with %d\n', Status);
  }
  IoFreeIrp(Irp);
  return Status;
}

/** WskAcceptAsync: on success the caller must follow with WskAcceptAwait, pended or not. */
export function WskAcceptAsync(ListenSock: PWSK_SOCKET, SockType: number, AcceptCompletion: Out<WSKACCEPT_COMPLETION | null>): NTSTATUS {
  ASSERT(SockType === WSK_FLAG_LISTEN_SOCKET || SockType === WSK_FLAG_STREAM_SOCKET, 'WskAcceptAsync SockType');
  const WskAccept = dispatchOf(ListenSock).WskAccept;
  const Irp = IoAllocateIrp(1, false);
  if (Irp === null) return STATUS_INSUFFICIENT_RESOURCES;
  const Completion: WSKACCEPT_COMPLETION = { Irp, Event: newEvent(), Status: STATUS_SUCCESS };
  IoSetCompletionRoutine(Irp, GenericCompletionRoutine, Completion.Event, true, true, true);
  const Status = WskAccept(ListenSock, 0, null, null, null, null, Irp);
  if (NT_SUCCESS(Status)) {
    // STATUS_PENDING included.
    Completion.Status = Status;
    AcceptCompletion[0] = Completion;
    return STATUS_SUCCESS;
  }
  LOG('WskAccept failed with %d\n', Status);
  IoFreeIrp(Irp);
  return Status;
}

export async function WskAcceptAwait(Completion: WSKACCEPT_COMPLETION, TimeoutMs: number, AcceptSock: Out<PWSK_SOCKET | null>): Promise<NTSTATUS> {
  ASSERT(NT_SUCCESS(Completion.Status), 'WskAcceptAwait Completion->Status');
  let Status = Completion.Status;
  AcceptSock[0] = null;
  if (Completion.Status === STATUS_PENDING) Status = await WskWaitForIrpCompletion(Completion.Event, Completion.Irp, TimeoutMs);
  if (NT_SUCCESS(Status)) {
    AcceptSock[0] = Completion.Irp.IoStatus.Information as PWSK_SOCKET;
  } else if (Status === STATUS_CANCELLED) {
    // Our timeout cancelled the IRP: STATUS_TIMEOUT says so better.
    Status = STATUS_TIMEOUT;
  }
  IoFreeIrp(Completion.Irp);
  return Status;
}

export async function WskCloseSocketSync(Sock: PWSK_SOCKET): Promise<NTSTATUS> {
  const WskCloseSocket = (Sock.Dispatch as WSK_PROVIDER_BASIC_DISPATCH).WskCloseSocket;
  return syncCall('WskCloseSocket', (Irp) => WskCloseSocket(Sock, Irp));
}

export async function WskDisconnectSync(
  Sock: PWSK_SOCKET, SockType: number, Buf: Uint8Array | null, BufLen: number, BufIsNonPagedPool: boolean,
): Promise<NTSTATUS> {
  ASSERT(SockType === WSK_FLAG_CONNECTION_SOCKET || SockType === WSK_FLAG_STREAM_SOCKET, 'WskDisconnectSync SockType');
  const WskDisconnect = dispatchOf(Sock).WskDisconnect;
  const WskBuf = emptyWskBuf();
  const BufLocked: Out<boolean> = { 0: false };
  if (Buf !== null) InitializeWskBuf(Buf, BufLen, 0, BufIsNonPagedPool, WskBuf, BufLocked);
  const Status = await syncCall('WskDisconnect', (Irp) => WskDisconnect(Sock, Buf !== null ? WskBuf : null, 0, Irp));
  UninitializeWskBuf(WskBuf, BufLocked[0]);
  return Status;
}

export async function WskAbortSync(Sock: PWSK_SOCKET, SockType: number): Promise<NTSTATUS> {
  ASSERT(SockType === WSK_FLAG_CONNECTION_SOCKET || SockType === WSK_FLAG_STREAM_SOCKET, 'WskAbortSync SockType');
  const WskDisconnect = dispatchOf(Sock).WskDisconnect;
  return syncCall('WskDisconnect', (Irp) => WskDisconnect(Sock, null, WSK_FLAG_ABORTIVE, Irp));
}

/** The send helpers' body: WskSend / WskSendEx / WskSendTo with the byte count checked as C does. */
async function sendSync(
  name: string, Buf: Uint8Array, BufLen: number, BufIsNonPagedPool: boolean, ExpectedBytesSent: number,
  BytesSent: Out<number> | null, start: (WskBuf: WSK_BUF, Irp: PIRP) => NTSTATUS,
): Promise<NTSTATUS> {
  ASSERT(BufLen > 0, `${name} BufLen`);
  const WskBuf = emptyWskBuf();
  const BufLocked: Out<boolean> = { 0: false };
  InitializeWskBuf(Buf, BufLen, 0, BufIsNonPagedPool, WskBuf, BufLocked);
  const Status = await syncCall(name, (Irp) => start(WskBuf, Irp), (Irp) => {
    if (BytesSent !== null) BytesSent[0] = Irp.IoStatus.Information as number;
    if (ExpectedBytesSent !== WSKCLIENT_UNKNOWN_BYTES) ASSERT(Irp.IoStatus.Information === ExpectedBytesSent, `${name} bytes sent`);
  });
  UninitializeWskBuf(WskBuf, BufLocked[0]);
  return Status;
}

export async function WskSendSync(
  Sock: PWSK_SOCKET, SockType: number, Buf: Uint8Array, BufLen: number, BufIsNonPagedPool: boolean,
  ExpectedBytesSent: number, Flags: number, BytesSent: Out<number> | null,
): Promise<NTSTATUS> {
  ASSERT(SockType === WSK_FLAG_CONNECTION_SOCKET || SockType === WSK_FLAG_STREAM_SOCKET, 'WskSendSync SockType');
  const WskSend = dispatchOf(Sock).WskSend;
  return sendSync('WskSend', Buf, BufLen, BufIsNonPagedPool, ExpectedBytesSent, BytesSent, (WskBuf, Irp) => WskSend(Sock, WskBuf, Flags, Irp));
}

export async function WskSendExSync(
  Sock: PWSK_SOCKET, SockType: number, Buf: Uint8Array, BufLen: number, BufIsNonPagedPool: boolean,
  Control: PCMSGHDR | null, ControlLen: number, ExpectedBytesSent: number, Flags: number,
  BytesSent: Out<number> | null,
): Promise<NTSTATUS> {
  ASSERT(SockType === WSK_FLAG_CONNECTION_SOCKET || SockType === WSK_FLAG_STREAM_SOCKET, 'WskSendExSync SockType');
  const WskSendEx = dispatchOf(Sock).WskSendEx;
  return sendSync('WskSendEx', Buf, BufLen, BufIsNonPagedPool, ExpectedBytesSent, BytesSent, (WskBuf, Irp) =>
    WskSendEx(Sock, WskBuf, Flags, ControlLen, Control, Irp),
  );
}

/** WSKIOREQUEST_COMPLETION (wskclient.h): what an Async send/receive leaves for its Await. */
export interface WSKIOREQUEST_COMPLETION {
  Irp: PIRP;
  WskBuf: WSK_BUF;
  Event: KEVENT;
  Status: NTSTATUS;
  BufLocked: Out<boolean>;
  ControlData: Uint8Array;
}

function newIoRequest(Irp: PIRP): WSKIOREQUEST_COMPLETION {
  return { Irp, WskBuf: emptyWskBuf(), Event: newEvent(), Status: STATUS_SUCCESS, BufLocked: { 0: false }, ControlData: new Uint8Array(128) };
}

/** The Async helpers' body: on success (pending included) the completion is the caller's, for an Await. */
function ioAsync(
  name: string, Buf: Uint8Array, BufLen: number, BufIsNonPagedPool: boolean, Out: Out<WSKIOREQUEST_COMPLETION | null>,
  start: (Completion: WSKIOREQUEST_COMPLETION) => NTSTATUS,
): NTSTATUS {
  ASSERT(BufLen > 0, `${name} BufLen`);
  const Irp = IoAllocateIrp(1, false);
  if (Irp === null) return STATUS_INSUFFICIENT_RESOURCES;
  const Completion = newIoRequest(Irp);
  IoSetCompletionRoutine(Irp, GenericCompletionRoutine, Completion.Event, true, true, true);
  InitializeWskBuf(Buf, BufLen, 0, BufIsNonPagedPool, Completion.WskBuf, Completion.BufLocked);
  const Status = start(Completion);
  if (NT_SUCCESS(Status)) {
    Completion.Status = Status;
    Out[0] = Completion;
    return STATUS_SUCCESS;
  }
  LOG(`${name} failed with %d\n`, Status);
  IoFreeIrp(Irp);
  UninitializeWskBuf(Completion.WskBuf, Completion.BufLocked[0]);
  return Status;
}

export function WskSendAsync(
  Sock: PWSK_SOCKET, SockType: number, Buf: Uint8Array, BufLen: number, BufIsNonPagedPool: boolean, Flags: number,
  SendCompletion: Out<WSKIOREQUEST_COMPLETION | null>,
): NTSTATUS {
  ASSERT(SockType === WSK_FLAG_CONNECTION_SOCKET || SockType === WSK_FLAG_STREAM_SOCKET, 'WskSendAsync SockType');
  const WskSend = dispatchOf(Sock).WskSend;
  return ioAsync('WskSend', Buf, BufLen, BufIsNonPagedPool, SendCompletion, (c) => WskSend(Sock, c.WskBuf, Flags, c.Irp));
}

/** WskSendAwait (and WskReceiveAwait, WskSendToAwait: the same body in C). */
export async function WskSendAwait(
  Completion: WSKIOREQUEST_COMPLETION, TimeoutMs: number, ExpectedBytes: number, Bytes: Out<number> | null,
): Promise<NTSTATUS> {
  ASSERT(NT_SUCCESS(Completion.Status), 'WskSendAwait Completion->Status');
  let Status = Completion.Status;
  if (Bytes !== null) Bytes[0] = 0;
  if (Completion.Status === STATUS_PENDING) Status = await WskWaitForIrpCompletion(Completion.Event, Completion.Irp, TimeoutMs);
  if (!NT_SUCCESS(Status)) {
    LOG('IO failed with %d\n', Status);
    if (Status === STATUS_CANCELLED) Status = STATUS_TIMEOUT;
  } else {
    if (Bytes !== null) Bytes[0] = Completion.Irp.IoStatus.Information as number;
    if (ExpectedBytes !== WSKCLIENT_UNKNOWN_BYTES) ASSERT(Completion.Irp.IoStatus.Information === ExpectedBytes, 'WskSendAwait bytes');
  }
  IoFreeIrp(Completion.Irp);
  UninitializeWskBuf(Completion.WskBuf, Completion.BufLocked[0]);
  return Status;
}
export const WskReceiveAwait = WskSendAwait;
export const WskSendToAwait = WskSendAwait;

/** The receive helpers' body: WSK_FLAG_WAITALL (or a datagram), a timed wait, STATUS_TIMEOUT for a cancel. */
async function receiveSync(
  name: string, Buf: Uint8Array, BufLen: number, BufIsNonPagedPool: boolean, ExpectedBytesReceived: number,
  TimeoutMs: number, BytesReceived: Out<number> | null, start: (WskBuf: WSK_BUF, Irp: PIRP) => NTSTATUS,
): Promise<NTSTATUS> {
  ASSERT(BufLen > 0, `${name} BufLen`);
  if (BytesReceived !== null) BytesReceived[0] = 0;
  const WskBuf = emptyWskBuf();
  const BufLocked: Out<boolean> = { 0: false };
  InitializeWskBuf(Buf, BufLen, 0, BufIsNonPagedPool, WskBuf, BufLocked);
  const Irp = IoAllocateIrp(1, false);
  if (Irp === null) {
    UninitializeWskBuf(WskBuf, BufLocked[0]);
    return STATUS_INSUFFICIENT_RESOURCES;
  }
  const Event = newEvent();
  IoSetCompletionRoutine(Irp, GenericCompletionRoutine, Event, true, true, true);
  let Status = start(WskBuf, Irp);
  if (Status === STATUS_PENDING) Status = await WskWaitForIrpCompletion(Event, Irp, TimeoutMs);
  if (NT_SUCCESS(Status)) {
    if (BytesReceived !== null) BytesReceived[0] = Irp.IoStatus.Information as number;
    if (ExpectedBytesReceived !== WSKCLIENT_UNKNOWN_BYTES) ASSERT(Irp.IoStatus.Information === ExpectedBytesReceived, `${name} bytes received`);
  } else {
    LOG(`${name} failed with %d\n`, Status);
    if (Status === STATUS_CANCELLED) Status = STATUS_TIMEOUT;
  }
  IoFreeIrp(Irp);
  UninitializeWskBuf(WskBuf, BufLocked[0]);
  return Status;
}

export async function WskReceiveSync(
  Sock: PWSK_SOCKET, SockType: number, Buf: Uint8Array, BufLen: number, BufIsNonPagedPool: boolean,
  ExpectedBytesReceived: number, TimeoutMs: number, BytesReceived: Out<number> | null,
): Promise<NTSTATUS> {
  ASSERT([WSK_FLAG_CONNECTION_SOCKET, WSK_FLAG_STREAM_SOCKET, WSK_FLAG_DATAGRAM_SOCKET].includes(SockType), 'WskReceiveSync SockType');
  const d = dispatchOf(Sock);
  return receiveSync('WskReceive', Buf, BufLen, BufIsNonPagedPool, ExpectedBytesReceived, TimeoutMs, BytesReceived, (WskBuf, Irp) => {
    if (SockType === WSK_FLAG_DATAGRAM_SOCKET) {
      // C passes a ControlLen of 0 by pointer and no control buffer.
      const ControlLen: PULONG = { 0: 0 };
      return d.WskReceiveFrom(Sock, WskBuf, 0, null, ControlLen, null, null, Irp);
    }
    return d.WskReceive(Sock, WskBuf, WSK_FLAG_WAITALL, Irp);
  });
}

export async function WskReceiveExSync(
  Sock: PWSK_SOCKET, SockType: number, Buf: Uint8Array, BufLen: number, BufIsNonPagedPool: boolean,
  Control: PCMSGHDR | null, ControlLen: PULONG, ExpectedBytesReceived: number, TimeoutMs: number,
  BytesReceived: Out<number> | null,
): Promise<NTSTATUS> {
  ASSERT(SockType === WSK_FLAG_CONNECTION_SOCKET || SockType === WSK_FLAG_STREAM_SOCKET, 'WskReceiveExSync SockType');
  const WskReceiveEx = dispatchOf(Sock).WskReceiveEx;
  return receiveSync('WskReceiveEx', Buf, BufLen, BufIsNonPagedPool, ExpectedBytesReceived, TimeoutMs, BytesReceived, (WskBuf, Irp) =>
    WskReceiveEx(Sock, WskBuf, WSK_FLAG_WAITALL, ControlLen, Control, null, Irp),
  );
}

export function WskReceiveAsync(
  Sock: PWSK_SOCKET, SockType: number, Buf: Uint8Array, BufLen: number, BufIsNonPagedPool: boolean,
  ReceiveCompletion: Out<WSKIOREQUEST_COMPLETION | null>,
): NTSTATUS {
  ASSERT(SockType === WSK_FLAG_CONNECTION_SOCKET || SockType === WSK_FLAG_STREAM_SOCKET, 'WskReceiveAsync SockType');
  const WskReceive = dispatchOf(Sock).WskReceive;
  return ioAsync('WskReceive', Buf, BufLen, BufIsNonPagedPool, ReceiveCompletion, (c) => WskReceive(Sock, c.WskBuf, WSK_FLAG_WAITALL, c.Irp));
}

export async function WskSendToSync(
  Sock: PWSK_SOCKET, Buf: Uint8Array, BufLen: number, BufIsNonPagedPool: boolean, ExpectedBytesSent: number,
  RemoteAddr: PSOCKADDR, ControlLen: number, Control: PCMSGHDR | null, BytesSent: Out<number> | null,
): Promise<NTSTATUS> {
  const WskSendTo = (Sock.Dispatch as WSK_PROVIDER_DATAGRAM_DISPATCH).WskSendTo;
  return sendSync('WskSendTo', Buf, BufLen, BufIsNonPagedPool, ExpectedBytesSent, BytesSent, (WskBuf, Irp) =>
    WskSendTo(Sock, WskBuf, 0, RemoteAddr, ControlLen, Control, Irp),
  );
}

/**
 * WskSendToAsync: the control data is copied into the completion (128 bytes at most, else
 * STATUS_NOT_SUPPORTED) so that the caller's buffer may go away; so is the rest of the request.
 */
export function WskSendToAsync(
  Sock: PWSK_SOCKET, Buf: Uint8Array, BufLen: number, BufIsNonPagedPool: boolean, RemoteAddr: PSOCKADDR,
  ControlLen: number, Control: PCMSGHDR | null, SendCompletion: Out<WSKIOREQUEST_COMPLETION | null>,
): NTSTATUS {
  const WskSendTo = (Sock.Dispatch as WSK_PROVIDER_DATAGRAM_DISPATCH).WskSendTo;
  return ioAsync('WskSendTo', Buf, BufLen, BufIsNonPagedPool, SendCompletion, (c) => {
    if (ControlLen > c.ControlData.byteLength) return STATUS_NOT_SUPPORTED;
    if (Control !== null) c.ControlData.set(Control.subarray(0, ControlLen));
    return WskSendTo(Sock, c.WskBuf, 0, RemoteAddr, ControlLen, c.ControlData, c.Irp);
  });
}

export async function WskControlSocketSync(
  Sock: PWSK_SOCKET, SockType: number, RequestType: WSK_CONTROL_SOCKET_TYPE, ControlCode: number, Level: number,
  InputSize: number, InputBuf: Uint8Array | object | null, OutputSize: number, OutputBuf: Uint8Array | object | null,
  OutputSizeReturned: PSIZE_T | null,
): Promise<NTSTATUS> {
  const known = [WSK_FLAG_CONNECTION_SOCKET, WSK_FLAG_LISTEN_SOCKET, WSK_FLAG_DATAGRAM_SOCKET, WSK_FLAG_STREAM_SOCKET, WSK_FLAG_BASIC_SOCKET];
  if (!known.includes(SockType)) {
    ASSERT(false, 'WskControlSocketSync SockType');
    return STATUS_UNSUCCESSFUL;
  }
  const WskControlSocket = (Sock.Dispatch as WSK_PROVIDER_BASIC_DISPATCH).WskControlSocket;
  return syncCall(
    'WskControlSocket',
    (Irp) => WskControlSocket(Sock, RequestType, ControlCode, Level, InputSize, InputBuf, OutputSize, OutputBuf, OutputSizeReturned, Irp),
    (Irp) => {
      if (OutputSizeReturned !== null) OutputSizeReturned[0] = Irp.IoStatus.Information as number;
    },
  );
}

export async function WskGetLocalAddrSync(Sock: PWSK_SOCKET, SockType: number, Addr: PSOCKADDR): Promise<NTSTATUS> {
  ASSERT([WSK_FLAG_CONNECTION_SOCKET, WSK_FLAG_STREAM_SOCKET, WSK_FLAG_LISTEN_SOCKET, WSK_FLAG_DATAGRAM_SOCKET].includes(SockType), 'WskGetLocalAddrSync SockType');
  const WskGetLocalAddress = dispatchOf(Sock).WskGetLocalAddress;
  return syncCall('WskGetLocalAddr', (Irp) => WskGetLocalAddress(Sock, Addr, Irp));
}

export async function WskGetRemoteAddrSync(Sock: PWSK_SOCKET, SockType: number, Addr: PSOCKADDR): Promise<NTSTATUS> {
  ASSERT(SockType === WSK_FLAG_CONNECTION_SOCKET || SockType === WSK_FLAG_STREAM_SOCKET, 'WskGetRemoteAddrSync SockType');
  const WskGetRemoteAddress = dispatchOf(Sock).WskGetRemoteAddress;
  return syncCall('WskGetRemoteAddr', (Irp) => WskGetRemoteAddress(Sock, Addr, Irp));
}

/**
 * WskEnableCallbacks: SO_WSK_EVENT_CALLBACK set through WskControlSocketSync, that is, with an
 * IRP, where the documentation says none (Windows completes it). 16 is C's
 * sizeof(WSK_EVENT_CALLBACK_CONTROL) on x64: a pointer and a ULONG, padded.
 */
export async function WskEnableCallbacks(Sock: PWSK_SOCKET, SockType: number, EventMask: number): Promise<NTSTATUS> {
  const Control: WSK_EVENT_CALLBACK_CONTROL = { NpiId: NPI_WSK_INTERFACE_ID, EventMask };
  return WskControlSocketSync(Sock, SockType, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, Control, 0, null, null);
}
