// The WSK-owned buffers of WskReceiveEvent: one read from the OS becomes one chain of
// WSK_DATA_INDICATIONs over CHUNKS MDLs. A set is taken from a pool for each read and given
// back once the client has taken the data; a connection keeps it while data is left over
// (partial accept, STATUS_DATA_NOT_ACCEPTED) or while the client retains it (STATUS_PENDING,
// until WskRelease).
import { wskOwnedMdl } from '../kernel/mdl';
import type { WSK_DATA_INDICATION } from '../wsk/wsk';
import type { Transfer } from './transfer';

const CHUNK = 16 * 1024;
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

  constructor() {
    for (let i = 0; i < CHUNKS; i++) {
      const chunk = this.area.subarray(i * CHUNK, (i + 1) * CHUNK);
      this.chunks.push(chunk);
      this.elems.push({ Next: null, Buffer: { Mdl: wskOwnedMdl(chunk), Offset: 0, Length: 0 } });
    }
  }

  /** Bytes read and not yet taken. */
  get unconsumed(): number {
    return this.filled - this.start;
  }

  /** Links the elements that hold bytes [start, filled); returns the head. */
  chain(): WSK_DATA_INDICATION {
    const first = Math.floor(this.start / CHUNK);
    const last = Math.floor((this.filled - 1) / CHUNK);
    for (let i = first; i <= last; i++) {
      const e = this.elems[i];
      const from = i === first ? this.start - i * CHUNK : 0;
      const to = i === last ? this.filled - i * CHUNK : CHUNK;
      e.Buffer.Offset = from;
      e.Buffer.Length = to - from;
      e.Next = i < last ? this.elems[i + 1] : null;
    }
    return this.elems[first];
  }

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

const pool: IndicationSet[] = [];

export function takeSet(): IndicationSet {
  return pool.pop() ?? new IndicationSet();
}

export function putSet(set: IndicationSet): void {
  set.filled = 0;
  set.start = 0;
  if (pool.length < 64) pool.push(set);
}
