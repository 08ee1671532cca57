// Makes the raw addon calls of addon-arbs.ts: arguments of each kind built from plain data,
// socket ids named by small numbers (modulo the ids this thread made), getters in arrays that
// close a socket or throw while the addon reads its arguments.
import { addon } from './lib-native';
import { FuzzThrow, materialize, pick } from './values';
import { SIGNATURES, type AddonAct } from './addon-arbs';

const OS = addon.constants;

export interface AddonState {
  ids: number[];
  /** Ports (network order bytes) our sockets were bound to, so that connects and sends reach them. */
  ports: [number, number][];
  /** Set while running a handler's actions: the id "-1" names. */
  here: number | null;
}

type Spec = { k?: string; n?: number; g?: { at: number; close: number; throws: boolean } | null; t?: string };

const OPTS: [number, number][] = [
  [OS.SOL_SOCKET, OS.SO_REUSEADDR],
  [OS.SOL_SOCKET, OS.SO_RCVBUF],
  [OS.SOL_SOCKET, OS.SO_SNDBUF],
  [OS.SOL_SOCKET, OS.SO_KEEPALIVE],
  [OS.SOL_SOCKET, OS.SO_LINGER],
  [OS.SOL_SOCKET, OS.SO_ERROR],
  [OS.IPPROTO_TCP, OS.TCP_NODELAY],
  [OS.IPPROTO_IP, OS.IP_TTL],
  [OS.IPPROTO_IPV6, OS.IPV6_V6ONLY],
  [OS.IPPROTO_IP, OS.IP_RECVTOS],
];

export function idOf(ref: unknown, st: AddonState): unknown {
  if (typeof ref === 'number') return ref === -1 && st.here !== null ? st.here : (pick(st.ids, ref) ?? 1);
  return materialize((ref as { raw: unknown }).raw);
}

/** A NETADDR: loopback or unspecified, a port of ours or 0, or malformed (unspec, short). */
function netaddr(n: number, st: AddonState): Uint8Array {
  const variant = n % 6;
  if (variant === 5) return new Uint8Array(10);
  const a = new Uint8Array(28);
  if (variant === 4) return a; // version 0: AF_UNSPEC
  const v6 = variant % 2 === 1;
  a[0] = v6 ? 6 : 4;
  const port = pick(st.ports, n >> 1);
  if (port && variant < 2) [a[2], a[3]] = port;
  if (variant === 0) a.set([127, 0, 0, 1], 8);
  if (variant === 1) a[23] = 1; // ::1
  return a;
}

function odd(t: string): unknown {
  if (t === 'detached') {
    const u = new Uint8Array(16);
    structuredClone(u.buffer, { transfer: [u.buffer] });
    return u;
  }
  if (t === 'i16') return new Int16Array(8);
  if (t === 'dataview') return new DataView(new ArrayBuffer(8));
  return new BigInt64Array(2);
}

function views(spec: Spec, st: AddonState, onClose: (id: unknown) => void): unknown[] {
  const n = spec.n ?? 0;
  const out: unknown[] = [];
  for (let i = 0; i <= n % 3; i++) out.push(new Uint8Array(i === 0 ? 64 : 16));
  const g = spec.g;
  if (g) {
    // A getter the addon runs while it reads the array: closes a socket (maybe the one in use) or throws.
    const at = g.at % out.length;
    const view = out[at];
    Object.defineProperty(out, at, {
      get: () => {
        if (g.throws) throw new FuzzThrow('an array getter');
        onClose(idOf(g.close, st));
        return view;
      },
    });
  }
  return out;
}

