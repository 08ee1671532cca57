// The C++ transport's readiness (poll() and the event handler), level-triggered with both
// pollers (the suite runs twice), and close with readiness armed. Real sockets on loopback.
import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'fs';
import { native, NativeSocket, NETADDR_SIZE, POLL_DISCONNECT, POLL_READABLE, POLL_WRITABLE } from '../lib/transport/native';
import { C, closeAll, E, listener, Listener, localAddress, next, open, pair, track, turn, useNativeSockets, v4 } from './native-helpers';

useNativeSockets();

describe('readiness', () => {
  test('process.nextTick callbacks queued by the handler run before the next phase', async () => {
    const [c, a, l] = await pair();
    const order: string[] = [];
    await new Promise<void>((resolve) => {
      c.owner = (() => {
        c.poll(0);
        setImmediate(() => {
          order.push('immediate');
          resolve();
        });
        process.nextTick(() => order.push('tick'));
        void Promise.resolve().then(() => order.push('microtask'));
      }) as Listener;
      c.poll(POLL_WRITABLE);
    });
    expect(order).toEqual(['tick', 'microtask', 'immediate']);
    closeAll(c, a, l);
  });

  /** `n` bound UDP sockets, each with one datagram queued (so all are readable at once). */
  async function readableDgrams(n: number): Promise<NativeSocket[]> {
    const tx = open(4, C.SOCK_DGRAM);
    const rx = Array.from({ length: n }, () => {
      const s = open(4, C.SOCK_DGRAM);
      expect(s.bind(v4())).toBe(0);
      expect(tx.sendto(Buffer.from('x'), 0, 1, 0, localAddress(s))).toBe(1);
      return s;
    });
    tx.close();
    await turn(); // loopback delivery is synchronous, but give it a turn anyway
    for (const s of rx) expect(s.available()).toBe(1);
    return rx;
  }

  test('a socket closed by an earlier handler of the same turn is not reported, nor is a new one on its descriptor', async () => {
    const [a, b] = await readableDgrams(2);
    const calls: string[] = [];
    let fresh: NativeSocket | undefined;
    const first = (self: NativeSocket, other: NativeSocket) => () => {
      calls.push('first');
      self.poll(0);
      other.close();
      // Likely to get the descriptor number `other` just gave back: it has nothing to read,
      // so any event for it in this turn would be the closed socket's, delivered wrongly.
      fresh = open(4, C.SOCK_DGRAM);
      expect(fresh.bind(v4())).toBe(0);
      fresh.owner = (() => calls.push('fresh')) as Listener;
      expect(fresh.poll(POLL_READABLE)).toBe(0);
    };
    a.owner = first(a, b) as Listener;
    b.owner = first(b, a) as Listener;
    expect(a.poll(POLL_READABLE)).toBe(0);
    expect(b.poll(POLL_READABLE)).toBe(0);
    await turn();
    await turn();
    expect(calls).toEqual(['first']);
    closeAll(a, b, fresh!);
  });

  test('a socket disarmed while ready is not reported, and is again once re-armed', async () => {
    const [s] = await readableDgrams(1);
    let calls = 0;
    s.owner = (() => calls++) as Listener;
    expect(s.poll(POLL_READABLE)).toBe(0);
    expect(s.poll(0)).toBe(0); // before the loop ever looked
    await turn();
    await turn();
    expect(calls).toBe(0);
    const { events } = await next(s, POLL_READABLE);
    expect(events & POLL_READABLE).toBe(POLL_READABLE);
    s.close();
  });

  test('only the bits asked for are reported: a readable socket narrowed to writing reports POLL_WRITABLE alone', async () => {
    const [s] = await readableDgrams(1);
    let events = 0;
    s.owner = ((e) => {
      events |= e;
      s.poll(0);
    }) as Listener;
    expect(s.poll(POLL_READABLE | POLL_WRITABLE)).toBe(0);
    expect(s.poll(POLL_WRITABLE)).toBe(0); // narrowed before the loop looked
    await turn();
    expect(events).toBe(POLL_WRITABLE);
    const r = await next(s, POLL_READABLE);
    expect(r.events).toBe(POLL_READABLE);
    s.close();
  });

  test('poll() rejects bits other than READABLE | WRITABLE | RECEIVE', () => {
    const s = open();
    expect(s.poll(POLL_DISCONNECT)).toBe(-E.EINVAL);
    expect(s.poll(16 | POLL_READABLE)).toBe(-E.EINVAL);
    expect(s.poll(0)).toBe(0);
    s.close();
  });
});

