// WskReceiveFromEvent: with the event enabled and no WskReceiveFrom waiting, each readiness
// event reads a batch with one recvmmsg into a WSK-owned receive area and indicates it as one
// WSK_DATAGRAM_INDICATION chain; the client takes it, refuses it (the event turns itself off
// and the datagrams wait) or retains it until WskRelease.
import { FaultEngine, faults } from '../kernel/fault';
import { NTSTATUS, STATUS_DATA_NOT_ACCEPTED, STATUS_INVALID_PARAMETER, STATUS_PENDING, STATUS_SUCCESS } from '../kernel/ntstatus';
import { eventChannel, traceEvent } from '../kernel/trace';
import type { ControlRequest, ControlResult } from '../socket/control-request';
import { readEventControl } from '../socket/events';
import { defer } from '../socket/scheduler';
import { addon, native, NETADDR_SIZE, OS } from '../transport/native';
import { PWSK_DATAGRAM_INDICATION, WSK_EVENT_RECEIVE_FROM } from '../wsk/wsk-base';
import { Datagram } from './datagram';
import { datagramRule, WSK_ENABLE_EVENT } from './datagram-state';
import { isAgain, SOFT_ERRORS } from './datagram-send';
import { noteSoftError, readBatch } from './datagram-errors';
import {
  armedArea,
  DATAGRAM_RECEIVE_POOL,
  giveBack,
  Indication,
  placeOfDatagram,
  ReceiveArea,
  rearmDatagrams,
  resetArmed,
  takeArea,
  unhold,
} from './receive-area';

const { EAGAIN } = native.errno;
const intOut = new Uint8Array(4);

/**
 * Indications from the scheduler or a plain readable report: a refused chain first, then
 * batches read here. Reads on readiness come from the transport instead (onDatagramsReceived).
 */
export function indicateDatagrams(d: Datagram): void {
  if (d.refused && d.events.has(WSK_EVENT_RECEIVE_FROM) && d.receives.length === 0) {
    const area = d.refused;
    d.refused = null;
    offerArea(d, area, area.first, true);
  }
  const { ROUNDS, BATCH } = DATAGRAM_RECEIVE_POOL;
  for (let round = 0; round < ROUNDS && !d.closed && d.receives.length === 0 && d.eventReady(); round++) {
    const area = takeArea(d);
    // Queued ICMP errors first (datagram-errors.ts), then a batch of datagrams.
    const n = area.batch === BATCH ? readBatch(d, area, SOFT_ERRORS) : -EAGAIN;
    if (n <= 0) {
      giveBack(area);
      if (n < 0 && !isAgain(n) && !SOFT_ERRORS.has(n)) datagramsFailed(d);
      break;
    }
    area.count = n;
    offerArea(d, area, 0, true);
    if (n < BATCH) break;
  }
}

/**
 * The transport read for us on readiness (POLL_RECEIVE): `n` datagrams in the armed area, or
 * -errno (an ICMP error consumed: ignored, as receives ignore them; anything else means the
 * socket failed for good). One call from the transport carries the batch.
 */
export function onDatagramsReceived(d: Datagram, n: number): void {
  if (n < 0) {
    // The socket's pending ICMP error: its entry waits in the error queue (if asked for),
    // which the explicit path reads (datagram-errors.ts).
    if (SOFT_ERRORS.has(n)) noteSoftError(d);
    else datagramsFailed(d);
    return;
  }
  const area = armedArea()!;
  area.owner = d;
  area.count = n;
  area.first = 0;
  if ((d.receives.length > 0 || !d.eventReady()) && d.refused === null) {
    // Not wanted any more since the transport was told (interest follows every change, so
    // this is a safety net): the datagrams wait for a WskReceiveFrom or the event, as a
    // refused chain does, rather than being lost.
    d.refused = area;
    rearmDatagrams();
    return;
  }
  offerArea(d, area, 0, false);
  if (keepsArea(d, area)) rearmDatagrams();
}

/**
 * Offers the live datagrams of `area` from `from` as one chain, and settles the area by the
 * client's answer; an area nobody keeps is given back to the pool (`pooled`) or stays armed.
 */
