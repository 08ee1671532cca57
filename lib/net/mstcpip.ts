// Structures of the options and IOCTLs drivers set (mstcpip.h, ws2def.h, ws2ipdef.h), with
// their x64 layouts: a driver passes either the C bytes (a Uint8Array of sizeof) or the
// structure as an object with the C member names, and reads the answer the same way.

/** A member: [name, offset, size in bytes (1, 2, 4 or 8)]. */
export type Layout = ReadonlyArray<readonly [string, number, 1 | 2 | 4 | 8]>;

/** struct tcp_keepalive { ULONG onoff; ULONG keepalivetime; ULONG keepaliveinterval; }: SIO_KEEPALIVE_VALS. Times in ms. */
export interface tcp_keepalive {
  onoff: number;
  keepalivetime: number;
  keepaliveinterval: number;
}
export const TCP_KEEPALIVE_LAYOUT: Layout = [
  ['onoff', 0, 4],
  ['keepalivetime', 4, 4],
  ['keepaliveinterval', 8, 4],
];
export const SIZEOF_TCP_KEEPALIVE = 12;

/** struct linger { u_short l_onoff; u_short l_linger; } (winsock2.h): SO_LINGER. */
export interface LINGER {
  l_onoff: number;
  l_linger: number;
}
export const LINGER_LAYOUT: Layout = [
  ['l_onoff', 0, 2],
  ['l_linger', 2, 2],
];
export const SIZEOF_LINGER = 4;

/** RSS_SCALABILITY_INFO { BOOLEAN RssEnabled; }: SIO_QUERY_RSS_SCALABILITY_INFO. */
export interface RSS_SCALABILITY_INFO {
  RssEnabled: boolean;
}
export const SIZEOF_RSS_SCALABILITY_INFO = 1;

/** IN_RECVERR (ws2ipdef.h): the data of an IP_RECVERR / IPV6_RECVERR control message. */
export interface IN_RECVERR {
  protocol: number;
  info: number;
  type: number;
  code: number;
}
export const IN_RECVERR_LAYOUT: Layout = [
  ['protocol', 0, 4],
  ['info', 4, 4],
  ['type', 8, 1],
  ['code', 9, 1],
];
export const SIZEOF_IN_RECVERR = 12;

/** TCP_INFO_v0 (mstcpip.h): SIO_TCP_INFO with version 0. BOOLEANs are 0 or 1. */
export interface TCP_INFO_v0 {
  State: number;
  Mss: number;
  ConnectionTimeMs: number;
  TimestampsEnabled: number;
  RttUs: number;
  MinRttUs: number;
  BytesInFlight: number;
  Cwnd: number;
  SndWnd: number;
  RcvWnd: number;
  RcvBuf: number;
  BytesOut: number;
  BytesIn: number;
  BytesReordered: number;
  BytesRetrans: number;
  FastRetrans: number;
  DupAcksIn: number;
  TimeoutEpisodes: number;
  SynRetrans: number;
}
/** TCP_INFO_v1: v0 and what limited sending (peer's window, congestion window, the sender). */
export interface TCP_INFO_v1 extends TCP_INFO_v0 {
  SndLimTransRwin: number;
  SndLimTimeRwin: number;
  SndLimBytesRwin: number;
  SndLimTransCwnd: number;
  SndLimTimeCwnd: number;
  SndLimBytesCwnd: number;
  SndLimTransSnd: number;
  SndLimTimeSnd: number;
  SndLimBytesSnd: number;
}
/** TCP_INFO_v2 (Windows 11): v1 and out-of-order packets, ECN. */
export interface TCP_INFO_v2 extends TCP_INFO_v1 {
  OutOfOrderPktsIn: number;
  EcnNegotiated: number;
  EceAcksIn: number;
  PtoEpisodes: number;
}

