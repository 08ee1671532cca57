// The bytes the scale and soak peers exchange. A request is reproducible from a seed, so that
// either side can check every byte without keeping a copy; a reply is the request with every
// byte inverted, so that it proves the server read the bytes rather than echoing a buffer.

/** xorshift32 bytes from `seed` into `out` (a seed of 0 is taken as 1). */
export function fillPattern(out: Uint8Array, seed: number): void {
  let x = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
}

/** The reply to a request, in place. */
export function invert(bytes: Uint8Array): void {
  for (let i = 0; i < bytes.length; i++) bytes[i] ^= 0xff;
}

/** The first position where `got` differs from the pattern of `seed` (inverted if `inverted`), or -1. */
export function firstMismatch(got: Uint8Array, seed: number, inverted: boolean): number {
  const want = new Uint8Array(got.length);
  fillPattern(want, seed);
  const flip = inverted ? 0xff : 0;
  for (let i = 0; i < got.length; i++) if (got[i] !== (want[i] ^ flip)) return i;
  return -1;
}

// Scale requests carry the connection's index in their first four bytes (little-endian); the
// rest is the pattern of that index, so the server knows what to expect from any connection.
export const SCALE_REQUEST_BYTES = 64;

export function scaleRequest(index: number): Uint8Array {
  const out = new Uint8Array(SCALE_REQUEST_BYTES);
  fillPattern(out.subarray(4), index + 1);
  new DataView(out.buffer).setUint32(0, index, true);
  return out;
}

/** The index a scale request carries, or -1 when any of its bytes is wrong. */
export function scaleRequestIndex(req: Uint8Array, conns: number): number {
  if (req.length !== SCALE_REQUEST_BYTES) return -1;
  const index = new DataView(req.buffer, req.byteOffset, 4).getUint32(0, true);
  if (index >= conns) return -1;
  return firstMismatch(req.subarray(4), index + 1, false) === -1 ? index : -1;
}

/** A small seeded generator for sizes and counts (xorshift32), so that a run can be repeated. */
export class Rng {
  private x: number;
  constructor(seed: number) {
    this.x = seed >>> 0 || 1;
  }
  next(): number {
    this.x ^= this.x << 13;
    this.x ^= this.x >>> 17;
    this.x ^= this.x << 5;
    return this.x >>> 0;
  }
  /** An integer from lo to hi, both included. */
  int(lo: number, hi: number): number {
    return lo + (this.next() % (hi - lo + 1));
  }
}
