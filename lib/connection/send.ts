// WskSend and WskDisconnect of a connection. Sends try the OS call first and complete inline
// when it takes every byte; what is left queues, in order, behind POLL_WRITABLE. A graceful
// disconnect queues behind the sends before it and shuts the send side once they are out; an
// abortive one resets at once.
import { faults } from '../kernel/fault';
import { forEachSettled, IRP, irpComplete, irpPend } from '../kernel/irp';
import { WSK_BUF, wskBufRange, wskBufViews } from '../kernel/mdl';
import {
  NTSTATUS,
  STATUS_CONNECTION_ABORTED,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_PARAMETER,
  STATUS_NOT_SUPPORTED,
  STATUS_SUCCESS,
} from '../kernel/ntstatus';
import { badArgument } from '../kernel/verifier';
import { ntStatusFromErrno } from '../transport/errno';
import { addon, native, OS } from '../transport/native';
import { WSK_FLAG_ABORTIVE, WSK_FLAG_NODELAY } from '../wsk/wsk-base';
import { UNSPEC } from './connect';
import { Connection, LINGER_ABORT, NODELAY, SHUT_WR } from './connection';
import { ABORTED, CONNECTED, connectionRule, SEND_CLOSED, WSK_ABORT, WSK_DISCONNECT, WSK_SEND } from './connection-state';
import { putSet } from './indication-set';
import { injectReset } from './receive';
import { NO_TRANSFERS, Transfer } from './transfer';

const { EAGAIN, EWOULDBLOCK } = native.errno;
const INT_ONE = new Uint8Array(new Int32Array([1]).buffer);
const INT_ZERO = new Uint8Array(new Int32Array([0]).buffer);
const EMPTY: Uint8Array[] = [];

function again(n: number): boolean {
  return n === -EAGAIN || n === -EWOULDBLOCK;
}

export function connectionSend(c: Connection, Irp: IRP, Buffer: WSK_BUF, Flags: number): NTSTATUS {
  const s = c.s;
  if (typeof Flags !== 'number' || (Flags & ~WSK_FLAG_NODELAY) !== 0) return irpComplete(Irp, STATUS_NOT_SUPPORTED, 0);
  if (faults !== null) {
    // NODE_WSK_VERIFIER: no memory for the send (lowres), or the network resets the connection
    // (reset; the send then fails as any send on a reset connection).
    if (faults.lowResources()) return irpComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
    if (c.state === CONNECTED && c.failure === STATUS_SUCCESS && faults.resets()) injectReset(c);
  }
  const refused = connectionRule(WSK_SEND, c.state, c.failure);
  if (refused !== STATUS_SUCCESS) return irpComplete(Irp, refused, 0);
  if (Buffer === null || typeof Buffer !== 'object') badArgument('WskSend', 'Buffer must be a WSK_BUF');
  const length = Buffer.Length;
  if (c.sendQueue.length === 0) {
    // Try first: most sends go out whole at once.
    const view = wskBufRange(Buffer);
    if (view !== null) {
      const off = Buffer.Offset;
      const n = addon.send(s.id, view, off, length, 0);
      if (n === length) {
        if (Flags & WSK_FLAG_NODELAY) push(c);
        return irpComplete(Irp, STATUS_SUCCESS, length);
      }
      if (n < 0 && !again(n)) return sendFailed(c, Irp, n);
      const t = new Transfer(Irp, [view], length, Flags, false);
      t.vo = off;
      if (n > 0) t.advance(n);
      return queueSend(c, t);
    }
    const views = wskBufViews(Buffer, 'WskSend');
    if (length === 0) return irpComplete(Irp, STATUS_SUCCESS, 0);
    const t = new Transfer(Irp, views, length, Flags, false);
    const n = addon.sendv(s.id, views, 0);
    if (n === length) {
      if (Flags & WSK_FLAG_NODELAY) push(c);
      return irpComplete(Irp, STATUS_SUCCESS, length);
    }
    if (n < 0 && !again(n)) return sendFailed(c, Irp, n);
    if (n > 0) t.advance(n);
    return queueSend(c, t);
  }
  return queueSend(c, new Transfer(Irp, wskBufViews(Buffer, 'WskSend'), length, Flags, false));
}

function sendFailed(c: Connection, Irp: IRP, rc: number): NTSTATUS {
  const status = ntStatusFromErrno(rc);
  c.fail(status);
  return irpComplete(Irp, status, 0);
}

function queueSend(c: Connection, t: Transfer): NTSTATUS {
  const refused = c.s.closedDuringCall(t.Irp, t.done);
  if (refused !== null) return refused;
  if (c.sendQueue === NO_TRANSFERS) c.sendQueue = [];
  c.sendQueue.push(t);
  c.s.pending.add(t.Irp);
  const status = irpPend(t.Irp, (c.cancelSendFn ??= (irp) => c.cancelIn(c.sendQueue, irp)));
  c.updateInterest();
  return status;
}

