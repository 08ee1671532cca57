// Microsoft's WSK echo server sample (Windows-driver-samples, network/wsk/echosrv/wsksmple.c),
// ported to node-wsk with its structure and names: one work queue drained by one worker, a
// socket context per socket with WSKSAMPLE_OP_COUNT operation contexts (each with its own IRP,
// reused with IoReuseIrp, and a 2048-byte buffer), a dual-stack IPv6 listening socket whose
// accept event is enabled statically, two receives pending per connection, echo, a graceful
// disconnect after the peer's FIN, and unload through WskDeregister, which waits until every
// connection is closed.
//
// Differences from the C sample, each small:
//   - the worker "thread" is an async loop on the event loop (KeWaitForSingleObject is awaited);
//   - the port is configurable (the sample's 40007 is the default; 0 picks a free port);
//   - the listener is bound to the IPv6 wildcard as in the sample, but by default the accept
//     event declines peers that are not loopback (127.0.0.0/8 as v4-mapped, or ::1), so the
//     server only serves this machine unless --any is given;
//   - if the client cannot set static callbacks (WskControlClient not available), the accept
//     event is enabled on the socket with SO_WSK_EVENT_CALLBACK after bind instead.
//
//
// This example shows the C pattern on purpose, as WSK drivers write it: an IRP per operation
// with a completion routine that signals a KEVENT (or queues work), KeWaitForSingleObject, and
// IoReuseIrp. Code that is not a port of a driver is shorter on node-wsk/promises (awaited
// calls, async iterators over received data): examples/echo-server.ts is this server written so.
//
//   npm start [-- port] [-- --any]                   serve until Ctrl-C (npx node-wsk-example echosrv)
//   npm start -- --self-test                         echo over IPv4 and IPv6 to itself, exit 0
import * as net from 'net';
import { parseArgs } from 'util';
import {
  Executive,
  IoAllocateIrp,
  IoAllocateMdl,
  IoFreeIrp,
  IoFreeMdl,
  IoReuseIrp,
  IoSetCompletionRoutine,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPV6_V6ONLY,
  KEVENT,
  KeInitializeEvent,
  KeSetEvent,
  KeWaitForSingleObject,
  KernelMode,
  MAKE_WSK_VERSION,
  MDL,
  MmBuildMdlForNonPagedPool,
  NPI_WSK_INTERFACE_ID,
  NT_SUCCESS,
  NTSTATUS,
  NotificationEvent,
  PIRP,
  PSOCKADDR,
  SOCKADDR_STORAGE,
  SOCK_STREAM,
  SO_WSK_EVENT_CALLBACK,
  SOL_SOCKET,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_MORE_PROCESSING_REQUIRED,
  STATUS_REQUEST_NOT_ACCEPTED,
  STATUS_SUCCESS,
  STATUS_UNSUCCESSFUL,
  SynchronizationEvent,
  AF_INET6,
  WSK_BUF,
  WSK_CLIENT_CONNECTION_DISPATCH,
  WSK_CLIENT_DISPATCH,
  WSK_CLIENT_LISTEN_DISPATCH,
  WSK_CLIENT_NPI,
  WSK_EVENT_ACCEPT,
  WSK_EVENT_CALLBACK_CONTROL,
  WSK_FLAG_LISTEN_SOCKET,
  WSK_INFINITE_WAIT,
  WSK_PROVIDER_BASIC_DISPATCH,
  WSK_PROVIDER_CONNECTION_DISPATCH,
  WSK_PROVIDER_LISTEN_DISPATCH,
  WSK_PROVIDER_NPI,
  WSK_REGISTRATION,
  WSK_SET_STATIC_EVENT_CALLBACKS,
  WSK_SOCKET,
  WskCaptureProviderNPI,
  WskDeregister,
  WskRegister,
  WskReleaseProviderNPI,
  WskSetOption,
  ntStatusName,
  sockaddrAddressString,
  sockaddrFromString,
  sockaddrPort,
} from 'node-wsk';

const WSKSAMPLE_DATA_BUFFER_LENGTH = 2048;
const WSKSAMPLE_OP_COUNT = 2;

type PWSKSAMPLE_OP_HANDLER_FN = (SocketOpContext: WSKSAMPLE_SOCKET_OP_CONTEXT) => void | Promise<void>;

