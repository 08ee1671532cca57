// Connection-oriented sockets (WSK_FLAG_CONNECTION_SOCKET), reference §3.6, §4.5. Accepted
// sockets are of this category. The work lives in ConnectionRole, which a stream socket that
// commits to a connection uses as well (lib/stream-socket.ts).
//
// Hot path: WskSend and WskReceive try the OS call first and complete inline when it is enough;
// only what is left pends, in FIFO order, with POLL_WRITABLE / POLL_READABLE armed for it. A
// readiness event serves queued IRPs until EAGAIN or until they are satisfied.
import {
  bindShared,
  isBoundShared,
  SHARE_NONE,
  SharingHolder,
  sharingControl,
  unbindShared,
} from '../socket/address-sharing';
import { EventState, readEventControl } from '../socket/events';
import { forEachSettled, IRP, IoAllocateIrp, irpComplete, irpDetach, irpPend, irpStart, surfaceLater } from '../kernel/irp';
import { WSK_BUF, wskBufRange, wskBufViews, wskOwnedMdl } from '../kernel/mdl';
import { native, NETADDR_SIZE, OS, POLL_READABLE } from '../transport/native';
import { NTSTATUS, STATUS_BUFFER_TOO_SMALL, STATUS_CANCELLED, STATUS_CONNECTION_ABORTED, STATUS_CONNECTION_ACTIVE, STATUS_DATA_NOT_ACCEPTED, STATUS_INVALID_DEVICE_REQUEST, STATUS_INVALID_DEVICE_STATE, STATUS_INVALID_PARAMETER, STATUS_NOT_SUPPORTED, STATUS_PENDING, STATUS_SUCCESS, ntStatusName } from '../kernel/ntstatus';
import { WskControlSocket } from '../socket/control';
import type { ClientState } from '../wsk/client';
import { PSOCKADDR, sockaddrFamily } from '../net/sockaddr';
import { getAddressCall, notImplemented, SocketObject, socketArg, WskCloseSocket } from '../socket/socket';
import { badArgument, isWritableSlot, violation } from '../kernel/verifier';
import { IPPROTO_TCP, SO_RCVBUF, SO_SNDBUF, SOCK_STREAM, SOL_SOCKET, TCP_NODELAY } from '../net/ws2def';
import {
  PFN_WSK_CONNECT_EX,
  PFN_WSK_RECEIVE_EX,
  PFN_WSK_SEND_EX,
  PFN_WSK_SOCKET_CONNECT,
  PWSK_CLIENT,
  PWSK_DATA_INDICATION,
  PWSK_SOCKET,
  SIO_WSK_QUERY_IDEAL_SEND_BACKLOG,
  SIO_WSK_QUERY_INSPECT_ID,
  WSK_INSPECT_ID,
  SIO_WSK_QUERY_RECEIVE_BACKLOG,
  SO_WSK_EVENT_CALLBACK,
  WSK_CLIENT_CONNECTION_DISPATCH,
  WSK_DATA_INDICATION,
  WSK_EVENT_DISCONNECT,
  WSK_EVENT_RECEIVE,
  WSK_EVENT_SEND_BACKLOG,
  WSK_FLAG_ABORTIVE,
  WSK_FLAG_CONNECTION_SOCKET,
  WSK_FLAG_DRAIN,
  WSK_FLAG_NODELAY,
  WSK_FLAG_WAITALL,
  WSK_PROVIDER_CONNECTION_DISPATCH,
  WskGetOption,
  WskIoctl,
  WskSetOption,
} from '../wsk/wsk';
import { ntStatusFromErrno } from '../transport/errno';
import { sockaddrToNetaddr } from '../transport/netaddr';
import { ControlRequest, ControlResult } from '../socket/control-request';

const CONNECTION = 1 << WSK_FLAG_CONNECTION_SOCKET;

/** The events of a connection (and, for inheritance, of a listener). */
export const CONNECTION_EVENTS = WSK_EVENT_RECEIVE | WSK_EVENT_DISCONNECT | WSK_EVENT_SEND_BACKLOG;

const { EAGAIN, EWOULDBLOCK, EINPROGRESS } = native.errno;
const EMPTY: Uint8Array[] = [];

/** struct linger { l_onoff = 1, l_linger = 0 }: close() then sends a reset. */
const LINGER_ABORT = new Uint8Array(new Int32Array([1, 0]).buffer);
const INT_ONE = new Uint8Array(new Int32Array([1]).buffer);
const INT_ZERO = new Uint8Array(new Int32Array([0]).buffer);
/** NETADDR version 0: connect(AF_UNSPEC), which resets a TCP connection without closing the handle. */
const UNSPEC = new Uint8Array(NETADDR_SIZE);
const scratchAddr = new Uint8Array(NETADDR_SIZE);
const intOut = new Uint8Array(4);
/** Where WSK_FLAG_DRAIN receives put what they discard. */
const discard = new Uint8Array(64 * 1024);

// ---- connection states ----
export const FRESH = 0; // created, not bound
export const BOUND = 1;
export const CONNECTING = 2;
export const CONNECTED = 3;
/** A connect was cancelled: the OS attempt cannot be taken back; only close is useful. */
export const DEAD = 4;

function again(n: number): boolean {
  return n === -EAGAIN || n === -EWOULDBLOCK;
}

/**
 * A pending receive, send or disconnect: the caller's views and how far the OS got. `total`
 * bounds every transfer: a single view may be a whole MDL buffer with the WSK_BUF's range
 * given by a starting `vo` and `total` (no subarray made per pending call).
 */
class Transfer {
  done = 0;
  vi = 0;
  vo = 0;
  status: NTSTATUS = STATUS_SUCCESS;
  constructor(
    readonly Irp: IRP,
    readonly views: Uint8Array[],
    readonly total: number,
    readonly flags: number,
    /** A graceful WskDisconnect: shut the send side once this (and every earlier send) is out. */
    readonly disconnect: boolean,
  ) {}

  advance(n: number): void {
    this.done += n;
    const views = this.views;
    while (n > 0) {
      const left = views[this.vi].byteLength - this.vo;
      if (n < left) {
        this.vo += n;
        return;
      }
      n -= left;
      this.vi++;
      this.vo = 0;
    }
    while (this.vi < views.length && views[this.vi].byteLength === 0) this.vi++;
  }

  /** The views still to fill or send, for one recvmsg/sendmsg. */
  rest(): Uint8Array[] {
    const views = this.views;
    if (this.vo === 0) return this.vi === 0 ? views : views.slice(this.vi);
    const out = views.slice(this.vi);
    out[0] = out[0].subarray(this.vo);
    return out;
  }
}

// ---- receive indications (WskReceiveEvent) ----

const CHUNK = 16 * 1024;
const CHUNKS = 4;
const SET_BYTES = CHUNK * CHUNKS;

/**
 * WSK-owned buffers for one WskReceiveEvent: a chain of WSK_DATA_INDICATIONs over CHUNKS MDLs.
 * A set is taken from a pool for each read, returned when the client has taken the data, kept
 * by the socket while data is left over (partial accept, STATUS_DATA_NOT_ACCEPTED) or while the
 * client retains it (STATUS_PENDING, until WskRelease).
 */
class IndicationSet {
  readonly chunks: Uint8Array[] = [];
  readonly elems: WSK_DATA_INDICATION[] = [];
  /** Bytes the last read put in the set. */
  filled = 0;
  /** Bytes of it already taken by the client. */
  start = 0;

