// fast-check arbitraries for cases against the public API: a case is a list of plain-data
// actions (see api-run.ts for what each does). References to sockets, IRPs, MDLs, events and
// buffers are small numbers taken modulo the pool they name; -1 names the newest one, -2 the one
// before (and, in a callback's or a getter's own actions, -1 is "this socket" / "this IRP").
// Callbacks (completion routines, event handlers, getters on a WSK_BUF) carry their own action
// lists, run synchronously inside the callback.
import fc from 'fast-check';
import { maybeWeird, rarely, weirdArb, weirdNonNumberArb } from './values';
import { condListenerArb, streamPairArb, tcpPairArb, udpPairArb } from './api-macros';

export type Act = { op: string; [field: string]: unknown };

/** Behaviour of a client callback: what it returns (or throws) and what it calls first. */
export interface CallbackSpec {
  /** 0 = the well-formed answer, 1..3 = alternatives the callback kind allows, 4 = a wrong value, 5 = throw. */
  ret: number;
  do: Act[];
}

/** A socket (address...) of the pool; -1, the newest (in a callback: its own), comes up most. */
export const ref = fc.oneof({ weight: 3, arbitrary: fc.constant(-1) }, { weight: 7, arbitrary: fc.integer({ min: -2, max: 7 }) });
/** An IRP of the pool (often busy: passing it is then a violation), a new one, or not an IRP. */
const irpRef = fc.oneof({ weight: 14, arbitrary: fc.integer({ min: -1, max: 5 }) }, { weight: 6, arbitrary: fc.constant('new') }, { weight: 1, arbitrary: weirdArb });

/** Addresses: only loopback, unspecified, addresses learned from our own sockets, or malformed ones. */
export const addrArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ a: fc.constant('learned'), i: ref }) },
  { weight: 2, arbitrary: fc.constantFrom({ a: 'lo4' }, { a: 'lo6' }, { a: 'any4' }, { a: 'any6' }, { a: 'mapped' }) },
  { weight: 1, arbitrary: fc.record({ a: fc.constant('bad'), field: fc.constantFrom('sin_family', 'sin_port', 'sin_addr', 's_addr', 'sin6_addr', 'Byte'), v: weirdNonNumberArb }) },
  { weight: 1, arbitrary: weirdNonNumberArb },
);

/** An out-parameter object: usually `{}`, sometimes frozen, a primitive or missing. */
const outArb = fc.oneof({ weight: 8, arbitrary: fc.constant({ $: 'obj' }) }, { weight: 1, arbitrary: weirdArb });

export function bufArb(depth: number): fc.Arbitrary<unknown> {
  const plain = fc.record({
    m: fc.nat(7),
    off: maybeWeird(fc.nat(8), 20),
    len: maybeWeird(fc.oneof(fc.nat(16), fc.nat(70000)), 20),
  });
  if (depth <= 0) return fc.oneof({ weight: 12, arbitrary: plain }, { weight: 1, arbitrary: weirdArb });
  // A getter that runs actions on its at-th read: while the call reads its arguments, with
  // "this socket" and "this IRP" naming the call's own. Half the time it does what matters most
  // in the middle of a call: closes the socket, or cancels the IRP before it can pend.
  const midCall = fc.oneof(
    { weight: 2, arbitrary: actionsArb(depth - 1, 3) },
    { weight: 1, arbitrary: fc.constant([{ op: 'close', s: -1, irp: 'new', fresh: true, rt: { invoke: 7, cb: { ret: 0, do: [] } } }]) },
    { weight: 1, arbitrary: fc.constant([{ op: 'cancel', irp: -1 }]) },
  );
  const withGetter = fc.record({
    m: fc.nat(7),
    off: fc.nat(8),
    len: fc.nat(16),
    // Sometimes the getter throws after its actions (a client bug the call must survive).
    g: fc.record({ f: fc.constantFrom('Mdl', 'Offset', 'Length'), at: fc.nat(3), do: midCall, throws: fc.oneof({ weight: 6, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }) }),
  });
  return fc.oneof({ weight: 12, arbitrary: plain }, { weight: 3, arbitrary: withGetter }, { weight: 1, arbitrary: weirdArb });
}

/**
 * A callback: its answer, and (one time in three) actions it makes first. Most callbacks of a
 * case never run (a routine that is not invoked, a handler never enabled): actions for every one
 * made generation the fuzzer's main cost (a third of its time, and most of the garbage).
 */
export function callbackArb(depth: number): fc.Arbitrary<CallbackSpec> {
  const none = fc.constant([] as Act[]);
  return fc.record({
    ret: fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 4, arbitrary: fc.nat({ max: 3 }) }, { weight: 2, arbitrary: fc.constantFrom(4, 5) }),
    do: depth > 0 ? fc.oneof({ weight: 2, arbitrary: none }, { weight: 1, arbitrary: actionsArb(depth - 1, 4) }) : none,
  });
}