/** The arguments of one kind (an 'opt' is two: level and name). */
function arg(spec: unknown, st: AddonState, onClose: (id: unknown) => void): unknown[] {
  const s = spec as Spec | null;
  if (s === null || typeof s !== 'object' || !('k' in s || 't' in s)) return [materialize(spec)];
  if (s.t) return [odd(s.t)];
  const n = s.n ?? 0;
  switch (s.k) {
    case 'u8':
      return [new Uint8Array([0, 1, 16, 64, 1500, 65536, 28, 4][n % 8])];
    case 'off':
      return [[0, 0, 1, 3, 70000][n % 5]];
    case 'len':
      return [[0, 1, 16, 64, 100000, 2 ** 33][n % 6]];
    case 'flags':
      return [[0, OS.MSG_DONTWAIT, OS.MSG_PEEK, OS.MSG_TRUNC, -1, 0x40000000][n % 6]];
    case 'num':
      return [[0, 1, -1, 5, 128, 2 ** 31 - 1, 1.5][n % 7]];
    case 'count':
      return [[1, 2, 4, 1024, 0, 1025][n % 6]];
    case 'events':
      // POLL_RECEIVE (8) alone and with the others; 4 and 16 are refused.
      return [[0, 1, 2, 3, 4, 7, 8, 9, 11, 16][n % 10]];
    case 'i32':
      return [new Int32Array([2, 6, 12, 3072, 0, 1][n % 6]).fill(n % 2)];
    case 'bufs':
      return [views(s, st, onClose)];
    case 'addr':
      return [netaddr(n, st)];
    case 'addrOrNull':
      return [n % 4 === 0 ? null : netaddr(n, st)];
    case 'addrOut':
      return [n % 4 === 0 ? null : new Uint8Array(n % 4 === 3 ? 5 : 28)];
    case 'control':
      return [n % 3 === 0 ? null : new Uint8Array(n % 3 === 1 ? 64 : 8)];
    case 'opt':
      return [...OPTS[n % OPTS.length], ...[]];
    default:
      return [materialize(spec)];
  }
}

/** The arguments after the id for `fn`; an 'opt' spec stands for (level, name). */
export function callArgs(a: AddonAct, st: AddonState, onClose: (id: unknown) => void): unknown[] {
  const specs = a.args as unknown[];
  const kinds = SIGNATURES[a.fn as string];
  const out: unknown[] = [];
  specs.forEach((spec, i) => {
    const made = arg(spec, st, onClose);
    // A weird stand-in for an 'opt' takes the place of the level; the name stays well-formed.
    if (kinds[i] === 'opt' && made.length === 1) made.push(OS.SO_REUSEADDR);
    out.push(...made);
  });
  return out;
}

/** One socket of a safe kind (never a raw socket that includes its IP header), or an invalid request. */
export function makeSocket(kind: number): number {
  const table: [number, number, number][] = [
    [OS.AF_INET, OS.SOCK_STREAM, 0],
    [OS.AF_INET, OS.SOCK_DGRAM, 0],
    [OS.AF_INET6, OS.SOCK_STREAM, 0],
    [OS.AF_INET6, OS.SOCK_DGRAM, 0],
    [OS.AF_INET, OS.SOCK_RAW, OS.IPPROTO_ICMP],
    [OS.AF_INET6, OS.SOCK_RAW, OS.IPPROTO_ICMPV6],
    [OS.AF_INET, 99, 0],
    [-1, OS.SOCK_DGRAM, 0],
    [OS.AF_INET, OS.SOCK_STREAM, OS.IPPROTO_UDP],
  ];
  const [d, t, p] = table[kind % table.length];
  return addon.socket(d, t, p);
}

/** Runs one addon call; returns its result. Throws what the addon throws. */
export function addonCall(a: AddonAct, st: AddonState, onClose: (id: unknown) => void): unknown {
  const fn = (addon as unknown as Record<string, (...args: unknown[]) => unknown>)[a.fn as string];
  const id = idOf(a.id, st);
  const result = fn(id, ...callArgs(a, st, onClose));
  if (a.fn === 'accept' && typeof result === 'number' && result >= 0) st.ids.push(result);
  if (a.fn === 'bind' && result === 0 && typeof id === 'number') {
    const out = new Uint8Array(28);
    if (addon.localAddress(id, out) === 0) st.ports.push([out[2], out[3]]);
  }
  return result;
}

/** The arrays last registered as areas, so that a later action can detach them. */
const registered: Uint8Array[] = [];

function detach(view: Uint8Array | Int32Array | undefined): void {
  if (view && view.buffer.byteLength > 0) structuredClone(view.buffer, { transfer: [view.buffer as ArrayBuffer] });
}

