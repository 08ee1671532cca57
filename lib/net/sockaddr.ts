// SOCKADDR_IN / SOCKADDR_IN6 in their C form (ws2def.h / ws2ipdef.h; docs/PORTING.md, "Byte order and addresses")
// and friendly helpers to and from text.
import { readFileSync } from 'fs';
import { isIP, SocketAddress } from 'net';
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

/**
 * SOCKADDR_IN (ws2def.h): an IPv4 transport address; port and address in network order.
 * @see https://learn.microsoft.com/windows/win32/api/ws2def/ns-ws2def-sockaddr_in
 */
export interface SOCKADDR_IN {
  sin_family: ADDRESS_FAMILY;
  /** Network byte order: C writes RtlUshortByteSwap(40007). */
  sin_port: number;
  sin_addr: IN_ADDR;
  sin_zero: Uint8Array;
}

/**
 * SOCKADDR_IN6 (ws2ipdef.h): an IPv6 transport address; port in network order, `sin6_scope_id`
 * the interface index of a scoped (link-local) address.
 * @see https://learn.microsoft.com/windows/win32/api/ws2ipdef/ns-ws2ipdef-sockaddr_in6_lh
 */
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
/**
 * SOCKADDR_STORAGE (ws2def.h): room for any address; `{}` is one, for an out-parameter the call
 * fills as a SOCKADDR_IN or SOCKADDR_IN6.
 * @see https://learn.microsoft.com/windows/win32/api/ws2def/ns-ws2def-sockaddr_storage_lh
 */
export interface SOCKADDR_STORAGE {
  ss_family?: ADDRESS_FAMILY;
}
/**
 * PSOCKADDR: a pointer to any SOCKADDR; here the structure itself, its `sin_family` /
 * `sin6_family` saying which.
 * @see https://learn.microsoft.com/windows/win32/api/ws2def/ns-ws2def-sockaddr
 */
export type PSOCKADDR = SOCKADDR_IN | SOCKADDR_IN6 | SOCKADDR_STORAGE | SOCKADDR;
/** PSOCKADDR_IN: a pointer to a SOCKADDR_IN, which here is the object itself. */
export type PSOCKADDR_IN = SOCKADDR_IN;
/** PSOCKADDR_IN6: a pointer to a SOCKADDR_IN6, which here is the object itself. */
export type PSOCKADDR_IN6 = SOCKADDR_IN6;

/**
 * An IN6_ADDR over a copy of 16 bytes in network order (all zero without them): this package's
 * helper, for C's `memcpy` into `sin6_addr`.
 * @see https://learn.microsoft.com/windows/win32/api/in6addr/ns-in6addr-in6_addr
 */
export function IN6_ADDR_FROM_BYTES(bytes?: ArrayLike<number>): IN6_ADDR {
  const Byte = new Uint8Array(16);
  if (bytes) Byte.set(bytes);
  return { u: { Byte, Word: new Uint16Array(Byte.buffer, Byte.byteOffset, 8) } };
}

/** in6addr_any / in6addr_loopback as fresh values (C's globals are const). */
export function in6addr_any(): IN6_ADDR {
  return IN6_ADDR_FROM_BYTES();
}
/** in6addr_loopback: `::1`, as a fresh value. */
export function in6addr_loopback(): IN6_ADDR {
  const a = IN6_ADDR_FROM_BYTES();
  a.u.Byte[15] = 1;
  return a;
}

/**
 * IN6ADDR_SETANY: makes `a` the IPv6 wildcard `[::]`, port 0 (the IN6ADDR_SET* / IN4ADDR_SET* macros
 * of ws2ipdef.h and mstcpip.h fill a whole SOCKADDR).
 * @see https://learn.microsoft.com/windows/win32/api/ws2ipdef/nf-ws2ipdef-in6addr_setany
 */
export function IN6ADDR_SETANY(a: Partial<SOCKADDR_IN6>): void {
  Object.assign(a, { sin6_family: AF_INET6, sin6_port: 0, sin6_flowinfo: 0, sin6_addr: in6addr_any(), sin6_scope_id: 0 });
}
/**
 * IN6ADDR_SETLOOPBACK: makes `a` the IPv6 loopback address `[::1]`, port 0.
 * @see https://learn.microsoft.com/windows/win32/api/ws2ipdef/nf-ws2ipdef-in6addr_setloopback
 */
export function IN6ADDR_SETLOOPBACK(a: Partial<SOCKADDR_IN6>): void {
  Object.assign(a, { sin6_family: AF_INET6, sin6_port: 0, sin6_flowinfo: 0, sin6_addr: in6addr_loopback(), sin6_scope_id: 0 });
}
/**
 * IN4ADDR_SETANY: makes `a` the IPv4 wildcard `0.0.0.0`, port 0.
 * @see https://learn.microsoft.com/windows/win32/api/mstcpip/nf-mstcpip-in4addr_setany
 */
export function IN4ADDR_SETANY(a: Partial<SOCKADDR_IN>): void {
  Object.assign(a, { sin_family: AF_INET, sin_port: 0, sin_addr: { s_addr: 0 }, sin_zero: new Uint8Array(8) });
}
/**
 * IN4ADDR_SETLOOPBACK: makes `a` the IPv4 loopback address `127.0.0.1`, port 0.
 * @see https://learn.microsoft.com/windows/win32/api/mstcpip/nf-mstcpip-in4addr_setloopback
 */
export function IN4ADDR_SETLOOPBACK(a: Partial<SOCKADDR_IN>): void {
  Object.assign(a, { sin_family: AF_INET, sin_port: 0, sin_addr: { s_addr: 0x0100007f }, sin_zero: new Uint8Array(8) });
}

