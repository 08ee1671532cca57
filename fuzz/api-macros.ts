// Patterns a driver uses to set sockets up (a listener and a connection to it, two bound
// datagram sockets, a conditional-accept listener...), as plain actions. Random actions alone
// rarely build a connected pair: without these, the data paths (short reads, retained
// indications, throwing routines on pending receives) are almost never reached. The actions
// are ordinary ones (api-run.ts runs them), so a case shrinks through them like any other;
// "s: -1" is the newest socket, "-2" the one before, and learned address -2 the listener's.
import fc from 'fast-check';
import type { Act } from './api-arbs';

/** Rows of the WskControlSocket table (api-control.ts) that the patterns use. */
export const CTL_ENABLE_EVENTS = 0;
export const CTL_CONDITIONAL_ACCEPT = 11;

/** A routine that completes well and does nothing else: for the set-up calls. */
const PLAIN = { invoke: 7, cb: { ret: 0, do: [] } };

const lo = (fam: number) => ({ a: fam === 6 ? 'lo6' : 'lo4' });
const socket = (fam: number, kind: number, ev: unknown): Act => ({ op: 'socket', fam, kind, flags: null, ev, sd: 0, irp: 'new', fresh: true, rt: PLAIN });
const bind = (s: number, fam: number): Act => ({ op: 'bind', s, addr: lo(fam), flags: 0, irp: 'new', fresh: true, rt: PLAIN });
const enableEvents = (s: number): Act => ({ op: 'control', s, c: CTL_ENABLE_EVENTS, v: 0, out: null, irp: 'new', fresh: true, rt: PLAIN });
const tick: Act = { op: 'tick', ms: 0 };

/** How the listener takes its connection: WskAccept, the accept event, or not at all (it waits in the backlog). */
function take(how: number, listener: number, ev: unknown, rt: unknown): Act[] {
  if (how === 0) return [{ op: 'accept', s: listener, ev, local: null, remote: null, flags: 0, irp: 'new', fresh: true, rt }];
  if (how === 1) return [enableEvents(listener)];
  return [];
}

/**
 * Traffic on a pair: a receive posted on `to` (with a routine of the case's), then `n` short
 * sends from `from`, the event loop between (receives that pend, complete short, see data arrive
 * while queued: where a routine that throws or closes matters most), then the next receive,
 * over a WSK_BUF of the case's (a getter on it may close the socket mid-call).
 */
function traffic(send: string, from: number, to: number, n: number, rt: unknown, addr: unknown, next: unknown): Act[] {
  const receive = (buf: unknown): Act =>
    send === 'send'
      ? { op: 'receive', s: to, buf, flags: 0, irp: 'new', fresh: true, rt }
      : { op: 'receiveFrom', s: to, buf, flags: 0, from: { $: 'obj' }, ctlLen: null, ctlFlags: null, irp: 'new', fresh: true, rt };
  const out: Act[] = [receive({ m: 1, off: 0, len: 16 })];
  for (let i = 0; i < n; i++) {
    const one = { op: send, s: from, buf: { m: 0, off: i, len: 5 }, flags: 0, irp: 'new', fresh: true, rt: PLAIN };
    out.push(send === 'send' ? one : { ...one, addr, ctl: 0 }, tick);
  }
  out.push(receive(next));
  return out;
}

/** A listen socket, a connection socket connected to it, and (usually) the accepted socket. */
export function tcpPairArb(handlers: fc.Arbitrary<unknown>, routine: fc.Arbitrary<unknown>, buf: fc.Arbitrary<unknown>): fc.Arbitrary<Act[]> {
  return fc
    .record({ fam: fc.constantFrom(4, 4, 6), lev: handlers, cev: handlers, aev: handlers, how: fc.nat(2), events: fc.boolean(), rtc: routine, rta: routine, rtr: routine, sends: fc.nat(3), next: buf })
    .map(({ fam, lev, cev, aev, how, events, rtc, rta, rtr, sends, next }) => [
      socket(fam, 0, lev),
      bind(-1, fam),
      socket(fam, 1, cev),
      bind(-1, fam),
      ...(events ? [enableEvents(-1)] : []),
      { op: 'connect', s: -1, addr: { a: 'learned', i: -2 }, flags: 0, irp: 'new', fresh: true, rt: rtc },
      ...take(how, -2, aev, rta),
      tick,
      // Accepted: the connection is -2, the accepted socket -1.
      ...(how === 0 && sends > 0 ? traffic('send', -1, -2, sends, rtr, null, next) : []),
    ]);
}