function offerArea(d: Datagram, area: ReceiveArea, from: number, pooled: boolean): void {
  let rest: ReceiveArea | null = null;
  try {
    if (d.remoteAddress) for (let i = from; i < area.count; i++) if (!d.accepts(area.addrs, i * NETADDR_SIZE)) area.drop(i);
    if (faults !== null && d.refused === null) rest = splitArea(faults, d, area, from);
    const c = area.chain(from, d.family);
    if (c) indicateChain(d, area, c.head, c.flags);
  } finally {
    if (rest !== null) keepRestArea(d, area, rest);
    if (!keepsArea(d, area)) {
      if (pooled) giveBack(area);
      else resetArmed(area);
    }
  }
}

/**
 * NODE_WSK_VERIFIER partial: the chain is cut between two datagrams at a random point (a burst
 * arrives over several callbacks; a datagram itself is never cut). The datagrams after the cut
 * are copied to an area of their own, indicated next from the loop. Null when nothing is cut.
 */
function splitArea(engine: FaultEngine, d: Datagram, area: ReceiveArea, from: number): ReceiveArea | null {
  const k = engine.cut(area.count - from);
  if (from + k === area.count) return null;
  const rest = takeArea(d);
  if (rest.slot !== area.slot || rest.controlSlot !== area.controlSlot || rest.batch < area.count - from - k) {
    giveBack(rest); // the pool's layout changed meanwhile: indicate the chain whole
    return null;
  }
  const { slot, controlSlot } = area;
  const first = from + k;
  for (let i = first; i < area.count; i++) {
    const j = i - first;
    const length = area.meta[3 * i];
    if (length > 0) rest.area.set(area.area.subarray(i * slot, i * slot + length), j * slot);
    rest.meta.set(area.meta.subarray(3 * i, 3 * i + 3), 3 * j);
    rest.addrs.set(area.addrs.subarray(i * NETADDR_SIZE, (i + 1) * NETADDR_SIZE), j * NETADDR_SIZE);
    rest.hostControl.set(area.hostControl.subarray(i * controlSlot, (i + 1) * controlSlot), j * controlSlot);
  }
  rest.count = area.count - first;
  area.count = first;
  return rest;
}

/** After the first part's answer: the datagrams after the cut wait for the next indication. */
function keepRestArea(d: Datagram, area: ReceiveArea, rest: ReceiveArea): void {
  if (d.refused === area) {
    // Refused: the whole chain waits, the datagrams after the cut still in place behind it.
    area.count += rest.count;
    giveBack(rest);
  } else if (d.closed || d.refused !== null) {
    giveBack(rest);
  } else {
    d.refused = rest;
    scheduleDeliver(d);
    d.updateInterest();
  }
}

/** Whether the socket (a refused chain) or its client (held datagrams) keeps the area. */
function keepsArea(d: Datagram, area: ReceiveArea): boolean {
  return d.refused === area || d.held.has(area);
}

/**
 * The socket failed for good (a read error that is not an ICMP report: the socket was
 * destroyed, for one): WskReceiveFromEvent hears it once with a NULL indication ("the socket
 * is no longer functional", wsk.h) and the socket stops reading for the event.
 */
function datagramsFailed(d: Datagram): void {
  if (d.dead || d.closed) return;
  d.dead = true;
  d.updateInterest();
  const fn = d.receiveEvent;
  if (!d.events.has(WSK_EVENT_RECEIVE_FROM) || fn === null) return;
  if (eventChannel.hasSubscribers) traceEvent(d, 'WskReceiveFromEvent', null);
  d.events.enter(WSK_EVENT_RECEIVE_FROM);
  try {
    fn(d.context, 0, null);
  } finally {
    d.events.leave(d, WSK_EVENT_RECEIVE_FROM);
  }
}

/**
 * Calls the event with one chain from `area` and settles the area by its answer (the socket
 * may be closed after); leaving the callback completes the disables that waited for it.
 */