  constructor() {
    for (let i = 0; i < CHUNKS; i++) {
      const chunk = new Uint8Array(CHUNK);
      this.chunks.push(chunk);
      this.elems.push({ Next: null, Buffer: { Mdl: wskOwnedMdl(chunk), Offset: 0, Length: 0 } });
    }
  }

  /** Links the elements that hold bytes [start, filled); returns the head. */
  chain(): WSK_DATA_INDICATION {
    const first = Math.floor(this.start / CHUNK);
    const last = Math.floor((this.filled - 1) / CHUNK);
    for (let i = first; i <= last; i++) {
      const e = this.elems[i];
      const from = i === first ? this.start - i * CHUNK : 0;
      const to = i === last ? this.filled - i * CHUNK : CHUNK;
      e.Buffer.Offset = from;
      e.Buffer.Length = to - from;
      e.Next = i < last ? this.elems[i + 1] : null;
    }
    return this.elems[first];
  }

  /** Copies up to the room in `t` from the unconsumed bytes; returns how many. */
  copyInto(t: Transfer): number {
    let copied = 0;
    while (this.start < this.filled && t.done < t.total) {
      const ci = Math.floor(this.start / CHUNK);
      const co = this.start - ci * CHUNK;
      const avail = Math.min(this.filled, (ci + 1) * CHUNK) - this.start;
      const dest = t.views[t.vi];
      const n = Math.min(avail, dest.byteLength - t.vo, t.total - t.done);
      dest.set(this.chunks[ci].subarray(co, co + n), t.vo);
      this.start += n;
      copied += n;
      t.advance(n);
    }
    return copied;
  }
}

/**
 * WskReceiveEvent's *BytesAccepted: one for all sockets, as it is only valid during the call
 * (indications never nest: they run from the event loop, never inside a client call).
 */
const bytesAccepted = { 0: 0 };
/** Every connection's queues before their first pending call (never pushed to). */
const NO_TRANSFERS: Transfer[] = [];

// Connections whose deliver() is due, run by one setImmediate for all of them: a callback
// (closure and context, ~100 B) per idle connection and an Immediate per schedule would
// otherwise be the price. Order is that of schedule(), as with one setImmediate each; a
// connection scheduled while the queue runs waits for the next turn, as setImmediate does.
let due: ConnectionRole[] = [];
function runDue(): void {
  const batch = due;
  due = [];
  for (let i = 0; i < batch.length; i++) {
    try {
      batch[i].runScheduled();
    } catch (e) {
      // A client callback threw: it surfaces as an uncaught exception, as it would from its
      // own Immediate, and the connections after it still run.
      process.nextTick(rethrow, e);
    }
  }
}
function rethrow(e: unknown): never {
  throw e;
}

const setPool: IndicationSet[] = [];
function takeSet(): IndicationSet {
  return setPool.pop() ?? new IndicationSet();
}
function putSet(set: IndicationSet): void {
  set.filled = 0;
  set.start = 0;
  if (setPool.length < 64) setPool.push(set);
}

// ---- the connection role ----

// ConnectionRole.flags
const RECV_EOF = 1 << 0;
const SHUT_WR = 1 << 1;
const DISCONNECTING = 1 << 2;
const ABORTED = 1 << 3;
const NODELAY = 1 << 4;
const BLOCKED = 1 << 5;
const DELIVERING = 1 << 6;
const SCHEDULED = 1 << 7;
const DISCONNECT_INDICATED = 1 << 8;
const BACKLOG_DUE = 1 << 9;
const PARKED = 1 << 10;
const MAY_HAVE_DATA = 1 << 11;

/**
 * Everything a connection does, hosted by a socket (a connection socket, or a stream socket
 * committed to the connection role). `dispatch()` is the client's connection callback table.
 */
export class ConnectionRole {
  state = FRESH;
  readonly events: EventState;
  /** The connection broke (reset...): the status later calls get. */
  failure: NTSTATUS = STATUS_SUCCESS;
  /** SO_RCVBUF / SO_SNDBUF as the client set them (Linux reads back double). */
  rcvbuf = -1;
  sndbuf = -1;

  private connectIrp: IRP | null = null;
  // Both start as the shared empty queue and get their own array on the first pend: most
  // idle connections never queue anything (memory per connection, bench C idle).
  private recvQueue: Transfer[] = NO_TRANSFERS;
  private sendQueue: Transfer[] = NO_TRANSFERS;

  // receive events
  /** Data read from the OS but not yet taken by the client. */
  private leftover: IndicationSet | null = null;
  /** Indications the client retained (STATUS_PENDING) until WskRelease; made on the first. */
  private retained: Map<WSK_DATA_INDICATION, IndicationSet> | null = null;

  // The yes/no state, one bit each in `flags` behind accessors: twelve boolean fields would
  // be 96 B on every connection (bench C idle), one small integer is 8.
  private flags = MAY_HAVE_DATA;
  private flag(bit: number, on: boolean): void {
    this.flags = on ? this.flags | bit : this.flags & ~bit;
  }
  /** The peer's FIN was read (a receive returned 0). */
  get recvEof(): boolean { return (this.flags & RECV_EOF) !== 0; }
  set recvEof(on: boolean) { this.flag(RECV_EOF, on); }
  /** The send side was shut down (graceful WskDisconnect done). */
  get shutWr(): boolean { return (this.flags & SHUT_WR) !== 0; }
  set shutWr(on: boolean) { this.flag(SHUT_WR, on); }
  /** A graceful disconnect is queued or done: no more sends. */
  get disconnecting(): boolean { return (this.flags & DISCONNECTING) !== 0; }
  set disconnecting(on: boolean) { this.flag(DISCONNECTING, on); }
  /** WskDisconnect(WSK_FLAG_ABORTIVE) ran: nothing more works. */
  get aborted(): boolean { return (this.flags & ABORTED) !== 0; }
  set aborted(on: boolean) { this.flag(ABORTED, on); }
  /** TCP_NODELAY as the client set it (WSK_FLAG_NODELAY pushes only when it is off). */
  get nodelay(): boolean { return (this.flags & NODELAY) !== 0; }
  set nodelay(on: boolean) { this.flag(NODELAY, on); }
  /** Partial accept or STATUS_DATA_NOT_ACCEPTED: no indications until a WskReceive completes. */
  private get blocked(): boolean { return (this.flags & BLOCKED) !== 0; }
  private set blocked(on: boolean) { this.flag(BLOCKED, on); }
  private get delivering(): boolean { return (this.flags & DELIVERING) !== 0; }
  private set delivering(on: boolean) { this.flag(DELIVERING, on); }
  private get scheduled(): boolean { return (this.flags & SCHEDULED) !== 0; }
  private set scheduled(on: boolean) { this.flag(SCHEDULED, on); }
  private get disconnectIndicated(): boolean { return (this.flags & DISCONNECT_INDICATED) !== 0; }
  private set disconnectIndicated(on: boolean) { this.flag(DISCONNECT_INDICATED, on); }
  private get backlogDue(): boolean { return (this.flags & BACKLOG_DUE) !== 0; }
  private set backlogDue(on: boolean) { this.flag(BACKLOG_DUE, on); }
  /** DISCONNECT enabled, nobody reading, data waiting: stop polling until someone reads. */
  private get parked(): boolean { return (this.flags & PARKED) !== 0; }
  private set parked(on: boolean) { this.flag(PARKED, on); }
  /**
   * False once a read came back short or empty, until readiness says otherwise: a WskReceive
   * then skips its try-first recv, which would only cost a syscall returning EAGAIN (libuv
   * reasons the same way after a short read).
   */
  private get mayHaveData(): boolean { return (this.flags & MAY_HAVE_DATA) !== 0; }
  private set mayHaveData(on: boolean) { this.flag(MAY_HAVE_DATA, on); }

