// Automatic datagram reads (POLL_RECEIVE on UDP): on readiness the transport takes a batch
// with one recvmmsg into the env's datagram area, laid out as recvmmsg() lays it out, and
// calls JS once per batch. Real UDP sockets on loopback, both pollers (the suite runs twice).
import { describe, expect, test } from '@jest/globals';
import { native, NETADDR_SIZE, POLL_READABLE, POLL_RECEIVE } from '../lib/transport/native';
import { C, closeAll, E, localAddress, NO_RECEIVE, open, reports, thrownName, turn, udp, useNativeSockets } from './native-helpers';

useNativeSockets();

const SLOT = 256;

/** A datagram area of `count` slots, registered with setDatagramArea. */
class Batch {
  readonly area: Uint8Array;
  readonly meta: Int32Array;
  readonly addrs: Uint8Array;
  constructor(readonly count: number, readonly control: Uint8Array | null = null, readonly controlSlot = 0) {
    this.area = new Uint8Array(SLOT * count);
    this.meta = new Int32Array(3 * count);
    this.addrs = new Uint8Array(NETADDR_SIZE * count);
  }
  register(): this {
    native.setDatagramArea(this.area, SLOT, this.count, this.meta, this.addrs, this.control, this.controlSlot);
    return this;
  }
  text(i: number): string {
    return Buffer.from(this.area.subarray(i * SLOT, i * SLOT + this.meta[3 * i])).toString();
  }
  sender(i: number): Uint8Array {
    return this.addrs.slice(i * NETADDR_SIZE, (i + 1) * NETADDR_SIZE);
  }
  texts(n: number): string[] {
    return Array.from({ length: n }, (_, i) => this.text(i));
  }
}

function sendAll(tx: ReturnType<typeof open>, to: Uint8Array, messages: string[]): void {
  for (const m of messages) expect(tx.sendto(Buffer.from(m), 0, m.length, 0, to)).toBe(m.length);
}

const numbered = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `datagram ${from + i}`);

