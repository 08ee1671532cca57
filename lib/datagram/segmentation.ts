// UDP segmentation offload (UDP_SEND_MSG_SIZE): the host cuts a datagram into segments of the
// given size (Linux's UDP_SEGMENT), but takes at most one IP datagram's worth in one message
// (65,507 bytes of UDP payload over IPv4) and at most 64 segments (UDP_MAX_SEGMENTS of the
// kernels before 6.9; later ones take 128). Windows takes a larger buffer and cuts it all, so a
// datagram past that limit is handed to the host as several messages, each a whole number of
// segments: the peer receives the same datagrams.

/** The largest UDP payload of one IPv4 datagram (a dual-stack socket may send over IPv4). */
const MAX_UDP_PAYLOAD = 65507;
/** Segments per message the oldest supported kernels take. */
const MAX_SEGMENTS = 64;

/** The most bytes one host message carries with segments of `segmentSize`: a multiple of it. */
export function maxSegmentedMessage(segmentSize: number): number {
  return Math.min(Math.floor(MAX_UDP_PAYLOAD / segmentSize), MAX_SEGMENTS) * segmentSize;
}

function byteLength(views: Uint8Array[], from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) n += views[i].byteLength;
  return n;
}

/** Appends `count` views from `from`, cut into messages of at most `max` bytes, to `out`; returns the messages' view counts. */
function cutOne(views: Uint8Array[], from: number, count: number, max: number, out: Uint8Array[], counts: number[]): void {
  let room = max;
  let inMessage = 0;
  for (let i = from; i < from + count; i++) {
    let v = views[i];
    while (v.byteLength > 0) {
      const take = Math.min(room, v.byteLength);
      out.push(take === v.byteLength ? v : v.subarray(0, take));
      inMessage++;
      v = v.subarray(take);
      room -= take;
      if (room === 0) {
        counts.push(inMessage);
        inMessage = 0;
        room = max;
      }
    }
  }
  if (inMessage > 0) counts.push(inMessage);
}

/**
 * The views and per-message view counts of a send whose datagrams (one, or `counts` views each)
 * are cut by the host in segments of `segmentSize`, with every datagram longer than one host
 * message split at segment boundaries. Null when nothing needs cutting.
 */
export function cutSegmented(views: Uint8Array[], counts: Int32Array | null, segmentSize: number): { views: Uint8Array[]; counts: Int32Array } | null {
  const max = maxSegmentedMessage(segmentSize);
  if (max === 0) return null;
  const perDatagram = counts ?? Int32Array.of(views.length);
  let cut = false;
  for (let d = 0, v = 0; d < perDatagram.length; v += perDatagram[d++]) {
    if (byteLength(views, v, perDatagram[d]) > max) cut = true;
  }
  if (!cut) return null;
  const outViews: Uint8Array[] = [];
  const outCounts: number[] = [];
  for (let d = 0, v = 0; d < perDatagram.length; v += perDatagram[d++]) {
    if (byteLength(views, v, perDatagram[d]) > max) {
      cutOne(views, v, perDatagram[d], max, outViews, outCounts);
    } else {
      for (let i = v; i < v + perDatagram[d]; i++) outViews.push(views[i]);
      outCounts.push(perDatagram[d]);
    }
  }
  return { views: outViews, counts: Int32Array.from(outCounts) };
}