  // Callbacks handed to irpPend, made on first use: closures cost memory on every idle
  // connection.
  private cancelConnectFn: ((irp: IRP) => void) | null = null;
  private cancelRecvFn: ((irp: IRP) => void) | null = null;
  private cancelSendFn: ((irp: IRP) => void) | null = null;

  /** From the shared run queue (see schedule()). */
  runScheduled(): void {
    this.scheduled = false;
    if (!this.s.closed) this.deliver();
  }
  private cancelConnect(irp: IRP): void {
    this.connectIrp = null;
    this.state = DEAD;
    if (this.s.closed) {
      this.s.pending.delete(irp);
      irpComplete(irp, STATUS_CANCELLED, 0);
      return;
    }
    this.completeConnect(irp, STATUS_CANCELLED);
    this.updateInterest();
  }

  constructor(
    readonly s: SocketObject,
    /** The client's connection callback table, from the host socket. */
    private readonly dispatchOf: (s: SocketObject) => WSK_CLIENT_CONNECTION_DISPATCH | null,
    staticMask: number,
  ) {
    this.events = new EventState(staticMask & CONNECTION_EVENTS);
  }

  dispatch(): WSK_CLIENT_CONNECTION_DISPATCH | null {
    return this.dispatchOf(this.s);
  }

  // ---- bind / connect ----

  bind(LocalAddress: PSOCKADDR, Flags: number, shareOption: number): NTSTATUS {
    if (this.state !== FRESH) return STATUS_INVALID_DEVICE_STATE;
    const status = bindShared(this.s, LocalAddress, Flags, shareOption);
    if (status === STATUS_SUCCESS) this.state = BOUND;
    return status;
  }

  connect(Irp: IRP, RemoteAddress: PSOCKADDR, Flags: number): NTSTATUS {
    const s = this.s;
    if (Flags !== 0) return s.complete(Irp, STATUS_INVALID_PARAMETER, 0);
    if (this.state === CONNECTED) return s.complete(Irp, STATUS_CONNECTION_ACTIVE, 0);
    if (this.state !== BOUND) return s.complete(Irp, STATUS_INVALID_DEVICE_STATE, 0);
    const net = sockaddrToNetaddr(RemoteAddress, s.family, scratchAddr);
    if (!net) return s.complete(Irp, STATUS_INVALID_PARAMETER, 0);
    const rc = s.sock.connect(net);
    if (rc === 0) {
      this.connected();
      return this.completeConnect(Irp, STATUS_SUCCESS);
    }
    if (rc !== -EINPROGRESS) return this.completeConnect(Irp, ntStatusFromErrno(rc));
    this.state = CONNECTING;
    this.connectIrp = Irp;
    s.pending.add(Irp);
    const status = irpPend(Irp, (this.cancelConnectFn ??= (irp) => this.cancelConnect(irp)));
    this.updateInterest();
    return status;
  }

  private finishConnect(): void {
    const rc = this.s.sock.takeError();
    const Irp = this.connectIrp!;
    this.connectIrp = null;
    if (rc === 0) {
      this.connected();
      this.completeConnect(Irp, STATUS_SUCCESS);
    } else {
      // Linux lets a TCP socket whose connect failed connect again.
      this.state = BOUND;
      this.onConnectFailed?.();
      this.completeConnect(Irp, ntStatusFromErrno(rc));
    }
  }

  /** WskSocketConnect's IRP carries the new socket, and a failure closes the socket. */
  socketConnect = false;

  private completeConnect(Irp: IRP, status: NTSTATUS): NTSTATUS {
    if (!this.socketConnect) return this.s.complete(Irp, status, 0);
    this.socketConnect = false;
    if (status === STATUS_SUCCESS) return this.s.complete(Irp, STATUS_SUCCESS, this.s);
    irpDetach(Irp);
    (this.s as ConnectionSocket).closeQuietly();
    return irpComplete(Irp, status, 0);
  }

  /** Hook for the stream socket, which goes back to uncommitted. */
  onConnectFailed: (() => void) | null = null;

  /** The connection is up (connect done, or accepted). */
  connected(): void {
    this.state = CONNECTED;
    if (this.events.has(WSK_EVENT_SEND_BACKLOG)) this.backlogDue = true;
    this.updateInterest();
    if (this.backlogDue) this.schedule();
  }

  hasAddress(remote: boolean): boolean {
    if (this.aborted) return false;
    return remote ? this.state === CONNECTED : this.state !== FRESH;
  }

  // ---- send ----

  send(Irp: IRP, Buffer: WSK_BUF, Flags: number): NTSTATUS {
    const s = this.s;
    if (typeof Flags !== 'number' || (Flags & ~WSK_FLAG_NODELAY) !== 0) return s.complete(Irp, STATUS_NOT_SUPPORTED, 0);
    const refused = this.sendRefused();
    if (refused !== STATUS_SUCCESS) return s.complete(Irp, refused, 0);
    if (Buffer === null || typeof Buffer !== 'object') badArgument('WskSend', 'Buffer must be a WSK_BUF');
    const length = Buffer.Length;
    if (this.sendQueue.length === 0) {
      // Try first: most sends go out whole at once.
      const view = wskBufRange(Buffer);
      const off = Buffer.Offset;
      if (view !== null) {
        const n = native.sendById(s.sock.id, view, off, length, 0);
        if (n === length) {
          if (Flags & WSK_FLAG_NODELAY) this.push();
          return s.complete(Irp, STATUS_SUCCESS, length);
        }
        if (n < 0 && !again(n)) return this.sendFailed(Irp, n, 0);
        const t = new Transfer(Irp, [view], length, Flags, false);
        t.vo = off;
        if (n > 0) t.advance(n);
        return this.queueSend(t);
      }
      const views = wskBufViews(Buffer, 'WskSend');
      if (length === 0) return s.complete(Irp, STATUS_SUCCESS, 0);
      const t = new Transfer(Irp, views, length, Flags, false);
      const n = s.sock.sendv(views, 0);
      if (n === length) {
        if (Flags & WSK_FLAG_NODELAY) this.push();
        return s.complete(Irp, STATUS_SUCCESS, length);
      }
      if (n < 0 && !again(n)) return this.sendFailed(Irp, n, 0);
      if (n > 0) t.advance(n);
      return this.queueSend(t);
    }
    const views = wskBufViews(Buffer, 'WskSend');
    return this.queueSend(new Transfer(Irp, views, length, Flags, false));
  }

  private sendRefused(): NTSTATUS {
    if (this.aborted) return STATUS_CONNECTION_ABORTED;
    if (this.state !== CONNECTED) return STATUS_INVALID_DEVICE_STATE;
    if (this.failure !== STATUS_SUCCESS) return this.failure;
    // Winsock's WSAESHUTDOWN after a graceful disconnect (ESHUTDOWN in the errno table).
    if (this.disconnecting) return ntStatusFromErrno('ESHUTDOWN');
    return STATUS_SUCCESS;
  }