function indicateChain(d: Datagram, area: ReceiveArea, head: Indication, flags: number): void {
  const fn = d.receiveEvent!;
  if (eventChannel.hasSubscribers) traceEvent(d, 'WskReceiveFromEvent', head);
  d.events.enter(WSK_EVENT_RECEIVE_FROM);
  try {
    settle(d, area, fn(d.context, flags, head));
  } finally {
    d.events.leave(d, WSK_EVENT_RECEIVE_FROM);
  }
}

/** What the client's answer means for the area its chain lives in (kept by whom, if anyone). */
function settle(d: Datagram, area: ReceiveArea, status: NTSTATUS): void {
  if (status === STATUS_PENDING) {
    // What it did not release inside the callback stays with it.
    if (area.heldCount === 0) return;
    if (d.held.size === 0) {
      d.heldBytes = 0;
      d.retainBudget = retentionBudget(d);
    }
    d.held.add(area);
    d.heldBytes += area.heldBytes;
  } else if (status === STATUS_DATA_NOT_ACCEPTED && (d.events.locked & WSK_EVENT_RECEIVE_FROM) === 0 && !d.closed) {
    // The event turns itself off; the datagrams stay buffered for a re-enable or WskReceiveFrom.
    d.events.enabled &= ~WSK_EVENT_RECEIVE_FROM;
    unhold(area);
    d.refused = area;
  }
  // STATUS_SUCCESS, or a static event refusing (it stays on; the datagrams are dropped): nobody keeps it.
}

/** About the socket's receive buffer (the kernel's SO_RCVBUF), at least one datagram of any size. */
function retentionBudget(d: Datagram): number {
  const rc = addon.getsockopt(d.id, OS.SOL_SOCKET, OS.SO_RCVBUF, intOut);
  return Math.max(rc < 0 ? 0 : new Int32Array(intOut.buffer)[0], 65536);
}

/** Runs indications from the loop (after a re-enable, where the OS may have nothing new). */
function scheduleDeliver(d: Datagram): void {
  if (d.deliverDue) return;
  d.deliverDue = true;
  defer(d);
}

/** The scheduler's call (see scheduleDeliver). */
export function runDeferredDatagrams(d: Datagram): void {
  d.deliverDue = false;
  if (d.closed) return;
  indicateDatagrams(d);
  d.updateInterest();
}

/**
 * WskRelease: gives back the datagram and every one linked after it (any element, a sublist or
 * a whole chain, in any order, also from inside the callback that indicated it). An area returns
 * with its last datagram; reading resumes once what is held is within the budget again.
 */
export function releaseDatagrams(d: Datagram, DatagramIndication: unknown): NTSTATUS {
  const first = placeOfDatagram(DatagramIndication);
  if (!first || first.area.owner !== d || first.area.heldSlots[first.index] === 0) return STATUS_INVALID_PARAMETER;
  // Each step clears a held flag, so a chain the client made circular still ends.
  for (let e = DatagramIndication as PWSK_DATAGRAM_INDICATION | null; e !== null && e !== undefined; e = e.Next) {
    const place = placeOfDatagram(e);
    if (!place || place.area.owner !== d || place.area.heldSlots[place.index] === 0) break;
    const area = place.area;
    const bytes = area.meta[3 * place.index];
    area.heldSlots[place.index] = 0;
    area.heldCount--;
    area.heldBytes -= bytes;
    if (d.held.has(area)) {
      d.heldBytes -= bytes;
      if (area.heldCount === 0) {
        d.held.delete(area);
        giveBack(area);
      }
    }
  }
  d.updateInterest();
  return STATUS_SUCCESS;
}

/** SO_WSK_EVENT_CALLBACK on a datagram socket. */
export function datagramEventControl(d: Datagram, req: ControlRequest): ControlResult {
  const ctl = readEventControl(req, WSK_EVENT_RECEIVE_FROM);
  if (typeof ctl === 'number') return { status: ctl };
  if (!ctl.disable) {
    const refused = datagramRule(WSK_ENABLE_EVENT, d.state);
    if (refused !== STATUS_SUCCESS) return { status: refused };
  }
  const result = d.events.apply(d, req, ctl, () => d.receiveEvent !== null);
  if (result.status === STATUS_SUCCESS && !ctl.disable && d.refused) scheduleDeliver(d);
  d.updateInterest();
  return result;
}

