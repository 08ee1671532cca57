// microsoft/win-net-test, src/wskclient/wskclient.c (commit 21eb198e46e2638dbb599e33a1b750dfcffc2648,
// MIT): the WSK wrapper Microsoft's own CI drives, ported call for call. Every helper allocates an
// IRP whose completion routine signals a KEVENT only when the call pended (GenericCompletionRoutine),
// calls the provider, waits on STATUS_PENDING and then reads the status from the IRP. The
// helpers are kept in C's order and with C's names so that a reader can hold the two side by
// side; C's `ASSERT` (a DBG build's break) throws here, so a result the driver checks is checked.
import {
  Executive, IoAllocateIrp, IoAllocateMdl, IoCancelIrp, IoFreeIrp, IoFreeMdl, IoSetCompletionRoutine, KEVENT,
  KeInitializeEvent, KeSetEvent, KeWaitForSingleObject, KernelMode, IoWriteAccess, MAKE_WSK_VERSION,
  MmBuildMdlForNonPagedPool, MmProbeAndLockPages, MmUnlockPages, NotificationEvent, NT_SUCCESS, NTSTATUS, PIRP,
  PSOCKADDR, PWSK_SOCKET, STATUS_CANCELLED, STATUS_INSUFFICIENT_RESOURCES, STATUS_MORE_PROCESSING_REQUIRED,
  STATUS_PENDING, STATUS_SUCCESS, STATUS_TIMEOUT, WSK_BUF, WSK_CLIENT_CONNECTION_DISPATCH, WSK_CLIENT_DISPATCH,
  WSK_CLIENT_NPI, WSK_FLAG_ABORTIVE, WSK_FLAG_CONNECTION_SOCKET, WSK_FLAG_DATAGRAM_SOCKET, WSK_FLAG_LISTEN_SOCKET,
  WSK_FLAG_STREAM_SOCKET, WSK_NO_WAIT, WSK_PROVIDER_BASIC_DISPATCH, WSK_PROVIDER_CONNECTION_DISPATCH,
  WSK_PROVIDER_DATAGRAM_DISPATCH, WSK_PROVIDER_LISTEN_DISPATCH, WSK_PROVIDER_NPI, WSK_PROVIDER_STREAM_DISPATCH,
  WSK_REGISTRATION, WskCaptureProviderNPI, WskDeregister, WskRegister, WskReleaseProviderNPI,
} from '../../lib';

export const WSKCLIENT_UNKNOWN_BYTES = 0xffffffff;
export const WSKCLIENT_INFINITE = 0xffffffff;