  private sendFailed(Irp: IRP, rc: number, sent: number): NTSTATUS {
    const status = ntStatusFromErrno(rc);
    this.fail(status);
    return this.s.complete(Irp, status, sent);
  }

  private queueSend(t: Transfer): NTSTATUS {
    const refused = this.s.closedDuringCall(t.Irp, t.done);
    if (refused !== null) return refused;
    if (this.sendQueue === NO_TRANSFERS) this.sendQueue = [];
    this.sendQueue.push(t);
    this.s.pending.add(t.Irp);
    const status = irpPend(t.Irp, (this.cancelSendFn ??= (irp) => this.cancelIn(this.sendQueue, irp)));
    this.updateInterest();
    return status;
  }

  /** WSK_FLAG_NODELAY: setting TCP_NODELAY flushes what Nagle holds back (Linux); then restore. */
  private push(): void {
    if (this.nodelay) return;
    const sock = this.s.sock;
    sock.setsockopt(OS.IPPROTO_TCP, OS.TCP_NODELAY, INT_ONE);
    sock.setsockopt(OS.IPPROTO_TCP, OS.TCP_NODELAY, INT_ZERO);
  }

  private serveSends(): void {
    const q = this.sendQueue;
    const s = this.s;
    while (q.length > 0 && !s.closed) {
      const t = q[0];
      if (t.done < t.total) {
        const rest = t.total - t.done;
        let n: number;
        if (t.views.length - t.vi === 1) {
          n = native.sendById(s.sock.id, t.views[t.vi], t.vo, Math.min(t.views[t.vi].byteLength - t.vo, rest), 0);
        } else {
          n = s.sock.sendv(t.rest(), 0);
        }
        if (n > 0) {
          t.advance(Math.min(n, rest));
          continue;
        }
        if (n === 0 || again(n)) break;
        this.fail(ntStatusFromErrno(n));
        return;
      }
      q.shift();
      if (t.disconnect) this.shutdownSend();
      else if (t.flags & WSK_FLAG_NODELAY) this.push();
      s.complete(t.Irp, STATUS_SUCCESS, t.disconnect ? 0 : t.done);
    }
  }

  // ---- receive ----

  receive(Irp: IRP, Buffer: WSK_BUF, Flags: number): NTSTATUS {
    const s = this.s;
    if (typeof Flags !== 'number' || (Flags & ~(WSK_FLAG_WAITALL | WSK_FLAG_DRAIN)) !== 0) return s.complete(Irp, STATUS_NOT_SUPPORTED, 0);
    if (Buffer === null || typeof Buffer !== 'object') return s.complete(Irp, STATUS_INVALID_PARAMETER, 0);
    const drain = (Flags & WSK_FLAG_DRAIN) !== 0;
    if (drain && ((Flags & WSK_FLAG_WAITALL) !== 0 || Buffer.Length !== 0)) return s.complete(Irp, STATUS_INVALID_PARAMETER, 0);
    if (this.aborted) return s.complete(Irp, STATUS_CONNECTION_ABORTED, 0);
    if (this.state !== CONNECTED) return s.complete(Irp, STATUS_INVALID_DEVICE_STATE, 0);
    const length = Buffer.Length;
    this.parked = false;
    if (this.recvQueue.length === 0 && !drain && this.leftover === null && !this.recvEof && this.failure === STATUS_SUCCESS) {
      // Try first, straight into the caller's memory.
      const view = wskBufRange(Buffer);
      const off = Buffer.Offset;
      if (view !== null) {
        if (!this.mayHaveData) {
          // The last read came back short and no readiness since: nothing to try, wait.
          const t = new Transfer(Irp, [view], length, Flags, false);
          t.vo = off;
          return this.queueRecv(t);
        }
        const n = native.recvById(s.sock.id, view, off, length, 0);
        if (n < length) this.mayHaveData = false;
        if (n > 0 && (n === length || (Flags & WSK_FLAG_WAITALL) === 0)) return this.completeRecv(Irp, STATUS_SUCCESS, n);
        if (n > 0 || again(n)) {
          const t = new Transfer(Irp, [view], length, Flags, false);
          t.vo = off;
          if (n > 0) t.advance(n);
          return this.queueRecv(t);
        }
        if (n === 0) {
          this.onEof();
          return this.completeRecv(Irp, STATUS_SUCCESS, 0);
        }
        const status = ntStatusFromErrno(n);
        this.fail(status);
        return this.completeRecv(Irp, status, 0);
      }
    }
    const views = length === 0 ? EMPTY : wskBufViews(Buffer, 'WskReceive');
    const t = new Transfer(Irp, views, length, Flags, false);
    if (this.recvQueue.length === 0 && this.fill(t)) return this.completeRecv(Irp, t.status, t.done);
    return this.queueRecv(t);
  }

  private queueRecv(t: Transfer): NTSTATUS {
    const refused = this.s.closedDuringCall(t.Irp, t.done);
    if (refused !== null) return refused;
    if (this.recvQueue === NO_TRANSFERS) this.recvQueue = [];
    this.recvQueue.push(t);
    this.s.pending.add(t.Irp);
    const status = irpPend(t.Irp, (this.cancelRecvFn ??= (irp) => this.cancelIn(this.recvQueue, irp)));
    this.updateInterest();
    return status;
  }

  /** Completes a receive; a completed receive re-arms indications (reference §4.5). */
  private completeRecv(Irp: IRP, status: NTSTATUS, bytes: number): NTSTATUS {
    if (this.blocked) {
      this.blocked = false;
      this.schedule();
    }
    return this.s.complete(Irp, status, bytes);
  }

  /**
   * Moves data into a receive; true when it is finished (t.status, t.done say how), false when
   * it must wait for readiness.
   */
  private fill(t: Transfer): boolean {
    const sock = this.s.sock;
    const drain = (t.flags & WSK_FLAG_DRAIN) !== 0;
    for (;;) {
      if (this.leftover !== null) {
        if (drain) this.leftover.start = this.leftover.filled;
        else if (t.total === 0) return true; // a zero-length receive: data is there
        else this.leftover.copyInto(t);
        if (this.leftover.start === this.leftover.filled) {
          putSet(this.leftover);
          this.leftover = null;
        }
      }
      if (!drain && t.total > 0 && (t.done === t.total || (t.done > 0 && (t.flags & WSK_FLAG_WAITALL) === 0))) return true;
      // Data first, then the end: a receive holding bytes completes with them.
      if (this.failure !== STATUS_SUCCESS) {
        if (t.done === 0) t.status = this.failure;
        return true;
      }
      if (this.recvEof) return true;
      if (!this.mayHaveData) return false;
      let n: number;
      if (drain) n = sock.recv(discard, 0, discard.byteLength, 0);
      else if (t.total === 0) {
        n = sock.recv(discard, 0, 1, OS.MSG_PEEK);
        if (n > 0) return true;
      } else if (t.views.length - t.vi === 1) n = native.recvById(this.s.sock.id, t.views[t.vi], t.vo, Math.min(t.views[t.vi].byteLength - t.vo, t.total - t.done), 0);
      else n = sock.recvv(t.rest(), 0);
      if (n > 0) {
        if (!drain) {
          if (n < t.total - t.done) this.mayHaveData = false;
          t.advance(n);
        }
        continue;
      }
      if (n === 0) {
        this.onEof();
        continue;
      }
      if (again(n)) {
        this.mayHaveData = false;
        return false;
      }
      this.fail(ntStatusFromErrno(n));
    }
  }

