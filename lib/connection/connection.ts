// One connection: the state of a connection socket, or of a stream socket committed to a
// connection (the host). The fields are listed once here; what each call does with them is in
// connect.ts, send.ts, receive.ts, receive-events.ts, connection-control.ts, and which call is
// legal in which state is in connection-state.ts.
import { forEachSettled, IRP, irpComplete, surfaceLater } from '../kernel/irp';
import { NTSTATUS, STATUS_CANCELLED, STATUS_SUCCESS } from '../kernel/ntstatus';
import { EventState } from '../socket/events';
import { defer, Deferred } from '../socket/scheduler';
import type { SocketObject } from '../socket/socket';
import { addon, OS } from '../transport/native';
import { WSK_EVENT_DISCONNECT, WSK_EVENT_RECEIVE, WSK_EVENT_SEND_BACKLOG } from '../wsk/wsk-base';
import { WSK_CLIENT_CONNECTION_DISPATCH } from '../wsk/wsk-dispatch';
import { ABORTED, CONNECTED, CONNECTING, ConnectionState, FAILED, FRESH, SEND_CLOSED } from './connection-state';
import { ensureArmed, IndicationSet, putSet } from './indication-set';
import { NO_TRANSFERS, Transfer } from './transfer';

/** The events of a connection (and, for inheritance, of a listener). */
export const CONNECTION_EVENTS = WSK_EVENT_RECEIVE | WSK_EVENT_DISCONNECT | WSK_EVENT_SEND_BACKLOG;

/** The socket that hosts a connection: a connection socket, or a committed stream socket. */
export interface ConnectionHost extends SocketObject, Deferred {
  /** The client's connection callbacks (a stream socket's are its dispatch's Connect member). */
  connectionDispatch(): WSK_CLIENT_CONNECTION_DISPATCH | null;
  /** A connect failed: a stream socket goes back to uncommitted. */
  connectFailed(conn: Connection): void;
  /** Closes without a client IRP (WskSocketConnect's socket when its connect fails). */
  closeQuietly(): void;
}

// Connection.flags: the yes/no facts, one bit each (twelve boolean fields would be 96 B on
// every connection, bench C idle; one small integer is 8).
/** The peer's FIN was read (a receive returned 0). */
export const RECV_EOF = 1 << 0;
/** The send side was shut down (a graceful WskDisconnect finished). */
export const SHUT_WR = 1 << 1;
/** TCP_NODELAY as the client set it (WSK_FLAG_NODELAY pushes only when it is off). */
export const NODELAY = 1 << 2;
/** Partial accept or STATUS_DATA_NOT_ACCEPTED: no indications until a WskReceive completes. */
export const BLOCKED = 1 << 3;
/** Inside deliver(): indications never nest. */
export const DELIVERING = 1 << 4;
/** On the scheduler's queue. */
export const SCHEDULED = 1 << 5;
export const DISCONNECT_INDICATED = 1 << 6;
/** WskSendBacklogEvent owes the client the current ideal backlog. */
export const BACKLOG_DUE = 1 << 7;
/** WskDisconnectEvent enabled, nobody reading, data waiting: stop polling until someone reads. */
export const PARKED = 1 << 8;
/** WskSocketConnect: the connect's IRP carries the new socket, and a failure closes the socket. */
export const SOCKET_CONNECT = 1 << 10;
/** WskReceiveEvent was told, with a NULL indication, that the connection failed for good. */
export const DEAD_INDICATED = 1 << 11;
/** Inside serveReceives: a readiness report's pass over the queued receives. */
export const SERVING = 1 << 12;
/**
 * Set during that pass once a read came back short or empty: the transport would answer
 * -EAGAIN without a system call until its next report, so the receives a completion routine
 * posts in the same pass do not cross into it to hear so (two crossings per round trip, bench
 * B). Cleared when the pass ends: nothing outside one pass relies on it (libuv's
 * UV_HANDLE_READ_PARTIAL plays the same part in uv__read).
 */
export const DRAINED = 1 << 13;

/**
 * Retention as on Windows: while the client holds indicated data (STATUS_PENDING), new data
 * keeps being indicated until what it holds reaches the budget — about the socket's receive
 * buffer (SO_RCVBUF as the client set it, else the kernel's), never less than one read — and
 * only then does reading stop, so that the peer feels back-pressure. MAX_RETAINED_SETS bounds
 * the memory a client can pin with many small retained reads (each pins a 64 KiB set).
 */
export interface Retention {
  readonly sets: Set<IndicationSet>;
  /** Bytes of the elements retained and not released. */
  bytes: number;
  readonly budget: number;
}
export const MAX_RETAINED_SETS = 64;

export function withinBudget(r: Retention): boolean {
  return r.bytes < r.budget && r.sets.size < MAX_RETAINED_SETS;
}

/** struct linger { l_onoff = 1, l_linger = 0 }: close() then sends a reset. */
export const LINGER_ABORT = new Uint8Array(new Int32Array([1, 0]).buffer);

export class Connection {
  state: ConnectionState = FRESH;
  /** The status the connection failed with (FAILED, and kept after an abort). */
  failure: NTSTATUS = STATUS_SUCCESS;
  flags = 0;
  readonly events: EventState;
  /** SO_RCVBUF / SO_SNDBUF as the client set them (Linux reads back double); -1: never set. */
  rcvbuf = -1;
  sndbuf = -1;
  /** performance.now() when the connection came up, in whole ms (SIO_TCP_INFO's ConnectionTimeMs); -1 before. */
  connectedMs = -1;

