// Ill-formed argument values, kept as plain JSON so that a shrunk case prints and replays as
// text: `{ "$": "sym" }` stands for a Symbol, `{ "$": "big", "v": "7" }` for 7n, and so on.
// Plain JSON numbers, strings, booleans and null stand for themselves.
import fc from 'fast-check';

export type Weird =
  | { $: 'undef' }
  | { $: 'nan' }
  | { $: 'inf' }
  | { $: 'sym' }
  | { $: 'big'; v: string }
  | { $: 'obj' }
  | { $: 'frozen' }
  | { $: 'arr' }
  | { $: 'fn' };

/** What stands in for a number, an object or a reference where a well-formed one belongs. */
export const weirdArb: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.constant({ $: 'undef' }),
  fc.constant({ $: 'nan' }),
  fc.constant({ $: 'inf' }),
  fc.constant({ $: 'sym' }),
  fc.constantFrom('1', 'x', ''),
  fc.constantFrom(-1, 1.5, 2 ** 31, 2 ** 32, 2 ** 53, -(2 ** 31) - 1),
  fc.constantFrom({ $: 'big', v: '1' }, { $: 'big', v: '-1' }),
  fc.constant({ $: 'obj' }),
  fc.constant({ $: 'frozen' }),
  fc.constant({ $: 'arr' }),
  fc.constant({ $: 'fn' }),
  fc.boolean(),
);

/** Like weirdArb, without numbers: for fields where a number could name a real address. */
export const weirdNonNumberArb: fc.Arbitrary<unknown> = weirdArb.filter((v) => typeof v !== 'number');

/**
 * `arb` once in `n` draws, null otherwise (shrinks to null). fc.option is the other way round:
 * its `freq` gives null once in `freq` draws, `arb` the rest of the time.
 */
export function rarely<T>(arb: fc.Arbitrary<T>, n: number): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: n - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });
}

/** A value that is usually `good`, sometimes ill-formed. */
export function maybeWeird<T>(good: fc.Arbitrary<T>, weight = 12): fc.Arbitrary<unknown> {
  return fc.oneof({ weight, arbitrary: good }, { weight: 1, arbitrary: weirdArb });
}

/** The JS value a JSON stand-in describes (objects are new each time). */
export function materialize(v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  const tag = (v as { $?: string }).$;
  switch (tag) {
    case 'undef':
      return undefined;
    case 'nan':
      return NaN;
    case 'inf':
      return Infinity;
    case 'sym':
      return Symbol('fuzz');
    case 'big':
      return BigInt((v as { v: string }).v);
    case 'obj':
      return {};
    case 'frozen':
      return Object.freeze({});
    case 'arr':
      return [];
    case 'fn':
      return () => 0;
    default:
      return v;
  }
}

/** True for a stand-in produced by weirdArb (not a well-formed value of the caller's kind). */
export function isWeird(v: unknown): boolean {
  return v === null || typeof v !== 'object' || Array.isArray(v) || '$' in (v as object);
}

/**
 * Errors the fuzzer itself threw from a client callback or a getter, on purpose: these may
 * come back out of a call or surface on the event loop without being findings.
 */
const thrownOnPurpose = new WeakSet<object>();

export class FuzzThrow extends Error {
  override readonly name = 'FuzzThrow';
  constructor(where: string) {
    super(`thrown on purpose by the fuzzer from ${where}`);
    thrownOnPurpose.add(this);
  }
}

export function isOwnThrow(e: unknown): boolean {
  return typeof e === 'object' && e !== null && thrownOnPurpose.has(e);
}

/** Index into a pool, wrapping: any generated number names something once the pool is not empty. */
export function pick<T>(pool: readonly T[], i: number): T | undefined {
  return pool.length === 0 ? undefined : pool[((i % pool.length) + pool.length) % pool.length];
}
