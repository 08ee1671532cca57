// The connection's event callbacks (reference §4.5): WskReceiveEvent with chains of WSK-owned
// buffers (taken, partly taken, refused or retained until WskRelease), WskDisconnectEvent after
// the data before the FIN, or at once on a reset, and WskSendBacklogEvent. Everything here runs
// from the event loop (readiness or the scheduler), never inside the client's own call.
import { NTSTATUS, STATUS_DATA_NOT_ACCEPTED, STATUS_INVALID_PARAMETER, STATUS_PENDING, STATUS_SUCCESS, ntStatusName } from '../kernel/ntstatus';
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
  DEAD_INDICATED,
  DELIVERING,
  DISCONNECT_INDICATED,
  MAY_HAVE_DATA,
  PARKED,
  RECV_EOF,
  SCHEDULED,
  withinBudget,
} from './connection';
import { ABORTED, wasConnected } from './connection-state';
import { IndicationSet, placeOfElement, putSet, SET_BYTES, takeSet } from './indication-set';
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
    indicateDead(c);
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
    set.owner = c;
    const head = set.chain();
    const indicated = set.unconsumed;
    bytesAccepted[0] = indicated;
    const d = c.dispatch()!;
    c.events.enter(WSK_EVENT_RECEIVE);
    let status: NTSTATUS;
    try {
      status = d.WskReceiveEvent!(s.context, 0, head, indicated, bytesAccepted);
    } finally {
      c.events.leave(s, WSK_EVENT_RECEIVE);
    }
    // Only STATUS_PENDING leaves elements with the client.
    if (status !== STATUS_PENDING) set.held = 0;
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
      retain(c, set);
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
  c.events.enter(WSK_EVENT_DISCONNECT);
  try {
    d.WskDisconnectEvent(c.s.context, reset ? WSK_FLAG_ABORTIVE : 0);
  } finally {
    c.events.leave(c.s, WSK_EVENT_DISCONNECT);
  }
}

/**
 * A connection that failed for good (a reset, an error; not the client's own abortive
 * disconnect) tells WskReceiveEvent so with a NULL DataIndication once the data before the
 * failure is delivered: "the socket is no longer functional", the client closes it (wsk.h).
 */
function indicateDead(c: Connection): void {
  if (c.flags & DEAD_INDICATED || c.s.closed || c.state === ABORTED || c.failure === STATUS_SUCCESS || c.leftover !== null) return;
  const d = c.dispatch();
  if (!c.events.has(WSK_EVENT_RECEIVE) || !d || typeof d.WskReceiveEvent !== 'function') return;
  c.flags |= DEAD_INDICATED;
  bytesAccepted[0] = 0;
  c.events.enter(WSK_EVENT_RECEIVE);
  try {
    d.WskReceiveEvent(c.s.context, 0, null, 0, bytesAccepted);
  } finally {
    c.events.leave(c.s, WSK_EVENT_RECEIVE);
  }
}

function indicateBacklog(c: Connection): void {
  const d = c.dispatch();
  if (!c.events.has(WSK_EVENT_SEND_BACKLOG) || !d || typeof d.WskSendBacklogEvent !== 'function' || !wasConnected(c.state)) return;
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

/** The client answered STATUS_PENDING: what it did not release inside the callback is retained. */
function retain(c: Connection, set: IndicationSet): void {
  if (set.held === 0) {
    putSet(set);
    return;
  }
  const r = (c.retained ??= { sets: new Set(), bytes: 0, budget: retentionBudget(c) });
  r.sets.add(set);
  r.bytes += set.heldBytes();
}

/** About the socket's receive buffer (as the client set it, else the kernel's), at least one read. */
function retentionBudget(c: Connection): number {
  let budget = c.rcvbuf;
  if (budget < 0) {
    const rc = c.s.sock.getsockopt(OS.SOL_SOCKET, OS.SO_RCVBUF, intOut);
    budget = rc < 0 ? 0 : new Int32Array(intOut.buffer)[0];
  }
  return Math.max(budget, SET_BYTES);
}

/**
 * WskRelease: gives back the element and every element linked after it (the client may
 * release one element, a sublist or a whole chain, in any order, also from inside the callback
 * that indicated it). A set's memory returns with its last element; indications resume once
 * what is retained is within the budget again.
 */
export function releaseIndication(c: Connection, DataIndication: PWSK_DATA_INDICATION): NTSTATUS {
  const first = placeOfElement(DataIndication);
  if (!first || first.set.owner !== c || (first.set.held & first.bit) === 0) return STATUS_INVALID_PARAMETER;
  const r = c.retained;
  const wasBlocked = r !== null && !withinBudget(r);
  // Each step clears a held bit, so a chain the client made circular still ends.
  for (let e: PWSK_DATA_INDICATION | null = DataIndication; e !== null && e !== undefined; e = e.Next) {
    const place = placeOfElement(e);
    if (!place || place.set.owner !== c || (place.set.held & place.bit) === 0) break;
    const set = place.set;
    set.held &= ~place.bit;
    if (r !== null && r.sets.has(set)) {
      r.bytes -= set.lengths[place.index];
      if (set.held === 0) {
        r.sets.delete(set);
        putSet(set);
      }
    }
  }
  if (r !== null && r.sets.size === 0) c.retained = null;
  if (wasBlocked && (c.retained === null || withinBudget(c.retained))) {
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