/** A work queue drained by one worker. */
interface WSKSAMPLE_WORK_QUEUE {
  Head: WSKSAMPLE_SOCKET_OP_CONTEXT[];
  Event: KEVENT;
  /** The worker may exit once the queue is empty and Stop is set. */
  Stop: boolean;
  Thread: Promise<void> | null;
}

/** One WSK operation on a socket: its handler, IRP, and (for data) buffer and MDL. */
interface WSKSAMPLE_SOCKET_OP_CONTEXT {
  OpHandler: PWSKSAMPLE_OP_HANDLER_FN | null;
  SocketContext: WSKSAMPLE_SOCKET_CONTEXT;
  Irp: PIRP | null;
  DataBuffer: Uint8Array | null;
  DataMdl: MDL | null;
  BufferLength: number;
  DataLength: number;
}

interface WSKSAMPLE_SOCKET_CONTEXT {
  Socket: WSK_SOCKET | null;
  WorkQueue: WSKSAMPLE_WORK_QUEUE;
  Closing: boolean;
  /** The peer finished sending and our half is being (or was) disconnected. */
  Disconnecting: boolean;
  /** Listening socket only: no more connections. */
  StopListening: boolean;
  OpContext: WSKSAMPLE_SOCKET_OP_CONTEXT[];
}

const WskSampleClientDispatch: WSK_CLIENT_DISPATCH = { Version: MAKE_WSK_VERSION(1, 0), Reserved: 0, WskClientEvent: null };

let WskSampleRegistration: WSK_REGISTRATION = {};

const WskSampleClientListenDispatch: WSK_CLIENT_LISTEN_DISPATCH = {
  WskAcceptEvent: WskSampleAcceptEvent,
  WskInspectEvent: null, // only with conditional accept
  WskAbortEvent: null,
};

let WskSampleListeningSocketContext: WSKSAMPLE_SOCKET_CONTEXT | null = null;
const WskSampleWorkQueue: WSKSAMPLE_WORK_QUEUE = { Head: [], Event: {}, Stop: false, Thread: null };

/** The sample's listening address: the IPv6 wildcard, port 40007 unless configured. */
let IPv6ListeningAddress: PSOCKADDR = sockaddrFromString('::', 40007);
/** Serve peers that are not loopback (--any). */
let WskSampleAllowRemote = false;

// What the port adds, so that a caller can wait for the listener and learn its port.
export const WskSampleListening: KEVENT = {};
export let WskSampleListeningStatus: NTSTATUS = STATUS_UNSUCCESSFUL;
export let WskSampleListeningPort = 0;
/** How often a NULL AcceptSocket made the server replace its listener (not in the C sample: for tests). */
export let WskSampleListenerRestarts = 0;

export interface WskSampleOptions {
  port?: number;
  allowRemote?: boolean;
}

export function DriverEntry(options: WskSampleOptions = {}): NTSTATUS {
  IPv6ListeningAddress = sockaddrFromString('::', options.port ?? 40007);
  WskSampleAllowRemote = options.allowRemote ?? false;
  WskSampleRegistration = {};
  KeInitializeEvent(WskSampleListening, NotificationEvent, false);
  WskSampleListeningStatus = STATUS_UNSUCCESSFUL;

  // The listening socket's context carries the operations that set it up and tear it down.
  WskSampleListeningSocketContext = WskSampleAllocateSocketContext(WskSampleWorkQueue, 0);
  if (WskSampleListeningSocketContext === null) return STATUS_INSUFFICIENT_RESOURCES;

  const wskClientNpi: WSK_CLIENT_NPI = { ClientContext: null, Dispatch: WskSampleClientDispatch };
  let status = WskRegister(wskClientNpi, WskSampleRegistration);
  if (!NT_SUCCESS(status)) {
    WskSampleFreeSocketContext(WskSampleListeningSocketContext);
    return status;
  }

  status = WskSampleStartWorkQueue(WskSampleWorkQueue);
  if (!NT_SUCCESS(status)) {
    void WskDeregister(WskSampleRegistration);
    WskSampleFreeSocketContext(WskSampleListeningSocketContext);
    return status;
  }

  WskSampleEnqueueOp(WskSampleListeningSocketContext.OpContext[0], WskSampleOpStartListen);
  return STATUS_SUCCESS;
}

