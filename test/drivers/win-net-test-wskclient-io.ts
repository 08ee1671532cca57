// microsoft/win-net-test, src/wskclient/wskclient.c (commit 21eb198e46e2638dbb599e33a1b750dfcffc2648, MIT),
// continued from win-net-test-wskclient.ts: the data helpers (send, receive, send-to, their Async and
// Await forms), WskControlSocketSync, the address helpers and WskEnableCallbacks.
import {
  IoAllocateIrp, IoFreeIrp, IoSetCompletionRoutine, KEVENT, NPI_WSK_INTERFACE_ID, NT_SUCCESS, NTSTATUS, PCMSGHDR,
  PIRP, PSOCKADDR, PULONG, PSIZE_T, PWSK_SOCKET, SOL_SOCKET, SO_WSK_EVENT_CALLBACK, STATUS_CANCELLED,
  STATUS_INSUFFICIENT_RESOURCES, STATUS_NOT_SUPPORTED, STATUS_PENDING, STATUS_SUCCESS, STATUS_TIMEOUT,
  STATUS_UNSUCCESSFUL, WSK_BUF, WSK_CONTROL_SOCKET_TYPE, WSK_EVENT_CALLBACK_CONTROL, WSK_FLAG_BASIC_SOCKET,
  WSK_FLAG_CONNECTION_SOCKET, WSK_FLAG_DATAGRAM_SOCKET, WSK_FLAG_LISTEN_SOCKET, WSK_FLAG_STREAM_SOCKET,
  WSK_FLAG_WAITALL, WSK_PROVIDER_BASIC_DISPATCH, WSK_PROVIDER_DATAGRAM_DISPATCH, WskSetOption,
} from '../../lib';
import {
  WSKCLIENT_UNKNOWN_BYTES, ASSERT, LOG, Out, InitializeWskBuf, UninitializeWskBuf, emptyWskBuf,
  GenericCompletionRoutine, newEvent, WskWaitForIrpCompletion, syncCall, dispatchOf,
} from './win-net-test-wskclient';

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

// The rest of the port: one module for the harness to import.
export * from './win-net-test-wskclient';
