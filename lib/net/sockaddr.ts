// SOCKADDR_IN / SOCKADDR_IN6 in their C form (reference §6, DESIGN "representation details")
// and friendly helpers to and from text.
import { RtlUshortByteSwap } from '../kernel/rtl';
import { AF_INET, AF_INET6, ADDRESS_FAMILY } from './ws2def';

/** s_addr is what a little-endian machine reads from the four network-order bytes. */
export interface IN_ADDR {
  s_addr: number;
}

/** Two views of the same 16 network-order bytes, as C's union. */
export interface IN6_ADDR {
  u: { Byte: Uint8Array; Word: Uint16Array };
}

export interface SOCKADDR_IN {
  sin_family: ADDRESS_FAMILY;
  /** Network byte order: C writes RtlUshortByteSwap(40007). */
  sin_port: number;
  sin_addr: IN_ADDR;
  sin_zero: Uint8Array;
}

export interface SOCKADDR_IN6 {
  sin6_family: ADDRESS_FAMILY;
  sin6_port: number;
  sin6_flowinfo: number;
  sin6_addr: IN6_ADDR;
  sin6_scope_id: number;
}

/** The generic header, and what an out-parameter starts as (`{}` is a valid SOCKADDR_STORAGE). */
export interface SOCKADDR {
  sa_family?: ADDRESS_FAMILY;
}
export interface SOCKADDR_STORAGE {
  ss_family?: ADDRESS_FAMILY;
}
export type PSOCKADDR = SOCKADDR_IN | SOCKADDR_IN6 | SOCKADDR_STORAGE | SOCKADDR;
export type PSOCKADDR_IN = SOCKADDR_IN;
export type PSOCKADDR_IN6 = SOCKADDR_IN6;

export function IN6_ADDR_FROM_BYTES(bytes?: ArrayLike<number>): IN6_ADDR {
  const Byte = new Uint8Array(16);
  if (bytes) Byte.set(bytes);
  return { u: { Byte, Word: new Uint16Array(Byte.buffer, Byte.byteOffset, 8) } };
}

/** in6addr_any / in6addr_loopback as fresh values (C's globals are const). */
export function in6addr_any(): IN6_ADDR {
  return IN6_ADDR_FROM_BYTES();
}
export function in6addr_loopback(): IN6_ADDR {
  const a = IN6_ADDR_FROM_BYTES();
  a.u.Byte[15] = 1;
  return a;
}

/** IN6ADDR_SETANY / IN6ADDR_SETLOOPBACK / IN4ADDR_SETANY / IN4ADDR_SETLOOPBACK (port 0). */
export function IN6ADDR_SETANY(a: Partial<SOCKADDR_IN6>): void {
  Object.assign(a, { sin6_family: AF_INET6, sin6_port: 0, sin6_flowinfo: 0, sin6_addr: in6addr_any(), sin6_scope_id: 0 });
}
export function IN6ADDR_SETLOOPBACK(a: Partial<SOCKADDR_IN6>): void {
  Object.assign(a, { sin6_family: AF_INET6, sin6_port: 0, sin6_flowinfo: 0, sin6_addr: in6addr_loopback(), sin6_scope_id: 0 });
}
export function IN4ADDR_SETANY(a: Partial<SOCKADDR_IN>): void {
  Object.assign(a, { sin_family: AF_INET, sin_port: 0, sin_addr: { s_addr: 0 }, sin_zero: new Uint8Array(8) });
}
export function IN4ADDR_SETLOOPBACK(a: Partial<SOCKADDR_IN>): void {
  Object.assign(a, { sin_family: AF_INET, sin_port: 0, sin_addr: { s_addr: 0x0100007f }, sin_zero: new Uint8Array(8) });
}

export function SOCKADDR_IN_INIT(): SOCKADDR_IN {
  return { sin_family: AF_INET, sin_port: 0, sin_addr: { s_addr: 0 }, sin_zero: new Uint8Array(8) };
}
export function SOCKADDR_IN6_INIT(): SOCKADDR_IN6 {
  return { sin6_family: AF_INET6, sin6_port: 0, sin6_flowinfo: 0, sin6_addr: in6addr_any(), sin6_scope_id: 0 };
}

// ---- text helpers ----

function parseIPv4(text: string): number[] | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? bytes : null;
}

