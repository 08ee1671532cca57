// WskReceive of a connection: try the OS first, straight into the caller's memory; what cannot
// be satisfied now queues, in order, behind POLL_READABLE. Data read for indications and not
// taken (a partial accept, STATUS_DATA_NOT_ACCEPTED) is served first.
import { faults } from '../kernel/fault';
import { IRP, irpComplete, irpPend, surfaceLater } from '../kernel/irp';
import { WSK_BUF, wskBufRange, wskBufViews } from '../kernel/mdl';
import { NTSTATUS, STATUS_CONNECTION_RESET, STATUS_INVALID_PARAMETER, STATUS_NOT_SUPPORTED, STATUS_SUCCESS } from '../kernel/ntstatus';
import { ntStatusFromErrno } from '../transport/errno';
import { addon, native, OS } from '../transport/native';
import { WSK_FLAG_DRAIN, WSK_FLAG_WAITALL } from '../wsk/wsk-base';
import { UNSPEC } from './connect';
import { BLOCKED, Connection, DRAINED, LINGER_ABORT, PARKED, RECV_EOF, SERVING } from './connection';
import { CONNECTED, connectionRule, SEND_CLOSED, WSK_RECEIVE } from './connection-state';
import { putSet } from './indication-set';
import { NO_TRANSFERS, Transfer } from './transfer';

const { EAGAIN, EWOULDBLOCK } = native.errno;
const EMPTY: Uint8Array[] = [];
/** Where WSK_FLAG_DRAIN receives put what they discard. */
const discard = new Uint8Array(64 * 1024);

function again(n: number): boolean {
  return n === -EAGAIN || n === -EWOULDBLOCK;
}

export function connectionReceive(c: Connection, Irp: IRP, Buffer: WSK_BUF, Flags: number): NTSTATUS {
  const s = c.s;
  if (typeof Flags !== 'number' || (Flags & ~(WSK_FLAG_WAITALL | WSK_FLAG_DRAIN)) !== 0) return irpComplete(Irp, STATUS_NOT_SUPPORTED, 0);
  if (Buffer === null || typeof Buffer !== 'object') return irpComplete(Irp, STATUS_INVALID_PARAMETER, 0);
  const drain = (Flags & WSK_FLAG_DRAIN) !== 0;
  if (drain && ((Flags & WSK_FLAG_WAITALL) !== 0 || Buffer.Length !== 0)) return irpComplete(Irp, STATUS_INVALID_PARAMETER, 0);
  // NODE_WSK_VERIFIER reset: the network resets the connection as this receive is made.
  if (faults !== null && (c.state === CONNECTED || c.state === SEND_CLOSED) && c.failure === STATUS_SUCCESS && faults.resets()) injectReset(c);
  const refused = connectionRule(WSK_RECEIVE, c.state, c.failure);
  if (refused !== STATUS_SUCCESS) return irpComplete(Irp, refused, 0);
  const length = Buffer.Length;
  c.flags &= ~PARKED;
  if (c.recvQueue.length === 0 && !drain && c.leftover === null && (c.flags & RECV_EOF) === 0 && c.failure === STATUS_SUCCESS) {
    // Try first, straight into the caller's memory.
    const view = wskBufRange(Buffer);
    // NODE_WSK_VERIFIER pending: the receive waits for the loop before it reads anything, so
    // its buffer holds nothing yet when the call returns STATUS_PENDING (as on Windows).
    if (faults !== null && faults.pends()) return queueRecv(c, new Transfer(Irp, length === 0 ? EMPTY : wskBufViews(Buffer, 'WskReceive'), length, Flags, false));
    if (view !== null) {
      const off = Buffer.Offset;
      // NODE_WSK_VERIFIER partial: ask the OS for fewer bytes; the rest stays for the next receive.
      const want = faults !== null && (Flags & WSK_FLAG_WAITALL) === 0 ? faults.cut(length) : length;
      // The transport answers -EAGAIN without a system call when it knows the socket drained;
      // within a readiness pass that found it so (a completion routine posting its next
      // receive), not even the crossing is made.
      const n = c.flags & DRAINED ? -EAGAIN : addon.recv(s.id, view, off, want, 0);
      if (n > 0 && (n === length || (Flags & WSK_FLAG_WAITALL) === 0)) return completeRecv(c, Irp, STATUS_SUCCESS, n);
      if (n > 0 || again(n)) {
        const t = new Transfer(Irp, [view], length, Flags, false);
        t.vo = off;
        if (n > 0) t.advance(n);
        return queueRecv(c, t);
      }
      if (n === 0) {
        onEof(c);
        return completeRecv(c, Irp, STATUS_SUCCESS, 0);
      }
      const status = ntStatusFromErrno(n);
      c.fail(status);
      return completeRecv(c, Irp, status, 0);
    }
  }
  const views = length === 0 ? EMPTY : wskBufViews(Buffer, 'WskReceive');
  const t = new Transfer(Irp, views, length, Flags, false);
  if (c.recvQueue.length === 0 && fill(c, t)) return completeRecv(c, Irp, t.status, t.done);
  return queueRecv(c, t);
}

