// The connection's event callbacks (https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_receive_event): WskReceiveEvent with chains of WSK-owned
// buffers (taken, partly taken, refused or retained until WskRelease), WskDisconnectEvent after
// the data before the FIN, or at once on a reset, and WskSendBacklogEvent. Everything here runs
// from the event loop (readiness or the scheduler), never inside the client's own call.
import { faults, FaultEngine } from '../kernel/fault';
import { NTSTATUS, STATUS_DATA_NOT_ACCEPTED, STATUS_INVALID_PARAMETER, STATUS_PENDING, STATUS_SUCCESS, ntStatusName } from '../kernel/ntstatus';
import { eventChannel, traceEvent } from '../kernel/trace';
import { badArgument, violation } from '../kernel/verifier';
import { ntStatusFromErrno } from '../transport/errno';
import { addon, native, OS } from '../transport/native';
import { PWSK_DATA_INDICATION, WSK_EVENT_DISCONNECT, WSK_EVENT_RECEIVE, WSK_EVENT_SEND_BACKLOG, WSK_FLAG_ABORTIVE } from '../wsk/wsk-base';
import {
  BACKLOG_DUE,
  BLOCKED,
  Connection,
  DEAD_INDICATED,
  DELIVERING,
  DISCONNECT_INDICATED,
  PARKED,
  RECV_EOF,
  SCHEDULED,
  withinBudget,
} from './connection';
import { ABORTED, wasConnected } from './connection-state';
import { armedSet, CHUNK, IndicationSet, placeOfElement, putSet, rearm, SET_BYTES, takeSet } from './indication-set';
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

/**
 * Indications from the scheduler (deliver): what is left over first, then reads of our own.
 * Reads on readiness come from the transport instead (onReceived), one call with the data.
 */
function indicate(c: Connection): void {
  const s = c.s;
  for (let rounds = 0; rounds < 16 && !s.closed && c.wantsIndications(); rounds++) {
    let set = c.leftover;
    if (set === null) {
      if (c.flags & RECV_EOF || c.failure !== STATUS_SUCCESS) return;
      set = takeSet();
      // -EAGAIN without a system call when the transport knows the socket drained.
      const n = addon.recvv(s.id, set.chunks, 0);
      if (n <= 0) {
        putSet(set);
        if (n === 0) onEof(c);
        else if (!again(n)) c.fail(ntStatusFromErrno(n));
        return;
      }
      set.filled = n;
    }
    c.leftover = null;
    try {
      offer(c, set);
    } finally {
      if (!keeps(c, set)) putSet(set);
    }
  }
}

/** Whether the connection (left over) or its client (retained) keeps the set. */
function keeps(c: Connection, set: IndicationSet): boolean {
  return c.leftover === set || (c.retained !== null && c.retained.sets.has(set));
}

/**
 * The transport read for us on readiness (POLL_RECEIVE): `n` bytes in the armed set, 0 for the
 * peer's FIN, or -errno (the transport stopped reading either way). One call from the
 * transport carries the data; the set it read into stays armed unless someone keeps it.
 */
export function onReceived(c: Connection, n: number): void {
  if (n <= 0) {
    c.s.readingStopped();
    if (n === 0) onEof(c);
    else c.fail(ntStatusFromErrno(n));
    return;
  }
  const set = armedSet()!;
  set.filled = n;
  set.start = 0;
  if (c.flags & DELIVERING || c.leftover !== null || !c.wantsIndications()) {
    // Not wanted any more since the transport was told (cannot happen while interest follows
    // every change; kept, not lost, if it does): served to the next receive or indication.
    if (c.leftover === null) {
      c.leftover = set;
      set.owner = c;
    }
  } else {
    c.flags |= DELIVERING;
    try {
      offer(c, set);
    } finally {
      c.flags &= ~DELIVERING;
      if (keeps(c, set)) rearm();
      else {
        set.start = set.filled = set.held = 0;
        set.owner = null;
      }
    }
    return;
  }
  rearm();
}

