// ip2string.h: RtlIpv4StringToAddress*, RtlIpv6StringToAddress*, RtlIpv4AddressToString*,
// RtlIpv6AddressToString* with Windows' rules and status codes. Here, not in kernel/, because
// they fill IN_ADDR / IN6_ADDR (net/sockaddr.ts) and the kernel layer imports nothing above it.
//
// How C's pointers read here: the string argument is a JS string (the A and W forms take the
// same); a `PCWSTR *Terminator` out-parameter is `{ 0: n }` and receives the index in S of the
// character that ended the address (C's pointer S + n); `USHORT *Port`, `ULONG *ScopeId` and
// `ULONG *AddressStringLength` are `{ 0: n }`; an output string is a Uint16Array (W) or
// Uint8Array (A) the call writes NUL-terminated, and the non-Ex ToString forms return the index
// of that NUL (C returns a pointer to it). Ports are in network byte order, as in C.
import { NTSTATUS, STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from '../kernel/ntstatus';
import { RtlUshortByteSwap } from '../kernel/rtl';
import { badArgument, isWritableSlot } from '../kernel/verifier';
import type { IN_ADDR, IN6_ADDR } from './sockaddr';

/** `{ 0: n }`: C's `&n` for a scalar the call writes. */
export interface OutScalar {
  0: number;
}

// ---- parsing ----

/** One IPv4 part: decimal; when not strict, also 0x-hex and 0-octal. Returns [value, end] or null. */
function ipv4Part(S: string, at: number, strict: boolean): [number, number] | null {
  let base = 10;
  let i = at;
  if (S[i] === '0' && (S[i + 1] === 'x' || S[i + 1] === 'X')) {
    if (strict) return null;
    base = 16;
    i += 2;
  } else if (S[i] === '0' && S[i + 1] >= '0' && S[i + 1] <= '9') {
    if (strict) return null;
    base = 8;
    i += 1;
  }
  let value = 0;
  const start = i;
  for (; i < S.length; i++) {
    const d = parseInt(S[i], base);
    if (Number.isNaN(d)) break;
    value = value * base + d;
    if (value > 0xffffffff) return null;
  }
  return i > start ? [value, i] : null;
}

/** The parts of a dotted IPv4 address packed as C's inet_addr does: a.b.c.d, a.b.c16, a.b24, a32. */
function packIpv4(parts: number[]): number[] | null {
  const last = parts[parts.length - 1];
  const lastMax = [0xffffffff, 0xffffff, 0xffff, 0xff][parts.length - 1];
  if (parts.slice(0, -1).some((p) => p > 0xff) || last > lastMax) return null;
  const bytes = parts.slice(0, -1);
  for (let shift = (4 - parts.length) * 8; shift >= 0; shift -= 8) bytes.push((last >>> shift) & 0xff);
  return bytes;
}

interface Parsed {
  ok: boolean;
  /** Where the parse stopped (the terminator). */
  end: number;
  bytes: number[];
}

function parseIpv4(S: string, strict: boolean): Parsed {
  const parts: number[] = [];
  let i = 0;
  for (;;) {
    const part = ipv4Part(S, i, strict);
    if (!part) return { ok: false, end: S[i] === '.' ? i + 1 : i, bytes: [] };
    parts.push(part[0]);
    i = part[1];
    if (S[i] !== '.' || parts.length === 4) break;
    i++;
  }
  if (strict && parts.length < 4) return { ok: false, end: i, bytes: [] };
  const bytes = packIpv4(parts);
  return bytes ? { ok: true, end: i, bytes } : { ok: false, end: i, bytes: [] };
}

function hexGroup(S: string, at: number): [number, number] | null {
  let i = at;
  let value = 0;
  while (i < S.length && i - at < 4 && /[0-9a-fA-F]/.test(S[i])) value = value * 16 + parseInt(S[i++], 16);
  if (i === at || /[0-9a-fA-F]/.test(S[i] ?? '')) return null; // none, or more than four digits
  return [value, i];
}

/** Groups of up to four hex digits, one `::`, and a dotted IPv4 tail in the last 32 bits. */
function parseIpv6(S: string, from: number): Parsed {
  const head: number[] = [];
  const tail: number[] = [];
  let gap = false;
  let i = from;
  const fail = (end: number): Parsed => ({ ok: false, end, bytes: [] });
  if (S.startsWith('::', i)) {
    gap = true;
    i += 2;
  } else if (S[i] === ':') return fail(i);
  for (;;) {
    const words = gap ? tail : head;
    const room = 8 - head.length - tail.length - (gap ? 1 : 0);
    if (room <= 0) break;
    const v4 = room >= 2 ? /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}/.exec(S.slice(i)) : null;
    if (v4) {
      const p = parseIpv4(v4[0], true);
      if (!p.ok) return fail(i + p.end);
      words.push((p.bytes[0] << 8) | p.bytes[1], (p.bytes[2] << 8) | p.bytes[3]);
      i += v4[0].length;
      break;
    }
    const group = hexGroup(S, i);
    if (!group) {
      if (gap && words.length === 0 && i > from) break; // "1::" ends after the gap
      return fail(i);
    }
    words.push(group[0]);
    i = group[1];
    if (S.startsWith('::', i) && !gap) {
      gap = true;
      i += 2;
      continue;
    }
    if (S[i] !== ':' || head.length + tail.length + (gap ? 1 : 0) >= 8) break;
    i++;
  }
  const zeros = 8 - head.length - tail.length;
  if ((!gap && zeros !== 0) || (gap && zeros < 1)) return fail(i);
  const words = [...head, ...new Array<number>(gap ? zeros : 0).fill(0), ...tail];
  return { ok: true, end: i, bytes: words.flatMap((w) => [w >>> 8, w & 0xff]) };
}