/**
 * One area action: `what` 0 sets the stream area, 1 the datagram layout (n picks a shape,
 * some ill-formed), 2 clears one or both, 3 detaches what was registered; `bad` replaces the
 * first argument with anything at all. Throws what the addon throws.
 */
export function areaCall(what: number, n: number, bad: unknown | null): void {
  if (what === 0) {
    const area = new Uint8Array([1, 7, 64, 1500, 65536, 0][n % 6]);
    registered[0] = area;
    addon.setReceiveArea((bad !== null ? materialize(bad) : n % 6 === 5 && n > 6 ? null : area) as Uint8Array);
  } else if (what === 1) {
    const [slot, count, control] = [[64, 4, 0], [1, 1, 0], [2048, 32, 64], [16, 1024, 0], [9, 3, 8], [0, 4, 0], [64, 5, 0], [64, 4, 70000]][n % 8];
    const area = new Uint8Array(Math.max(slot, 1) * Math.min(count, 1024));
    const meta = new Int32Array(3 * Math.min(count, 1024));
    const addrs = n % 3 === 0 ? null : new Uint8Array(28 * (n % 3 === 1 ? count : 1));
    const ctl = control > 0 ? new Uint8Array(Math.min(control, 256) * count) : null;
    registered[1] = area;
    registered[2] = addrs ?? area;
    addon.setDatagramArea((bad !== null ? materialize(bad) : area) as Uint8Array, slot, count, meta, addrs, ctl, control);
  } else if (what === 2) {
    if (n % 3 !== 1) addon.setReceiveArea(null);
    if (n % 3 !== 0) addon.setDatagramArea(null);
  } else {
    detach(registered[n % 3]);
  }
}

const LOOPBACK = (() => {
  const a = new Uint8Array(28);
  a[0] = 4;
  a.set([127, 0, 0, 1], 8);
  return a;
})();
const LINGER_0 = new Uint8Array(new Int32Array([1, 0]).buffer);

/** A bound loopback socket of `type` (its id pushed to st.ids) and its address, or null. */
function boundSocket(type: number, st: AddonState): [number, Uint8Array] | null {
  const id = addon.socket(OS.AF_INET, type, 0);
  if (id < 0) return null;
  st.ids.push(id);
  const at = LOOPBACK.slice();
  if (addon.bind(id, at) !== 0 || addon.localAddress(id, at) !== 0) return null;
  return [id, at];
}

/**
 * A socket reading automatically with data waiting: an area registered (areaCall), POLL_RECEIVE
 * armed, `msgs` datagrams sent to a UDP socket, or msgs * 100 bytes to an accepted TCP
 * connection whose peer then goes on, shuts its side (end 1) or resets (end 2).
 */
export function receiverCall(a: AddonAct, st: AddonState): void {
  const n = a.n as number;
  const msgs = a.msgs as number;
  const data = new Uint8Array(100).fill(n);
  if (!a.stream) {
    areaCall(1, n % 5, null);
    const rx = boundSocket(OS.SOCK_DGRAM, st);
    const tx = boundSocket(OS.SOCK_DGRAM, st);
    if (!rx || !tx) return;
    addon.poll(rx[0], a.interest as number);
    for (let i = 0; i < msgs; i++) addon.sendto(tx[0], data, 0, 1 + i, 0, rx[1]);
    return;
  }
  areaCall(0, n, null);
  const l = boundSocket(OS.SOCK_STREAM, st);
  if (!l || addon.listen(l[0], 4) !== 0) return;
  const c = addon.socket(OS.AF_INET, OS.SOCK_STREAM, 0);
  if (c < 0) return;
  st.ids.push(c);
  addon.connect(c, l[1]);
  let s = -1;
  for (let i = 0; i < 1000 && s < 0; i++) s = addon.accept(l[0], null); // loopback: there at once
  if (s < 0) return;
  st.ids.push(s);
  addon.poll(s, a.interest as number);
  for (let i = 0; i < msgs; i++) addon.send(c, data, 0, 100, 0);
  if (a.end === 1) addon.shutdown(c, OS.SHUT_WR);
  if (a.end === 2 && addon.setsockopt(c, OS.SOL_SOCKET, OS.SO_LINGER, LINGER_0) === 0) addon.close(c);
}
