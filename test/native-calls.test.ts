// The C++ transport's socket calls on their own: real sockets on 127.0.0.1 / ::1, port 0,
// through the contract in lib/transport/native.ts (module, addresses, TCP, UDP, datagram
// batches and control data, name resolution, options).
import { describe, expect, test } from '@jest/globals';
import { native, NativeSocket, NETADDR_SIZE, POLL_DISCONNECT, POLL_READABLE, POLL_WRITABLE } from '../lib/transport/native';
import { C, closeAll, connectTo, E, listener, localAddress, next, open, pair, portOf, recvExactly, track, useNativeSockets, v4, v6 } from './native-helpers';

useNativeSockets();

describe('module', () => {
  test('constants and errno carry the host values', () => {
    expect(C.AF_INET).toBe(2);
    expect(C.AF_INET6).toBe(10);
    expect(C.SOL_SOCKET).toBe(1);
    expect(C.IPPROTO_TCP).toBe(6);
    expect(C.IOV_MAX).toBeGreaterThanOrEqual(16);
    for (const name of ['SO_REUSEPORT', 'TCP_FASTOPEN', 'IPV6_RECVHOPLIMIT', 'MSG_DONTWAIT', 'SOMAXCONN']) {
      expect(typeof C[name]).toBe('number');
    }
    expect(E.EAGAIN).toBe(11);
    expect(E.EWOULDBLOCK).toBe(E.EAGAIN);
    expect(E.ECONNREFUSED).toBe(111);
    expect(Object.keys(E)).toHaveLength(47);
  });

  test('socket() returns a non-blocking handle, or -errno for an unknown family', () => {
    const before = native.openSockets();
    const s = open();
    expect(s.fd).toBeGreaterThanOrEqual(0);
    expect(native.openSockets()).toBe(before + 1);
    expect(s.accept(null)).toBe(-E.EINVAL); // not listening, yet it does not block
    expect(native.socket(9999, C.SOCK_STREAM, 0)).toBe(-E.EAFNOSUPPORT);
    s.close();
    expect(native.openSockets()).toBe(before);
  });
});

describe('addresses', () => {
  test('IPv4 bind, listen and local address', () => {
    const [l, addr] = listener(4);
    expect(addr[0]).toBe(4);
    expect(portOf(addr)).toBeGreaterThan(0);
    expect([...addr.subarray(8, 12)]).toEqual([127, 0, 0, 1]);
    const acceptconn = new Uint8Array(4);
    expect(l.getsockopt(C.SOL_SOCKET, C.SO_ACCEPTCONN, acceptconn)).toBe(4);
    expect(new DataView(acceptconn.buffer).getInt32(0, true)).toBe(1);
    l.close();
  });

  test('IPv6 bind, listen and local address', () => {
    const [l, addr] = listener(6);
    expect(addr[0]).toBe(6);
    expect(portOf(addr)).toBeGreaterThan(0);
    expect([...addr.subarray(8, 24)]).toEqual([...v6().subarray(8, 24)]);
    expect([...addr.subarray(24, 28)]).toEqual([0, 0, 0, 0]);
    l.close();
  });

  test('an IPv4 NETADDR on an AF_INET6 socket gets what the OS says', () => {
    const s = open(6);
    expect(s.bind(v4())).toBeLessThan(0);
    s.close();
  });
});

