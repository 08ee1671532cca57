// The drained state lives in the transport only: a stream read that came back short or
// -EAGAIN marks the socket drained until its next readiness report, and reads in between
// return -EAGAIN without a system call (native.stats().reads counts the calls made). Arming
// readiness then reports whatever came in between, with both pollers (the suite runs twice).
import { describe, expect, test } from '@jest/globals';
import { native, POLL_READABLE, POLL_RECEIVE } from '../lib/transport/native';
import { C, closeAll, E, listener, next, pair, reports, turn, udp, useNativeSockets } from './native-helpers';

useNativeSockets();

/** `fn`'s result and how many read system calls it made. */
function counted<T>(fn: () => T): [T, number] {
  const before = native.stats().reads;
  const result = fn();
  return [result, native.stats().reads - before];
}

const buf = new Uint8Array(64);

describe('drained stream sockets', () => {
  test('after -EAGAIN, reads answer -EAGAIN with no system call, for recv, recvv, recvfrom, recvmsg and MSG_PEEK', async () => {
    const [c, a, l] = await pair();
    expect(counted(() => a.recv(buf, 0, 64, 0))).toEqual([-E.EAGAIN, 1]);
    expect(counted(() => a.recv(buf, 0, 64, 0))).toEqual([-E.EAGAIN, 0]);
    expect(counted(() => a.recvv([buf, buf], 0))).toEqual([-E.EAGAIN, 0]);
    expect(counted(() => a.recvfrom(buf, 0, 64, 0, null))).toEqual([-E.EAGAIN, 0]);
    expect(counted(() => a.recvmsg([buf], 0, null, null, new Int32Array(2)))).toEqual([-E.EAGAIN, 0]);
    expect(counted(() => a.recv(buf, 0, 1, C.MSG_PEEK))).toEqual([-E.EAGAIN, 0]);
    // Urgent data is no POLLIN matter, and a zero-byte read still asks the OS.
    expect(counted(() => a.recv(buf, 0, 1, C.MSG_OOB))[1]).toBe(1);
    expect(counted(() => a.recv(buf, 0, 0, 0))[1]).toBe(1);
    closeAll(c, a, l);
  });

  test('data that arrives while nobody listens is reported once readiness is armed, and then read', async () => {
    const [c, a, l] = await pair();
    expect(a.recv(buf, 0, 64, 0)).toBe(-E.EAGAIN);
    expect(c.send(Buffer.from('late'), 0, 4, 0)).toBe(4);
    await turn();
    // Not armed: the transport has heard nothing, and says so without asking the OS.
    expect(counted(() => a.recv(buf, 0, 64, 0))).toEqual([-E.EAGAIN, 0]);
    const { events } = await next(a, POLL_READABLE);
    expect(events & POLL_READABLE).toBe(POLL_READABLE);
    expect(counted(() => a.recv(buf, 0, 64, 0))).toEqual([4, 1]);
    closeAll(c, a, l);
  });

  test('a short read marks the socket drained; the next data clears it through the armed poller', async () => {
    const [c, a, l] = await pair();
    expect(c.send(Buffer.from('12345'), 0, 5, 0)).toBe(5);
    await next(a, POLL_READABLE);
    expect(counted(() => a.recv(buf, 0, 64, 0))).toEqual([5, 1]);
    expect(counted(() => a.recv(buf, 0, 64, 0))).toEqual([-E.EAGAIN, 0]);
    // More data while drained and unarmed: arming reports it, and the read asks the OS.
    expect(c.send(Buffer.from('678'), 0, 3, 0)).toBe(3);
    await next(a, POLL_READABLE);
    expect(counted(() => a.recv(buf, 0, 64, 0))).toEqual([3, 1]);
    closeAll(c, a, l);
  });

  test('a drained socket armed for reading reports the data a peer sends later (the armed case)', async () => {
    const [c, a, l] = await pair();
    expect(a.recv(buf, 0, 64, 0)).toBe(-E.EAGAIN);
    const seen: number[] = [];
    const done = reports(a, POLL_READABLE, (r) => r.length === 1, () => seen.push(a.recv(buf, 0, 64, 0)));
    await turn();
    expect(c.send(Buffer.from('abc'), 0, 3, 0)).toBe(3);
    await done;
    expect(seen).toEqual([3]);
    closeAll(c, a, l);
  });

  test("past the peer's FIN a short read is not drained: the next read says 0", async () => {
    const [c, a, l] = await pair();
    expect(c.send(Buffer.from('abc'), 0, 3, 0)).toBe(3);
    expect(c.shutdown(C.SHUT_WR)).toBe(0);
    await turn();
    await next(a, POLL_READABLE);
    expect(a.recv(buf, 0, 64, 0)).toBe(3);
    expect(counted(() => a.recv(buf, 0, 64, 0))).toEqual([0, 1]);
    closeAll(c, a, l);
  });

  test('shutdown(SHUT_RD) of our own makes the next read 0, drained or not', async () => {
    const [c, a, l] = await pair();
    expect(a.recv(buf, 0, 64, 0)).toBe(-E.EAGAIN);
    expect(a.shutdown(C.SHUT_RD)).toBe(0);
    expect(counted(() => a.recv(buf, 0, 64, 0))).toEqual([0, 1]);
    closeAll(c, a, l);
  });

  test('listening sockets and datagram sockets always ask the OS', async () => {
    const [l] = listener();
    expect(l.accept(null)).toBe(-E.EAGAIN); // drained, as far as accept goes
    expect(counted(() => l.recv(buf, 0, 64, 0))).toEqual([-E.ENOTCONN, 1]);
    const [u] = udp();
    expect(counted(() => u.recv(buf, 0, 64, 0))).toEqual([-E.EAGAIN, 1]);
    expect(counted(() => u.recv(buf, 0, 64, 0))).toEqual([-E.EAGAIN, 1]);
    closeAll(l, u);
  });

  test('an automatic read that came back short leaves the socket drained for explicit reads too', async () => {
    const [c, a, l] = await pair();
    native.setReceiveArea(new Uint8Array(64));
    expect(c.send(Buffer.from('xy'), 0, 2, 0)).toBe(2);
    const got = await reports(a, POLL_RECEIVE, (r) => r.length === 1);
    expect(got.map((r) => r.received)).toEqual([2]);
    expect(counted(() => a.recv(buf, 0, 64, 0))).toEqual([-E.EAGAIN, 0]);
    closeAll(c, a, l);
  });
});