/** A decimal, octal or hex port after ':' that must end the string; 0 is not a port. */
function parsePort(S: string, at: number): number | null {
  const part = ipv4Part(S, at, false);
  if (!part || part[1] !== S.length || part[0] === 0 || part[0] > 0xffff) return null;
  return part[0];
}

// ---- arguments ----

function stringArg(S: unknown, where: string): string {
  if (typeof S !== 'string') badArgument(where, 'S must be a string (C\'s PCSTR / PCWSTR)');
  return S;
}

function outArg(value: OutScalar | null | undefined, where: string, name: string, optional: boolean): OutScalar | null {
  if (value === null || value === undefined) {
    if (optional) return null;
    badArgument(where, `${name} must be an object whose [0] the call writes`);
  }
  if (!isWritableSlot(value, 0)) badArgument(where, `${name} must be an object whose [0] the call can write`);
  return value;
}

function in4Arg(Addr: IN_ADDR, where: string): IN_ADDR {
  if (Addr === null || typeof Addr !== 'object' || !isWritableSlot(Addr, 's_addr')) badArgument(where, 'Addr must be an IN_ADDR { s_addr } the call can fill');
  return Addr;
}

function in6Arg(Addr: IN6_ADDR, where: string): Uint8Array {
  const bytes = Addr?.u?.Byte;
  if (!(bytes instanceof Uint8Array) || bytes.byteLength !== 16) badArgument(where, 'Addr must be an IN6_ADDR (IN6_ADDR_FROM_BYTES())');
  return bytes;
}