describe('TCP', () => {
  test('connect in progress completes with POLL_WRITABLE and takeError() 0', async () => {
    const [l, addr] = listener();
    const c = open();
    const rc = c.connect(addr);
    expect([0, -E.EINPROGRESS]).toContain(rc);
    const { events, status } = await next(c, POLL_WRITABLE);
    expect(status).toBe(0);
    expect(events & POLL_WRITABLE).toBe(POLL_WRITABLE);
    expect(c.takeError()).toBe(0);
    const peer = new Uint8Array(NETADDR_SIZE);
    expect(c.peerAddress(peer)).toBe(0);
    expect(peer).toEqual(addr);
    closeAll(c, l);
  });

  test('one readable event drains several waiting connections', async () => {
    const [l, addr] = listener();
    const clients: NativeSocket[] = [];
    for (let i = 0; i < 5; i++) clients.push(await connectTo(addr));
    const { events } = await next(l, POLL_READABLE);
    expect(events & POLL_READABLE).toBe(POLL_READABLE);
    const accepted: NativeSocket[] = [];
    const from = new Uint8Array(NETADDR_SIZE);
    for (;;) {
      const a = l.accept(from);
      if (typeof a === 'number') {
        expect(a).toBe(-E.EAGAIN);
        break;
      }
      accepted.push(track(a));
      expect(from[0]).toBe(4);
      expect(clients.map((c) => portOf(localAddress(c)))).toContain(portOf(from));
    }
    expect(accepted).toHaveLength(5);
    closeAll(...accepted, ...clients, l);
  });

  test('try-first send and recv move real bytes both ways', async () => {
    const [c, a, l] = await pair();
    expect(c.send(Buffer.from('xxhello'), 2, 5, 0)).toBe(5);
    expect((await recvExactly(a, 5)).toString()).toBe('hello');
    const reply = new Uint8Array(64 * 1024).map((_, i) => i & 0xff);
    let sent = 0;
    while (sent < reply.length) {
      const r = a.send(reply, sent, reply.length - sent, 0);
      if (r === -E.EAGAIN) await next(a, POLL_WRITABLE);
      else sent += r;
    }
    expect((await recvExactly(c, reply.length)).equals(Buffer.from(reply))).toBe(true);
    expect(c.recv(Buffer.alloc(1), 0, 1, 0)).toBe(-E.EAGAIN);
    closeAll(c, a, l);
  });

  test('available() reports the queued bytes', async () => {
    const [c, a, l] = await pair();
    expect(c.send(Buffer.from('12345'), 0, 5, 0)).toBe(5);
    await next(a, POLL_READABLE);
    expect(a.available()).toBe(5);
    closeAll(c, a, l);
  });

  test('sendv and recvv gather and scatter through views with a byteOffset', async () => {
    const [c, a, l] = await pair();
    const out = new Uint8Array(32).fill(0xee);
    out.set(Buffer.from('abc'), 4);
    out.set(Buffer.from('defgh'), 20);
    expect(c.sendv([out.subarray(4, 7), new Uint8Array(0), Buffer.from('-'), out.subarray(20, 25)], 0)).toBe(9);
    await next(a, POLL_READABLE);
    const back = new Uint8Array(40).fill(0x55);
    const parts = [back.subarray(3, 5), back.subarray(10, 14), back.subarray(30, 40)];
    expect(a.recvv(parts, 0)).toBe(9);
    expect(Buffer.from(back.subarray(3, 5)).toString()).toBe('ab');
    expect(Buffer.from(back.subarray(10, 14)).toString()).toBe('c-de');
    expect(Buffer.from(back.subarray(30, 33)).toString()).toBe('fgh');
    // Nothing outside the views was written.
    expect([back[2], back[5], back[9], back[14], back[29], back[33]]).toEqual([0x55, 0x55, 0x55, 0x55, 0x55, 0x55]);
    closeAll(c, a, l);
  });

  test("recv returns 0 at the peer's orderly shutdown, reported with POLL_DISCONNECT", async () => {
    const [c, a, l] = await pair();
    expect(c.shutdown(C.SHUT_WR)).toBe(0);
    const { events, status } = await next(a, POLL_READABLE);
    expect(status).toBe(0);
    expect(events & (POLL_READABLE | POLL_DISCONNECT)).toBe(POLL_READABLE | POLL_DISCONNECT);
    expect(a.recv(Buffer.alloc(8), 0, 8, 0)).toBe(0);
    // The other direction still works after a half close.
    expect(a.send(Buffer.from('late'), 0, 4, 0)).toBe(4);
    expect((await recvExactly(c, 4)).toString()).toBe('late');
    closeAll(c, a, l);
  });

  test('a refused connect reports -ECONNREFUSED through takeError()', async () => {
    const bound = open(); // bound, not listening: the kernel answers SYN with RST
    expect(bound.bind(v4())).toBe(0);
    const c = open();
    const rc = c.connect(localAddress(bound));
    if (rc === -E.EINPROGRESS) {
      // libuv signals POLLERR as status -EBADF; the armed interest is reported with it.
      const { events, status } = await next(c, POLL_WRITABLE);
      expect(status === 0 || status === -E.EBADF).toBe(true);
      expect(events & POLL_WRITABLE).toBe(POLL_WRITABLE);
      expect(c.takeError()).toBe(-E.ECONNREFUSED);
      expect(c.takeError()).toBe(0); // reading SO_ERROR clears it
    } else {
      expect(rc).toBe(-E.ECONNREFUSED);
    }
    closeAll(c, bound);
  });

  test('a reset shows up as an error event and then as -ECONNRESET from recv', async () => {
    const [c, a, l] = await pair();
    const linger = new Uint8Array(8);
    new DataView(linger.buffer).setInt32(0, 1, true); // l_onoff = 1, l_linger = 0: close sends RST
    expect(c.setsockopt(C.SOL_SOCKET, C.SO_LINGER, linger)).toBe(0);
    c.close();
    const { events, status } = await next(a, POLL_READABLE);
    expect(events & POLL_READABLE).toBe(POLL_READABLE);
    expect([0, -E.EBADF]).toContain(status);
    expect(a.recv(Buffer.alloc(8), 0, 8, 0)).toBe(-E.ECONNRESET);
    closeAll(a, l);
  });
});