export const TCP_INFO_V0_LAYOUT: Layout = [
  ['State', 0, 4],
  ['Mss', 4, 4],
  ['ConnectionTimeMs', 8, 8],
  ['TimestampsEnabled', 16, 1],
  ['RttUs', 20, 4],
  ['MinRttUs', 24, 4],
  ['BytesInFlight', 28, 4],
  ['Cwnd', 32, 4],
  ['SndWnd', 36, 4],
  ['RcvWnd', 40, 4],
  ['RcvBuf', 44, 4],
  ['BytesOut', 48, 8],
  ['BytesIn', 56, 8],
  ['BytesReordered', 64, 4],
  ['BytesRetrans', 68, 4],
  ['FastRetrans', 72, 4],
  ['DupAcksIn', 76, 4],
  ['TimeoutEpisodes', 80, 4],
  ['SynRetrans', 84, 1],
];
export const TCP_INFO_V1_LAYOUT: Layout = [
  ...TCP_INFO_V0_LAYOUT,
  ['SndLimTransRwin', 88, 4],
  ['SndLimTimeRwin', 92, 4],
  ['SndLimBytesRwin', 96, 8],
  ['SndLimTransCwnd', 104, 4],
  ['SndLimTimeCwnd', 108, 4],
  ['SndLimBytesCwnd', 112, 8],
  ['SndLimTransSnd', 120, 4],
  ['SndLimTimeSnd', 124, 4],
  ['SndLimBytesSnd', 128, 8],
];
export const TCP_INFO_V2_LAYOUT: Layout = [
  ...TCP_INFO_V1_LAYOUT,
  ['OutOfOrderPktsIn', 136, 4],
  ['EcnNegotiated', 140, 1],
  ['EceAcksIn', 144, 4],
  ['PtoEpisodes', 148, 4],
];

/**
 * SIZEOF_TCP_INFO_*: `sizeof(TCP_INFO_v0)`, `_v1` and `_v2` in bytes (x64), the `OutputSize` a
 * `SIO_TCP_INFO` call needs for each version.
 * @see https://learn.microsoft.com/windows/win32/api/mstcpip/ns-mstcpip-tcp_info_v0
 */
export const SIZEOF_TCP_INFO_v0 = 88;
export const SIZEOF_TCP_INFO_v1 = 136;
export const SIZEOF_TCP_INFO_v2 = 152;

/** Writes `values` (by member name) into `out`: the C bytes, or the members of an object. */
export function writeStruct(out: Uint8Array | Record<string, unknown>, layout: Layout, values: Record<string, number>): void {
  if (!(out instanceof Uint8Array)) {
    for (const [name] of layout) out[name] = values[name] ?? 0;
    return;
  }
  const dv = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out.fill(0, 0, Math.min(out.byteLength, structSize(layout)));
  for (const [name, offset, size] of layout) {
    const v = values[name] ?? 0;
    if (size === 1) dv.setUint8(offset, v);
    else if (size === 2) dv.setUint16(offset, v, true);
    else if (size === 4) dv.setUint32(offset, v >>> 0, true);
    else dv.setBigUint64(offset, BigInt(Math.max(0, Math.floor(v))), true);
  }
}

/** Reads the members of `layout` from the C bytes or from an object; null when a member is missing or not a number. */
export function readStruct(input: Uint8Array | Record<string, unknown>, layout: Layout): Record<string, number> | null {
  const values: Record<string, number> = {};
  if (!(input instanceof Uint8Array)) {
    for (const [name] of layout) {
      const v = input[name];
      if (typeof v === 'boolean') values[name] = v ? 1 : 0;
      else if (typeof v === 'number' && Number.isFinite(v)) values[name] = v;
      else return null;
    }
    return values;
  }
  if (input.byteLength < structSize(layout)) return null;
  const dv = new DataView(input.buffer, input.byteOffset, input.byteLength);
  for (const [name, offset, size] of layout) {
    values[name] = size === 1 ? dv.getUint8(offset) : size === 2 ? dv.getUint16(offset, true) : size === 4 ? dv.getUint32(offset, true) : Number(dv.getBigUint64(offset, true));
  }
  return values;
}

/** The bytes a layout's members span (without the struct's tail padding). */
export function structSize(layout: Layout): number {
  let end = 0;
  for (const [, offset, size] of layout) end = Math.max(end, offset + size);
  return end;
}
