// Plumbing for the native transport's tests (test/native-*.test.ts): sockets opened through
// the contract of lib/transport/native.ts and closed after each test, loopback addresses,
// connected pairs, and a handler that hands each socket's reports to its owner.
import { afterEach, beforeAll, expect } from '@jest/globals';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { native, NativeSocket, NETADDR_SIZE, NO_RECEIVE, POLL_READABLE, POLL_WRITABLE } from '../lib/transport/native';

export const C = native.constants;
export const E = native.errno;

/** One report as a test sees it: events, status, received. */
export type Listener = (events: number, status: number, received: number) => void;

export interface Readiness {
  events: number;
  status: number;
  received: number;
}

const opened: NativeSocket[] = [];

/**
 * Installs the handler (each socket's `owner` is its Listener; a socket without one is
 * disarmed) and closes every socket a test opened after it, failing a test that left any.
 */
export function useNativeSockets(): void {
  beforeAll(() => {
    native.setEventHandler((sock, events, status, received) => {
      const fn = sock.owner as Listener | undefined;
      if (fn) fn(events, status, received);
      else sock.poll(0);
    });
  });
  afterEach(() => {
    const left = native.openSockets();
    for (const s of opened.splice(0)) s.close();
    native.setReceiveArea(null);
    native.setDatagramArea(null);
    expect(left).toBe(0);
  });
}

export function track(s: NativeSocket | number): NativeSocket {
  if (typeof s === 'number') throw new Error(`expected a socket, got ${s}`);
  opened.push(s);
  return s;
}

export function open(family: 4 | 6 = 4, type = C.SOCK_STREAM): NativeSocket {
  return track(native.socket(family === 4 ? C.AF_INET : C.AF_INET6, type, 0));
}

export function v4(port = 0, ip = [127, 0, 0, 1]): Uint8Array {
  const a = new Uint8Array(NETADDR_SIZE);
  a[0] = 4;
  a[2] = port >> 8;
  a[3] = port & 0xff;
  a.set(ip, 8);
  return a;
}

export function v6(port = 0): Uint8Array {
  const a = new Uint8Array(NETADDR_SIZE);
  a[0] = 6;
  a[2] = port >> 8;
  a[3] = port & 0xff;
  a[23] = 1; // ::1
  return a;
}

export const portOf = (a: Uint8Array): number => (a[2] << 8) | a[3];

export function localAddress(s: NativeSocket): Uint8Array {
  const a = new Uint8Array(NETADDR_SIZE);
  expect(s.localAddress(a)).toBe(0);
  return a;
}

/** Arms `interest`, resolves with the first report and disarms. */
export function next(s: NativeSocket, interest: number): Promise<Readiness> {
  return new Promise((resolve) => {
    s.owner = ((events, status, received) => {
      s.poll(0);
      s.owner = undefined;
      resolve({ events, status, received });
    }) as Listener;
    expect(s.poll(interest)).toBe(0);
  });
}

export function listener(family: 4 | 6 = 4): [NativeSocket, Uint8Array] {
  const l = open(family);
  expect(l.bind(family === 4 ? v4() : v6())).toBe(0);
  expect(l.listen(16)).toBe(0);
  return [l, localAddress(l)];
}

export async function connectTo(addr: Uint8Array, family: 4 | 6 = 4): Promise<NativeSocket> {
  const c = open(family);
  const rc = c.connect(addr);
  if (rc === -E.EINPROGRESS) {
    const { events } = await next(c, POLL_WRITABLE);
    expect(events & POLL_WRITABLE).toBe(POLL_WRITABLE);
    expect(c.takeError()).toBe(0);
  } else {
    expect(rc).toBe(0);
  }
  return c;
}

export async function acceptOne(l: NativeSocket, addrOut: Uint8Array | null = null): Promise<NativeSocket> {
  let a = l.accept(addrOut);
  if (a === -E.EAGAIN) {
    await next(l, POLL_READABLE);
    a = l.accept(addrOut);
  }
  return track(a);
}

/** A connected TCP pair: [client, server side, listener]. */
export async function pair(family: 4 | 6 = 4): Promise<[NativeSocket, NativeSocket, NativeSocket]> {
  const [l, addr] = listener(family);
  const c = await connectTo(addr, family);
  const a = await acceptOne(l);
  return [c, a, l];
}

/** Try-first receive of exactly n bytes, waiting for readiness only on EAGAIN. */
export async function recvExactly(s: NativeSocket, n: number): Promise<Buffer> {
  const buf = Buffer.alloc(n);
  let got = 0;
  while (got < n) {
    const r = s.recv(buf, got, n - got, 0);
    if (r === -E.EAGAIN) await next(s, POLL_READABLE);
    else if (r <= 0) throw new Error(`recv returned ${r}`);
    else got += r;
  }
  return buf;
}

/** A bound UDP socket on loopback and its address. */
export function udp(family: 4 | 6 = 4): [NativeSocket, Uint8Array] {
  const s = open(family, C.SOCK_DGRAM);
  expect(s.bind(family === 4 ? v4() : v6())).toBe(0);
  return [s, localAddress(s)];
}

/**
 * Arms `interest` and records every report until `done(reports)` says so (then disarms), or
 * until `turns` turns of the loop pass without one (a bound wait: resolves with what came).
 * `each` runs inside the handler, before the report is recorded.
 */
export function reports(
  s: NativeSocket,
  interest: number,
  done: (got: Readiness[]) => boolean,
  each: (r: Readiness, got: Readiness[]) => void = () => {},
  turns = 25,
): Promise<Readiness[]> {
  const got: Readiness[] = [];
  return new Promise((resolve) => {
    let quiet = 0;
    const timer = setInterval(() => {
      if (++quiet < turns) return;
      finish();
    }, 20);
    const finish = () => {
      clearInterval(timer);
      s.owner = undefined;
      s.poll(0);
      resolve(got);
    };
    s.owner = ((events, status, received) => {
      quiet = 0;
      const r = { events, status, received };
      each(r, got);
      got.push(r);
      if (done(got)) finish();
    }) as Listener;
    expect(s.poll(interest)).toBe(0);
  });
}

/** What `fn` throws, by name (the addon's errors belong to Node's realm, not jest's). */
export function thrownName(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).name;
  }
  return 'nothing thrown';
}

export const closeAll = (...socks: NativeSocket[]): void => socks.forEach((s) => s.close());

// ---- children: exit, GC and worker behaviour ----

export const ROOT = path.resolve(__dirname, '..');
// The addon file node-gyp-build loads (build/Release, or NODE_WSK_PREBUILD's: test:asan).
export const ADDON_FILE: string = require('node-gyp-build').resolve(ROOT);
/** What a child's code starts with: the addon as `native`, its constants as `C`, v4(). */
export const LOAD =
  `const native = require(${JSON.stringify(require.resolve('node-gyp-build'))})(${JSON.stringify(ROOT)});` +
  `const C = native.constants;` +
  `const v4 = () => { const a = new Uint8Array(28); a[0] = 4; a.set([127, 0, 0, 1], 8); return a; };`;

/** Runs `code` after LOAD in a child node process. */
export function child(code: string, nodeArgs: string[] = []): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...nodeArgs, '-e', LOAD + code], { encoding: 'utf8', timeout: 20000 });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}
export const turn = (): Promise<void> => new Promise((r) => setTimeout(r, 20));
export { NO_RECEIVE };