describe('UDP', () => {
  test.each([4, 6] as const)('IPv%s sendto and recvfrom report the sender', async (family) => {
    const rx = open(family, C.SOCK_DGRAM);
    const tx = open(family, C.SOCK_DGRAM);
    const any = family === 4 ? v4() : v6();
    expect(rx.bind(any)).toBe(0);
    expect(tx.bind(any)).toBe(0);
    expect(tx.sendto(Buffer.from('--datagram'), 2, 8, 0, localAddress(rx))).toBe(8);
    await next(rx, POLL_READABLE);
    const buf = new Uint8Array(64);
    const from = new Uint8Array(NETADDR_SIZE);
    expect(rx.recvfrom(buf, 10, 54, 0, from)).toBe(8);
    expect(Buffer.from(buf.subarray(10, 18)).toString()).toBe('datagram');
    expect(from).toEqual(localAddress(tx));
    expect(rx.recvfrom(buf, 0, 64, 0, null)).toBe(-E.EAGAIN);
    closeAll(rx, tx);
  });

  test('sendto without an address uses the connected peer', async () => {
    const rx = open(4, C.SOCK_DGRAM);
    const tx = open(4, C.SOCK_DGRAM);
    expect(rx.bind(v4())).toBe(0);
    expect(tx.connect(localAddress(rx))).toBe(0);
    expect(tx.sendto(Buffer.from('hi'), 0, 2, 0, null)).toBe(2);
    await next(rx, POLL_READABLE);
    expect(rx.recv(Buffer.alloc(8), 0, 8, 0)).toBe(2);
    closeAll(rx, tx);
  });
});

