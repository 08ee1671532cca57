// The connection's event callbacks (reference §4.5): WskReceiveEvent with chains of WSK-owned
// buffers (taken, partly taken, refused or retained until WskRelease), WskDisconnectEvent after
// the data before the FIN, or at once on a reset, and WskSendBacklogEvent. Everything here runs
// from the event loop (readiness or the scheduler), never inside the client's own call.
import { NTSTATUS, STATUS_DATA_NOT_ACCEPTED, STATUS_INVALID_PARAMETER, STATUS_PENDING, STATUS_SUCCESS, ntStatusName } from '../kernel/ntstatus';
import { eventChannel, traceEvent } from '../kernel/trace';
import { badArgument, violation } from '../kernel/verifier';
import { ntStatusFromErrno } from '../transport/errno';
import { native, OS } from '../transport/native';
import {
  PWSK_DATA_INDICATION,
  WSK_EVENT_DISCONNECT,
  WSK_EVENT_RECEIVE,
  WSK_EVENT_SEND_BACKLOG,
  WSK_FLAG_ABORTIVE,
} from '../wsk/wsk';
import {
  BACKLOG_DUE,
  BLOCKED,
  Connection,
  DELIVERING,
  DISCONNECT_INDICATED,
  MAY_HAVE_DATA,
  PARKED,
  RECV_EOF,
  SCHEDULED,
} from './connection';
import { ABORTED, wasConnected } from './connection-state';
import { putSet, SET_BYTES, takeSet } from './indication-set';
import { onEof } from './receive';

const { EAGAIN, EWOULDBLOCK } = native.errno;
const peek = new Uint8Array(1);
const intOut = new Uint8Array(4);

/**
 * WskReceiveEvent's *BytesAccepted: one for all sockets, as it is only valid during the call
 * (indications never nest: they run from the event loop, never inside a client call).
 */
const bytesAccepted = { 0: 0 };

function again(n: number): boolean {
  return n === -EAGAIN || n === -EWOULDBLOCK;
}

/** The scheduler's call: whatever deliver() owes the client. */
export function runDeferredDelivery(c: Connection): void {
  c.flags &= ~SCHEDULED;
  if (!c.s.closed) deliver(c);
}

/** Indications while the client takes them, then the disconnect and send-backlog events. */
export function deliver(c: Connection): void {
  if (c.flags & DELIVERING) return;
  c.flags |= DELIVERING;
  try {
    indicate(c);
    indicateDisconnect(c);
    if (c.flags & BACKLOG_DUE && !c.s.closed) {
      c.flags &= ~BACKLOG_DUE;
      indicateBacklog(c);
    }
  } finally {
    c.flags &= ~DELIVERING;
  }
  if (!c.s.closed) c.updateInterest();
}

function indicate(c: Connection): void {
  const s = c.s;
  for (let rounds = 0; rounds < 16 && !s.closed && c.wantsIndications(); rounds++) {
    let set = c.leftover;
    if (set === null) {
      if (c.flags & RECV_EOF || c.failure !== STATUS_SUCCESS || (c.flags & MAY_HAVE_DATA) === 0) return;
      set = takeSet();
      const n = s.sock.recvv(set.chunks, 0);
      if (n <= 0) {
        putSet(set);
        if (n === 0) onEof(c);
        else if (again(n)) c.flags &= ~MAY_HAVE_DATA;
        else c.fail(ntStatusFromErrno(n));
        return;
      }
      // A short read emptied the socket: the next round waits for readiness, not EAGAIN.
      if (n < SET_BYTES) c.flags &= ~MAY_HAVE_DATA;
      set.filled = n;
    }
    c.leftover = null;
    const head = set.chain();
    const indicated = set.unconsumed;
    bytesAccepted[0] = indicated;
    const d = c.dispatch()!;
    if (eventChannel.hasSubscribers) traceEvent(s, 'WskReceiveEvent', head, indicated);
    c.events.enter(WSK_EVENT_RECEIVE);
    let status: NTSTATUS;
    try {
      status = d.WskReceiveEvent!(s.context, 0, head, indicated, bytesAccepted);
    } finally {
      c.events.leave(s, WSK_EVENT_RECEIVE);
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
        c.leftover = set;
        c.flags |= BLOCKED;
      }
    } else if (status === STATUS_PENDING) {
      (c.retained ??= new Map()).set(head, set);
    } else if (status === STATUS_DATA_NOT_ACCEPTED) {
      c.leftover = set;
      c.flags |= BLOCKED;
    } else {
      c.leftover = set;
      c.flags |= BLOCKED;
      violation(
        'INVALID_ARGUMENT',
        'WskReceiveEvent',
        `returned ${ntStatusName(status)}; allowed are STATUS_SUCCESS, STATUS_PENDING and STATUS_DATA_NOT_ACCEPTED`,
      );
    }
  }
}