describe('level-triggered readiness (whatever the poller)', () => {
  test('native.poller() names the mechanism: io_uring where the kernel allows it, uv when asked', () => {
    const { poller, reason } = native.poller();
    if (/usePoller|NODE_WSK_POLLER/.test(reason)) {
      expect(poller).toBe('uv'); // asked for (test/poller-uv.ts, or the environment)
      expect(native.usePoller('io_uring')).toBe(-E.EBUSY);
      expect(native.usePoller('uv')).toBe(0);
      return;
    }
    let disabled = '';
    try {
      disabled = readFileSync('/proc/sys/kernel/io_uring_disabled', 'utf8').trim();
    } catch {
      disabled = 'unknown';
    }
    if (process.platform !== 'linux' || disabled !== '0') {
      console.warn(`skipped: io_uring not offered here (platform ${process.platform}, io_uring_disabled ${disabled}); poller ${poller}: ${reason}`);
      expect(poller).toBe('uv');
      return;
    }
    expect({ poller, reason }).toEqual({ poller: 'io_uring', reason: '' });
    expect(native.usePoller('uv')).toBe(-E.EBUSY);
    expect(native.usePoller('io_uring')).toBe(0);
    expect(native.usePoller('epoll' as 'uv')).toBe(-E.EINVAL);
  });

  test('bytes left unread are reported again with no new data arriving, until a read finds none', async () => {
    const [c, a, l] = await pair();
    expect(c.send(Buffer.alloc(100, 7), 0, 100, 0)).toBe(100);
    await turn();
    const chunk = Buffer.alloc(10);
    let got = 0;
    let calls = 0;
    await new Promise<void>((resolve) => {
      a.owner = (() => {
        calls++;
        const n = a.recv(chunk, 0, 10, 0); // a full read each time: more may be waiting
        if (n > 0) got += n;
        if (got === 100) resolve();
      }) as Listener;
      expect(a.poll(POLL_READABLE)).toBe(0);
    });
    await turn();
    const settled = calls;
    await turn();
    expect(got).toBe(100);
    expect(calls).toBe(settled); // nothing left: no more reports
    closeAll(c, a, l);
  });

  test("the peer's FIN behind a short read is still reported", async () => {
    const [c, a, l] = await pair();
    expect(c.send(Buffer.from('abc'), 0, 3, 0)).toBe(3);
    expect(c.shutdown(C.SHUT_WR)).toBe(0);
    await turn(); // data and FIN both queued before anyone looks
    const results: number[] = [];
    const buf = Buffer.alloc(10);
    await new Promise<void>((resolve) => {
      a.owner = (() => {
        const n = a.recv(buf, 0, 10, 0);
        results.push(n);
        if (n <= 0) {
          a.poll(0);
          resolve();
        }
      }) as Listener;
      expect(a.poll(POLL_READABLE)).toBe(0);
    });
    expect(results).toEqual([3, 0]);
    closeAll(c, a, l);
  }, 10000);

  test('data a handler left behind is reported when readiness is armed again, without new data', async () => {
    const [c, a, l] = await pair();
    expect(c.send(Buffer.from('0123456789'), 0, 10, 0)).toBe(10);
    const first = Buffer.alloc(4);
    await new Promise<void>((resolve) => {
      a.owner = (() => {
        expect(a.recv(first, 0, 4, 0)).toBe(4);
        a.poll(0);
        resolve();
      }) as Listener;
      expect(a.poll(POLL_READABLE)).toBe(0);
    });
    await turn();
    const { events } = await next(a, POLL_READABLE);
    expect(events & POLL_READABLE).toBe(POLL_READABLE);
    const rest = Buffer.alloc(16);
    expect(a.recv(rest, 0, 16, 0)).toBe(6);
    expect(Buffer.concat([first, rest.subarray(0, 6)]).toString()).toBe('0123456789');
    closeAll(c, a, l);
  });

  test('more sockets ready at once than the completion queue holds (16,384) are all reported', async () => {
    const N = 17000;
    const rx: NativeSocket[] = [];
    for (let i = 0; i < N; i++) {
      const s = native.socket(C.AF_INET, C.SOCK_DGRAM, 0);
      if (typeof s === 'number') {
        rx.forEach((x) => x.close());
        console.warn(`skipped: ${i} descriptors were all this process may open (socket() gave ${s}); the test needs ${N}`);
        expect(s).toBe(-E.EMFILE);
        return;
      }
      rx.push(track(s));
    }
    // Plain checks in the loops (jest's expect costs ~50 µs a call), counted and compared once.
    let reported = 0;
    let wrong = 0;
    const one = Buffer.alloc(1);
    const addr = new Uint8Array(NETADDR_SIZE);
    const all = new Promise<void>((resolve) => {
      for (const s of rx) {
        if (s.bind(v4()) !== 0) wrong++;
        s.owner = (() => {
          if (s.recvfrom(one, 0, 1, 0, null) !== 1) wrong++;
          s.close();
          if (++reported === N) resolve();
        }) as Listener;
        if (s.poll(POLL_READABLE) !== 0) wrong++;
      }
    });
    const tx = open(4, C.SOCK_DGRAM);
    for (const s of rx) {
      if (s.localAddress(addr) !== 0 || tx.sendto(one, 0, 1, 0, addr) !== 1) wrong++;
    }
    tx.close();
    await all;
    expect({ reported, wrong }).toEqual({ reported: N, wrong: 0 });
  });

  test('closing a socket with readiness armed sends its FIN at once, inside a handler or not', async () => {
    const [c, a, l] = await pair();
    a.owner = (() => undefined) as Listener;
    expect(a.poll(POLL_READABLE)).toBe(0);
    a.close(); // outside any handler
    const eof = Buffer.alloc(1);
    await next(c, POLL_READABLE);
    expect(c.recv(eof, 0, 1, 0)).toBe(0);

    const [c2, a2, l2] = await pair();
    const closed = new Promise<void>((resolve) => {
      a2.owner = (() => {
        a2.close(); // inside the handler
        resolve();
      }) as Listener;
    });
    expect(a2.poll(POLL_READABLE)).toBe(0);
    expect(c2.send(Buffer.from('x'), 0, 1, 0)).toBe(1);
    await closed;
    // The peer had unread data, so the close resets: either way the client hears of it.
    const { events } = await next(c2, POLL_READABLE);
    expect(events & POLL_READABLE).toBe(POLL_READABLE);
    expect([0, -E.ECONNRESET]).toContain(c2.recv(eof, 0, 1, 0));
    closeAll(c, l, c2, l2);
  });
});