describe('datagram batches and control data', () => {
  test.each([4, 6] as const)('IPv%s recvmmsg takes a whole batch in one call, with senders and lengths', async (family) => {
    const rx = open(family, C.SOCK_DGRAM);
    const tx = open(family, C.SOCK_DGRAM);
    const any = family === 4 ? v4() : v6();
    expect(rx.bind(any)).toBe(0);
    expect(tx.bind(any)).toBe(0);
    const to = localAddress(rx);
    for (let i = 0; i < 5; i++) expect(tx.sendto(Buffer.alloc(i * 10, i + 1), 0, i * 10, 0, to)).toBe(i * 10);
    await next(rx, POLL_READABLE);
    const slot = 64;
    const area = new Uint8Array(slot * 8);
    const meta = new Int32Array(3 * 8);
    const addrs = new Uint8Array(NETADDR_SIZE * 8);
    expect(rx.recvmmsg(area, slot, 8, meta, addrs, null, 0, 0)).toBe(5);
    for (let i = 0; i < 5; i++) {
      expect(meta[3 * i]).toBe(i * 10);
      expect(area.subarray(i * slot, i * slot + i * 10).every((b) => b === i + 1)).toBe(true);
      expect(addrs.subarray(i * NETADDR_SIZE, (i + 1) * NETADDR_SIZE)).toEqual(localAddress(tx));
    }
    expect(rx.recvmmsg(area, slot, 8, meta, addrs, null, 0, 0)).toBe(-E.EAGAIN);
    closeAll(rx, tx);
  });

  test('sendmmsg sends each group of views as one datagram', async () => {
    const rx = open(4, C.SOCK_DGRAM);
    const tx = open(4, C.SOCK_DGRAM);
    expect(rx.bind(v4())).toBe(0);
    const bufs = [Buffer.from('ab'), Buffer.from('cd'), Buffer.from('e'), Buffer.from('fgh')];
    expect(tx.sendmmsg(bufs, new Int32Array([2, 0, 2]), localAddress(rx), null, 0)).toBe(3);
    await next(rx, POLL_READABLE);
    const area = new Uint8Array(16 * 4);
    const meta = new Int32Array(12);
    expect(rx.recvmmsg(area, 16, 4, meta, null, null, 0, 0)).toBe(3);
    expect([meta[0], meta[3], meta[6]]).toEqual([4, 0, 4]);
    expect(Buffer.from(area.subarray(0, 4)).toString()).toBe('abcd');
    expect(Buffer.from(area.subarray(32, 36)).toString()).toBe('efgh');
    closeAll(rx, tx);
  });

  test('recvmsg reports MSG_TRUNC for a datagram larger than the views, and IP_PKTINFO as a host cmsg', async () => {
    const rx = open(4, C.SOCK_DGRAM);
    const tx = open(4, C.SOCK_DGRAM);
    expect(rx.bind(v4())).toBe(0);
    expect(tx.bind(v4())).toBe(0);
    expect(rx.setsockopt(C.IPPROTO_IP, C.IP_PKTINFO, new Uint8Array(new Int32Array([1]).buffer))).toBe(0);
    expect(tx.sendmsg([Buffer.from('0123456789')], 0, localAddress(rx), null)).toBe(10);
    await next(rx, POLL_READABLE);
    const a = new Uint8Array(3);
    const b = new Uint8Array(4);
    const control = new Uint8Array(128);
    const out = new Int32Array(2);
    const from = new Uint8Array(NETADDR_SIZE);
    expect(rx.recvmsg([a, b], 0, from, control, out)).toBe(7);
    expect(Buffer.from([...a, ...b]).toString()).toBe('0123456');
    expect(out[0] & C.MSG_TRUNC).toBe(C.MSG_TRUNC);
    expect(out[1]).toBeGreaterThanOrEqual(C.CMSG_HDRLEN + C.SIZEOF_IN_PKTINFO);
    const dv = new DataView(control.buffer);
    expect(dv.getInt32(C.CMSG_LENSIZE, true)).toBe(C.IPPROTO_IP);
    expect(dv.getInt32(C.CMSG_LENSIZE + 4, true)).toBe(C.IP_PKTINFO);
    expect(from).toEqual(localAddress(tx));
    closeAll(rx, tx);
  });

  test('connect with a version-0 NETADDR dissolves the association', async () => {
    const rx = open(4, C.SOCK_DGRAM);
    const tx = open(4, C.SOCK_DGRAM);
    expect(rx.bind(v4())).toBe(0);
    expect(tx.connect(localAddress(rx))).toBe(0);
    expect(tx.peerAddress(new Uint8Array(NETADDR_SIZE))).toBe(0);
    expect(tx.connect(new Uint8Array(NETADDR_SIZE))).toBe(0);
    expect(tx.peerAddress(new Uint8Array(NETADDR_SIZE))).toBe(-E.ENOTCONN);
    expect(tx.sendto(Buffer.from('x'), 0, 1, 0, null)).toBe(-E.EDESTADDRREQ);
    closeAll(rx, tx);
  });
});

