// fast-check arbitraries for cases against the raw addon (`addon` of lib/native.ts): every
// function, with well-formed arguments most of the time and otherwise ill-formed ones: wrong
// types, detached buffers, out-of-range numbers, arrays whose getters close the socket mid-call;
// and the env's receive areas, which automatic reads (POLL_RECEIVE in poll's events) fill.
// Addresses are loopback or malformed only; no raw socket includes its own IP header.
import fc from 'fast-check';
import { rarely, weirdArb } from './values';

export type AddonAct = { op: string; [field: string]: unknown };

/** Argument kinds, per function after the socket id (see addon-exec.ts for how each is made). */
export const SIGNATURES: Record<string, string[]> = {
  setsockopt: ['opt', 'u8'],
  getsockopt: ['opt', 'u8'],
  bind: ['addr'],
  listen: ['num'],
  accept: ['addrOut'],
  connect: ['addr'],
  takeError: [],
  send: ['u8', 'off', 'len', 'flags'],
  recv: ['u8', 'off', 'len', 'flags'],
  sendv: ['bufs', 'flags'],
  recvv: ['bufs', 'flags'],
  sendto: ['u8', 'off', 'len', 'flags', 'addrOrNull'],
  recvfrom: ['u8', 'off', 'len', 'flags', 'addrOut'],
  recvmsg: ['bufs', 'flags', 'addrOut', 'control', 'i32'],
  sendmsg: ['bufs', 'flags', 'addrOrNull', 'control'],
  recvmmsg: ['u8', 'num', 'count', 'i32', 'addrOut', 'control', 'num', 'flags'],
  sendmmsg: ['bufs', 'i32', 'addrOrNull', 'control', 'flags'],
  shutdown: ['num'],
  localAddress: ['addrOut'],
  peerAddress: ['addrOut'],
  available: [],
  poll: ['events'],
  close: [],
  fd: [],
};

const idRef = fc.oneof({ weight: 10, arbitrary: fc.integer({ min: -1, max: 7 }) }, { weight: 1, arbitrary: fc.record({ raw: weirdArb }) });

/** One argument of a kind: usually well-formed for that kind ({ k }), sometimes anything. */
function argArb(kind: string): fc.Arbitrary<unknown> {
  const good = fc.record({ k: fc.constant(kind), n: fc.nat(9), g: rarely(fc.record({ at: fc.nat(3), close: fc.integer({ min: -1, max: 7 }), throws: fc.boolean() }), 8) });
  const odd = fc.oneof(weirdArb, fc.constantFrom({ t: 'detached' }, { t: 'i16' }, { t: 'dataview' }, { t: 'big' }));
  return fc.oneof({ weight: 10, arbitrary: good }, { weight: 1, arbitrary: odd });
}

function callArb(): fc.Arbitrary<AddonAct> {
  return fc.constantFrom(...Object.keys(SIGNATURES)).chain((fn) =>
    fc.record({ op: fc.constant('call'), fn: fc.constant(fn), id: idRef, args: fc.tuple(...SIGNATURES[fn].map(argArb)) }),
  );
}

function opsArb(depth: number): fc.Arbitrary<AddonAct>[] {
  const nested = depth > 0 ? addonActionsArb(depth - 1, 4) : fc.constant([]);
  return [
    callArb(),
    callArb(),
    callArb(),
    fc.record({ op: fc.constant('socket'), kind: fc.nat(8) }),
    fc.record({ op: fc.constant('handler'), set: fc.nat(4), do: nested, throws: fc.boolean() }),
    fc.record({ op: fc.constant('getaddrinfo'), node: fc.nat(5), svc: fc.nat(2), flags: fc.nat(3), family: fc.nat(3), cbDo: nested, bad: rarely(argArb('num'), 6) }),
    fc.record({ op: fc.constant('getnameinfo'), addr: argArb('addr'), flags: fc.nat(31), cbDo: nested }),
    fc.record({ op: fc.constant('cancelResolution'), i: fc.nat(7), raw: rarely(weirdArb, 5) }),
    fc.record({ op: fc.constant('misc'), what: fc.nat(5), v: weirdArb }),
    // The automatic reads' areas (POLL_RECEIVE): registered, replaced, cleared, detached, or
    // with ill-formed arguments; also from inside the handler, between reads.
    fc.record({ op: fc.constant('area'), what: fc.nat(4), n: fc.nat(11), bad: fc.option(weirdArb, { freq: 6 }) }),
    // A socket with data waiting and POLL_RECEIVE armed (a UDP socket with datagrams, or an
    // accepted TCP connection with bytes, then maybe the peer's FIN or a reset), an area
    // registered: the handler's actions then run between automatic reads.
    fc.record({ op: fc.constant('receiver'), stream: fc.boolean(), n: fc.nat(11), msgs: fc.nat(40), interest: fc.constantFrom(8, 9, 10, 11), end: fc.nat(2) }),
  ];
}

export function addonActionsArb(depth: number, maxLength: number): fc.Arbitrary<AddonAct[]> {
  const one = fc.oneof(...opsArb(depth));
  if (depth < 2) return fc.array(one, { maxLength, size: 'small' });
  const top = fc.oneof({ weight: 12, arbitrary: one }, { weight: 2, arbitrary: fc.record({ op: fc.constant('tick'), ms: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, 5) }) }) });
  return fc.array(top, { maxLength, size: 'medium' });
}

/**
 * Sometimes, a worker thread making addon calls in a loop, terminated while it does (once in a
 * case at most: starting a worker costs as much as a whole case).
 */
const workerArb = rarely(fc.record({ at: fc.nat(60), act: fc.record({ op: fc.constant('worker'), calls: fc.array(callArb(), { minLength: 1, maxLength: 4 }), ms: fc.nat(30) }) }), 12);

export const addonCaseArb: fc.Arbitrary<AddonAct[]> = fc.tuple(addonActionsArb(2, 60), workerArb).map(([acts, worker]) => {
  if (worker) acts.splice(worker.at, 0, worker.act);
  return acts;
});