/** Unload: stop listening, then WskDeregister waits for every socket, then the worker stops. */
export async function WskSampleUnload(): Promise<void> {
  // Closes the listener; accepted connections stay until their peers disconnect, and
  // WskDeregister waits for them.
  WskSampleEnqueueOp(WskSampleListeningSocketContext!.OpContext[1], WskSampleOpStopListen);
  await WskDeregister(WskSampleRegistration);
  await WskSampleStopWorkQueue(WskSampleWorkQueue);
}

function WskSampleStartWorkQueue(WorkQueue: WSKSAMPLE_WORK_QUEUE): NTSTATUS {
  WorkQueue.Head = [];
  KeInitializeEvent(WorkQueue.Event, SynchronizationEvent, false);
  WorkQueue.Stop = false;
  WorkQueue.Thread = WskSampleWorkerThread(WorkQueue);
  return STATUS_SUCCESS;
}

async function WskSampleStopWorkQueue(WorkQueue: WSKSAMPLE_WORK_QUEUE): Promise<void> {
  WorkQueue.Stop = true;
  KeSetEvent(WorkQueue.Event, 0, false);
  await WorkQueue.Thread;
  WorkQueue.Thread = null;
}

function WskSampleAllocateSocketContext(WorkQueue: WSKSAMPLE_WORK_QUEUE, BufferLength: number): WSKSAMPLE_SOCKET_CONTEXT | null {
  const socketContext: WSKSAMPLE_SOCKET_CONTEXT = {
    Socket: null,
    WorkQueue,
    Closing: false,
    Disconnecting: false,
    StopListening: false,
    OpContext: [],
  };
  for (let i = 0; i < WSKSAMPLE_OP_COUNT; i++) {
    const op: WSKSAMPLE_SOCKET_OP_CONTEXT = {
      OpHandler: null,
      SocketContext: socketContext,
      Irp: IoAllocateIrp(1, false),
      DataBuffer: null,
      DataMdl: null,
      BufferLength: 0,
      DataLength: 0,
    };
    socketContext.OpContext.push(op);
    if (op.Irp === null) return (WskSampleFreeSocketContext(socketContext), null);
    if (BufferLength > 0) {
      op.DataBuffer = new Uint8Array(BufferLength);
      op.DataMdl = IoAllocateMdl(op.DataBuffer, BufferLength, false, false, null);
      if (op.DataMdl === null) return (WskSampleFreeSocketContext(socketContext), null);
      MmBuildMdlForNonPagedPool(op.DataMdl);
      op.BufferLength = BufferLength;
    }
  }
  return socketContext;
}

function WskSampleFreeSocketContext(SocketContext: WSKSAMPLE_SOCKET_CONTEXT): void {
  // Only once no call on the socket is outstanding: the IRPs and MDLs are idle.
  for (const op of SocketContext.OpContext) {
    if (op.Irp !== null) IoFreeIrp(op.Irp);
    op.Irp = null;
    if (op.DataMdl !== null) IoFreeMdl(op.DataMdl);
    op.DataMdl = null;
    op.DataBuffer = null;
  }
}

function WskSampleEnqueueOp(SocketOpContext: WSKSAMPLE_SOCKET_OP_CONTEXT, OpHandler: PWSKSAMPLE_OP_HANDLER_FN): void {
  const workQueue = SocketOpContext.SocketContext.WorkQueue;
  SocketOpContext.OpHandler = OpHandler;
  workQueue.Head.push(SocketOpContext);
  // The queue was empty: the worker may be waiting for work.
  if (workQueue.Head.length === 1) KeSetEvent(workQueue.Event, 0, false);
}

async function WskSampleWorkerThread(WorkQueue: WSKSAMPLE_WORK_QUEUE): Promise<void> {
  for (;;) {
    // Take everything queued so far, in FIFO order.
    const listEntry = WorkQueue.Head.splice(0);
    if (listEntry.length === 0) {
      if (WorkQueue.Stop) break;
      await KeWaitForSingleObject(WorkQueue.Event, Executive, KernelMode, false, null);
      continue;
    }
    for (const socketOpContext of listEntry) {
      const opHandler = socketOpContext.OpHandler!;
      const pending = opHandler(socketOpContext);
      if (pending) await pending;
    }
  }
}