function parseIPv6(text: string): number[] | null {
  let head = text;
  const lastColon = head.lastIndexOf(':');
  if (lastColon < 0) return null;
  if (head.includes('.', lastColon)) {
    // An embedded IPv4 tail ('::ffff:1.2.3.4') is two more hex groups.
    const v4 = parseIPv4(head.slice(lastColon + 1));
    if (!v4) return null;
    head = `${head.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const halves = head.split('::');
  if (halves.length > 2) return null;
  const parse = (s: string) => (s === '' ? [] : s.split(':'));
  const left = parse(halves[0]);
  const right = halves.length === 2 ? parse(halves[1]) : [];
  const fill = 8 - left.length - right.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return null;
  const groups = [...left, ...new Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...right];
  const bytes: number[] = [];
  for (const g of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    const v = parseInt(g, 16);
    bytes.push(v >> 8, v & 0xff);
  }
  return bytes;
}

/**
 * A SOCKADDR from text and a host-order port: '127.0.0.1' gives a SOCKADDR_IN, '::1' (or
 * '[::1]', or 'fe80::1%2' with a numeric scope) a SOCKADDR_IN6. Throws on anything else.
 */
export function sockaddrFromString(address: string, port = 0): SOCKADDR_IN | SOCKADDR_IN6 {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be 0..65535, got ${port}`);
  const v4 = parseIPv4(address);
  if (v4) {
    const sa = SOCKADDR_IN_INIT();
    sa.sin_port = RtlUshortByteSwap(port);
    sa.sin_addr.s_addr = (v4[0] | (v4[1] << 8) | (v4[2] << 16) | (v4[3] << 24)) >>> 0;
    return sa;
  }
  let text = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  let scope = 0;
  const pct = text.indexOf('%');
  if (pct >= 0) {
    scope = Number(text.slice(pct + 1));
    if (!Number.isInteger(scope) || scope < 0) throw new TypeError(`only numeric IPv6 scope ids are understood: '${address}'`);
    text = text.slice(0, pct);
  }
  const v6 = parseIPv6(text);
  if (!v6) throw new TypeError(`not a numeric IPv4 or IPv6 address: '${address}'`);
  const sa = SOCKADDR_IN6_INIT();
  sa.sin6_port = RtlUshortByteSwap(port);
  sa.sin6_addr.u.Byte.set(v6);
  sa.sin6_scope_id = scope;
  return sa;
}

function ipv6Text(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i] << 8) | b[i + 1]);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  // Compress the longest run of two or more zero groups (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** The address part as text: '127.0.0.1', '::1', 'fe80::1%2'. */
export function sockaddrAddressString(sa: PSOCKADDR): string {
  const a = sa as Partial<SOCKADDR_IN & SOCKADDR_IN6>;
  if (a.sin_family === AF_INET && a.sin_addr) {
    const s = a.sin_addr.s_addr >>> 0;
    return `${s & 0xff}.${(s >>> 8) & 0xff}.${(s >>> 16) & 0xff}.${s >>> 24}`;
  }
  if (a.sin6_family === AF_INET6 && a.sin6_addr) {
    return ipv6Text(a.sin6_addr.u.Byte) + (a.sin6_scope_id ? `%${a.sin6_scope_id}` : '');
  }
  throw new TypeError('not a SOCKADDR_IN or SOCKADDR_IN6');
}

/** The port in host order. */
export function sockaddrPort(sa: PSOCKADDR): number {
  const a = sa as Partial<SOCKADDR_IN & SOCKADDR_IN6>;
  if (a.sin_family === AF_INET) return RtlUshortByteSwap(a.sin_port ?? 0);
  if (a.sin6_family === AF_INET6) return RtlUshortByteSwap(a.sin6_port ?? 0);
  throw new TypeError('not a SOCKADDR_IN or SOCKADDR_IN6');
}

/** '127.0.0.1:8080' or '[::1]:8080'. */
export function sockaddrToString(sa: PSOCKADDR): string {
  const host = sockaddrAddressString(sa);
  const port = sockaddrPort(sa);
  return (sa as SOCKADDR_IN6).sin6_family === AF_INET6 ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The family a SOCKADDR claims, or undefined. */
export function sockaddrFamily(sa: unknown): number | undefined {
  if (sa === null || typeof sa !== 'object') return undefined;
  const a = sa as { sin_family?: number; sin6_family?: number; sa_family?: number; ss_family?: number };
  return a.sin_family ?? a.sin6_family ?? a.sa_family ?? a.ss_family;
}
