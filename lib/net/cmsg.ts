// Control messages (ancillary data) in the Windows layout WSK uses (ws2def.h WSACMSGHDR, https://learn.microsoft.com/windows/win32/api/ws2def/ns-ws2def-wsacmsghdr):
// WSACMSGHDR { SIZE_T cmsg_len; INT cmsg_level; INT cmsg_type; } with the data at offset 16 and
// every header 8-aligned.
// A PCMSGHDR here is a Uint8Array that starts at a header (C's pointer into the buffer).
import * as ws from './ws2def';

/** One control message (WSACMSGHDR followed by its data). */
export interface CMSGHDR {
  cmsg_len: number;
  cmsg_level: number;
  cmsg_type: number;
  data: Uint8Array;
}
/**
 * PCMSGHDR (ws2def.h, WSACMSGHDR): control information as C's pointer into a buffer, here a
 * `Uint8Array` that starts at a header, in Windows' layout; `cmsgBuild` writes one and
 * `cmsgParse` reads one.
 * @see https://learn.microsoft.com/windows/win32/api/ws2def/ns-ws2def-wsacmsghdr
 */
export type PCMSGHDR = Uint8Array;

const HDR = 16;
const align8 = (n: number): number => (n + 7) & ~7;

/** WSA_CMSG_LEN / CMSG_LEN: header plus `length` data bytes. */
export function CMSG_LEN(length: number): number {
  return HDR + length;
}
/** WSA_CMSG_SPACE / CMSG_SPACE: the bytes one message of `length` data bytes takes, padding included. */
export function CMSG_SPACE(length: number): number {
  return align8(HDR + align8(length));
}
/** WSA_CMSG_DATA / CMSG_DATA: the data of the message `cmsg` starts. */
export function CMSG_DATA(cmsg: PCMSGHDR): Uint8Array {
  return cmsg.subarray(HDR);
}
export const WSA_CMSG_LEN = CMSG_LEN;
export const WSA_CMSG_SPACE = CMSG_SPACE;
export const WSA_CMSG_DATA = CMSG_DATA;

/** One control message, decoded. */
export interface ControlMessage {
  cmsg_level: number;
  cmsg_type: number;
  data: Uint8Array;
}

/** Builds a control buffer (Windows layout) from messages: what ported code passes as ControlInfo. */
export function cmsgBuild(messages: ControlMessage[]): Uint8Array {
  const out = new Uint8Array(messages.reduce((n, m) => n + CMSG_SPACE(m.data.byteLength), 0));
  let off = 0;
  for (const m of messages) off = cmsgWrite(out, off, out.byteLength, m.cmsg_level, m.cmsg_type, m.data);
  return out;
}

/** The messages of a control buffer (Windows layout) of `length` bytes; stops at a malformed header. */
export function cmsgParse(buffer: Uint8Array, length: number = buffer.byteLength): ControlMessage[] {
  const out: ControlMessage[] = [];
  const dv = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  for (let off = 0; off + HDR <= length; ) {
    const len = dv.getUint32(off, true) + dv.getUint32(off + 4, true) * 2 ** 32;
    if (len < HDR || off + len > length) break;
    out.push({ cmsg_level: dv.getInt32(off + 8, true), cmsg_type: dv.getInt32(off + 12, true), data: buffer.subarray(off + HDR, off + len) });
    off += align8(len);
  }
  return out;
}

/** Writes one Windows message at `off` if it fits before `end`; returns the next offset, or -1. */
export function cmsgWrite(out: Uint8Array, off: number, end: number, level: number, type: number, data: Uint8Array): number {
  const len = CMSG_LEN(data.byteLength);
  if (off + len > end) return -1;
  const dv = new DataView(out.buffer, out.byteOffset + off, HDR);
  dv.setUint32(0, len, true);
  dv.setUint32(4, 0, true);
  dv.setInt32(8, level, true);
  dv.setInt32(12, type, true);
  out.set(data, off + HDR);
  return Math.min(off + CMSG_SPACE(data.byteLength), end);
}