async function WskSampleOpStartListen(SocketOpContext: WSKSAMPLE_SOCKET_OP_CONTEXT): Promise<void> {
  // The first operation: several WSK calls, done synchronously before any other operation.
  const wskProviderNpi = {} as WSK_PROVIDER_NPI;
  const status = WskCaptureProviderNPI(WskSampleRegistration, WSK_INFINITE_WAIT, wskProviderNpi);
  if (NT_SUCCESS(status)) {
    await WskSampleSetupListeningSocket(wskProviderNpi, SocketOpContext);
    WskReleaseProviderNPI(WskSampleRegistration);
  } else {
    // Fails when WskDeregister ran before the WSK subsystem was ready.
    WskSampleListeningStatus = status;
  }
  KeSetEvent(WskSampleListening, 0, false);
}

async function WskSampleSetupListeningSocket(WskProviderNpi: WSK_PROVIDER_NPI, SocketOpContext: WSKSAMPLE_SOCKET_OP_CONTEXT): Promise<void> {
  const socketContext = SocketOpContext.SocketContext;
  const irp = SocketOpContext.Irp!;
  const compEvent: KEVENT = {};
  KeInitializeEvent(compEvent, SynchronizationEvent, false);
  let listeningSocket: WSK_SOCKET | null = null;
  let dispatch: WSK_PROVIDER_LISTEN_DISPATCH | null = null;
  let staticAccept = true;

  if (socketContext.Socket !== null) {
    // A NULL AcceptSocket said the listener died: close it and make a new one.
    if (socketContext.StopListening) return;
    IoReuseIrp(irp, STATUS_UNSUCCESSFUL);
    IoSetCompletionRoutine(irp, WskSampleSyncIrpCompletionRoutine, compEvent, true, true, true);
    socketContext.Socket.Dispatch.WskCloseSocket(socketContext.Socket, irp);
    await KeWaitForSingleObject(compEvent, Executive, KernelMode, false, null);
    socketContext.Socket = null;
    IoReuseIrp(irp, STATUS_UNSUCCESSFUL);
  } else {
    // Enable WskAcceptEvent on every listening socket from its creation.
    const callbackControl: WSK_EVENT_CALLBACK_CONTROL = { NpiId: NPI_WSK_INTERFACE_ID, EventMask: WSK_EVENT_ACCEPT };
    const status = WskProviderNpi.Dispatch.WskControlClient(WskProviderNpi.Client, WSK_SET_STATIC_EVENT_CALLBACKS, 16, callbackControl, 0, null, null, null);
    if (!NT_SUCCESS(status)) staticAccept = false; // enabled on the socket after bind instead
  }

  const failexit = async (what: string, status: NTSTATUS): Promise<void> => {
    WskSampleListeningStatus = status;
    console.error(`WskSampleSetupListeningSocket: ${what} failed: ${ntStatusName(status)}`);
    if (listeningSocket) {
      IoReuseIrp(irp, STATUS_UNSUCCESSFUL);
      IoSetCompletionRoutine(irp, WskSampleSyncIrpCompletionRoutine, compEvent, true, true, true);
      dispatch!.WskCloseSocket(listeningSocket, irp);
      await KeWaitForSingleObject(compEvent, Executive, KernelMode, false, null);
    }
  };

  // A dual-stack listener: AF_INET6 with IPV6_V6ONLY off also takes IPv4 connections.
  IoReuseIrp(irp, STATUS_UNSUCCESSFUL);
  IoSetCompletionRoutine(irp, WskSampleSyncIrpCompletionRoutine, compEvent, true, true, true);
  WskProviderNpi.Dispatch.WskSocket(
    WskProviderNpi.Client,
    AF_INET6,
    SOCK_STREAM,
    IPPROTO_TCP,
    WSK_FLAG_LISTEN_SOCKET,
    socketContext,
    WskSampleClientListenDispatch,
    null,
    null,
    null,
    irp,
  );
  await KeWaitForSingleObject(compEvent, Executive, KernelMode, false, null);
  if (!NT_SUCCESS(irp.IoStatus.Status)) return failexit('WskSocket', irp.IoStatus.Status);
  listeningSocket = irp.IoStatus.Information as WSK_SOCKET;
  dispatch = listeningSocket.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;

  // IPV6_V6ONLY = FALSE, before bind.
  const optionValue = new Uint32Array([0]);
  IoReuseIrp(irp, STATUS_UNSUCCESSFUL);
  IoSetCompletionRoutine(irp, WskSampleSyncIrpCompletionRoutine, compEvent, true, true, true);
  dispatch.WskControlSocket(listeningSocket, WskSetOption, IPV6_V6ONLY, IPPROTO_IPV6, 4, optionValue, 0, null, null, irp);
  await KeWaitForSingleObject(compEvent, Executive, KernelMode, false, null);
  if (!NT_SUCCESS(irp.IoStatus.Status)) return failexit('IPV6_V6ONLY', irp.IoStatus.Status);

  // Bind to the wildcard: from here WSK calls WskAcceptEvent as connections arrive.
  IoReuseIrp(irp, STATUS_UNSUCCESSFUL);
  IoSetCompletionRoutine(irp, WskSampleSyncIrpCompletionRoutine, compEvent, true, true, true);
  dispatch.WskBind(listeningSocket, IPv6ListeningAddress, 0, irp);
  await KeWaitForSingleObject(compEvent, Executive, KernelMode, false, null);
  if (!NT_SUCCESS(irp.IoStatus.Status)) return failexit('WskBind', irp.IoStatus.Status);

  if (!staticAccept) {
    const callbackControl: WSK_EVENT_CALLBACK_CONTROL = { NpiId: NPI_WSK_INTERFACE_ID, EventMask: WSK_EVENT_ACCEPT };
    const status = dispatch.WskControlSocket(listeningSocket, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, callbackControl, 0, null, null, null);
    if (!NT_SUCCESS(status)) return failexit('SO_WSK_EVENT_CALLBACK', status);
  }

  const local: SOCKADDR_STORAGE = {};
  IoReuseIrp(irp, STATUS_UNSUCCESSFUL);
  IoSetCompletionRoutine(irp, WskSampleSyncIrpCompletionRoutine, compEvent, true, true, true);
  dispatch.WskGetLocalAddress(listeningSocket, local, irp);
  await KeWaitForSingleObject(compEvent, Executive, KernelMode, false, null);
  WskSampleListeningPort = sockaddrPort(local as PSOCKADDR);

  socketContext.Socket = listeningSocket;
  WskSampleListeningStatus = STATUS_SUCCESS;
}