/**
 * Offers a filled set to WskReceiveEvent. Under NODE_WSK_VERIFIER partial, only its first part:
 * the rest is left over, for the next indication (scheduled) or receive.
 */
function offer(c: Connection, set: IndicationSet): void {
  const rest = faults !== null ? splitOff(faults, set) : null;
  if (rest === null) return offerSet(c, set);
  try {
    offerSet(c, set);
  } finally {
    keepRest(c, set, rest);
  }
}

/**
 * partial: cuts the set's unconsumed bytes at a random point; the bytes after it are copied to a
 * set of their own (the client may retain this one), laid across an element boundary when they
 * fit, so that the next indication is a chain of several elements. Null when nothing is cut.
 */
function splitOff(engine: FaultEngine, set: IndicationSet): IndicationSet | null {
  const k = engine.cut(set.unconsumed);
  if (k === set.unconsumed) return null;
  const from = set.start + k;
  const n = set.filled - from;
  const rest = takeSet();
  const at = n >= 2 && n <= SET_BYTES - CHUNK ? CHUNK - 1 - engine.pick(Math.min(n - 1, CHUNK)) : 0;
  rest.area.set(set.area.subarray(from, set.filled), at);
  rest.start = at;
  rest.filled = at + n;
  set.filled = from;
  return rest;
}

/** After the first part's answer: what the connection keeps left over is in order again. */
function keepRest(c: Connection, set: IndicationSet, rest: IndicationSet): void {
  if (c.leftover === set) {
    // Partly taken or refused: the bytes after the cut are still there, behind what is left.
    set.filled += rest.unconsumed;
    putSet(rest);
  } else if (c.s.closed || c.leftover !== null || c.state === ABORTED) {
    putSet(rest);
  } else {
    rest.owner = c;
    c.leftover = rest;
    c.schedule();
    c.updateInterest();
  }
}

/** Offers a filled set to WskReceiveEvent and settles it by the answer (taken, partly, refused, retained). */
function offerSet(c: Connection, set: IndicationSet): void {
  const s = c.s;
  set.owner = c;
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
  // Only STATUS_PENDING leaves elements with the client.
  if (status !== STATUS_PENDING) set.held = 0;
  if (status === STATUS_SUCCESS) {
    const accepted = bytesAccepted[0];
    if (!Number.isInteger(accepted) || accepted < 0 || accepted > indicated) {
      badArgument('WskReceiveEvent', `*BytesAccepted ${String(accepted)} is not within 0..BytesIndicated (${indicated})`);
    }
    if (accepted !== indicated) {
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
  if (eventChannel.hasSubscribers) traceEvent(c.s, 'WskReceiveEvent', null, 0);
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
  const n = addon.recv(c.s.id, peek, 0, 1, OS.MSG_PEEK);
  if (n > 0) c.flags |= PARKED;
  else if (n === 0) onEof(c);
  else if (!again(n)) c.fail(ntStatusFromErrno(n));
}

/** The client answered STATUS_PENDING: what it did not release inside the callback is retained. */
function retain(c: Connection, set: IndicationSet): void {
  if (set.held === 0) return; // all released inside the callback: free again

  const r = (c.retained ??= { sets: new Set(), bytes: 0, budget: retentionBudget(c) });
  r.sets.add(set);
  r.bytes += set.heldBytes();
}

/** About the socket's receive buffer (as the client set it, else the kernel's), at least one read. */
function retentionBudget(c: Connection): number {
  let budget = c.rcvbuf;
  if (budget < 0) {
    const rc = addon.getsockopt(c.s.id, OS.SOL_SOCKET, OS.SO_RCVBUF, intOut);
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
  const rc = addon.getsockopt(c.s.id, OS.SOL_SOCKET, OS.SO_SNDBUF, intOut);
  return rc < 0 ? 0 : new Int32Array(intOut.buffer)[0];
}