function setIn4(Addr: IN_ADDR, bytes: number[]): void {
  Addr.s_addr = (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0;
}

// ---- string -> address ----

/**
 * RtlIpv4StringToAddressW/A: Strict takes exactly four decimal parts; otherwise one to four parts,
 * each decimal, octal (leading 0) or hex (0x), packed as inet_addr packs them. Parsing stops at
 * the first character that cannot continue the address; Terminator receives its index, also on
 * failure. STATUS_SUCCESS or STATUS_INVALID_PARAMETER.
 */
export function RtlIpv4StringToAddressW(S: string, Strict: boolean, Terminator: OutScalar, Addr: IN_ADDR): NTSTATUS {
  const where = 'RtlIpv4StringToAddress';
  const text = stringArg(S, where);
  const term = outArg(Terminator, where, 'Terminator', false)!;
  const out = in4Arg(Addr, where);
  const p = parseIpv4(text, !!Strict);
  term[0] = p.end;
  if (!p.ok) return STATUS_INVALID_PARAMETER;
  setIn4(out, p.bytes);
  return STATUS_SUCCESS;
}
export const RtlIpv4StringToAddressA = RtlIpv4StringToAddressW;

/**
 * RtlIpv4StringToAddressExW/A: the whole string is an address, with an optional ":port"
 * (non-zero); Port receives it in network order, or 0.
 */
export function RtlIpv4StringToAddressExW(AddressString: string, Strict: boolean, Address: IN_ADDR, Port: OutScalar): NTSTATUS {
  const where = 'RtlIpv4StringToAddressEx';
  if (AddressString === null || Address === null || Port === null) return STATUS_INVALID_PARAMETER;
  const text = stringArg(AddressString, where);
  const out = in4Arg(Address, where);
  const port = outArg(Port, where, 'Port', false)!;
  const p = parseIpv4(text, !!Strict);
  if (!p.ok) return STATUS_INVALID_PARAMETER;
  let n = 0;
  if (p.end !== text.length) {
    const parsed = text[p.end] === ':' ? parsePort(text, p.end + 1) : null;
    if (parsed === null) return STATUS_INVALID_PARAMETER;
    n = parsed;
  }
  setIn4(out, p.bytes);
  port[0] = RtlUshortByteSwap(n);
  return STATUS_SUCCESS;
}
export const RtlIpv4StringToAddressExA = RtlIpv4StringToAddressExW;

/** RtlIpv6StringToAddressW/A: as the IPv4 form, for IPv6 text (`::`, an IPv4 tail). */
export function RtlIpv6StringToAddressW(S: string, Terminator: OutScalar, Addr: IN6_ADDR): NTSTATUS {
  const where = 'RtlIpv6StringToAddress';
  const text = stringArg(S, where);
  const term = outArg(Terminator, where, 'Terminator', false)!;
  const bytes = in6Arg(Addr, where);
  const p = parseIpv6(text, 0);
  term[0] = p.end;
  if (!p.ok) return STATUS_INVALID_PARAMETER;
  bytes.set(p.bytes);
  return STATUS_SUCCESS;
}
export const RtlIpv6StringToAddressA = RtlIpv6StringToAddressW;

/**
 * RtlIpv6StringToAddressExW/A: `addr`, `addr%scope`, `[addr]`, `[addr%scope]:port`; the whole
 * string must be one of them. ScopeId and Port (network order) receive 0 when absent.
 */
export function RtlIpv6StringToAddressExW(AddressString: string, Address: IN6_ADDR, ScopeId: OutScalar, Port: OutScalar): NTSTATUS {
  const where = 'RtlIpv6StringToAddressEx';
  if (AddressString === null || Address === null || ScopeId === null || Port === null) return STATUS_INVALID_PARAMETER;
  const text = stringArg(AddressString, where);
  const bytes = in6Arg(Address, where);
  const scopeOut = outArg(ScopeId, where, 'ScopeId', false)!;
  const portOut = outArg(Port, where, 'Port', false)!;
  const bracket = text[0] === '[';
  const p = parseIpv6(text, bracket ? 1 : 0);
  if (!p.ok) return STATUS_INVALID_PARAMETER;
  let i = p.end;
  let scope = 0;
  if (text[i] === '%') {
    const m = /^\d+/.exec(text.slice(i + 1));
    if (!m || Number(m[0]) > 0xffffffff) return STATUS_INVALID_PARAMETER;
    scope = Number(m[0]);
    i += 1 + m[0].length;
  }
  let port = 0;
  if (bracket) {
    if (text[i] !== ']') return STATUS_INVALID_PARAMETER;
    i++;
    if (text[i] === ':') {
      const parsed = parsePort(text, i + 1);
      if (parsed === null) return STATUS_INVALID_PARAMETER;
      port = parsed;
      i = text.length;
    }
  }
  if (i !== text.length) return STATUS_INVALID_PARAMETER;
  bytes.set(p.bytes);
  scopeOut[0] = scope;
  portOut[0] = RtlUshortByteSwap(port);
  return STATUS_SUCCESS;
}
export const RtlIpv6StringToAddressExA = RtlIpv6StringToAddressExW;

// ---- address -> string ----

function ipv4Text(s_addr: number): string {
  return [s_addr & 0xff, (s_addr >>> 8) & 0xff, (s_addr >>> 16) & 0xff, s_addr >>> 24].join('.');
}

/**
 * Windows' IPv6 text: lowercase hex without leading zeros, the first longest run of two or more
 * zero groups as `::`, and a dotted IPv4 tail for IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible
 * (::a.b.c.d, not ::0.0.x.y), IPv4-translated (::ffff:0:a.b.c.d) and ISATAP (…:0:5efe:a.b.c.d)
 * addresses.
 */
function ipv6Text(b: Uint8Array): string {
  const w = Array.from({ length: 8 }, (_, i) => (b[2 * i] << 8) | b[2 * i + 1]);
  const prefixZero = w[0] === 0 && w[1] === 0 && w[2] === 0 && w[3] === 0;
  const isatap = w[5] === 0x5efe && (w[4] & ~0x0200) === 0;
  const embedded =
    isatap || (prefixZero && w[6] !== 0 && ((w[4] === 0 && (w[5] === 0 || w[5] === 0xffff)) || (w[4] === 0xffff && w[5] === 0)));
  const groups = embedded ? 6 : 8;
  let gapAt = -1;
  let gapLen = 1;
  for (let i = 0; i < groups; ) {
    let n = 0;
    while (i + n < groups && w[i + n] === 0) n++;
    if (n > gapLen) [gapAt, gapLen] = [i, n];
    i += n > 0 ? n : 1;
  }
  let text = '';
  for (let i = 0; i < groups; i++) {
    if (i === gapAt) {
      text += '::';
      i += gapLen - 1;
      continue;
    }
    if (i > 0 && !text.endsWith(':')) text += ':';
    text += w[i].toString(16);
  }
  if (embedded) text += (text.endsWith(':') ? '' : ':') + `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  return text;
}

/** Writes `text` and a NUL into a Uint16Array (W) or Uint8Array (A); returns the NUL's index. */
function writeText(text: string, out: Uint16Array | Uint8Array, where: string): number {
  if (!(out instanceof Uint16Array) && !(out instanceof Uint8Array)) badArgument(where, 'S must be a Uint16Array (W) or Uint8Array (A)');
  if (out.length < text.length + 1) badArgument(where, `S holds ${out.length} characters; ${text.length + 1} are written (C: a buffer overrun)`);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  out[text.length] = 0;
  return text.length;
}

/** The Ex forms: STATUS_INVALID_PARAMETER and the length needed (NUL included) when it does not fit. */
function writeTextEx(text: string, out: Uint16Array | Uint8Array, length: OutScalar, where: string): NTSTATUS {
  const size = outArg(length, where, 'AddressStringLength', false)!;
  const room = size[0];
  size[0] = text.length + 1;
  if (!(typeof room === 'number' && room > text.length)) return STATUS_INVALID_PARAMETER;
  writeText(text, out, where);
  return STATUS_SUCCESS;
}

/** RtlIpv4AddressToStringW/A: `a.b.c.d` into S (16 characters hold any); returns the NUL's index. */
export function RtlIpv4AddressToStringW(Addr: IN_ADDR, S: Uint16Array | Uint8Array): number {
  const where = 'RtlIpv4AddressToString';
  if (Addr === null || typeof Addr !== 'object' || typeof Addr.s_addr !== 'number') badArgument(where, 'Addr must be an IN_ADDR');
  return writeText(ipv4Text(Addr.s_addr), S, where);
}
export const RtlIpv4AddressToStringA = RtlIpv4AddressToStringW;

/** RtlIpv4AddressToStringExW/A: `a.b.c.d`, or `a.b.c.d:port` when Port (network order) is not 0. */
export function RtlIpv4AddressToStringExW(Address: IN_ADDR, Port: number, AddressString: Uint16Array | Uint8Array, AddressStringLength: OutScalar): NTSTATUS {
  const where = 'RtlIpv4AddressToStringEx';
  if (Address === null || AddressString === null || AddressStringLength === null) return STATUS_INVALID_PARAMETER;
  if (typeof Address !== 'object' || typeof Address.s_addr !== 'number') badArgument(where, 'Address must be an IN_ADDR');
  const port = RtlUshortByteSwap(Port & 0xffff);
  const text = ipv4Text(Address.s_addr) + (port ? `:${port}` : '');
  return writeTextEx(text, AddressString, AddressStringLength, where);
}
export const RtlIpv4AddressToStringExA = RtlIpv4AddressToStringExW;

/** RtlIpv6AddressToStringW/A: Windows' text of the address into S (46 characters hold any). */
export function RtlIpv6AddressToStringW(Addr: IN6_ADDR, S: Uint16Array | Uint8Array): number {
  return writeText(ipv6Text(in6Arg(Addr, 'RtlIpv6AddressToString')), S, 'RtlIpv6AddressToString');
}
export const RtlIpv6AddressToStringA = RtlIpv6AddressToStringW;

/** RtlIpv6AddressToStringExW/A: `addr`, `addr%scope`, `[addr]:port`, `[addr%scope]:port`. */
export function RtlIpv6AddressToStringExW(
  Address: IN6_ADDR,
  ScopeId: number,
  Port: number,
  AddressString: Uint16Array | Uint8Array,
  AddressStringLength: OutScalar,
): NTSTATUS {
  const where = 'RtlIpv6AddressToStringEx';
  if (Address === null || AddressString === null || AddressStringLength === null) return STATUS_INVALID_PARAMETER;
  let text = ipv6Text(in6Arg(Address, where));
  if (ScopeId) text += `%${ScopeId >>> 0}`;
  const port = RtlUshortByteSwap(Port & 0xffff);
  if (port) text = `[${text}]:${port}`;
  return writeTextEx(text, AddressString, AddressStringLength, where);
}
export const RtlIpv6AddressToStringExA = RtlIpv6AddressToStringExW;

/** INET_ADDRSTRLEN / INET6_ADDRSTRLEN (ws2ipdef.h): characters that hold any address and port. */
export const INET_ADDRSTRLEN = 22;
export const INET6_ADDRSTRLEN = 65;