  connectIrp: IRP | null = null;
  // Both start as the shared empty queue and get their own array on the first pend: most
  // idle connections never queue anything (memory per connection, bench C idle).
  recvQueue: Transfer[] = NO_TRANSFERS;
  sendQueue: Transfer[] = NO_TRANSFERS;

  /** Data read from the OS for indications but not yet taken by the client. */
  leftover: IndicationSet | null = null;
  /** What the client retains (STATUS_PENDING) until WskRelease; made on the first. */
  retained: Retention | null = null;

  // Cancel routines handed to irpPend, made on first use: closures cost memory on every idle
  // connection.
  cancelConnectFn: ((irp: IRP) => void) | null = null;
  cancelRecvFn: ((irp: IRP) => void) | null = null;
  cancelSendFn: ((irp: IRP) => void) | null = null;

  constructor(
    readonly s: ConnectionHost,
    staticMask: number,
  ) {
    this.events = new EventState(staticMask & CONNECTION_EVENTS);
  }

  dispatch(): WSK_CLIENT_CONNECTION_DISPATCH | null {
    return this.s.connectionDispatch();
  }

  has(bit: number): boolean {
    return (this.flags & bit) !== 0;
  }

  set(bit: number, on: boolean): void {
    this.flags = on ? this.flags | bit : this.flags & ~bit;
  }

  /** TCP_NODELAY as the client set it (for bufferControl, which remembers it). */
  get nodelay(): boolean {
    return (this.flags & NODELAY) !== 0;
  }
  set nodelay(on: boolean) {
    this.set(NODELAY, on);
  }

  /** Indication sets of which the client still retains an element. */
  get retainedCount(): number {
    return this.retained === null ? 0 : this.retained.sets.size;
  }

  /** Whether a read may go to WskReceiveEvent now. */
  wantsIndications(): boolean {
    const d = this.dispatch();
    return (
      this.events.has(WSK_EVENT_RECEIVE) &&
      d !== null &&
      typeof d.WskReceiveEvent === 'function' &&
      (this.flags & BLOCKED) === 0 &&
      (this.retained === null || withinBudget(this.retained)) &&
      this.recvQueue.length === 0 &&
      this.state >= CONNECTED &&
      this.state <= FAILED
    );
  }

  /** Runs the host's deferred work (deliver()) soon from the event loop, never inside the client's own call. */
  schedule(): void {
    if (this.flags & SCHEDULED || this.s.closed) return;
    this.flags |= SCHEDULED;
    defer(this.s);
  }

  /** Arms readiness for what the connection waits for now. */
  updateInterest(): void {
    const s = this.s;
    if (s.closed) return;
    const live = this.state >= CONNECTED && this.state <= FAILED;
    const open = live && (this.flags & RECV_EOF) === 0 && this.failure === STATUS_SUCCESS;
    const indications = this.wantsIndications();
    // Indications wanted and nothing left over: the transport reads on readiness itself and
    // hands the data over in the same call (POLL_RECEIVE; receive-events.ts onReceived).
    const receive = open && indications && this.leftover === null;
    const read =
      receive ||
      (open &&
        (this.recvQueue.length > 0 ||
          (this.events.has(WSK_EVENT_DISCONNECT) && (this.flags & PARKED) === 0 && this.recvQueue.length === 0 && !indications)));
    const write = this.state === CONNECTING || (live && this.sendQueue.length > 0);
    if (receive) ensureArmed();
    s.setInterest(read, write, receive);
  }

  /**
   * The connection broke (a reset, or a send error): pending sends and disconnects fail with
   * that status; receives fail once the data read before it is delivered.
   */
  fail(status: NTSTATUS): void {
    if (this.failure !== STATUS_SUCCESS) return;
    this.failure = status;
    if (this.state === CONNECTED || this.state === SEND_CLOSED) this.state = FAILED;
    const sends = this.sendQueue.splice(0);
    this.schedule();
    // Every send fails even if a routine throws; whatever noticed the break (a receive of the
    // caller's, a readiness event) goes on, and the exception comes out on the event loop.
    surfaceLater(() => forEachSettled(sends, (t) => irpComplete(t.Irp, status, t.done)));
  }

  /** Cancel routine of a queued send, disconnect or receive. */
  cancelIn(q: Transfer[], irp: IRP): void {
    const i = q.findIndex((t) => t.Irp === irp);
    let done = 0;
    if (i >= 0) {
      done = q[i].disconnect ? 0 : q[i].done;
      // A graceful disconnect cancelled before the FIN went out: the send side stays open.
      if (q[i].disconnect && (this.flags & SHUT_WR) === 0 && this.state === SEND_CLOSED) this.state = CONNECTED;
      q.splice(i, 1);
    }
    this.s.pending.delete(irp);
    // A cancelled send that had partly gone out, or a WAITALL receive that had partly filled,
    // reports the bytes that did (they stay sent / stay in the caller's buffer).
    irpComplete(irp, STATUS_CANCELLED, done);
    if (!this.s.closed) this.updateInterest();
  }

  /** Both directions were shut down gracefully: close may then be graceful too. */
  get disconnectedBothWays(): boolean {
    return (this.flags & (SHUT_WR | RECV_EOF)) === (SHUT_WR | RECV_EOF);
  }

  /** Whatever is still queued at close has been cancelled by the socket's close. */
  beforeClose(): void {
    // WskCloseSocket on a connection not disconnected both ways is abortive (https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_close_socket).
    if (this.state !== ABORTED && !this.disconnectedBothWays) addon.setsockopt(this.s.id, OS.SOL_SOCKET, OS.SO_LINGER, LINGER_ABORT);
    if (this.leftover) {
      putSet(this.leftover);
      this.leftover = null;
    }
  }
}