  private serveReceives(): void {
    const q = this.recvQueue;
    while (q.length > 0 && !this.s.closed) {
      const t = q[0];
      if (!this.fill(t)) break;
      q.shift();
      this.completeRecv(t.Irp, t.status, t.done);
    }
  }

  /** The peer's FIN was read. */
  private onEof(): void {
    if (this.recvEof) return;
    this.recvEof = true;
    this.schedule();
  }

  /**
   * The connection broke (a reset, or a send error): pending sends and disconnects fail with
   * that status; receives fail once the data read before it is delivered.
   */
  fail(status: NTSTATUS): void {
    if (this.failure !== STATUS_SUCCESS) return;
    this.failure = status;
    const sends = this.sendQueue.splice(0);
    this.schedule();
    // Every send fails even if a routine throws; whatever noticed the break (a receive of the
    // caller's, a readiness event) goes on, and the exception comes out on the event loop.
    surfaceLater(() => forEachSettled(sends, (t) => this.s.complete(t.Irp, status, t.done)));
  }

  private cancelIn(q: Transfer[], irp: IRP): void {
    const i = q.findIndex((t) => t.Irp === irp);
    let done = 0;
    if (i >= 0) {
      done = q[i].disconnect ? 0 : q[i].done;
      // A graceful disconnect cancelled before the FIN went out: the send side stays open.
      if (q[i].disconnect && !this.shutWr) this.disconnecting = false;
      q.splice(i, 1);
    }
    this.s.pending.delete(irp);
    // A cancelled send that had partly gone out, or a WAITALL receive that had partly filled,
    // reports the bytes that did (they stay sent / stay in the caller's buffer).
    irpComplete(irp, STATUS_CANCELLED, done);
    if (!this.s.closed) this.updateInterest();
  }

  // ---- disconnect ----

  disconnect(Irp: IRP, Buffer: WSK_BUF | null, Flags: number): NTSTATUS {
    const s = this.s;
    if (typeof Flags !== 'number' || (Flags & ~WSK_FLAG_ABORTIVE) !== 0) return s.complete(Irp, STATUS_INVALID_PARAMETER, 0);
    if (Flags & WSK_FLAG_ABORTIVE) {
      if (Buffer !== null && Buffer !== undefined) return s.complete(Irp, STATUS_INVALID_PARAMETER, 0);
      if (this.aborted) return s.complete(Irp, STATUS_CONNECTION_ABORTED, 0);
      if (this.state !== CONNECTED) return s.complete(Irp, STATUS_INVALID_DEVICE_STATE, 0);
      let status: NTSTATUS;
      try {
        this.abort();
      } finally {
        // Done even if a routine abort ran threw: the exception then comes out after.
        status = s.complete(Irp, STATUS_SUCCESS, 0);
      }
      return status;
    }
    const refused = this.sendRefused();
    if (refused !== STATUS_SUCCESS) return s.complete(Irp, refused, 0);
    const views = Buffer && Buffer.Length > 0 ? wskBufViews(Buffer, 'WskDisconnect') : EMPTY;
    const total = Buffer && Buffer.Length > 0 ? Buffer.Length : 0;
    const t = new Transfer(Irp, views, total, 0, true);
    this.disconnecting = true;
    if (this.sendQueue.length === 0) {
      if (total > 0) {
        const n = s.sock.sendv(views, 0);
        if (n < 0 && !again(n)) return this.sendFailed(Irp, n, 0);
        if (n > 0) t.advance(n);
      }
      if (t.done === total) {
        this.shutdownSend();
        return s.complete(Irp, STATUS_SUCCESS, 0);
      }
    }
    return this.queueSend(t);
  }

  private shutdownSend(): void {
    this.s.sock.shutdown(OS.SHUT_WR);
    this.shutWr = true;
  }

  /** Abortive disconnect: the peer sees a reset; every pending call ends STATUS_CONNECTION_ABORTED. */
  private abort(): void {
    const s = this.s;
    this.aborted = true;
    this.s.sock.setsockopt(OS.SOL_SOCKET, OS.SO_LINGER, LINGER_ABORT);
    // connect(AF_UNSPEC) makes Linux send the reset at once while the handle stays ours.
    s.sock.connect(UNSPEC);
    const ended: Array<[Transfer, NTSTATUS, number]> = [];
    for (const t of this.sendQueue.splice(0)) ended.push([t, STATUS_CONNECTION_ABORTED, t.disconnect ? 0 : t.done]);
    for (const t of this.recvQueue.splice(0)) ended.push([t, t.done > 0 ? STATUS_SUCCESS : STATUS_CONNECTION_ABORTED, t.done]);
    if (this.leftover) {
      putSet(this.leftover);
      this.leftover = null;
    }
    this.updateInterest();
    // The routines run last, each even if one before it throws (rethrown after).
    forEachSettled(ended, ([t, status, bytes]) => s.complete(t.Irp, status, bytes));
  }

  /** Both directions were shut down gracefully: close may then be graceful too. */
  get disconnectedBothWays(): boolean {
    return this.shutWr && this.recvEof;
  }

  // ---- receive events ----

  /** Retained indication lists not yet given back with WskRelease. */
  get retainedCount(): number {
    return this.retained === null ? 0 : this.retained.size;
  }

  release(DataIndication: PWSK_DATA_INDICATION): NTSTATUS {
    const set = this.retained?.get(DataIndication);
    if (!set) return STATUS_INVALID_PARAMETER;
    this.retained!.delete(DataIndication);
    putSet(set);
    if (this.retained!.size === 0) {
      this.updateInterest();
      this.schedule();
    }
    return STATUS_SUCCESS;
  }

  private wantsIndications(): boolean {
    const d = this.dispatch();
    return (
      this.events.has(WSK_EVENT_RECEIVE) &&
      d !== null &&
      typeof d.WskReceiveEvent === 'function' &&
      !this.blocked &&
      (this.retained === null || this.retained.size === 0) &&
      this.recvQueue.length === 0 &&
      this.state === CONNECTED &&
      !this.aborted
    );
  }

  /** Runs deliver() soon from the event loop (never inside the client's own call). */
  schedule(): void {
    if (this.scheduled || this.s.closed) return;
    this.scheduled = true;
    due.push(this);
    if (due.length === 1) setImmediate(runDue);
  }

