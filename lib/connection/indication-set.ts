// The WSK-owned buffers of WskReceiveEvent: one read from the OS becomes one chain of
// WSK_DATA_INDICATIONs over CHUNKS MDLs. A set is taken from a pool for each read and given
// back once the client has taken the data; a connection keeps it while data is left over
// (partial accept, STATUS_DATA_NOT_ACCEPTED) or while the client retains any element of it
// (STATUS_PENDING, until WskRelease gives back the last one).
import { MDL, wskOwnedMdl } from '../kernel/mdl';
import { native } from '../transport/native';
import type { WSK_DATA_INDICATION } from '../wsk/wsk-base';
import type { Transfer } from './transfer';

export const CHUNK = 16 * 1024;
const CHUNKS = 4;
/** The most one read puts in a set. */
export const SET_BYTES = CHUNK * CHUNKS;

export class IndicationSet {
  /** One contiguous area, so that one read fills it; the chunks are views of it. */
  readonly area = new Uint8Array(SET_BYTES);
  readonly chunks: Uint8Array[] = [];
  readonly elems: WSK_DATA_INDICATION[] = [];
  /** Bytes the last read put in the set. */
  filled = 0;
  /** Bytes of it already taken by the client. */
  start = 0;
  /** The elements indicated and not yet released, one bit each (retention). */
  held = 0;
  /** Each element's length when it was indicated (the client may edit its WSK_BUF). */
  readonly lengths = new Int32Array(CHUNKS);
  /** The connection using or retaining it (an opaque owner); null in the pool. */
  owner: object | null = null;

  constructor() {
    for (let i = 0; i < CHUNKS; i++) {
      const chunk = this.area.subarray(i * CHUNK, (i + 1) * CHUNK);
      this.chunks.push(chunk);
      const elem: WSK_DATA_INDICATION = { Next: null, Buffer: { Mdl: wskOwnedMdl(chunk), Offset: 0, Length: 0 } };
      this.elems.push(elem);
      placeOf.set(elem, { set: this, bit: 1 << i, index: i });
    }
  }

  /** Bytes read and not yet taken. */
  get unconsumed(): number {
    return this.filled - this.start;
  }

  /** Links the elements that hold bytes [start, filled), marks them held; returns the head. */
  chain(): WSK_DATA_INDICATION {
    const first = Math.floor(this.start / CHUNK);
    const last = Math.floor((this.filled - 1) / CHUNK);
    this.held = 0;
    for (let i = first; i <= last; i++) {
      const e = this.elems[i];
      const from = i === first ? this.start - i * CHUNK : 0;
      const to = i === last ? this.filled - i * CHUNK : CHUNK;
      e.Buffer.Mdl = this.mdl(i);
      e.Buffer.Offset = from;
      e.Buffer.Length = to - from;
      e.Next = i < last ? this.elems[i + 1] : null;
      this.lengths[i] = to - from;
      this.held |= 1 << i;
    }
    return this.elems[first];
  }

  /** Bytes of the elements still held. */
  heldBytes(): number {
    let n = 0;
    for (let i = 0; i < CHUNKS; i++) if (this.held & (1 << i)) n += this.lengths[i];
    return n;
  }

  private mdl(i: number) {
    return (this.mdls ??= this.elems.map((e) => e.Buffer.Mdl!))[i];
  }
  private mdls: MDL[] | null = null;

  /** Copies up to the room in `t` from the unconsumed bytes; returns how many. */
  copyInto(t: Transfer): number {
    let copied = 0;
    while (this.start < this.filled && t.done < t.total) {
      const ci = Math.floor(this.start / CHUNK);
      const co = this.start - ci * CHUNK;
      const avail = Math.min(this.filled, (ci + 1) * CHUNK) - this.start;
      const dest = t.views[t.vi];
      const n = Math.min(avail, dest.byteLength - t.vo, t.total - t.done);
      dest.set(this.chunks[ci].subarray(co, co + n), t.vo);
      this.start += n;
      copied += n;
      t.advance(n);
    }
    return copied;
  }
}

/** Which set, and which element of it, a WSK_DATA_INDICATION is (WskRelease is given any). */
const placeOf = new WeakMap<WSK_DATA_INDICATION, { set: IndicationSet; bit: number; index: number }>();

export function placeOfElement(e: unknown): { set: IndicationSet; bit: number; index: number } | undefined {
  return e !== null && typeof e === 'object' ? placeOf.get(e as WSK_DATA_INDICATION) : undefined;
}

const pool: IndicationSet[] = [];

export function takeSet(): IndicationSet {
  return pool.pop() ?? new IndicationSet();
}

export function putSet(set: IndicationSet): void {
  set.filled = 0;
  set.start = 0;
  set.held = 0;
  set.owner = null;
  if (pool.length < 64) pool.push(set);
}

/**
 * The set the transport reads into on readiness (POLL_RECEIVE) for every connection of this
 * env: registered once, and again only when someone keeps it (retained, left over).
 */
let armed: IndicationSet | null = null;

export function armedSet(): IndicationSet | null {
  return armed;
}

/** A fresh set for the transport's automatic reads (the armed one is kept by its connection). */
export function rearm(): void {
  armed = takeSet();
  native.setReceiveArea(armed.area);
}

/** Before the first POLL_RECEIVE: the transport needs an area to read into. */
export function ensureArmed(): void {
  if (armed === null) rearm();
}
