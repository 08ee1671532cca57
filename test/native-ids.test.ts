// Socket ids (every socket function takes one) and bad input: wrong types, ranges and ids
// throw or give -EBADF, never crash. Anything that may end a process runs in a child process.
import { describe, expect, test } from '@jest/globals';
import { addon, native, NativeSocket, NETADDR_SIZE, POLL_READABLE } from '../lib/transport/native';
import { ADDON_FILE, C, child, closeAll, E, localAddress, next, open, pair, recvExactly, ROOT, thrownName, useNativeSockets, v4 } from './native-helpers';

useNativeSockets();

describe('socket ids (sendById, recvById)', () => {
  const SLOT = 2 ** 24; // id = generation * 2^32 + env tag * 2^24 + slot

  test('sendById and recvById move real bytes between a connected pair and agree with send and recv', async () => {
    const [c, a, l] = await pair();
    const out = Buffer.from('0123456789abcdef');
    expect(native.sendById(c.id, out, 2, 8, 0)).toBe(8);
    const mid = Buffer.from('ghij');
    expect(c.send(mid, 0, 4, 0)).toBe(4);
    const got = await recvExactly(a, 1); // waits for the first byte
    const rest = Buffer.alloc(32);
    let n = 0;
    while (n < 11) {
      const r = native.recvById(a.id, rest, 4 + n, 11 - n, 0);
      if (r === -E.EAGAIN) await next(a, POLL_READABLE);
      else n += r;
    }
    expect(Buffer.concat([got, rest.subarray(4, 15)]).toString()).toBe('23456789ghij');
    expect(rest.subarray(0, 4)).toEqual(Buffer.alloc(4)); // nothing before `offset`
    // Nothing left: both forms say so the same way, and the other way works too.
    expect(native.recvById(a.id, rest, 0, 32, 0)).toBe(-E.EAGAIN);
    expect(a.recv(rest, 0, 32, 0)).toBe(-E.EAGAIN);
    expect(native.sendById(a.id, out, 0, 16, 0)).toBe(16);
    expect((await recvExactly(c, 16)).toString()).toBe('0123456789abcdef');
    closeAll(c, a, l);
  });

  test('ids are exact integers and differ between live sockets', () => {
    const s = open();
    const t = open(6, C.SOCK_DGRAM);
    expect(Number.isSafeInteger(s.id)).toBe(true);
    expect(Number.isSafeInteger(t.id)).toBe(true);
    expect(s.id).not.toBe(t.id);
    expect(s.id % SLOT).not.toBe(t.id % SLOT);
    expect(C.SOCKET_SLOTS).toBe(SLOT);
    const id = s.id;
    expect(s.fd).toBeGreaterThanOrEqual(0);
    closeAll(s, t);
    expect(s.id).toBe(id); // kept after close, and names nothing now
    expect(s.fd).toBe(-1);
  });

  test("a closed socket's id gives -EBADF, even once a new socket reuses its slot", () => {
    const b = new Uint8Array(4);
    const s = open();
    const old = s.id;
    s.close();
    expect(native.sendById(old, b, 0, 1, 0)).toBe(-E.EBADF);
    const t = open();
    expect(t.id % SLOT).toBe(old % SLOT); // the same slot, a later generation
    expect(t.id).not.toBe(old);
    expect(native.sendById(old, b, 0, 1, 0)).toBe(-E.EBADF);
    expect(native.recvById(old, b, 0, 1, 0)).toBe(-E.EBADF);
    // The new id reaches the new (unconnected) socket, as its methods do.
    expect(native.sendById(t.id, b, 0, 1, 0)).toBe(t.send(b, 0, 1, 0));
    expect(native.recvById(t.id, b, 0, 1, 0)).toBe(-E.ENOTCONN);
    t.close();
    // Many reuses of the slot: every id new, every earlier one refused.
    const seen = new Set([old, t.id]);
    for (let i = 0; i < 200; i++) {
      const u = native.socket(C.AF_INET, C.SOCK_DGRAM, 0) as NativeSocket;
      expect(seen.has(u.id)).toBe(false);
      seen.add(u.id);
      u.close();
    }
    for (const id of seen) expect(native.recvById(id, b, 0, 1, 0)).toBe(-E.EBADF);
  });

  test('garbage ids give TypeError or -EBADF and never a crash', () => {
    const s = open(4, C.SOCK_DGRAM); // the only socket: no neighbouring id is live
    const b = new Uint8Array(4);
    const sendById = native.sendById as (...args: unknown[]) => unknown;
    const recvById = native.recvById as (...args: unknown[]) => unknown;
    for (const id of [undefined, null, '1', String(s.id), {}, [s.id], s, 1n, BigInt(s.id), Symbol('id')]) {
      expect(thrownName(() => sendById(id, b, 0, 1, 0))).toBe('TypeError');
      expect(thrownName(() => recvById(id, b, 0, 1, 0))).toBe('TypeError');
    }
    expect(thrownName(() => sendById())).toBe('TypeError');
    const bad = [
      NaN, -1, -0, 0, 1, 0.5, -Infinity, Infinity, 1e300, -1e300, 2 ** 53, 2 ** 53 - 1, Number.MAX_VALUE,
      Number.MIN_VALUE, s.id + 1, s.id - 1, s.id + 0.5, s.id - 0.5, s.id * 2, s.id + SLOT, s.id - SLOT,
      s.id + 2 ** 32, s.id - 2 ** 32, s.id % SLOT, -s.id,
    ];
    for (const id of bad) {
      expect([id, sendById(id, b, 0, 1, 0)]).toEqual([id, -E.EBADF]);
      expect([id, recvById(id, b, 0, 1, 0)]).toEqual([id, -E.EBADF]);
    }
    expect(native.recvById(s.id, b, 0, 1, 0)).toBe(-E.EAGAIN); // still alive and well
    s.close();
  });

  test('arguments are checked as the methods check them, before the id is looked up', () => {
    const s = open();
    const dead = open();
    const deadId = dead.id;
    dead.close();
    const b = new Uint8Array(16);
    const view = new Uint8Array(new ArrayBuffer(64), 32, 8);
    for (const id of [s.id, deadId, NaN]) {
      for (const fn of [native.sendById, native.recvById]) {
        const call = fn as (...args: unknown[]) => unknown;
        expect(thrownName(() => call(id, b, 17, 0, 0))).toBe('RangeError');
        expect(thrownName(() => call(id, b, 8, 9, 0))).toBe('RangeError');
        expect(thrownName(() => call(id, b, 0, 2 ** 53, 0))).toBe('RangeError');
        expect(thrownName(() => call(id, b, -1, 1, 0))).toBe('RangeError');
        expect(thrownName(() => call(id, b, 0.5, 1, 0))).toBe('RangeError');
        expect(thrownName(() => call(id, b, NaN, 1, 0))).toBe('RangeError');
        expect(thrownName(() => call(id, view, 0, 9, 0))).toBe('RangeError'); // byteLength, not the buffer's
        expect(thrownName(() => call(id, b, 0, 1, 2 ** 40))).toBe('RangeError');
        expect(thrownName(() => call(id, 'abc', 0, 3, 0))).toBe('TypeError');
        expect(thrownName(() => call(id, new Uint16Array(4), 0, 1, 0))).toBe('TypeError');
        expect(thrownName(() => call(id, new DataView(b.buffer), 0, 1, 0))).toBe('TypeError');
        expect(thrownName(() => call(id, b, '0', 1, 0))).toBe('TypeError');
        expect(thrownName(() => call(id, b))).toBe('TypeError');
        expect(thrownName(() => call(id, b, 0, 1))).toBe('TypeError');
      }
    }
    // Well-formed: the same answers as the methods.
    expect(native.recvById(s.id, view, 0, 8, 0)).toBe(s.recv(view, 0, 8, 0));
    expect(native.sendById(s.id, b, 16, 0, 0)).toBe(s.send(b, 16, 0, 0));
    expect(native.recvById(deadId, view, 0, 8, 0)).toBe(dead.recv(view, 0, 8, 0));
    expect(native.sendById(deadId, b, 0, 1, 0)).toBe(-E.EBADF);
    s.close();
  });

  test('an id names nothing in another load of the addon (another env)', () => {
    const r = child(
      `const again = (() => { delete require.cache[require.resolve(${JSON.stringify(ADDON_FILE)})]; return require(${JSON.stringify(require.resolve('node-gyp-build'))})(${JSON.stringify(ROOT)}); })();
       const a = native.socket(C.AF_INET, C.SOCK_DGRAM, 0);
       const b = again.socket(C.AF_INET, C.SOCK_DGRAM, 0);
       const buf = new Uint8Array(4);
       console.log(a !== b, a % 2 ** 24 === b % 2 ** 24);
       console.log(native.recv(a, buf, 0, 4, 0), again.recv(b, buf, 0, 4, 0));
       console.log(native.recv(b, buf, 0, 4, 0), again.recv(a, buf, 0, 4, 0));
       native.close(b); again.close(a); console.log(native.openSockets(), again.openSockets());
       native.close(a); again.close(b);
       console.log(native.openSockets(), again.openSockets());`,
    );
    expect(r.stderr).toBe('');
    const [EAGAIN, EBADF] = [-E.EAGAIN, -E.EBADF];
    expect(r.stdout).toBe(`true true\n${EAGAIN} ${EAGAIN}\n${EBADF} ${EBADF}\n1 1\n0 0`);
  });
});

