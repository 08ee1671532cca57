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
      return [[0, 1, 2, 3, 4, 7][n % 6]];
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