/** C's ASSERT in a DBG build: what the driver itself checks. */
export function ASSERT(condition: boolean, what = 'ASSERT'): asserts condition {
  if (!condition) throw new Error(`win-net-test wskclient: ${what} failed`);
}
export const LOG = (..._args: unknown[]): void => undefined;

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
export function InitializeWskBuf(
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

export function UninitializeWskBuf(WskBuf: WSK_BUF, BufLocked: boolean): void {
  if (WskBuf.Mdl !== null) {
    if (BufLocked) MmUnlockPages(WskBuf.Mdl);
    IoFreeMdl(WskBuf.Mdl);
  }
}

export function emptyWskBuf(): WSK_BUF {
  return { Mdl: null, Offset: 0, Length: 0 };
}

// ---- the IRP pattern ----

/** GenericCompletionRoutine: signals only when the call pended (an inline completion is not waited for). */
export function GenericCompletionRoutine(_DeviceObject: null, Irp: PIRP, Context: unknown): NTSTATUS {
  if (Irp.PendingReturned) KeSetEvent(Context as KEVENT, 0, false);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

export function newEvent(): KEVENT {
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
export async function syncCall(name: string, start: (Irp: PIRP) => NTSTATUS, after?: (Irp: PIRP) => void): Promise<NTSTATUS> {
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

export type AnyDispatch = WSK_PROVIDER_CONNECTION_DISPATCH &
  WSK_PROVIDER_STREAM_DISPATCH &
  WSK_PROVIDER_LISTEN_DISPATCH &
  WSK_PROVIDER_DATAGRAM_DISPATCH;
/** C's `((PWSK_PROVIDER_xxx_DISPATCH)Sock->Dispatch)->Member`, the cast chosen by SockType. */
export function dispatchOf(Sock: PWSK_SOCKET): AnyDispatch {
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

/** WSKCONNECTEX_COMPLETION / WSKDISCONNECT_COMPLETION (wskclient.h): an IRP, its event, its buffer. */
export interface WSKBUFFERED_COMPLETION {
  Irp: PIRP;
  Event: KEVENT;
  Status: NTSTATUS;
  WskBuf: WSK_BUF;
  BufLocked: Out<boolean>;
}
export type WSKCONNECTEX_COMPLETION = WSKBUFFERED_COMPLETION;
export type WSKDISCONNECT_COMPLETION = WSKBUFFERED_COMPLETION;

/**
 * The Async body shared by WskConnectExAsync and WskDisconnectAsync: on success (pending
 * included) the completion is the caller's, who must follow with the matching Await (or Cancel).
 */
function bufferedAsync(
  name: string, Buf: Uint8Array | null, BufLen: number, BufIsNonPagedPool: boolean, Out: Out<WSKBUFFERED_COMPLETION | null>,
  start: (WskBuf: WSK_BUF | null, Irp: PIRP) => NTSTATUS,
): NTSTATUS {
  const Irp = IoAllocateIrp(1, false);
  if (Irp === null) return STATUS_INSUFFICIENT_RESOURCES;
  const Completion: WSKBUFFERED_COMPLETION = { Irp, Event: newEvent(), Status: STATUS_SUCCESS, WskBuf: emptyWskBuf(), BufLocked: { 0: false } };
  IoSetCompletionRoutine(Irp, GenericCompletionRoutine, Completion.Event, true, true, true);
  let Status: NTSTATUS;
  if (Buf !== null) {
    Status = InitializeWskBuf(Buf, BufLen, 0, BufIsNonPagedPool, Completion.WskBuf, Completion.BufLocked);
    if (NT_SUCCESS(Status)) Status = start(Completion.WskBuf, Irp);
  } else {
    Status = start(null, Irp);
  }
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

/** The Await body shared by WskConnectExAwait and WskDisconnectAwait: STATUS_TIMEOUT for our own cancel. */
async function bufferedAwait(Completion: WSKBUFFERED_COMPLETION, TimeoutMs: number): Promise<NTSTATUS> {
  ASSERT(NT_SUCCESS(Completion.Status), 'Await Completion->Status');
  let Status = Completion.Status;
  if (Completion.Status === STATUS_PENDING) Status = await WskWaitForIrpCompletion(Completion.Event, Completion.Irp, TimeoutMs);
  if (Status === STATUS_CANCELLED) Status = STATUS_TIMEOUT;
  IoFreeIrp(Completion.Irp);
  UninitializeWskBuf(Completion.WskBuf, Completion.BufLocked[0]);
  return Status;
}

export function WskConnectExAsync(
  Sock: PWSK_SOCKET, SockType: number, Addr: PSOCKADDR, Buf: Uint8Array | null, BufLen: number, BufIsNonPagedPool: boolean,
  ConnectCompletion: Out<WSKCONNECTEX_COMPLETION | null>,
): NTSTATUS {
  ASSERT(SockType === WSK_FLAG_CONNECTION_SOCKET || SockType === WSK_FLAG_STREAM_SOCKET, 'WskConnectExAsync SockType');
  const WskConnectEx = dispatchOf(Sock).WskConnectEx;
  return bufferedAsync('WskConnectEx', Buf, BufLen, BufIsNonPagedPool, ConnectCompletion, (WskBuf, Irp) => WskConnectEx(Sock, Addr, WskBuf, 0, Irp));
}

export const WskConnectExAwait = bufferedAwait;

/** WskConnectExCancel: cancel, wait for the completion, free. */
export async function WskConnectExCancel(Completion: WSKCONNECTEX_COMPLETION): Promise<void> {
  IoCancelIrp(Completion.Irp);
  await KeWaitForSingleObject(Completion.Event, Executive, KernelMode, false, null);
  IoFreeIrp(Completion.Irp);
  UninitializeWskBuf(Completion.WskBuf, Completion.BufLocked[0]);
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

/** WskAcceptCancel: cancel, wait for the completion, free. */
export async function WskAcceptCancel(Completion: WSKACCEPT_COMPLETION): Promise<void> {
  IoCancelIrp(Completion.Irp);
  await KeWaitForSingleObject(Completion.Event, Executive, KernelMode, false, null);
  IoFreeIrp(Completion.Irp);
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

/** WskDisconnectAsync: Flags (WSK_FLAG_ABORTIVE) only without a buffer, as C asserts. */
export function WskDisconnectAsync(
  Sock: PWSK_SOCKET, SockType: number, Buf: Uint8Array | null, BufLen: number, BufIsNonPagedPool: boolean, Flags: number,
  DisconnectCompletion: Out<WSKDISCONNECT_COMPLETION | null>,
): NTSTATUS {
  ASSERT(SockType === WSK_FLAG_CONNECTION_SOCKET || SockType === WSK_FLAG_STREAM_SOCKET, 'WskDisconnectAsync SockType');
  if (Buf !== null) ASSERT(Flags === 0, 'WskDisconnectAsync Flags with a buffer');
  const WskDisconnect = dispatchOf(Sock).WskDisconnect;
  return bufferedAsync('WskDisconnect', Buf, BufLen, BufIsNonPagedPool, DisconnectCompletion, (WskBuf, Irp) => WskDisconnect(Sock, WskBuf, Flags, Irp));
}

export const WskDisconnectAwait = bufferedAwait;