  /** Indications while the client takes them, then the disconnect and send-backlog events. */
  private deliver(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      this.indicate();
      this.indicateDisconnect();
      if (this.backlogDue && !this.s.closed) {
        this.backlogDue = false;
        const d = this.dispatch();
        if (this.events.has(WSK_EVENT_SEND_BACKLOG) && d && typeof d.WskSendBacklogEvent === 'function' && this.state === CONNECTED) {
          this.events.enter(WSK_EVENT_SEND_BACKLOG);
          try {
            d.WskSendBacklogEvent(this.s.context, this.idealSendBacklog());
          } finally {
            this.events.leave(this.s, WSK_EVENT_SEND_BACKLOG);
          }
        }
      }
    } finally {
      this.delivering = false;
    }
    if (!this.s.closed) this.updateInterest();
  }

  private indicate(): void {
    const s = this.s;
    for (let rounds = 0; rounds < 16 && !s.closed && this.wantsIndications(); rounds++) {
      let set = this.leftover;
      if (set === null) {
        if (this.recvEof || this.failure !== STATUS_SUCCESS || !this.mayHaveData) return;
        set = takeSet();
        const n = s.sock.recvv(set.chunks, 0);
        if (n <= 0) {
          putSet(set);
          if (n === 0) this.onEof();
          else if (again(n)) this.mayHaveData = false;
          else this.fail(ntStatusFromErrno(n));
          return;
        }
        // A short read emptied the socket: the next round waits for readiness, not EAGAIN.
        if (n < SET_BYTES) this.mayHaveData = false;
        set.filled = n;
      }
      this.leftover = null;
      const head = set.chain();
      const indicated = set.filled - set.start;
      bytesAccepted[0] = indicated;
      const d = this.dispatch()!;
      this.events.enter(WSK_EVENT_RECEIVE);
      let status: NTSTATUS;
      try {
        status = d.WskReceiveEvent!(s.context, 0, head, indicated, bytesAccepted);
      } finally {
        this.events.leave(s, WSK_EVENT_RECEIVE);
      }
      if (status === STATUS_SUCCESS) {
        const accepted = bytesAccepted[0];
        if (!Number.isInteger(accepted) || accepted < 0 || accepted > indicated) {
          putSet(set);
          badArgument('WskReceiveEvent', `*BytesAccepted ${String(accepted)} is not within 0..BytesIndicated (${indicated})`);
        }
        if (accepted === indicated) {
          putSet(set);
        } else {
          // Partial accept: the rest stays ours; indications wait for a WskReceive.
          set.start += accepted;
          this.leftover = set;
          this.blocked = true;
        }
      } else if (status === STATUS_PENDING) {
        (this.retained ??= new Map()).set(head, set);
      } else if (status === STATUS_DATA_NOT_ACCEPTED) {
        this.leftover = set;
        this.blocked = true;
      } else {
        this.leftover = set;
        this.blocked = true;
        violation(
          'INVALID_ARGUMENT',
          'WskReceiveEvent',
          `returned ${ntStatusName(status)}; allowed are STATUS_SUCCESS, STATUS_PENDING and STATUS_DATA_NOT_ACCEPTED`,
        );
      }
    }
  }

  /** WskDisconnectEvent once the data before the FIN is delivered, or at once on a reset. */
  private indicateDisconnect(): void {
    if (this.disconnectIndicated || this.s.closed || this.aborted) return;
    const reset = this.failure !== STATUS_SUCCESS;
    if (!reset && !(this.recvEof && this.leftover === null)) return;
    const d = this.dispatch();
    if (!this.events.has(WSK_EVENT_DISCONNECT) || !d || typeof d.WskDisconnectEvent !== 'function') return;
    this.disconnectIndicated = true;
    this.events.enter(WSK_EVENT_DISCONNECT);
    try {
      d.WskDisconnectEvent(this.s.context, reset ? WSK_FLAG_ABORTIVE : 0);
    } finally {
      this.events.leave(this.s, WSK_EVENT_DISCONNECT);
    }
  }

  /**
   * Without a receive or a receive event, a socket with WskDisconnectEvent enabled still polls
   * to learn of the FIN or a reset. Data arriving first parks it until someone reads.
   */
  private probe(): void {
    const sock = this.s.sock;
    const n = sock.recv(discard, 0, 1, OS.MSG_PEEK);
    if (n > 0) this.parked = true;
    else if (n === 0) this.onEof();
    else if (!again(n)) this.fail(ntStatusFromErrno(n));
  }

  /** SO_SNDBUF changed: the ideal backlog did too; tell WskSendBacklogEvent. */
  sendBufferChanged(): void {
    if (this.state !== CONNECTED || !this.events.has(WSK_EVENT_SEND_BACKLOG)) return;
    this.backlogDue = true;
    this.schedule();
  }

  /** SO_SNDBUF as the kernel holds it: the bytes that keep the pipe full (see README). */
  idealSendBacklog(): number {
    const rc = this.s.sock.getsockopt(OS.SOL_SOCKET, OS.SO_SNDBUF, intOut);
    return rc < 0 ? 0 : new Int32Array(intOut.buffer)[0];
  }

  // ---- readiness ----

  updateInterest(): void {
    const s = this.s;
    if (s.closed) return;
    const live = this.state === CONNECTED && !this.aborted;
    const open = live && !this.recvEof && this.failure === STATUS_SUCCESS;
    const read =
      open &&
      (this.recvQueue.length > 0 ||
        (this.wantsIndications() && this.leftover === null) ||
        (this.events.has(WSK_EVENT_DISCONNECT) && !this.parked && this.recvQueue.length === 0 && !this.wantsIndications()));
    const write = this.state === CONNECTING || (live && this.sendQueue.length > 0);
    s.setInterest(read, write);
  }

  onPoll(events: number): void {
    if (events & POLL_READABLE) this.mayHaveData = true;
    if (this.state === CONNECTING) {
      this.finishConnect();
      return;
    }
    if (this.sendQueue.length > 0) this.serveSends();
    if (this.recvQueue.length > 0) this.serveReceives();
    if (this.recvQueue.length === 0 && !this.s.closed && this.state === CONNECTED) {
      if (this.wantsIndications()) this.deliver();
      else if (this.events.has(WSK_EVENT_DISCONNECT) && !this.recvEof && this.failure === STATUS_SUCCESS) this.probe();
      if (this.recvEof || this.failure !== STATUS_SUCCESS) this.deliver();
    }
    this.updateInterest();
  }

  // ---- options ----

  /** SO_WSK_EVENT_CALLBACK (after connect), the ideal send backlog, and options we track. */
  control(req: ControlRequest): ControlResult | undefined {
    if (req.Level === SOL_SOCKET && req.ControlCode === SO_WSK_EVENT_CALLBACK && req.RequestType !== WskIoctl) {
      const ctl = readEventControl(req, CONNECTION_EVENTS);
      if (typeof ctl === 'number') return { status: ctl };
      if (this.state !== CONNECTED) return { status: STATUS_INVALID_DEVICE_STATE };
      const d = this.dispatch();
      const result = this.events.apply(this.s, req, ctl, (bit) => {
        if (!d) return false;
        if (bit === WSK_EVENT_RECEIVE) return typeof d.WskReceiveEvent === 'function';
        if (bit === WSK_EVENT_DISCONNECT) return typeof d.WskDisconnectEvent === 'function';
        return typeof d.WskSendBacklogEvent === 'function';
      });
      if (result.status === STATUS_SUCCESS && !ctl.disable) {
        this.parked = false;
        if (ctl.mask & WSK_EVENT_SEND_BACKLOG) this.backlogDue = true;
        this.schedule();
      }
      this.updateInterest();
      return result;
    }
    if (req.RequestType === WskIoctl) {
      if (req.ControlCode === SIO_WSK_QUERY_IDEAL_SEND_BACKLOG || req.ControlCode === SIO_WSK_QUERY_RECEIVE_BACKLOG) {
        if (!req.Irp) return { status: STATUS_INVALID_PARAMETER };
        if (this.state !== CONNECTED) return { status: STATUS_INVALID_DEVICE_STATE };
        let value: number;
        if (req.ControlCode === SIO_WSK_QUERY_IDEAL_SEND_BACKLOG) value = this.idealSendBacklog();
        else {
          const n = this.s.sock.available();
          value = (n > 0 ? n : 0) + (this.leftover ? this.leftover.filled - this.leftover.start : 0);
        }
        return writeSizeT(req, value);
      }
      return undefined;
    }
    return bufferControl(this, req);
  }

  /** Whatever is still queued at close has been cancelled by SocketObject.close. */
  beforeClose(): void {
    const s = this.s;
    // WskCloseSocket on a connection not disconnected both ways is abortive (reference §3.4).
    if (!this.aborted && !this.disconnectedBothWays) s.sock.setsockopt(OS.SOL_SOCKET, OS.SO_LINGER, LINGER_ABORT);
    if (this.leftover) {
      putSet(this.leftover);
      this.leftover = null;
    }
  }
}