/** WSK_FLAG_NODELAY: setting TCP_NODELAY flushes what Nagle holds back (Linux); then restore. */
function push(c: Connection): void {
  if (c.flags & NODELAY) return;
  const id = c.s.id;
  addon.setsockopt(id, OS.IPPROTO_TCP, OS.TCP_NODELAY, INT_ONE);
  addon.setsockopt(id, OS.IPPROTO_TCP, OS.TCP_NODELAY, INT_ZERO);
}

/** Writable: the queued sends (and a graceful disconnect behind them) go on where they stopped. */
export function serveSends(c: Connection): void {
  const q = c.sendQueue;
  const s = c.s;
  while (q.length > 0 && !s.closed) {
    const t = q[0];
    if (t.done < t.total) {
      const rest = t.total - t.done;
      const n = t.oneView
        ? addon.send(s.id, t.views[t.vi], t.vo, Math.min(t.views[t.vi].byteLength - t.vo, rest), 0)
        : addon.sendv(s.id, t.rest(), 0);
      if (n > 0) {
        t.advance(Math.min(n, rest));
        continue;
      }
      if (n === 0 || again(n)) break;
      c.fail(ntStatusFromErrno(n));
      return;
    }
    q.shift();
    if (t.disconnect) shutdownSend(c);
    else if (t.flags & WSK_FLAG_NODELAY) push(c);
    irpComplete(t.Irp, STATUS_SUCCESS, t.disconnect ? 0 : t.done);
  }
}

export function connectionDisconnect(c: Connection, Irp: IRP, Buffer: WSK_BUF | null, Flags: number): NTSTATUS {
  const s = c.s;
  if (typeof Flags !== 'number' || (Flags & ~WSK_FLAG_ABORTIVE) !== 0) return irpComplete(Irp, STATUS_INVALID_PARAMETER, 0);
  if (Flags & WSK_FLAG_ABORTIVE) {
    if (Buffer !== null && Buffer !== undefined) return irpComplete(Irp, STATUS_INVALID_PARAMETER, 0);
    const refused = connectionRule(WSK_ABORT, c.state, c.failure);
    if (refused !== STATUS_SUCCESS) return irpComplete(Irp, refused, 0);
    let status: NTSTATUS;
    try {
      abort(c);
    } finally {
      // Done even if a routine abort ran threw: the exception then comes out after.
      status = irpComplete(Irp, STATUS_SUCCESS, 0);
    }
    return status;
  }
  const refused = connectionRule(WSK_DISCONNECT, c.state, c.failure);
  if (refused !== STATUS_SUCCESS) return irpComplete(Irp, refused, 0);
  const length: unknown = Buffer ? Buffer.Length : 0;
  // A Length that is no number is named by wskBufViews (INVALID_ARGUMENT); compared with 0, a
  // Symbol would throw an engine TypeError instead.
  if (typeof length !== 'number') wskBufViews(Buffer!, 'WskDisconnect');
  const total = (length as number) > 0 ? (length as number) : 0;
  const views = total > 0 ? wskBufViews(Buffer!, 'WskDisconnect') : EMPTY;
  const t = new Transfer(Irp, views, total, 0, true);
  c.state = SEND_CLOSED;
  if (c.sendQueue.length === 0) {
    if (total > 0) {
      const n = addon.sendv(s.id, views, 0);
      if (n < 0 && !again(n)) return sendFailed(c, Irp, n);
      if (n > 0) t.advance(n);
    }
    if (t.done === total) {
      shutdownSend(c);
      return irpComplete(Irp, STATUS_SUCCESS, 0);
    }
  }
  return queueSend(c, t);
}

function shutdownSend(c: Connection): void {
  addon.shutdown(c.s.id, OS.SHUT_WR);
  c.flags |= SHUT_WR;
}

/** Abortive disconnect: the peer sees a reset; every pending call ends STATUS_CONNECTION_ABORTED. */
function abort(c: Connection): void {
  const s = c.s;
  c.state = ABORTED;
  addon.setsockopt(s.id, OS.SOL_SOCKET, OS.SO_LINGER, LINGER_ABORT);
  // connect(AF_UNSPEC) makes Linux send the reset at once while the handle stays ours.
  addon.connect(s.id, UNSPEC);
  const ended: Array<[Transfer, NTSTATUS, number]> = [];
  for (const t of c.sendQueue.splice(0)) ended.push([t, STATUS_CONNECTION_ABORTED, t.disconnect ? 0 : t.done]);
  for (const t of c.recvQueue.splice(0)) ended.push([t, t.done > 0 ? STATUS_SUCCESS : STATUS_CONNECTION_ABORTED, t.done]);
  if (c.leftover) {
    putSet(c.leftover);
    c.leftover = null;
  }
  c.updateInterest();
  // The routines run last, each even if one before it throws (rethrown after).
  forEachSettled(ended, ([t, status, bytes]) => irpComplete(t.Irp, status, bytes));
}