/** Event handlers of a socket's client dispatch; null members are missing handlers. */
export function handlersArb(depth: number): fc.Arbitrary<unknown> {
  const cb = fc.option(callbackArb(depth), { freq: 2 });
  return fc.option(fc.record({ recv: cb, disc: cb, backlog: cb, acc: cb, insp: cb, abort: cb, rf: cb }), { freq: 3 });
}

/** A completion routine: its behaviour, and which of InvokeOnSuccess/OnError/OnCancel it asks for. */
export function routineArb(depth: number): fc.Arbitrary<unknown> {
  return fc.record({ invoke: fc.oneof({ weight: 12, arbitrary: fc.constant(7) }, { weight: 1, arbitrary: fc.nat(6) }), cb: callbackArb(depth) });
}

/** Every call that takes an IRP may first give it IoReuseIrp and a fresh completion routine. */
export function irpUse(depth: number) {
  return { irp: irpRef, fresh: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }), rt: routineArb(depth) };
}

export const flagsArb = maybeWeird(fc.constantFrom(0, 0, 0, 1, 2, 4, 6), 10);
const timeoutArb = fc.oneof(
  fc.constant(null),
  fc.record({ q: fc.constantFrom(0, -1, -10000, -20000) }),
  // Longer than setTimeout's 2^31-1 ms: must not return early (the case sets the event instead).
  fc.record({ q: fc.constantFrom(-(2 ** 31 + 10) * 10000, -(2 ** 32 + 10) * 10000, -(2 ** 40) * 10000) }),
  // A bigint QuadPart, and an absolute time (positive: already passed, or far ahead).
  fc.record({ q: fc.constantFrom({ $: 'big', v: '-10000' }, { $: 'big', v: '-21474836480000' }, 1, 2 ** 62) }),
  fc.record({ q: weirdArb }),
  weirdArb,
);

function socketOps(depth: number): fc.Arbitrary<Act>[] {
  const s = { s: ref };
  const u = irpUse(depth);
  return [
    fc.record({ op: fc.constant('socket'), fam: maybeWeird(fc.constantFrom(4, 6)), kind: fc.nat(7), flags: rarely(weirdArb, 10), ev: handlersArb(depth), sd: fc.nat(3), ...u }),
    fc.record({ op: fc.constant('socketConnect'), fam: fc.constantFrom(4, 6), local: addrArb, remote: addrArb, ev: handlersArb(depth), ...u }),
    fc.record({ op: fc.constant('bind'), ...s, addr: addrArb, flags: flagsArb, ...u }),
    fc.record({ op: fc.constant('listen'), ...s, ...u }),
    fc.record({ op: fc.constant('accept'), ...s, ev: handlersArb(depth), local: fc.option(outArb), remote: fc.option(outArb), flags: flagsArb, ...u }),
    fc.record({ op: fc.constant('connect'), ...s, addr: addrArb, flags: flagsArb, ...u }),
    fc.record({ op: fc.constant('send'), ...s, buf: bufArb(depth), flags: flagsArb, ...u }),
    fc.record({ op: fc.constant('receive'), ...s, buf: bufArb(depth), flags: flagsArb, ...u }),
    fc.record({ op: fc.constant('disconnect'), ...s, buf: fc.option(bufArb(depth)), flags: flagsArb, ...u }),
    fc.record({ op: fc.constant('sendTo'), ...s, buf: bufArb(depth), flags: flagsArb, addr: fc.option(addrArb, { freq: 8 }), ctl: fc.nat(3), ...u }),
    fc.record({ op: fc.constant('receiveFrom'), ...s, buf: bufArb(depth), flags: flagsArb, from: fc.option(outArb), ctlLen: fc.option(maybeWeird(fc.constant({ n: 64 }), 4)), ctlFlags: fc.option(maybeWeird(fc.constant({ n: 0 }), 4)), ...u }),
    fc.record({ op: fc.constant('sendMessages'), ...s, bufs: fc.array(bufArb(depth), { minLength: 1, maxLength: 3 }), flags: flagsArb, addr: fc.option(addrArb, { freq: 8 }), ctl: fc.nat(3), ...u }),
    fc.record({ op: fc.constant('release'), ...s, r: fc.nat(7) }),
    fc.record({ op: fc.constant('control'), ...s, c: fc.nat(31), v: maybeWeird(fc.nat(70000)), out: fc.option(outArb, { freq: 6 }), ...u }),
    fc.record({ op: fc.constant('localAddress'), ...s, out: outArb, ...u }),
    fc.record({ op: fc.constant('remoteAddress'), ...s, out: outArb, ...u }),
    fc.record({ op: fc.constant('inspectComplete'), ...s, id: fc.nat(7), action: maybeWeird(fc.nat(2)), ...u }),
    // WskConnectEx, WskSendEx, WskReceiveEx (not implemented: each must still complete its IRP once).
    fc.record({ op: fc.constant('ex'), ...s, fn: fc.nat(2), buf: bufArb(depth), addr: addrArb, ...u }),
    fc.record({ op: fc.constant('close'), ...s, ...u }),
  ];
}