function WskSampleSyncIrpCompletionRoutine(_Reserved: null, _Irp: PIRP, Context: unknown): NTSTATUS {
  KeSetEvent(Context as KEVENT, 2, false);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

function WskSampleOpStopListen(SocketOpContext: WSKSAMPLE_SOCKET_OP_CONTEXT): void {
  const socketContext = SocketOpContext.SocketContext;
  socketContext.StopListening = true;
  if (socketContext.Socket === null) WskSampleEnqueueOp(SocketOpContext, WskSampleOpFree);
  else WskSampleEnqueueOp(SocketOpContext, WskSampleOpClose);
}

function isLoopback(Address: PSOCKADDR): boolean {
  const text = sockaddrAddressString(Address);
  return text === '::1' || text.startsWith('127.') || text.startsWith('::ffff:127.');
}

function WskSampleAcceptEvent(
  SocketContext: unknown,
  _Flags: number,
  _LocalAddress: PSOCKADDR | null,
  RemoteAddress: PSOCKADDR | null,
  AcceptSocket: WSK_SOCKET | null,
  AcceptSocketContext: { 0: unknown },
  AcceptSocketDispatch: { 0: WSK_CLIENT_CONNECTION_DISPATCH | null },
): NTSTATUS {
  const listeningSocketContext = SocketContext as WSKSAMPLE_SOCKET_CONTEXT;
  if (AcceptSocket === null) {
    // The listener is no longer functional (this happens at most once): make a new one.
    WskSampleListenerRestarts++;
    WskSampleEnqueueOp(listeningSocketContext.OpContext[0], WskSampleOpStartListen);
    return STATUS_REQUEST_NOT_ACCEPTED;
  }
  // The port's loopback-only default (see the top of this file).
  if (!WskSampleAllowRemote && !isLoopback(RemoteAddress!)) return STATUS_REQUEST_NOT_ACCEPTED;

  const socketContext = WskSampleAllocateSocketContext(WskSampleWorkQueue, WSKSAMPLE_DATA_BUFFER_LENGTH);
  if (socketContext === null) return STATUS_REQUEST_NOT_ACCEPTED;
  socketContext.Socket = AcceptSocket;

  // Receives on the new connection: each completed receive is echoed with a send, and each
  // completed send posts the next receive, until the peer closes.
  for (let i = 0; i < WSKSAMPLE_OP_COUNT; i++) WskSampleEnqueueOp(socketContext.OpContext[i], WskSampleOpReceive);

  // No callbacks on the accepted socket.
  AcceptSocketContext[0] = null;
  AcceptSocketDispatch[0] = null;
  return STATUS_SUCCESS;
}

function WskSampleOpReceive(SocketOpContext: WSKSAMPLE_SOCKET_OP_CONTEXT): void {
  const socketContext = SocketOpContext.SocketContext;
  if (socketContext.Closing || socketContext.Disconnecting) return; // this op context retires
  const dispatch = socketContext.Socket!.Dispatch as WSK_PROVIDER_CONNECTION_DISPATCH;
  const wskbuf: WSK_BUF = { Mdl: SocketOpContext.DataMdl, Offset: 0, Length: SocketOpContext.BufferLength };
  IoReuseIrp(SocketOpContext.Irp!, STATUS_UNSUCCESSFUL);
  IoSetCompletionRoutine(SocketOpContext.Irp!, WskSampleReceiveIrpCompletionRoutine, SocketOpContext, true, true, true);
  // The completion routine acts on the result.
  dispatch.WskReceive(socketContext.Socket!, wskbuf, 0, SocketOpContext.Irp);
}

function WskSampleReceiveIrpCompletionRoutine(_Reserved: null, Irp: PIRP, Context: unknown): NTSTATUS {
  const socketOpContext = Context as WSKSAMPLE_SOCKET_OP_CONTEXT;
  if (!NT_SUCCESS(Irp.IoStatus.Status)) {
    WskSampleEnqueueOp(socketOpContext, WskSampleOpClose);
  } else if (Irp.IoStatus.Information === 0) {
    // 0 bytes: the peer disconnected its half gracefully; disconnect ours.
    WskSampleEnqueueOp(socketOpContext, WskSampleOpDisconnect);
  } else {
    socketOpContext.DataLength = Irp.IoStatus.Information as number;
    WskSampleEnqueueOp(socketOpContext, WskSampleOpSend);
  }
  return STATUS_MORE_PROCESSING_REQUIRED;
}

function WskSampleOpSend(SocketOpContext: WSKSAMPLE_SOCKET_OP_CONTEXT): void {
  const socketContext = SocketOpContext.SocketContext;
  if (socketContext.Closing || socketContext.Disconnecting) return;
  const dispatch = socketContext.Socket!.Dispatch as WSK_PROVIDER_CONNECTION_DISPATCH;
  const wskbuf: WSK_BUF = { Mdl: SocketOpContext.DataMdl, Offset: 0, Length: SocketOpContext.DataLength };
  IoReuseIrp(SocketOpContext.Irp!, STATUS_UNSUCCESSFUL);
  IoSetCompletionRoutine(SocketOpContext.Irp!, WskSampleSendIrpCompletionRoutine, SocketOpContext, true, true, true);
  dispatch.WskSend(socketContext.Socket!, wskbuf, 0, SocketOpContext.Irp);
}

function WskSampleSendIrpCompletionRoutine(_Reserved: null, Irp: PIRP, Context: unknown): NTSTATUS {
  const socketOpContext = Context as WSKSAMPLE_SOCKET_OP_CONTEXT;
  if (!NT_SUCCESS(Irp.IoStatus.Status)) WskSampleEnqueueOp(socketOpContext, WskSampleOpClose);
  else WskSampleEnqueueOp(socketOpContext, WskSampleOpReceive);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

function WskSampleOpDisconnect(SocketOpContext: WSKSAMPLE_SOCKET_OP_CONTEXT): void {
  const socketContext = SocketOpContext.SocketContext;
  // Both receives may report the end; disconnect once.
  if (socketContext.Closing || socketContext.Disconnecting) return;
  const dispatch = socketContext.Socket!.Dispatch as WSK_PROVIDER_CONNECTION_DISPATCH;
  socketContext.Disconnecting = true;
  IoReuseIrp(SocketOpContext.Irp!, STATUS_UNSUCCESSFUL);
  IoSetCompletionRoutine(SocketOpContext.Irp!, WskSampleDisconnectIrpCompletionRoutine, SocketOpContext, true, true, true);
  dispatch.WskDisconnect(socketContext.Socket!, null, 0, SocketOpContext.Irp);
}

function WskSampleDisconnectIrpCompletionRoutine(_Reserved: null, _Irp: PIRP, Context: unknown): NTSTATUS {
  WskSampleEnqueueOp(Context as WSKSAMPLE_SOCKET_OP_CONTEXT, WskSampleOpClose);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

function WskSampleOpClose(SocketOpContext: WSKSAMPLE_SOCKET_OP_CONTEXT): void {
  const socketContext = SocketOpContext.SocketContext;
  // Failures of several outstanding operations may each ask for the close; close once.
  if (socketContext.Closing) return;
  socketContext.Closing = true;
  const dispatch = socketContext.Socket!.Dispatch as WSK_PROVIDER_BASIC_DISPATCH;
  IoReuseIrp(SocketOpContext.Irp!, STATUS_UNSUCCESSFUL);
  IoSetCompletionRoutine(SocketOpContext.Irp!, WskSampleCloseIrpCompletionRoutine, SocketOpContext, true, true, true);
  dispatch.WskCloseSocket(socketContext.Socket!, SocketOpContext.Irp);
}

function WskSampleCloseIrpCompletionRoutine(_Reserved: null, Irp: PIRP, Context: unknown): NTSTATUS {
  // WskCloseSocket never fails.
  if (!NT_SUCCESS(Irp.IoStatus.Status)) throw new Error(`WskCloseSocket: ${ntStatusName(Irp.IoStatus.Status)}`);
  // Free the context behind whatever is still queued for this socket (those ops see Closing).
  WskSampleEnqueueOp(Context as WSKSAMPLE_SOCKET_OP_CONTEXT, WskSampleOpFree);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

function WskSampleOpFree(SocketOpContext: WSKSAMPLE_SOCKET_OP_CONTEXT): void {
  WskSampleFreeSocketContext(SocketOpContext.SocketContext);
}

// ---- npm start ----

async function echoOnce(host: string, port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const c = net.connect({ host, port }, () => c.end(payload));
    c.on('data', (d) => chunks.push(d));
    c.on('error', reject);
    c.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

export async function main(argv: string[]): Promise<number> {
  const options = { port: { type: 'string' }, any: { type: 'boolean', default: false }, 'self-test': { type: 'boolean', default: false } } as const;
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
  const selfTest = values['self-test'];
  const portArg = values.port ?? positionals[0];
  const port = portArg !== undefined ? Number(portArg) : selfTest ? 0 : 40007;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`not a port: ${portArg}`);
  const status = DriverEntry({ port, allowRemote: values.any });
  if (!NT_SUCCESS(status)) throw new Error(`DriverEntry: ${ntStatusName(status)}`);
  await KeWaitForSingleObject(WskSampleListening, Executive, KernelMode, false, null);
  if (!NT_SUCCESS(WskSampleListeningStatus)) {
    await WskSampleUnload();
    throw new Error(`listening socket: ${ntStatusName(WskSampleListeningStatus)}`);
  }
  console.log(`node-wsk echo server on [::]:${WskSampleListeningPort} (IPv4 and IPv6${WskSampleAllowRemote ? '' : ', loopback peers only'})`);

  if (selfTest) {
    let ok = true;
    try {
      for (const host of ['127.0.0.1', '::1']) {
        const payload = Buffer.from(`echo over ${host}`);
        const back = await echoOnce(host, WskSampleListeningPort, payload);
        console.log(`${host}: ${back.equals(payload) ? 'echoed' : 'MISMATCH'}`);
        ok &&= back.equals(payload);
      }
    } finally {
      // Unloaded also when an echo failed (a reset under NODE_WSK_VERIFIER): a driver whose
      // self-test failed still unloads, and the process then ends instead of serving on.
      await WskSampleUnload();
      console.log('unloaded');
    }
    return ok ? 0 : 1;
  }

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  console.log('unloading: waiting for open connections to close');
  await WskSampleUnload();
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: Error) => {
      console.error(err.message);
      process.exitCode = 1;
    },
  );
}