describe('close', () => {
  test('close is idempotent and the fd reads -1 afterwards', () => {
    const before = native.openSockets();
    const s = open();
    s.close();
    s.close();
    expect(s.fd).toBe(-1);
    expect(native.openSockets()).toBe(before);
  });

  test('every method on a closed socket returns -EBADF', () => {
    const s = open();
    s.close();
    const b = new Uint8Array(NETADDR_SIZE);
    const addr = v4();
    expect([
      s.setsockopt(C.SOL_SOCKET, C.SO_RCVBUF, new Uint8Array(4)),
      s.getsockopt(C.SOL_SOCKET, C.SO_RCVBUF, new Uint8Array(4)),
      s.bind(addr),
      s.listen(1),
      s.accept(null),
      s.connect(addr),
      s.takeError(),
      s.send(b, 0, 1, 0),
      s.sendv([b], 0),
      s.recv(b, 0, 1, 0),
      s.recvv([b], 0),
      s.sendto(b, 0, 1, 0, addr),
      s.recvfrom(b, 0, 1, 0, null),
      s.shutdown(C.SHUT_RDWR),
      s.localAddress(b),
      s.peerAddress(b),
      s.available(),
      s.poll(POLL_READABLE),
      s.recvmsg([b], 0, null, null, new Int32Array(2)),
      s.sendmsg([b], 0, addr, null),
      s.recvmmsg(b, 1, 1, new Int32Array(3), null, null, 0, 0),
      s.sendmmsg([b], new Int32Array([1]), addr, null, 0),
    ]).toEqual(new Array(22).fill(-E.EBADF));
  });

  test('closing from inside the handler with readiness armed stops further events', async () => {
    const [l, addr] = listener();
    let calls = 0;
    const closed = new Promise<void>((resolve) => {
      l.owner = (() => {
        calls++;
        l.close();
        l.close();
        resolve();
      }) as Listener;
    });
    expect(l.poll(POLL_READABLE | POLL_WRITABLE)).toBe(0);
    const c = open();
    c.connect(addr);
    await closed;
    await turn();
    expect(calls).toBe(1);
    expect(l.fd).toBe(-1);
    c.close();
  });

  test('closeAllSockets closes armed and unarmed sockets alike and says how many', async () => {
    const [c, a, l] = await pair();
    let calls = 0;
    a.owner = (() => calls++) as Listener;
    expect(a.poll(POLL_READABLE)).toBe(0);
    expect(native.closeAllSockets()).toBe(3);
    expect(native.openSockets()).toBe(0);
    expect([c.fd, a.fd, l.fd]).toEqual([-1, -1, -1]);
    expect(c.send(Buffer.from('x'), 0, 1, 0)).toBe(-E.EBADF);
    await turn();
    expect(calls).toBe(0);
    expect(native.closeAllSockets()).toBe(0);
  });

  test('closing an armed socket outside the handler', async () => {
    const [l] = listener();
    let calls = 0;
    l.owner = (() => calls++) as Listener;
    expect(l.poll(POLL_READABLE)).toBe(0);
    l.close();
    await turn();
    expect(calls).toBe(0);
  });
});
