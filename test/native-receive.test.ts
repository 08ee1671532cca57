// Automatic stream reads (POLL_RECEIVE): on readiness the transport reads into the env's
// receive area and calls JS once with what it read. Real TCP pairs on loopback, both pollers
// (the suite runs twice).
import { describe, expect, test } from '@jest/globals';
import { native, POLL_READABLE, POLL_RECEIVE, POLL_WRITABLE } from '../lib/transport/native';
import { C, closeAll, E, NO_RECEIVE, pair, Readiness, reports, thrownName, turn, useNativeSockets } from './native-helpers';

useNativeSockets();

const text = (area: Uint8Array, n: number): string => Buffer.from(area.subarray(0, n)).toString();
const bytes = (n: number, seed = 0): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff));
const LINGER_0 = new Uint8Array(new Int32Array([1, 0]).buffer); // struct linger { l_onoff 1, l_linger 0 }

describe('automatic stream reads', () => {
  test('data is read into the area and reported in the same call', async () => {
    const [c, a, l] = await pair();
    const area = new Uint8Array(64);
    native.setReceiveArea(area);
    expect(c.send(Buffer.from('hello'), 0, 5, 0)).toBe(5);
    const seen: string[] = [];
    const got = await reports(a, POLL_RECEIVE, (r) => r.length === 1, (r) => seen.push(text(area, r.received)));
    expect(got).toHaveLength(1);
    expect(got[0].received).toBe(5);
    expect(got[0].events & POLL_READABLE).toBe(POLL_READABLE);
    expect(seen).toEqual(['hello']);
    expect(a.recv(area, 0, 64, 0)).toBe(-E.EAGAIN); // nothing left behind
    closeAll(c, a, l);
  });

  test("the peer's FIN comes as received 0 after the data, and the reading interest ends there", async () => {
    const [c, a, l] = await pair();
    const area = new Uint8Array(64);
    native.setReceiveArea(area);
    expect(c.send(Buffer.from('abc'), 0, 3, 0)).toBe(3);
    expect(c.shutdown(C.SHUT_WR)).toBe(0);
    await turn();
    // The handler never disarms: the transport drops the reading interest itself, before
    // the handler hears of the end, though the socket stays readable (at its end) for good.
    const got: number[] = [];
    a.owner = (_e: number, _s: number, received: number) => got.push(received);
    expect(a.poll(POLL_RECEIVE)).toBe(0);
    for (let i = 0; i < 10 && got.length < 2; i++) await turn();
    await turn();
    await turn();
    expect(got).toEqual([3, 0]);
    expect(a.recv(area, 0, 64, 0)).toBe(0); // past the FIN: no shortcut, the OS says 0
    closeAll(c, a, l);
  });

  test('a reset (the peer closes with SO_LINGER {1, 0}) comes as -ECONNRESET', async () => {
    const [c, a, l] = await pair();
    native.setReceiveArea(new Uint8Array(64));
    expect(c.setsockopt(C.SOL_SOCKET, C.SO_LINGER, LINGER_0)).toBe(0);
    c.close();
    const got = await reports(a, POLL_RECEIVE | POLL_WRITABLE, (r) => r.some((x) => x.received !== NO_RECEIVE), undefined, 10);
    const read = got.filter((r) => r.received !== NO_RECEIVE);
    expect(read.map((r) => r.received)).toEqual([-E.ECONNRESET]);
    closeAll(a, l);
  });

  test('reads go on in rounds while they fill the area, then by level-triggered re-reports, one call each', async () => {
    const [c, a, l] = await pair();
    const sent = bytes(64 * 1024);
    expect(c.send(sent, 0, sent.length, 0)).toBe(sent.length);
    await turn();
    const area = new Uint8Array(1000);
    native.setReceiveArea(area);
    const parts: Buffer[] = [];
    const before = native.stats();
    let total = 0;
    const got = await reports(
      a,
      POLL_RECEIVE,
      () => total === sent.length,
      (r) => {
        parts.push(Buffer.from(area.subarray(0, r.received)));
        total += r.received;
      },
    );
    const after = native.stats();
    expect(Buffer.concat(parts).equals(sent)).toBe(true);
    // Every read but the last filled the area; each was one call into JS, no read was made
    // without a report (the last one was short: drained, nothing more asked of the OS).
    expect(got.slice(0, -1).every((r) => r.received === 1000)).toBe(true);
    expect(got.length).toBe(Math.ceil(sent.length / 1000));
    expect(after.reports - before.reports).toBe(got.length);
    expect(after.reads - before.reads).toBe(got.length);
    closeAll(c, a, l);
  });

  test('an area swapped inside the handler takes the next read; the old one keeps its bytes', async () => {
    const [c, a, l] = await pair();
    expect(c.send(Buffer.from('0123456789'), 0, 10, 0)).toBe(10);
    await turn();
    const first = new Uint8Array(4);
    const second = new Uint8Array(16);
    native.setReceiveArea(first);
    const got = await reports(
      a,
      POLL_RECEIVE,
      (r) => r.length === 2,
      () => native.setReceiveArea(second),
    );
    expect(got.map((r) => r.received)).toEqual([4, 6]);
    expect(text(first, 4)).toBe('0123');
    expect(text(second, 6)).toBe('456789');
    closeAll(c, a, l);
  });

  test('a socket closed inside the handler is read no more', async () => {
    const [c, a, l] = await pair();
    expect(c.send(bytes(100), 0, 100, 0)).toBe(100);
    await turn();
    native.setReceiveArea(new Uint8Array(10));
    const before = native.stats();
    const got = await reports(a, POLL_RECEIVE, () => false, () => a.close(), 5);
    expect(got.map((r) => r.received)).toEqual([10]);
    expect(native.stats().reads - before.reads).toBe(1);
    closeAll(c, l);
  });

  test('interest dropped inside the handler stops the rounds; armed again, reading goes on where it stopped', async () => {
    const [c, a, l] = await pair();
    const sent = bytes(100, 3);
    expect(c.send(sent, 0, 100, 0)).toBe(100);
    await turn();
    const area = new Uint8Array(10);
    native.setReceiveArea(area);
    const parts: Buffer[] = [];
    const keep = (r: Readiness) => parts.push(Buffer.from(area.subarray(0, r.received)));
    const once = await reports(a, POLL_RECEIVE, () => false, (r) => (keep(r), a.poll(0)), 5);
    expect(once.map((r) => r.received)).toEqual([10]);
    // Narrowed to plain readiness inside the handler: the rest is reported, not read.
    const plain = await reports(a, POLL_RECEIVE, (r) => r.length === 2, (r, got) => {
      if (got.length === 0) keep(r);
      if (got.length === 0) a.poll(POLL_READABLE);
    });
    expect(plain.map((r) => r.received)).toEqual([10, NO_RECEIVE]);
    expect(plain[1].events & POLL_READABLE).toBe(POLL_READABLE);
    let total = 20;
    await reports(a, POLL_RECEIVE, () => total === 100, (r) => ((total += r.received), keep(r)));
    expect(Buffer.concat(parts).equals(sent)).toBe(true);
    closeAll(c, a, l);
  });

  test('a read that finds nothing is not reported (another handler took the data first)', async () => {
    const [c1, a1, l1] = await pair();
    const [c2, a2, l2] = await pair();
    native.setReceiveArea(new Uint8Array(64));
    expect(c1.send(Buffer.from('one'), 0, 3, 0)).toBe(3);
    expect(c2.send(Buffer.from('two'), 0, 3, 0)).toBe(3);
    await turn();
    // Both are ready in the same turn; whichever is reported first reads the other's data
    // itself, so the other's automatic read finds nothing.
    const log: number[] = [];
    const stolen = new Uint8Array(8);
    const before = native.stats();
    const take = (other: typeof a1) => (_e: number, _s: number, received: number) => {
      log.push(received);
      expect(other.recv(stolen, 0, 8, 0)).toBe(3);
    };
    a1.owner = take(a2);
    a2.owner = take(a1);
    expect(a1.poll(POLL_RECEIVE)).toBe(0);
    expect(a2.poll(POLL_RECEIVE)).toBe(0);
    for (let i = 0; i < 5 && log.length === 0; i++) await turn();
    await turn();
    const after = native.stats();
    expect(log).toEqual([3]);
    expect(after.reports - before.reports).toBe(1);
    expect(after.reads - before.reads).toBe(3); // the automatic read, the handler's, and the empty one
    closeAll(c1, a1, l1, c2, a2, l2);
  });

  test('without an area, or with its buffer detached, a POLL_RECEIVE report is plain readiness', async () => {
    const [c, a, l] = await pair();
    expect(c.send(Buffer.from('xyz'), 0, 3, 0)).toBe(3);
    const plain = await reports(a, POLL_RECEIVE, (r) => r.length === 1);
    expect(plain.map((r) => [r.events & POLL_READABLE, r.received])).toEqual([[POLL_READABLE, NO_RECEIVE]]);
    const area = new Uint8Array(16);
    native.setReceiveArea(area);
    structuredClone(area.buffer, { transfer: [area.buffer] }); // detached: length 0
    const detached = await reports(a, POLL_RECEIVE, (r) => r.length === 1);
    expect(detached.map((r) => r.received)).toEqual([NO_RECEIVE]);
    expect(a.recv(new Uint8Array(8), 0, 8, 0)).toBe(3); // still there
    closeAll(c, a, l);
  });

  test('setReceiveArea takes a non-empty Uint8Array or null, and nothing else', () => {
    expect(thrownName(() => native.setReceiveArea(new Uint16Array(4) as unknown as Uint8Array))).toBe('TypeError');
    expect(thrownName(() => native.setReceiveArea('area' as unknown as Uint8Array))).toBe('TypeError');
    expect(thrownName(() => native.setReceiveArea(new Uint8Array(0)))).toBe('RangeError');
    expect(thrownName(() => native.setReceiveArea(new Uint8Array(1)))).toBe('nothing thrown');
    expect(thrownName(() => native.setReceiveArea(null))).toBe('nothing thrown');
  });
});