function otherOps(depth: number): fc.Arbitrary<Act>[] {
  const u = irpUse(depth);
  const ir = { irp: fc.integer({ min: -1, max: 5 }) };
  return [
    fc.record({ op: fc.constant('controlClient'), c: fc.nat(9), m: fc.nat(0x3ff), out: fc.option(outArb, { freq: 6 }), ...u }),
    fc.record({ op: fc.constant('getAddressInfo'), node: fc.nat(5), svc: fc.nat(3), flags: fc.nat(3), fam: fc.nat(3), result: outArb, ...u }),
    fc.record({ op: fc.constant('freeAddressInfo'), i: fc.nat(7) }),
    fc.record({ op: fc.constant('getNameInfo'), addr: addrArb, flags: fc.nat(31), ...u }),
    fc.record({ op: fc.constant('cancel'), ...ir }),
    fc.record({ op: fc.constant('reuse'), ...ir, st: fc.constantFrom(0, 0xc0000001), rt: routineArb(depth) }),
    fc.record({ op: fc.constant('setRoutine'), ...ir, rt: routineArb(depth) }),
    fc.record({ op: fc.constant('free'), ...ir }),
    fc.record({ op: fc.constant('alloc'), ...ir, stack: maybeWeird(fc.constant(1)) }),
    fc.record({ op: fc.constant('mdl'), m: fc.nat(7), what: fc.nat(7), b: fc.nat(3), len: maybeWeird(fc.nat(70000)) }),
    fc.record({ op: fc.constant('event'), e: fc.nat(2), what: fc.nat(3) }),
    fc.record({ op: fc.constant('wait'), e: fc.nat(2), t: timeoutArb }),
    fc.record({ op: fc.constant('registration'), what: fc.nat(5) }),
  ];
}

/** depth: how many levels of callbacks below may carry their own actions. */
export function actionsArb(depth: number, maxLength: number): fc.Arbitrary<Act[]> {
  const ops = [...socketOps(depth), ...otherOps(depth)];
  // Data calls and closes are what races with the event loop: they come up most.
  const one = fc.oneof(...ops.map((arbitrary, i) => ({ weight: i < 12 || i === 18 ? 4 : 2, arbitrary })));
  return fc.array(one, { maxLength, size: 'small' });
}

const TOP_DEPTH = 2;

/**
 * One step of a case: a single action, a pause for the event loop, a pattern that sets sockets
 * up the way a driver does (so that the random actions after it meet connections, listeners and
 * bound datagram sockets), or a worker thread running API cases until it is terminated.
 */
function stepArb(): fc.Arbitrary<Act[]> {
  const one = fc.oneof(...[...socketOps(TOP_DEPTH), ...otherOps(TOP_DEPTH)].map((arbitrary, i) => ({ weight: i < 12 || i === 18 ? 4 : 2, arbitrary })));
  // Mostly one turn of the loop (what loopback needs); now and then a timer's worth (short
  // KeWaitForSingleObject timeouts expire, workers run): waiting is what a campaign spends most on.
  const tick = fc.record({ op: fc.constant('tick'), ms: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, 5) }) });
  return fc.oneof(
    { weight: 30, arbitrary: one.map((a) => [a]) },
    { weight: 8, arbitrary: tick.map((a) => [a]) },
    { weight: 2, arbitrary: tcpPairArb(handlersArb(TOP_DEPTH), routineArb(TOP_DEPTH), bufArb(TOP_DEPTH)) },
    { weight: 2, arbitrary: udpPairArb(handlersArb(TOP_DEPTH), routineArb(TOP_DEPTH), bufArb(TOP_DEPTH)) },
    { weight: 1, arbitrary: streamPairArb(handlersArb(TOP_DEPTH), routineArb(TOP_DEPTH)) },
    { weight: 1, arbitrary: condListenerArb(callbackArb(TOP_DEPTH), routineArb(TOP_DEPTH)) },
  );
}

/** WSK_SET_STATIC_EVENT_CALLBACKS is legal only before the client's first socket: a case may start with it. */
const prologueArb = rarely(
  fc.record({ op: fc.constant('controlClient'), c: fc.constant(5), m: fc.nat(0x3ff), out: fc.constant(null), irp: fc.constant(null), fresh: fc.constant(false), rt: routineArb(0) }),
  4,
);

/**
 * Sometimes, a worker thread running small API cases of its own in a loop, terminated after `ms`
 * (once in a case at most: starting a worker costs as much as a whole case).
 */
const workerArb = rarely(fc.record({ at: fc.nat(48), act: fc.record({ op: fc.constant('worker'), acts: actionsArb(0, 12), ms: fc.nat(20) }) }), 16);

/** A whole case: steps flattened into one action list; callbacks may nest two levels deep. */
export const apiCaseArb: fc.Arbitrary<Act[]> = fc
  .tuple(prologueArb, fc.array(stepArb(), { maxLength: 48, size: 'medium' }), workerArb)
  .map(([pro, steps, worker]) => {
    const acts = steps.flat();
    if (worker) acts.splice(worker.at, 0, worker.act);
    return pro ? [pro, ...acts] : acts;
  });