/** A SIZE_T answer: an output buffer of 8 bytes (little-endian), or a `{ 0: n }` out-parameter. */
function writeSizeT(req: ControlRequest, value: number): ControlResult {
  if (req.output && req.output.byteLength >= 8) {
    new DataView(req.output.buffer, req.output.byteOffset, 8).setBigUint64(0, BigInt(value), true);
    return { status: STATUS_SUCCESS, bytes: 8 };
  }
  const obj = req.outputObject as { 0?: unknown } | null;
  if (obj && typeof obj === 'object' && !ArrayBuffer.isView(obj) && isWritableSlot(obj, 0)) {
    (obj as { 0: number })[0] = value;
    return { status: STATUS_SUCCESS, bytes: 8 };
  }
  return { status: req.output ? STATUS_BUFFER_TOO_SMALL : STATUS_INVALID_PARAMETER };
}

interface BufferHolder {
  s: SocketObject;
  nodelay: boolean;
  rcvbuf: number;
  sndbuf: number;
}

/**
 * SO_RCVBUF / SO_SNDBUF read back what the client set (Linux doubles the value it keeps; a
 * socket never set reads the kernel's size), and TCP_NODELAY is tracked for WSK_FLAG_NODELAY.
 * The OS still receives every set.
 */
export function bufferControl(h: BufferHolder, req: ControlRequest): ControlResult | undefined {
  const sol = req.Level === SOL_SOCKET;
  const which = sol && req.ControlCode === SO_RCVBUF ? 'rcvbuf' : sol && req.ControlCode === SO_SNDBUF ? 'sndbuf' : null;
  if (which) {
    if (!req.Irp && req.ControlCode === SO_RCVBUF) return { status: STATUS_INVALID_PARAMETER };
    if (req.RequestType === WskGetOption && h[which] >= 0) {
      if (!req.output) return { status: STATUS_INVALID_PARAMETER };
      if (req.output.byteLength < 4) return { status: STATUS_BUFFER_TOO_SMALL };
      new DataView(req.output.buffer, req.output.byteOffset, 4).setUint32(0, h[which], true);
      return { status: STATUS_SUCCESS, bytes: 4 };
    }
    if (req.RequestType === WskSetOption && req.input && req.input.byteLength >= 4) {
      const value = new DataView(req.input.buffer, req.input.byteOffset, 4).getInt32(0, true);
      const rc = h.s.sock.setsockopt(OS.SOL_SOCKET, which === 'rcvbuf' ? OS.SO_RCVBUF : OS.SO_SNDBUF, req.input.subarray(0, 4));
      if (rc < 0) return { status: ntStatusFromErrno(rc) };
      h[which] = value;
      if (which === 'sndbuf' && h instanceof ConnectionRole) h.sendBufferChanged();
      return { status: STATUS_SUCCESS };
    }
    return undefined;
  }
  if (req.Level === IPPROTO_TCP && req.ControlCode === TCP_NODELAY && req.RequestType === WskSetOption && req.input && req.input.byteLength >= 4) {
    const rc = h.s.sock.setsockopt(OS.IPPROTO_TCP, OS.TCP_NODELAY, req.input.subarray(0, 4));
    if (rc < 0) return { status: ntStatusFromErrno(rc) };
    h.nodelay = new DataView(req.input.buffer, req.input.byteOffset, 4).getInt32(0, true) !== 0;
    return { status: STATUS_SUCCESS };
  }
  return undefined;
}

// ---- the connection socket ----

const clientDispatchOf = (s: SocketObject): WSK_CLIENT_CONNECTION_DISPATCH | null => s.clientDispatch as WSK_CLIENT_CONNECTION_DISPATCH | null;

export class ConnectionSocket extends SocketObject implements SharingHolder {
  // On the prototype, not in every socket (memory per connection, bench C idle).
  get category(): number { return WSK_FLAG_CONNECTION_SOCKET; }
  get Dispatch(): WSK_PROVIDER_CONNECTION_DISPATCH { return WSK_PROVIDER_CONNECTION_DISPATCH_TABLE; }
  readonly conn: ConnectionRole;
  shareOption = SHARE_NONE;
  /** Set on sockets accepted from a conditional-accept listener (SIO_WSK_QUERY_INSPECT_ID). */
  inspectId: { Key: number; SerialNumber: number } | null = null;
  /** A conditional-accept listener holding this connection until WskInspectComplete. */
  heldBy: { onHeldPoll(conn: ConnectionSocket): void } | null = null;

  constructor(...args: ConstructorParameters<typeof SocketObject>) {
    super(...args);
    this.conn = new ConnectionRole(this, clientDispatchOf, this.client.staticEventMask);
  }

  get isBound(): boolean {
    return this.conn.state !== FRESH || isBoundShared(this);
  }

  /** For the listener: an accepted connection is connected from the start. */
  static accepted(client: ClientState, family: number, context: unknown, dispatch: unknown, sock: ConstructorParameters<typeof SocketObject>[6]): ConnectionSocket {
    const c = new ConnectionSocket(client, family, SOCK_STREAM, IPPROTO_TCP, context, dispatch, sock);
    c.conn.state = CONNECTED;
    return c;
  }

  override hasAddress(remote: boolean): boolean {
    return this.conn.hasAddress(remote);
  }

  override onPoll(events: number): void {
    if (this.heldBy) this.heldBy.onHeldPoll(this);
    else this.conn.onPoll(events);
  }

  override control(req: ControlRequest): ControlResult | undefined {
    return sharingControl(this, req) ?? queryInspectId(this, req) ?? this.conn.control(req);
  }

  override close(Irp: IRP): NTSTATUS {
    checkRetained(this.conn);
    return super.close(Irp);
  }

  protected override beforeClose(): void {
    this.conn.beforeClose();
    unbindShared(this);
  }

  /** Closes without a client IRP (a declined or rejected connection). */
  closeQuietly(): void {
    const irp = IoAllocateIrp(1, false)!;
    super.close(irp);
  }
}

/** SIO_WSK_QUERY_INSPECT_ID on a socket accepted from a conditional-accept listener (no IRP). */
function queryInspectId(conn: ConnectionSocket, req: ControlRequest): ControlResult | undefined {
  if (req.RequestType !== WskIoctl || req.ControlCode !== SIO_WSK_QUERY_INSPECT_ID) return undefined;
  if (req.Irp) return { status: STATUS_INVALID_PARAMETER };
  if (!conn.inspectId) return { status: STATUS_INVALID_DEVICE_REQUEST };
  const out = req.outputObject as WSK_INSPECT_ID | null;
  if (!out || typeof out !== 'object' || ArrayBuffer.isView(out) || !isWritableSlot(out, 'Key') || !isWritableSlot(out, 'SerialNumber')) {
    return { status: STATUS_INVALID_PARAMETER };
  }
  out.Key = conn.inspectId.Key;
  out.SerialNumber = conn.inspectId.SerialNumber;
  return { status: STATUS_SUCCESS, bytes: 16 };
}