describe('automatic datagram reads', () => {
  test('a batch is read with its lengths and senders and reported in the same call', async () => {
    const [rx, to] = udp();
    const [tx] = udp();
    const batch = new Batch(8).register();
    sendAll(tx, to, numbered(5));
    const seen: string[][] = [];
    const got = await reports(rx, POLL_RECEIVE, (r) => r.length === 1, (r) => seen.push(batch.texts(r.received)));
    expect(got.map((r) => r.received)).toEqual([5]);
    expect(seen).toEqual([numbered(5)]);
    for (let i = 0; i < 5; i++) expect(batch.sender(i)).toEqual(localAddress(tx));
    closeAll(rx, tx);
  });

  test('more datagrams than one batch holds come in full batches, then the rest, one call each', async () => {
    const [rx, to] = udp();
    const [tx] = udp();
    const batch = new Batch(8).register();
    sendAll(tx, to, numbered(20));
    await turn();
    const seen: string[] = [];
    const before = native.stats();
    const got = await reports(rx, POLL_RECEIVE, () => seen.length === 20, (r) => seen.push(...batch.texts(r.received)));
    const after = native.stats();
    expect(got.map((r) => r.received)).toEqual([8, 8, 4]);
    expect(seen).toEqual(numbered(20));
    expect(after.reports - before.reports).toBe(3);
    expect(after.reads - before.reads).toBe(3); // the short batch showed the queue empty
    closeAll(rx, tx);
  });

  test('an area swapped inside the handler takes the next batch; the old one keeps its datagrams', async () => {
    const [rx, to] = udp();
    const [tx] = udp();
    const batches = [new Batch(4), new Batch(4), new Batch(4)];
    batches[0].register();
    sendAll(tx, to, numbered(10));
    await turn();
    const got = await reports(rx, POLL_RECEIVE, (r) => r.length === 3, (_r, so) => batches[so.length + 1]?.register());
    expect(got.map((r) => r.received)).toEqual([4, 4, 2]);
    expect(batches.map((b, i) => b.texts(got[i].received))).toEqual([numbered(4), numbered(4, 4), numbered(2, 8)]);
    closeAll(rx, tx);
  });

  test('host control data lands in the control slots (IP_PKTINFO)', async () => {
    const [rx, to] = udp();
    const [tx] = udp();
    expect(rx.setsockopt(C.IPPROTO_IP, C.IP_PKTINFO, new Uint8Array(new Int32Array([1]).buffer))).toBe(0);
    const batch = new Batch(2, new Uint8Array(2 * 64), 64).register();
    sendAll(tx, to, ['a', 'b']);
    const got = await reports(rx, POLL_RECEIVE, (r) => r.length === 1);
    expect(got.map((r) => r.received)).toEqual([2]);
    for (let i = 0; i < 2; i++) expect(batch.meta[3 * i + 2]).toBeGreaterThanOrEqual(C.CMSG_HDRLEN + C.SIZEOF_IN_PKTINFO);
    closeAll(rx, tx);
  });

  test('an ICMP error on a connected socket is reported as -ECONNREFUSED, and the datagrams behind it follow', async () => {
    const [gone, goneAddr] = udp();
    const [u, uAddr] = udp();
    expect(u.connect(goneAddr)).toBe(0);
    gone.close();
    new Batch(4).register();
    expect(u.send(Buffer.from('to nobody'), 0, 9, 0)).toBe(9); // port unreachable comes back
    await turn();
    // The same port again, now with a socket that answers: its datagram queues behind the error.
    const back = open(4, C.SOCK_DGRAM);
    expect(back.bind(goneAddr)).toBe(0);
    sendAll(back, uAddr, ['late']);
    await turn();
    const got = await reports(u, POLL_RECEIVE, (r) => r.some((x) => x.received > 0));
    expect(got.map((r) => r.received)).toEqual([-E.ECONNREFUSED, 1]);
    closeAll(u, back);
  });

  test('without a datagram area, or with a part detached, a POLL_RECEIVE report is plain readiness', async () => {
    const [rx, to] = udp();
    const [tx] = udp();
    sendAll(tx, to, ['x']);
    const plain = await reports(rx, POLL_RECEIVE, (r) => r.length === 1);
    expect(plain.map((r) => [r.events & POLL_READABLE, r.received])).toEqual([[POLL_READABLE, NO_RECEIVE]]);
    const batch = new Batch(4).register();
    structuredClone(batch.meta.buffer, { transfer: [batch.meta.buffer as ArrayBuffer] });
    const detached = await reports(rx, POLL_RECEIVE, (r) => r.length === 1);
    expect(detached.map((r) => r.received)).toEqual([NO_RECEIVE]);
    expect(rx.recv(new Uint8Array(8), 0, 8, 0)).toBe(1); // still queued
    // A stream area does not serve datagram sockets.
    native.setDatagramArea(null);
    native.setReceiveArea(new Uint8Array(64));
    sendAll(tx, to, ['y']);
    const stream = await reports(rx, POLL_RECEIVE, (r) => r.length === 1);
    expect(stream.map((r) => r.received)).toEqual([NO_RECEIVE]);
    closeAll(rx, tx);
  });

  test('setDatagramArea checks its layout as recvmmsg does, and a failed call keeps the area registered', async () => {
    const area = new Uint8Array(64 * 4);
    const meta = new Int32Array(12);
    const bad: [string, unknown[]][] = [
      ['TypeError', ['area', 64, 4, meta, null, null, 0]],
      ['TypeError', [area, '64', 4, meta, null, null, 0]],
      ['RangeError', [area, 0, 4, meta, null, null, 0]],
      ['RangeError', [area, 64, 5, meta, null, null, 0]],
      ['RangeError', [area, 64, 0, meta, null, null, 0]],
      ['RangeError', [area, 1, 1025, new Int32Array(3 * 1025), null, null, 0]],
      ['TypeError', [area, 64, 4, new Float64Array(12), null, null, 0]],
      ['RangeError', [area, 64, 4, new Int32Array(11), null, null, 0]],
      ['RangeError', [area, 64, 4, meta, new Uint8Array(NETADDR_SIZE * 3), null, 0]],
      ['TypeError', [area, 64, 4, meta, 'addrs', null, 0]],
      ['RangeError', [area, 64, 4, meta, null, new Uint8Array(100), 32]],
      ['RangeError', [area, 64, 4, meta, null, new Uint8Array(100), 70000]],
    ];
    const set = native.setDatagramArea as (...args: unknown[]) => void;
    const batch = new Batch(4).register();
    for (const [name, args] of bad) expect([name, thrownName(() => set(...args))]).toEqual([name, name]);
    // The registration from before the failed calls still serves.
    const [rx, to] = udp();
    const [tx] = udp();
    sendAll(tx, to, ['kept']);
    const got = await reports(rx, POLL_RECEIVE, (r) => r.length === 1);
    expect(got.map((r) => r.received)).toEqual([1]);
    expect(batch.text(0)).toBe('kept');
    expect(thrownName(() => set(area, 64, 4, meta, null, null, 0))).toBe('nothing thrown');
    closeAll(rx, tx);
  });

  test('a datagram socket closed inside the handler is read no more', async () => {
    const [rx, to] = udp();
    const [tx] = udp();
    new Batch(2).register();
    sendAll(tx, to, numbered(6));
    await turn();
    const before = native.stats();
    const got = await reports(rx, POLL_RECEIVE, () => false, () => rx.close(), 5);
    expect(got.map((r) => r.received)).toEqual([2]);
    expect(native.stats().reads - before.reads).toBe(1);
    closeAll(tx);
  });
});