describe('bad input never crashes', () => {
  test('wrong argument types throw TypeError', () => {
    const s = open();
    const b = new Uint8Array(NETADDR_SIZE);
    const anyS = s as unknown as Record<string, (...args: unknown[]) => unknown>;
    expect(thrownName(() => anyS.send('abc', 0, 3, 0))).toBe('TypeError');
    expect(thrownName(() => anyS.send(b))).toBe('TypeError');
    expect(thrownName(() => anyS.send(b, '0', 1, 0))).toBe('TypeError');
    expect(thrownName(() => anyS.recv(new Uint16Array(4), 0, 1, 0))).toBe('TypeError');
    expect(thrownName(() => anyS.recv(new DataView(b.buffer), 0, 1, 0))).toBe('TypeError');
    expect(thrownName(() => anyS.bind({}))).toBe('TypeError');
    expect(thrownName(() => anyS.listen())).toBe('TypeError');
    expect(thrownName(() => anyS.poll('1'))).toBe('TypeError');
    expect(thrownName(() => anyS.accept(5))).toBe('TypeError');
    expect(thrownName(() => anyS.setsockopt(C.SOL_SOCKET, C.SO_RCVBUF, 4))).toBe('TypeError');
    expect(thrownName(() => (native.socket as (...a: unknown[]) => unknown)('2', 1, 0))).toBe('TypeError');
    expect(thrownName(() => (native.setEventHandler as (...a: unknown[]) => unknown)(5))).toBe('TypeError');
    s.close();
  });

  test('offsets and lengths outside the view throw RangeError', () => {
    const s = open();
    const b = new Uint8Array(16);
    const view = new Uint8Array(new ArrayBuffer(64), 32, 8);
    expect(thrownName(() => s.send(b, 17, 0, 0))).toBe('RangeError');
    expect(thrownName(() => s.send(b, 8, 9, 0))).toBe('RangeError');
    expect(thrownName(() => s.recv(b, 0, 2 ** 53, 0))).toBe('RangeError');
    expect(thrownName(() => s.recv(b, 0, Infinity, 0))).toBe('RangeError');
    expect(thrownName(() => s.recv(b, -1, 1, 0))).toBe('RangeError');
    expect(thrownName(() => s.recv(b, 0, -1, 0))).toBe('RangeError');
    expect(thrownName(() => s.recv(b, 0.5, 1, 0))).toBe('RangeError');
    expect(thrownName(() => s.recv(b, NaN, 1, 0))).toBe('RangeError');
    expect(thrownName(() => s.recv(view, 0, 9, 0))).toBe('RangeError'); // byteLength, not the buffer's
    expect(thrownName(() => s.recvfrom(b, 0, 1, 2 ** 40, null))).toBe('RangeError');
    expect(thrownName(() => s.listen(-(2 ** 31) - 1))).toBe('RangeError');
    expect(s.recv(view, 0, 8, 0)).toBe(-E.ENOTCONN);
    s.close();
  });

  test('sendv and recvv accept only arrays of at most IOV_MAX views', () => {
    const s = open();
    const b = new Uint8Array(4);
    const anyS = s as unknown as Record<string, (...args: unknown[]) => unknown>;
    expect(thrownName(() => anyS.sendv(b, 0))).toBe('TypeError');
    expect(thrownName(() => anyS.sendv([b, 'x'], 0))).toBe('TypeError');
    expect(thrownName(() => anyS.recvv([b, new Float64Array(1)], 0))).toBe('TypeError');
    expect(thrownName(() => anyS.recvv([b, null], 0))).toBe('TypeError');
    expect(thrownName(() => s.sendv(new Array(C.IOV_MAX + 1).fill(b), 0))).toBe('RangeError');
    expect(s.sendv(new Array(C.IOV_MAX).fill(b), 0)).toBe(-E.EPIPE);
    expect(s.sendv([], 0)).toBe(-E.EPIPE);
    s.close();
  });

  test('JS run by an array getter cannot pull memory or the socket away', async () => {
    const [c, a, l] = await pair();
    const victim = new Uint8Array(new ArrayBuffer(16));
    const detaching = [victim, new Uint8Array(4)];
    Object.defineProperty(detaching, 1, {
      get: () => {
        structuredClone(victim.buffer, { transfer: [victim.buffer] }); // detaches victim
        return new Uint8Array(4);
      },
    });
    expect(victim.byteLength).toBe(16);
    expect(c.sendv(detaching, 0)).toBe(4);
    expect(victim.byteLength).toBe(0);
    const closing = [new Uint8Array(4), new Uint8Array(4)];
    Object.defineProperty(closing, 1, {
      get: () => {
        a.close();
        return new Uint8Array(4);
      },
    });
    expect(a.recvv(closing, 0)).toBe(-E.EBADF);
    closeAll(c, l);
  });

  test('batch and control-data calls check every argument', () => {
    const s = open(4, C.SOCK_DGRAM);
    const b = new Uint8Array(64);
    const meta = new Int32Array(6);
    const names = (fn: () => unknown) => thrownName(fn);
    expect(names(() => s.recvmsg([b], 0, null, null, new Int32Array(1)))).toBe('RangeError');
    expect(names(() => s.recvmsg([b], 0, null, null, new Float64Array(2) as unknown as Int32Array))).toBe('TypeError');
    expect(names(() => s.recvmsg(b as unknown as Uint8Array[], 0, null, null, new Int32Array(2)))).toBe('TypeError');
    expect(names(() => s.sendmsg([b], 0, null, 'x' as unknown as Uint8Array))).toBe('TypeError');
    expect(names(() => s.recvmmsg(b, 0, 1, meta, null, null, 0, 0))).toBe('RangeError');
    expect(names(() => s.recvmmsg(b, 65, 1, meta, null, null, 0, 0))).toBe('RangeError');
    expect(names(() => s.recvmmsg(b, 32, 3, meta, null, null, 0, 0))).toBe('RangeError');
    expect(names(() => s.recvmmsg(b, 16, 3, meta, null, null, 0, 0))).toBe('RangeError'); // meta too short
    expect(names(() => s.recvmmsg(b, 16, 2, meta, new Uint8Array(NETADDR_SIZE), null, 0, 0))).toBe('RangeError');
    expect(names(() => s.recvmmsg(b, 16, 2, meta, null, new Uint8Array(8), 8, 0))).toBe('RangeError');
    expect(names(() => s.recvmmsg(b, 1, 2000, new Int32Array(6000), null, null, 0, 0))).toBe('RangeError');
    expect(names(() => s.recvmmsg(b, 1.5, 1, meta, null, null, 0, 0))).toBe('RangeError');
    expect(names(() => s.sendmmsg([b], new Int32Array([2]), v4(9), null, 0))).toBe('RangeError');
    expect(names(() => s.sendmmsg([b], new Int32Array([-1, 2]), v4(9), null, 0))).toBe('RangeError');
    expect(names(() => s.sendmmsg([b], new Int32Array(0), v4(9), null, 0))).toBe('RangeError');
    expect(names(() => s.sendmmsg([b], [1] as unknown as Int32Array, v4(9), null, 0))).toBe('TypeError');
    expect(s.sendmmsg([b], new Int32Array([1]), new Uint8Array(4), null, 0)).toBe(-E.EINVAL);
    expect(s.recvmsg([b], 0, new Uint8Array(4), null, new Int32Array(2))).toBe(-E.EINVAL);
    expect(s.recvmmsg(b, 8, 8, new Int32Array(24), null, null, 0, 0)).toBe(-E.EAGAIN);
    s.close();
  });

  test('resolver calls check their arguments', () => {
    const cb = () => {};
    expect(thrownName(() => native.getaddrinfo(1 as unknown as string, null, 0, 0, 0, 0, cb))).toBe('TypeError');
    expect(thrownName(() => native.getaddrinfo('a\0b', null, 0, 0, 0, 0, cb))).toBe('RangeError');
    expect(thrownName(() => native.getaddrinfo('x'.repeat(5000), null, 0, 0, 0, 0, cb))).toBe('RangeError');
    expect(thrownName(() => native.getaddrinfo('x', null, 0, 0, 0, 0, null as unknown as () => void))).toBe('TypeError');
    expect(native.getaddrinfo(null, null, 0, 0, 0, 0, cb)).toBe(native.resolverErrors.EINVAL);
    expect(thrownName(() => native.getnameinfo('x' as unknown as Uint8Array, 0, cb))).toBe('TypeError');
    expect(native.getnameinfo(new Uint8Array(4), 0, cb)).toBe(-E.EINVAL);
    expect(thrownName(() => native.cancelResolution('x' as unknown as number))).toBe('TypeError');
    expect(native.cancelResolution(12345678)).toBe(native.resolverErrors.ENOENT);
  });

  test('module functions of an earlier load keep their own env data', () => {
    const r = child(
      `const again = (() => { delete require.cache[require.resolve(${JSON.stringify(ADDON_FILE)})]; return require(${JSON.stringify(require.resolve('node-gyp-build'))})(${JSON.stringify(ROOT)}); })();
       const a = native.socket(C.AF_INET, C.SOCK_DGRAM, 0);
       const b = again.socket(C.AF_INET, C.SOCK_DGRAM, 0);
       console.log(typeof a, typeof b, native.openSockets(), again.openSockets(), native !== again);
       native.close(a); again.close(b);
       console.log(native.openSockets(), again.openSockets());`,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('number number 1 1 true\n0 0');
  });

  test('short or unknown NETADDRs return -EINVAL / -EAFNOSUPPORT', () => {
    const s = open(4, C.SOCK_DGRAM);
    const short = new Uint8Array(NETADDR_SIZE - 1);
    short[0] = 4;
    expect(s.bind(short)).toBe(-E.EINVAL);
    expect(s.connect(short)).toBe(-E.EINVAL);
    expect(s.sendto(new Uint8Array(1), 0, 1, 0, short)).toBe(-E.EINVAL);
    expect(s.localAddress(short)).toBe(-E.EINVAL);
    expect(s.recvfrom(new Uint8Array(1), 0, 1, 0, short)).toBe(-E.EINVAL);
    const bad = v4();
    bad[0] = 5;
    expect(s.bind(bad)).toBe(-E.EAFNOSUPPORT);
    expect(s.connect(bad)).toBe(-E.EAFNOSUPPORT);
    bad[0] = 0; // version 0 is AF_UNSPEC for connect (see 'dissolves the association'), none for bind
    expect(s.bind(bad)).toBe(-E.EAFNOSUPPORT);
    s.close();
  });

  test('a socket closed by JS run while the arguments are read gives -EBADF (looked up after them)', () => {
    const s = open(4, C.SOCK_DGRAM);
    const bufs = [new Uint8Array(4)];
    Object.defineProperty(bufs, 0, { get: () => (s.close(), new Uint8Array(4)) });
    expect(addon.sendv(s.id, bufs, 0)).toBe(-E.EBADF);
    expect(s.fd).toBe(-1);
    const t = open(4, C.SOCK_DGRAM);
    const again = [new Uint8Array(4)];
    Object.defineProperty(again, 0, { get: () => (t.close(), new Uint8Array(4)) });
    expect(addon.recvmsg(t.id, again, 0, null, null, new Int32Array(2))).toBe(-E.EBADF);
  });

  test('every socket function of the addon takes an id: TypeError for a non-number, -EBADF for one that names nothing', () => {
    const b = new Uint8Array(8);
    // Well-formed arguments after the id, for each function.
    const argsOf: Record<string, unknown[]> = {
      fd: [],
      setsockopt: [C.SOL_SOCKET, C.SO_REUSEADDR, new Uint8Array(4)],
      getsockopt: [C.SOL_SOCKET, C.SO_TYPE, new Uint8Array(4)],
      bind: [v4()],
      listen: [4],
      accept: [null],
      connect: [v4()],
      takeError: [],
      send: [b, 0, 1, 0],
      sendv: [[b], 0],
      recv: [b, 0, 1, 0],
      recvv: [[b], 0],
      sendto: [b, 0, 1, 0, null],
      recvfrom: [b, 0, 1, 0, null],
      recvmsg: [[b], 0, null, null, new Int32Array(2)],
      sendmsg: [[b], 0, null, null],
      recvmmsg: [new Uint8Array(64), 64, 1, new Int32Array(3), null, null, 0, 0],
      sendmmsg: [[b], new Int32Array([1]), null, null, 0],
      shutdown: [C.SHUT_RDWR],
      localAddress: [new Uint8Array(NETADDR_SIZE)],
      peerAddress: [new Uint8Array(NETADDR_SIZE)],
      available: [],
      poll: [1],
      close: [],
    };
    const moduleFunctions = new Set([
      'socket', 'setEventHandler', 'poller', 'usePoller', 'openSockets', 'closeAllSockets',
      'getaddrinfo', 'getnameinfo', 'cancelResolution', 'pendingResolutions',
      'setReceiveArea', 'setDatagramArea', 'stats',
    ]);
    const raw = addon as unknown as Record<string, (...args: unknown[]) => unknown>;
    const socketFunctions = Object.keys(raw).filter((k) => typeof raw[k] === 'function' && !moduleFunctions.has(k));
    expect(socketFunctions.sort()).toEqual(Object.keys(argsOf).sort()); // none untested
    const dead = open();
    const deadId = dead.id;
    dead.close();
    const before = native.openSockets();
    for (const name of socketFunctions) {
      for (const id of [undefined, null, '1', {}, [deadId], 1n, Symbol('id')]) {
        expect([name, thrownName(() => raw[name](id, ...argsOf[name]))]).toEqual([name, 'TypeError']);
      }
      const none = name === 'fd' ? -1 : name === 'close' ? undefined : -E.EBADF;
      for (const id of [deadId, NaN, -1, 0.5, 2 ** 53, deadId % 2 ** 24]) {
        expect([name, id, raw[name](id, ...argsOf[name])]).toEqual([name, id, none]);
      }
    }
    expect(native.openSockets()).toBe(before);
  });
});