/** WskDisconnectEvent once the data before the FIN is delivered, or at once on a reset. */
function indicateDisconnect(c: Connection): void {
  if (c.flags & DISCONNECT_INDICATED || c.s.closed || c.state === ABORTED) return;
  const reset = c.failure !== STATUS_SUCCESS;
  if (!reset && !(c.flags & RECV_EOF && c.leftover === null)) return;
  const d = c.dispatch();
  if (!c.events.has(WSK_EVENT_DISCONNECT) || !d || typeof d.WskDisconnectEvent !== 'function') return;
  c.flags |= DISCONNECT_INDICATED;
  if (eventChannel.hasSubscribers) traceEvent(c.s, 'WskDisconnectEvent', reset ? WSK_FLAG_ABORTIVE : 0);
  c.events.enter(WSK_EVENT_DISCONNECT);
  try {
    d.WskDisconnectEvent(c.s.context, reset ? WSK_FLAG_ABORTIVE : 0);
  } finally {
    c.events.leave(c.s, WSK_EVENT_DISCONNECT);
  }
}

function indicateBacklog(c: Connection): void {
  const d = c.dispatch();
  if (!c.events.has(WSK_EVENT_SEND_BACKLOG) || !d || typeof d.WskSendBacklogEvent !== 'function' || !wasConnected(c.state)) return;
  if (eventChannel.hasSubscribers) traceEvent(c.s, 'WskSendBacklogEvent', idealSendBacklog(c));
  c.events.enter(WSK_EVENT_SEND_BACKLOG);
  try {
    d.WskSendBacklogEvent(c.s.context, idealSendBacklog(c));
  } finally {
    c.events.leave(c.s, WSK_EVENT_SEND_BACKLOG);
  }
}

/**
 * Without a receive or a receive event, a socket with WskDisconnectEvent enabled still polls
 * to learn of the FIN or a reset. Data arriving first parks it until someone reads.
 */
export function probe(c: Connection): void {
  const n = c.s.sock.recv(peek, 0, 1, OS.MSG_PEEK);
  if (n > 0) c.flags |= PARKED;
  else if (n === 0) onEof(c);
  else if (!again(n)) c.fail(ntStatusFromErrno(n));
}

/** WskRelease of a list a WskReceiveEvent retained; indications resume once none is held. */
export function releaseIndication(c: Connection, DataIndication: PWSK_DATA_INDICATION): NTSTATUS {
  const set = c.retained?.get(DataIndication);
  if (!set) return STATUS_INVALID_PARAMETER;
  c.retained!.delete(DataIndication);
  putSet(set);
  if (c.retained!.size === 0) {
    c.updateInterest();
    c.schedule();
  }
  return STATUS_SUCCESS;
}

/** SO_SNDBUF changed: the ideal backlog did too; tell WskSendBacklogEvent. */
export function sendBufferChanged(c: Connection): void {
  if (!wasConnected(c.state) || !c.events.has(WSK_EVENT_SEND_BACKLOG)) return;
  c.flags |= BACKLOG_DUE;
  c.schedule();
}

/** SO_SNDBUF as the kernel holds it: the bytes that keep the pipe full (see README). */
export function idealSendBacklog(c: Connection): number {
  const rc = c.s.sock.getsockopt(OS.SOL_SOCKET, OS.SO_SNDBUF, intOut);
  return rc < 0 ? 0 : new Int32Array(intOut.buffer)[0];
}