/** Two stream sockets, one committed by WskListen, the other by WskConnect to it. */
export function streamPairArb(handlers: fc.Arbitrary<unknown>, routine: fc.Arbitrary<unknown>): fc.Arbitrary<Act[]> {
  return fc
    .record({ fam: fc.constantFrom(4, 6), lev: handlers, cev: handlers, aev: handlers, how: fc.nat(2), rtc: routine, rta: routine })
    .map(({ fam, lev, cev, aev, how, rtc, rta }) => [
      socket(fam, 3, lev),
      bind(-1, fam),
      { op: 'listen', s: -1, irp: 'new', fresh: true, rt: PLAIN },
      socket(fam, 3, cev),
      bind(-1, fam),
      { op: 'connect', s: -1, addr: { a: 'learned', i: -2 }, flags: 0, irp: 'new', fresh: true, rt: rtc },
      ...take(how, -2, aev, rta),
      tick,
    ]);
}

/** Two bound datagram sockets (their addresses learned), receive events on one perhaps, datagrams between them. */
export function udpPairArb(handlers: fc.Arbitrary<unknown>, routine: fc.Arbitrary<unknown>, buf: fc.Arbitrary<unknown>): fc.Arbitrary<Act[]> {
  return fc
    .record({ fam: fc.constantFrom(4, 4, 6), ev1: handlers, ev2: handlers, events: fc.nat(2), rtr: routine, sends: fc.nat(3), next: buf })
    .map(({ fam, ev1, ev2, events, rtr, sends, next }) => [
      socket(fam, 2, ev1),
      bind(-1, fam),
      socket(fam, 2, ev2),
      bind(-1, fam),
      ...(events === 0 ? [] : [enableEvents(-events)]),
      // From the second socket to the first (the address learned before last).
      ...(sends > 0 ? traffic('sendTo', -1, -2, sends, rtr, { a: 'learned', i: -2 }, next) : []),
    ]);
}

/**
 * A listener with SO_CONDITIONAL_ACCEPT and an inspect handler, and a connection to it: its
 * WskInspectEvent accepts, rejects or pends (then WskInspectComplete, or WskAbortEvent).
 */
export function condListenerArb(callback: fc.Arbitrary<unknown>, routine: fc.Arbitrary<unknown>): fc.Arbitrary<Act[]> {
  return fc
    .record({
      fam: fc.constantFrom(4, 6),
      ev: fc.record({ acc: callback, insp: callback, abort: fc.option(callback, { freq: 2 }), recv: fc.constant(null), disc: fc.constant(null), backlog: fc.constant(null), rf: fc.constant(null) }),
      how: fc.nat(2),
      rtc: routine,
    })
    .map(({ fam, ev, how, rtc }) => [
      socket(fam, 0, ev),
      { op: 'control', s: -1, c: CTL_CONDITIONAL_ACCEPT, v: 1, out: null, irp: 'new', fresh: true, rt: PLAIN },
      bind(-1, fam),
      ...(how === 1 ? [] : [enableEvents(-1)]),
      socket(fam, 1, null),
      bind(-1, fam),
      { op: 'connect', s: -1, addr: { a: 'learned', i: -2 }, flags: 0, irp: 'new', fresh: true, rt: rtc },
      ...(how === 1 ? take(0, -2, null, PLAIN) : []),
      tick,
    ]);
}