/** A new SOCKADDR_IN: `AF_INET`, the wildcard address, port 0 (C zero-fills one and sets the family). */
export function SOCKADDR_IN_INIT(): SOCKADDR_IN {
  return { sin_family: AF_INET, sin_port: 0, sin_addr: { s_addr: 0 }, sin_zero: new Uint8Array(8) };
}
/** A new SOCKADDR_IN6: `AF_INET6`, the wildcard address, port 0, scope 0. */
export function SOCKADDR_IN6_INIT(): SOCKADDR_IN6 {
  return { sin6_family: AF_INET6, sin6_port: 0, sin6_flowinfo: 0, sin6_addr: in6addr_any(), sin6_scope_id: 0 };
}

// ---- text helpers ----
// Text is parsed and printed the way Node does it: net.isIP decides what is an address (so
// '01.2.3.4' is not, as for node:net), the WHATWG URL parser reads IPv6, and net.SocketAddress
// prints it (as socket.remoteAddress shows it). A zone ('fe80::1%eth0') names an interface whose
// index becomes sin6_scope_id, read from /proc/self/net/if_inet6: the IPv6 addresses of this
// process's network namespace, with their interface's index and name. (/sys/class/net/<name>/
// ifindex shows the namespace sysfs was mounted in, which after `unshare --net` is another
// one; os.networkInterfaces() gives the index of link-local addresses only.) So a zone names an
// interface that has an IPv6 address, as scoped traffic needs; a numeric zone is the index itself.

/** The 16 bytes of an IPv6 address (net.isIP said it is one; no zone). */
function ipv6Bytes(text: string): Uint8Array {
  // The URL parser's serialization is canonical: lowercase hex groups, one '::' at most, no
  // dotted IPv4 tail ('::ffff:1.2.3.4' becomes '::ffff:102:304').
  const canonical = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  const [head, tail] = canonical.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...new Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    const value = parseInt(group, 16);
    bytes[2 * i] = value >> 8;
    bytes[2 * i + 1] = value & 0xff;
  });
  return bytes;
}

/** The index of an interface that has an IPv6 address in this network namespace, or undefined. */
function interfaceIndex(name: string): number | undefined {
  let table: string;
  try {
    table = readFileSync('/proc/self/net/if_inet6', 'utf8'); // address, index (hex), prefix, scope, flags, name
  } catch {
    return undefined; // no IPv6 in this kernel
  }
  for (const line of table.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields[5] === name) return parseInt(fields[1]!, 16);
  }
  return undefined;
}

/** sin6_scope_id for a zone: a number as it is, an interface name as its index. */
function scopeId(zone: string, address: string): number {
  if (/^\d+$/.test(zone)) {
    const id = Number(zone);
    if (id > 0xffffffff) throw new TypeError(`scope id ${zone} does not fit sin6_scope_id: '${address}'`);
    return id;
  }
  const index = interfaceIndex(zone);
  if (index === undefined) throw new TypeError(`no network interface '${zone}' with an IPv6 address here (from '${address}')`);
  return index;
}

/**
 * A SOCKADDR from text and a host-order port: '127.0.0.1' gives a SOCKADDR_IN; '::1' (or
 * '[::1]'), 'fe80::1%eth0' (an interface name) or 'fe80::1%2' (an index) a SOCKADDR_IN6 with
 * that sin6_scope_id. What net.isIP rejects throws a TypeError.
 */
export function sockaddrFromString(address: string, port = 0): SOCKADDR_IN | SOCKADDR_IN6 {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be 0..65535, got ${port}`);
  if (typeof address !== 'string') throw new TypeError(`the address must be a string, got ${typeof address}`);
  const bracketed = address.startsWith('[') && address.endsWith(']'); // only IPv6 is written so
  const text = bracketed ? address.slice(1, -1) : address;
  const family = isIP(text);
  if (family === 4 && !bracketed) {
    const [a, b, c, d] = text.split('.').map(Number) as [number, number, number, number];
    const sa = SOCKADDR_IN_INIT();
    sa.sin_port = RtlUshortByteSwap(port);
    sa.sin_addr.s_addr = (a | (b << 8) | (c << 16) | (d << 24)) >>> 0;
    return sa;
  }
  if (family !== 6) throw new TypeError(`not a numeric IPv4 or IPv6 address: '${address}'`);
  const pct = text.indexOf('%');
  const sa = SOCKADDR_IN6_INIT();
  sa.sin6_port = RtlUshortByteSwap(port);
  sa.sin6_addr.u.Byte.set(ipv6Bytes(pct < 0 ? text : text.slice(0, pct)));
  sa.sin6_scope_id = pct < 0 ? 0 : scopeId(text.slice(pct + 1), address);
  return sa;
}

/** The address part as text, as Node prints it: '127.0.0.1', '::1', '::ffff:10.1.2.3', 'fe80::1%2'. */
export function sockaddrAddressString(sa: PSOCKADDR): string {
  const a = sa as Partial<SOCKADDR_IN & SOCKADDR_IN6>;
  if (a.sin_family === AF_INET && a.sin_addr) {
    const s = a.sin_addr.s_addr >>> 0;
    return `${s & 0xff}.${(s >>> 8) & 0xff}.${(s >>> 16) & 0xff}.${s >>> 24}`;
  }
  if (a.sin6_family === AF_INET6 && a.sin6_addr) {
    const b = a.sin6_addr.u.Byte;
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
    const text = new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
    return a.sin6_scope_id ? `${text}%${a.sin6_scope_id}` : text;
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