function queueRecv(c: Connection, t: Transfer): NTSTATUS {
  const refused = c.s.closedDuringCall(t.Irp, t.done);
  if (refused !== null) return refused;
  if (c.recvQueue === NO_TRANSFERS) c.recvQueue = [];
  c.recvQueue.push(t);
  c.s.pending.add(t.Irp);
  const status = irpPend(t.Irp, (c.cancelRecvFn ??= (irp) => c.cancelIn(c.recvQueue, irp)));
  c.updateInterest();
  return status;
}

/** Completes a receive; a completed receive re-arms indications (https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_receive_event). */
function completeRecv(c: Connection, Irp: IRP, status: NTSTATUS, bytes: number): NTSTATUS {
  if (c.flags & BLOCKED) {
    c.flags &= ~BLOCKED;
    c.schedule();
  }
  return irpComplete(Irp, status, bytes);
}

/**
 * Moves data into a receive; true when it is finished (t.status, t.done say how), false when
 * it must wait for readiness.
 */
function fill(c: Connection, t: Transfer): boolean {
  const id = c.s.id;
  const drain = (t.flags & WSK_FLAG_DRAIN) !== 0;
  for (;;) {
    const leftover = c.leftover;
    if (leftover !== null) {
      if (drain) leftover.start = leftover.filled;
      else if (t.total === 0) return true; // a zero-length receive: data is there
      else leftover.copyInto(t);
      if (leftover.start === leftover.filled) {
        putSet(leftover);
        c.leftover = null;
      }
    }
    if (!drain && t.total > 0 && (t.done === t.total || (t.done > 0 && (t.flags & WSK_FLAG_WAITALL) === 0))) return true;
    // Data first, then the end: a receive holding bytes completes with them.
    if (c.failure !== STATUS_SUCCESS) {
      if (t.done === 0) t.status = c.failure;
      return true;
    }
    if (c.flags & RECV_EOF) return true;
    if (c.flags & DRAINED) return false;
    let n: number;
    let asked = 0;
    if (drain) n = addon.recv(id, discard, 0, discard.byteLength, 0);
    else if (faults !== null && t.done === 0 && t.total > 0 && (t.flags & WSK_FLAG_WAITALL) === 0) n = partialRead(c, t);
    else if (t.total === 0) {
      n = addon.recv(id, discard, 0, 1, OS.MSG_PEEK);
      if (n > 0) return true;
    } else if (t.oneView) {
      asked = Math.min(t.views[t.vi].byteLength - t.vo, t.total - t.done);
      n = addon.recv(id, t.views[t.vi], t.vo, asked, 0);
    } else n = addon.recvv(id, t.rest(), 0);
    if (n > 0) {
      if (n < asked && c.flags & SERVING) c.flags |= DRAINED;
      if (!drain) t.advance(n);
      continue;
    }
    if (n === 0) {
      onEof(c);
      continue;
    }
    if (again(n)) {
      if (c.flags & SERVING) c.flags |= DRAINED;
      return false;
    }
    c.fail(ntStatusFromErrno(n));
  }
}

/**
 * NODE_WSK_VERIFIER partial: the first read of a receive without WSK_FLAG_WAITALL asks for a
 * random number (>= 1) of the bytes it has room for, into its first buffer; the rest stays for
 * the next receive, as Windows may complete a receive with whatever had arrived.
 */
function partialRead(c: Connection, t: Transfer): number {
  const room = Math.min(t.views[t.vi].byteLength - t.vo, t.total);
  return addon.recv(c.s.id, t.views[t.vi], t.vo, faults!.cut(room), 0);
}

/**
 * NODE_WSK_VERIFIER reset: the connection is reset for real, as by the network. The peer sees a
 * TCP RST (SO_LINGER {1, 0} and connect(AF_UNSPEC), as send.ts abort() does); this side fails
 * with STATUS_CONNECTION_RESET: pending sends at once, receives after the data read before it,
 * and WskDisconnectEvent says WSK_FLAG_ABORTIVE.
 */
export function injectReset(c: Connection): void {
  addon.setsockopt(c.s.id, OS.SOL_SOCKET, OS.SO_LINGER, LINGER_ABORT);
  addon.connect(c.s.id, UNSPEC);
  c.fail(STATUS_CONNECTION_RESET);
  // Nothing more will come from the socket to wake the receives that wait: serve them now.
  surfaceLater(() => serveReceives(c));
  c.updateInterest();
}

/** Readable: queued receives are served in order. */
export function serveReceives(c: Connection): void {
  const q = c.recvQueue;
  c.flags |= SERVING;
  try {
    while (q.length > 0 && !c.s.closed) {
      const t = q[0];
      if (!fill(c, t)) break;
      q.shift();
      completeRecv(c, t.Irp, t.status, t.done);
    }
  } finally {
    c.flags &= ~(SERVING | DRAINED);
  }
}

/** The peer's FIN was read. */
export function onEof(c: Connection): void {
  if (c.flags & RECV_EOF) return;
  c.flags |= RECV_EOF;
  c.schedule();
}