describe('name resolution', () => {
  const resolve = (node: string | null, service: string | null, flags = 0, family = C.AF_UNSPEC, socktype = C.SOCK_DGRAM) =>
    new Promise<{ status: number; count: number; addrs: Uint8Array; meta: Int32Array; canon: string | null }>((done, fail) => {
      const id = native.getaddrinfo(node, service, flags, family, socktype, 0, (status, count, addrs, meta, canon) =>
        done({ status, count, addrs, meta, canon }),
      );
      if (id <= 0) fail(new Error(`getaddrinfo returned ${id}`));
    });

  test('getaddrinfo resolves numeric hosts and services on the thread pool', async () => {
    const r = await resolve('::1', '8080', C.AI_NUMERICHOST | C.AI_NUMERICSERV, C.AF_INET6);
    expect(r.status).toBe(0);
    expect(r.count).toBe(1);
    expect(r.meta[0]).toBe(6);
    expect(r.addrs).toEqual(v6(8080));
  });

  test('getaddrinfo with AI_NUMERICHOST and a name fails with EAI_NONAME, without a query', async () => {
    const r = await resolve('not-a-number.invalid', null, C.AI_NUMERICHOST);
    expect(r.status).toBe(native.resolverErrors.EAI_NONAME);
    expect(r.count).toBe(0);
  });

  test('getnameinfo gives numeric host and service', async () => {
    const r = await new Promise<[number, string | null, string | null]>((done) =>
      native.getnameinfo(v4(53), C.NI_NUMERICHOST | C.NI_NUMERICSERV, (status, host, service) => done([status, host, service])),
    );
    expect(r).toEqual([0, '127.0.0.1', '53']);
  });

  test('a request cancelled while still queued reports EAI_CANCELED; cancelling a finished one is harmless', async () => {
    // Fill the thread pool's queue with work so that the last request is still queued.
    const results: Array<Promise<number>> = [];
    const ids: number[] = [];
    for (let i = 0; i < 64; i++) {
      results.push(new Promise((done) => ids.push(native.getaddrinfo('127.0.0.1', String(i), C.AI_NUMERICHOST, C.AF_INET, 0, 0, (status) => done(status)))));
    }
    const rc = native.cancelResolution(ids[63]);
    const statuses = await Promise.all(results);
    if (rc === 0) expect(statuses[63]).toBe(native.resolverErrors.EAI_CANCELED);
    else expect(statuses[63]).toBe(0);
    expect(native.cancelResolution(ids[0])).toBe(native.resolverErrors.ENOENT);
    expect(native.pendingResolutions()).toBe(0);
  });
});

describe('options', () => {
  test('setsockopt and getsockopt pass raw bytes (SO_RCVBUF, TCP_NODELAY)', () => {
    const s = open();
    const value = new Uint8Array(4);
    const view = new DataView(value.buffer);
    view.setInt32(0, 65536, true);
    expect(s.setsockopt(C.SOL_SOCKET, C.SO_RCVBUF, value)).toBe(0);
    const out = new Uint8Array(8);
    expect(s.getsockopt(C.SOL_SOCKET, C.SO_RCVBUF, out)).toBe(4);
    expect(new DataView(out.buffer).getInt32(0, true)).toBeGreaterThanOrEqual(65536);

    view.setInt32(0, 1, true);
    expect(s.setsockopt(C.IPPROTO_TCP, C.TCP_NODELAY, value)).toBe(0);
    out.fill(0);
    expect(s.getsockopt(C.IPPROTO_TCP, C.TCP_NODELAY, out)).toBe(4);
    expect(new DataView(out.buffer).getInt32(0, true)).toBe(1);
    expect(s.getsockopt(C.SOL_SOCKET, 9999, out)).toBe(-E.ENOPROTOOPT);
    s.close();
  });
});