export function checkRetained(conn: ConnectionRole | null): void {
  if (conn && conn.retainedCount > 0) {
    violation(
      'RETAINED_INDICATIONS_AT_CLOSE',
      'WskCloseSocket',
      `${conn.retainedCount} data indication list(s) retained by WskReceiveEvent (STATUS_PENDING) were not given back with WskRelease`,
    );
  }
}

// ---- the table's functions (shared with the stream table, which finds the role first) ----

/** The connection role of a connection socket, or of a stream socket committed to it. */
export type RoleOf = (Socket: PWSK_SOCKET, where: string) => ConnectionRole | null;

const roleOfConnection: RoleOf = (Socket, where) => socketArg<ConnectionSocket>(Socket, CONNECTION, where).conn;

export function makeConnectionCalls(roleOf: RoleOf, categories: number) {
  /** A role, or an IRP completed STATUS_INVALID_DEVICE_STATE (a stream socket in another role). */
  const start = (Socket: PWSK_SOCKET, Irp: IRP, where: string): ConnectionRole | NTSTATUS => {
    const s = socketArg<SocketObject>(Socket, categories, where);
    irpStart(Irp, where);
    const role = roleOf(Socket, where);
    if (!role) return s.complete(Irp, STATUS_INVALID_DEVICE_STATE, 0);
    return role;
  };
  return {
    WskSend(Socket: PWSK_SOCKET, Buffer: WSK_BUF, Flags: number, Irp: IRP | null): NTSTATUS {
      if (!Irp) {
        socketArg(Socket, categories, 'WskSend');
        return STATUS_INVALID_PARAMETER;
      }
      const role = start(Socket, Irp, 'WskSend');
      return typeof role === 'number' ? role : role.send(Irp, Buffer, Flags);
    },
    WskReceive(Socket: PWSK_SOCKET, Buffer: WSK_BUF, Flags: number, Irp: IRP | null): NTSTATUS {
      if (!Irp) {
        socketArg(Socket, categories, 'WskReceive');
        return STATUS_INVALID_PARAMETER;
      }
      const role = start(Socket, Irp, 'WskReceive');
      return typeof role === 'number' ? role : role.receive(Irp, Buffer, Flags);
    },
    WskDisconnect(Socket: PWSK_SOCKET, Buffer: WSK_BUF | null, Flags: number, Irp: IRP | null): NTSTATUS {
      if (!Irp) {
        socketArg(Socket, categories, 'WskDisconnect');
        return STATUS_INVALID_PARAMETER;
      }
      const role = start(Socket, Irp, 'WskDisconnect');
      return typeof role === 'number' ? role : role.disconnect(Irp, Buffer, Flags);
    },
    WskRelease(Socket: PWSK_SOCKET, DataIndication: PWSK_DATA_INDICATION): NTSTATUS {
      socketArg(Socket, categories, 'WskRelease');
      const role = roleOf(Socket, 'WskRelease');
      if (!role || DataIndication === null || typeof DataIndication !== 'object') return STATUS_INVALID_PARAMETER;
      return role.release(DataIndication);
    },
  };
}

const calls = makeConnectionCalls(roleOfConnection, CONNECTION);

export function WskBind(Socket: PWSK_SOCKET, LocalAddress: PSOCKADDR, Flags: number, Irp: IRP | null): NTSTATUS {
  const s = socketArg<ConnectionSocket>(Socket, CONNECTION, 'WskBind');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskBind');
  return s.complete(Irp, s.conn.bind(LocalAddress, Flags, s.shareOption), 0);
}

export function WskConnect(Socket: PWSK_SOCKET, RemoteAddress: PSOCKADDR, Flags: number, Irp: IRP | null): NTSTATUS {
  const s = socketArg<ConnectionSocket>(Socket, CONNECTION, 'WskConnect');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskConnect');
  return s.conn.connect(Irp, RemoteAddress, Flags);
}

/**
 * WskSocketConnect: WskSocket + WskBind + WskConnect in one call; the family comes from
 * LocalAddress. On failure the socket is closed and the IRP carries the failure. Built with the
 * provider's own client check and socket factory (lib/provider.ts).
 */
export function makeWskSocketConnect(
  clientArg: (Client: PWSK_CLIENT, where: string) => ClientState,
  createSocket: (
    client: ClientState,
    AddressFamily: number,
    SocketType: number,
    Protocol: number,
    Flags: number,
    SocketContext: unknown,
    Dispatch: unknown,
  ) => SocketObject | NTSTATUS,
): PFN_WSK_SOCKET_CONNECT {
  return function WskSocketConnect(
    Client,
    SocketType,
    Protocol,
    LocalAddress,
    RemoteAddress,
    Flags,
    SocketContext,
    Dispatch,
    OwningProcess,
    OwningThread,
    SecurityDescriptor,
    Irp,
  ): NTSTATUS {
    void OwningProcess;
    void OwningThread;
    void SecurityDescriptor;
    const client = clientArg(Client, 'WskSocketConnect');
    if (!Irp) return STATUS_INVALID_PARAMETER;
    irpStart(Irp, 'WskSocketConnect');
    if (Flags !== 0) return irpComplete(Irp, STATUS_INVALID_PARAMETER, 0);
    const family = sockaddrFamily(LocalAddress);
    if (family === undefined || sockaddrFamily(RemoteAddress) !== family) return irpComplete(Irp, STATUS_INVALID_PARAMETER, 0);
    const created = createSocket(client, family, SocketType, Protocol, WSK_FLAG_CONNECTION_SOCKET, SocketContext, Dispatch);
    if (typeof created === 'number') return irpComplete(Irp, created, 0);
    const s = created as ConnectionSocket;
    const bound = s.conn.bind(LocalAddress, 0, SHARE_NONE);
    if (bound !== STATUS_SUCCESS) {
      s.closeQuietly();
      return irpComplete(Irp, bound, 0);
    }
    // The connect completes the caller's IRP with the socket, or closes it and reports the failure.
    s.conn.socketConnect = true;
    return s.conn.connect(Irp, RemoteAddress, 0);
  };
}

export const WSK_PROVIDER_CONNECTION_DISPATCH_TABLE = Object.freeze<WSK_PROVIDER_CONNECTION_DISPATCH>({
  WskControlSocket,
  WskCloseSocket,
  WskBind,
  WskConnect,
  WskGetLocalAddress: (Socket, LocalAddress, Irp) =>
    getAddressCall(Socket, CONNECTION, false, LocalAddress, Irp, 'WskGetLocalAddress'),
  WskGetRemoteAddress: (Socket, RemoteAddress, Irp) =>
    getAddressCall(Socket, CONNECTION, true, RemoteAddress, Irp, 'WskGetRemoteAddress'),
  WskSend: calls.WskSend,
  WskReceive: calls.WskReceive,
  WskDisconnect: calls.WskDisconnect,
  WskRelease: calls.WskRelease,
  WskConnectEx: notImplemented<PFN_WSK_CONNECT_EX>('WskConnectEx', CONNECTION, 4),
  WskSendEx: notImplemented<PFN_WSK_SEND_EX>('WskSendEx', CONNECTION, 5),
  WskReceiveEx: notImplemented<PFN_WSK_RECEIVE_EX>('WskReceiveEx', CONNECTION, 6),
});

