// WskReceiveFromEvent: with the event enabled and no WskReceiveFrom waiting, each readiness
// event reads a batch with one recvmmsg into a WSK-owned receive area and indicates it as one
// WSK_DATAGRAM_INDICATION chain; the client takes it, refuses it (the event turns itself off
// and the datagrams wait) or retains it until WskRelease.
import { NTSTATUS, STATUS_DATA_NOT_ACCEPTED, STATUS_INVALID_PARAMETER, STATUS_PENDING, STATUS_SUCCESS } from '../kernel/ntstatus';
import { eventChannel, traceEvent } from '../kernel/trace';
import type { ControlRequest, ControlResult } from '../socket/control-request';
import { readEventControl } from '../socket/events';
import { defer } from '../socket/scheduler';
import { native, NETADDR_SIZE } from '../transport/native';
import { WSK_EVENT_RECEIVE_FROM } from '../wsk/wsk';
import { Datagram } from './datagram';
import { datagramRule, WSK_ENABLE_EVENT } from './datagram-state';
import { SOFT_ERRORS } from './datagram-send';
import { areaOf, DATAGRAM_RECEIVE_POOL, giveBack, Indication, ReceiveArea, takeArea } from './receive-area';

const { EAGAIN } = native.errno;

/** Reads batches and indicates them while the event may take them. */
export function indicateDatagrams(d: Datagram): void {
  if (d.refused && d.events.has(WSK_EVENT_RECEIVE_FROM) && d.receives.length === 0) {
    const area = d.refused;
    d.refused = null;
    const c = area.chain(area.first, d.family);
    if (c) indicateChain(d, area, c.head, c.flags);
    else giveBack(area);
  }
  const { ROUNDS, BATCH, SLOT, CONTROL_SLOT } = DATAGRAM_RECEIVE_POOL;
  for (let round = 0; round < ROUNDS && !d.closed && d.receives.length === 0 && d.eventReady(); round++) {
    const area = takeArea(d);
    let n = area.batch === BATCH ? d.sock.recvmmsg(area.area, SLOT, BATCH, area.meta, area.addrs, area.hostControl, CONTROL_SLOT, 0) : -EAGAIN;
    for (let i = 0; i < 16 && SOFT_ERRORS.has(n); i++) {
      n = d.sock.recvmmsg(area.area, SLOT, BATCH, area.meta, area.addrs, area.hostControl, CONTROL_SLOT, 0);
    }
    if (n <= 0) {
      giveBack(area);
      break;
    }
    area.count = n;
    if (d.remoteAddress) for (let i = 0; i < n; i++) if (!d.accepts(area.addrs, i * NETADDR_SIZE)) area.drop(i);
    const c = area.chain(0, d.family);
    if (c) indicateChain(d, area, c.head, c.flags);
    else giveBack(area);
    if (n < BATCH) break;
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

/** What the client's answer means for the area its chain lives in. */
function settle(d: Datagram, area: ReceiveArea, status: NTSTATUS): void {
  if (status === STATUS_PENDING) {
    area.held = true;
    d.held.add(area);
  } else if (status === STATUS_DATA_NOT_ACCEPTED && (d.events.locked & WSK_EVENT_RECEIVE_FROM) === 0 && !d.closed) {
    // The event turns itself off; the datagrams stay buffered for a re-enable or WskReceiveFrom.
    d.events.enabled &= ~WSK_EVENT_RECEIVE_FROM;
    d.refused = area;
  } else {
    // STATUS_SUCCESS, or a static event refusing (it stays on; the datagrams are dropped).
    giveBack(area);
  }
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

/** WskRelease of a chain a WskReceiveFromEvent retained (its head). */
export function releaseDatagrams(d: Datagram, DatagramIndication: unknown): NTSTATUS {
  const area = areaOf(DatagramIndication);
  if (!area || area.owner !== d || !area.held || area.head !== DatagramIndication) return STATUS_INVALID_PARAMETER;
  d.held.delete(area);
  giveBack(area);
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

