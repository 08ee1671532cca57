// fast-check arbitraries for cases against the public API: a case is a list of plain-data
// actions (see api-run.ts for what each does). References to sockets, IRPs, MDLs, events and
// buffers are small numbers taken modulo the pool they name; -1 in a callback's own actions
// means "this socket" / "this IRP". Callbacks (completion routines, event handlers, getters
// on a WSK_BUF) carry their own action lists, run synchronously inside the callback.
import fc from 'fast-check';
import { maybeWeird, weirdArb, weirdNonNumberArb } from './values';

export type Act = { op: string; [field: string]: unknown };

/** Behaviour of a client callback: what it returns (or throws) and what it calls first. */
export interface CallbackSpec {
  /** 0 = the well-formed answer, 1..3 = alternatives the callback kind allows, 4 = a wrong value, 5 = throw. */
  ret: number;
  do: Act[];
}

const ref = fc.integer({ min: -1, max: 7 });
const irpRef = maybeWeird(fc.integer({ min: -1, max: 5 }), 20);

/** Addresses: only loopback, unspecified, addresses learned from our own sockets, or malformed ones. */
export const addrArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ a: fc.constant('learned'), i: ref }) },
  { weight: 2, arbitrary: fc.constantFrom({ a: 'lo4' }, { a: 'lo6' }, { a: 'any4' }, { a: 'any6' }, { a: 'mapped' }) },
  { weight: 1, arbitrary: fc.record({ a: fc.constant('bad'), field: fc.constantFrom('sin_family', 'sin_port', 'sin_addr', 's_addr', 'sin6_addr', 'Byte'), v: weirdNonNumberArb }) },
  { weight: 1, arbitrary: weirdNonNumberArb },
);

/** An out-parameter object: usually `{}`, sometimes frozen, a primitive or missing. */
const outArb = fc.oneof({ weight: 8, arbitrary: fc.constant({ $: 'obj' }) }, { weight: 1, arbitrary: weirdArb });

function bufArb(depth: number): fc.Arbitrary<unknown> {
  const plain = fc.record({
    m: fc.nat(7),
    off: maybeWeird(fc.nat(8), 20),
    len: maybeWeird(fc.oneof(fc.nat(16), fc.nat(70000)), 20),
  });
  if (depth <= 0) return fc.oneof({ weight: 12, arbitrary: plain }, { weight: 1, arbitrary: weirdArb });
  const withGetter = fc.record({
    m: fc.nat(7),
    off: fc.nat(8),
    len: fc.nat(16),
    g: fc.record({ f: fc.constantFrom('Mdl', 'Offset', 'Length'), at: fc.nat(3), do: actionsArb(depth - 1, 3) }),
  });
  return fc.oneof({ weight: 12, arbitrary: plain }, { weight: 2, arbitrary: withGetter }, { weight: 1, arbitrary: weirdArb });
}

export function callbackArb(depth: number): fc.Arbitrary<CallbackSpec> {
  return fc.record({
    ret: fc.oneof({ weight: 12, arbitrary: fc.constant(0) }, { weight: 4, arbitrary: fc.nat({ max: 3 }) }, { weight: 1, arbitrary: fc.constantFrom(4, 5) }),
    do: depth > 0 ? actionsArb(depth - 1, 4) : fc.constant([]),
  });
}

/** Event handlers of a socket's client dispatch; null members are missing handlers. */
function handlersArb(depth: number): fc.Arbitrary<unknown> {
  const cb = fc.option(callbackArb(depth), { freq: 6 });
  return fc.option(fc.record({ recv: cb, disc: cb, backlog: cb, acc: cb, insp: cb, abort: cb, rf: cb }), { freq: 3 });
}

/** A completion routine: its behaviour, and which of InvokeOnSuccess/OnError/OnCancel it asks for. */
function routineArb(depth: number): fc.Arbitrary<unknown> {
  return fc.record({ invoke: fc.oneof({ weight: 12, arbitrary: fc.constant(7) }, { weight: 1, arbitrary: fc.nat(6) }), cb: callbackArb(depth) });
}

/** Every call that takes an IRP may first give it IoReuseIrp and a fresh completion routine. */
function irpUse(depth: number) {
  return { irp: irpRef, fresh: fc.oneof({ weight: 5, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }), rt: routineArb(depth) };
}

const flagsArb = maybeWeird(fc.constantFrom(0, 0, 0, 1, 2, 4, 6), 10);
const timeoutArb = fc.oneof(
  fc.constant(null),
  fc.record({ q: fc.constantFrom(0, -1, -10000, -50000) }),
  // Longer than setTimeout's 2^31-1 ms: must not return early.
  fc.record({ q: fc.constantFrom(-(2 ** 31 + 10) * 10000, -(2 ** 32 + 10) * 10000, -(2 ** 40) * 10000) }),
  fc.record({ q: weirdArb }),
  weirdArb,
);

function socketOps(depth: number): fc.Arbitrary<Act>[] {
  const s = { s: ref };
  const u = irpUse(depth);
  return [
    fc.record({ op: fc.constant('socket'), fam: maybeWeird(fc.constantFrom(4, 6)), kind: fc.nat(7), flags: fc.option(weirdArb, { freq: 10 }), ev: handlersArb(depth), ...u }),
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
    fc.record({ op: fc.constant('sendMessages'), ...s, bufs: fc.array(bufArb(depth), { minLength: 1, maxLength: 3 }), flags: flagsArb, addr: fc.option(addrArb, { freq: 8 }), ...u }),
    fc.record({ op: fc.constant('release'), ...s, r: fc.nat(7) }),
    fc.record({ op: fc.constant('control'), ...s, c: fc.nat(15), v: maybeWeird(fc.nat(70000)), out: fc.option(outArb, { freq: 6 }), ...u }),
    fc.record({ op: fc.constant('localAddress'), ...s, out: outArb, ...u }),
    fc.record({ op: fc.constant('remoteAddress'), ...s, out: outArb, ...u }),
    fc.record({ op: fc.constant('inspectComplete'), ...s, id: fc.nat(7), action: maybeWeird(fc.nat(2)), ...u }),
    fc.record({ op: fc.constant('close'), ...s, ...u }),
  ];
}

function otherOps(depth: number): fc.Arbitrary<Act>[] {
  const u = irpUse(depth);
  const ir = { irp: fc.integer({ min: -1, max: 5 }) };
  return [
    fc.record({ op: fc.constant('controlClient'), c: fc.nat(7), out: fc.option(outArb, { freq: 6 }), ...u }),
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

const tickArb = fc.record({ op: fc.constant('tick'), ms: fc.constantFrom(0, 0, 1, 5) });

/** depth: how many levels of callbacks below may carry their own actions. */
export function actionsArb(depth: number, maxLength: number): fc.Arbitrary<Act[]> {
  const ops = [...socketOps(depth), ...otherOps(depth)];
  const one = fc.oneof(...ops.map((arbitrary, i) => ({ weight: i < 12 ? 4 : 2, arbitrary })));
  const top = depth === 2 ? fc.oneof({ weight: 6, arbitrary: one }, { weight: 2, arbitrary: tickArb }) : one;
  return fc.array(top, { maxLength, size: depth === 2 ? 'medium' : 'small' });
}

/** A whole case: top-level actions, whose callbacks may nest two levels deep. */
export const apiCaseArb: fc.Arbitrary<Act[]> = actionsArb(2, 40);
