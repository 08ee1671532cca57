// Windows control messages <-> the host's cmsgs: what the transport sends and receives.
import { CMSG_SPACE, cmsgParse, cmsgWrite } from '../net/cmsg';
import * as ws from '../net/ws2def';
import { OS } from './native';

// ---- host layout ----

const H_HDR = OS.CMSG_HDRLEN;
const H_ALIGN = OS.CMSG_ALIGNTO;
const H_LENSIZE = OS.CMSG_LENSIZE;
const hAlign = (n: number): number => Math.ceil(n / H_ALIGN) * H_ALIGN;

function hostSpace(length: number): number {
  return hAlign(H_HDR) + hAlign(length);
}

const scratchInt = new Uint8Array(4);
const scratchInt6 = new Uint8Array(20);
const scratchPkt = new Uint8Array(8);
const scratchErr = new Uint8Array(12);

// ---- which receive control messages a socket asked for ----
// One host message can stand for two Windows ones: IP_RECVTOS and IP_ECN both need the TOS byte
// (the host's IP_TOS message), IPV6_RECVTCLASS and IPV6_ECN the traffic class. The socket's
// bits say which Windows message(s) to make of it.
/** IP_RECVTOS: the TOS byte as an IP_TOS message. */
export const RX_TOS = 1 << 0;
/** IP_ECN: its two ECN bits as an IP_ECN message. */
export const RX_ECN = 1 << 1;
/** IPV6_RECVTCLASS: the traffic class as an IPV6_TCLASS message. */
export const RX_TCLASS = 1 << 2;
/** IPV6_ECN: its two ECN bits as an IPV6_ECN message. */
export const RX_ECN6 = 1 << 3;
/** What a socket that set none of these gets (the host sends those messages only when asked). */
export const RX_DEFAULT = RX_TOS | RX_TCLASS;

// ---- send ----

/** What a send's control messages ask beyond the host cmsgs. */
export interface SendControl {
  host: Uint8Array;
  /** UDP_SEND_MSG_SIZE of this send (0: no segmentation; -1: no such message, the socket's applies). */
  segmentSize: number;
}

/**
 * Windows control messages for a send -> host cmsg bytes. Understood: IP_PKTINFO and
 * IPV6_PKTINFO (source address / interface), IP_TTL, IP_TOS, IPV6_HOPLIMIT, IPV6_TCLASS, IP_ECN /
 * IPV6_ECN (the ECN bits, over the socket's own TOS / traffic class: `classOf(level)`), and
 * UDP_SEND_MSG_SIZE (over UDP_SEGMENT). Returns null for anything malformed or not understood
 * (the caller answers STATUS_INVALID_PARAMETER).
 */
export function controlToHost(ControlInfo: Uint8Array, ControlInfoLength: number, classOf: (ipv6: boolean) => number): SendControl | null {
  if (!(ControlInfo instanceof Uint8Array) || !Number.isInteger(ControlInfoLength) || ControlInfoLength < 0) return null;
  if (ControlInfoLength > ControlInfo.byteLength) return null;
  const messages = cmsgParse(ControlInfo, ControlInfoLength);
  const parts: Array<[number, number, Uint8Array]> = [];
  let segmentSize = -1;
  let consumed = 0;
  for (const m of messages) {
    consumed += CMSG_SPACE(m.data.byteLength);
    const part = sendPart(m.cmsg_level, m.cmsg_type, m.data, classOf);
    if (part === null) return null;
    if (typeof part === 'number') segmentSize = part;
    else parts.push(part);
  }
  // Bytes left over that are not a whole message are malformed.
  if (consumed < ControlInfoLength) return null;
  return { host: hostMessages(parts), segmentSize };
}

/** One Windows message -> [host level, host type, data], a segment size, or null. */
function sendPart(level: number, type: number, d: Uint8Array, classOf: (ipv6: boolean) => number): [number, number, Uint8Array] | number | null {
  const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
  if (level === ws.IPPROTO_IP && type === ws.IP_PKTINFO && d.byteLength >= 8) {
    // Windows IN_PKTINFO { ipi_addr; ipi_ifindex } -> Linux in_pktinfo { ifindex; spec_dst; addr }:
    // the address chosen as source is spec_dst on the host.
    const host = new Uint8Array(OS.SIZEOF_IN_PKTINFO);
    new DataView(host.buffer).setInt32(0, dv.getUint32(4, true), true);
    host.set(d.subarray(0, 4), 4);
    return [OS.IPPROTO_IP, OS.IP_PKTINFO, host];
  }
  if (level === ws.IPPROTO_IPV6 && type === ws.IPV6_PKTINFO && d.byteLength >= 20) return [OS.IPPROTO_IPV6, OS.IPV6_PKTINFO, d.slice(0, 20)];
  if (d.byteLength < 4) return null;
  const value = dv.getInt32(0, true);
  if (level === ws.IPPROTO_IP && (type === ws.IP_TTL || type === ws.IP_TOS)) return [OS.IPPROTO_IP, type === ws.IP_TTL ? OS.IP_TTL : OS.IP_TOS, intBytes(value)];
  if (level === ws.IPPROTO_IPV6 && (type === ws.IPV6_HOPLIMIT || type === ws.IPV6_TCLASS)) {
    return [OS.IPPROTO_IPV6, type === ws.IPV6_HOPLIMIT ? OS.IPV6_HOPLIMIT : OS.IPV6_TCLASS, intBytes(value)];
  }
  // IP_ECN / IPV6_ECN set the codepoint only: the DSCP stays the socket's.
  if ((level === ws.IPPROTO_IP && type === ws.IP_ECN) || (level === ws.IPPROTO_IPV6 && type === ws.IPV6_ECN)) {
    if (value < 0 || value > 3) return null;
    const ipv6 = level === ws.IPPROTO_IPV6;
    const tos = (classOf(ipv6) & ~3) | value;
    return ipv6 ? [OS.IPPROTO_IPV6, OS.IPV6_TCLASS, intBytes(tos)] : [OS.IPPROTO_IP, OS.IP_TOS, intBytes(tos)];
  }
  if (level === ws.IPPROTO_UDP && type === ws.UDP_SEND_MSG_SIZE) {
    // Linux takes the segment size as a 16-bit value; 0 sends the datagrams whole.
    if (value < 0 || value > 0xffff || OS.UDP_SEGMENT === undefined) return null;
    return value;
  }
  return null;
}

function intBytes(value: number): Uint8Array {
  return new Uint8Array(new Int32Array([value]).buffer);
}

/** UDP_SEGMENT for a send whose datagrams are cut by the host: its 16-bit host cmsg. */
export function segmentMessage(segmentSize: number): Uint8Array {
  return hostMessages([[OS.SOL_UDP, OS.UDP_SEGMENT, new Uint8Array(new Uint16Array([segmentSize]).buffer)]]);
}

/** Concatenates host cmsgs (two control buffers of a send: the client's, then a segment size). */
export function joinHostControl(a: Uint8Array | null, b: Uint8Array): Uint8Array {
  if (!a || a.byteLength === 0) return b;
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

function hostMessages(parts: Array<[number, number, Uint8Array]>): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, [, , data]) => n + hostSpace(data.byteLength), 0));
  const dv = new DataView(out.buffer);
  let off = 0;
  for (const [level, type, data] of parts) {
    const len = hAlign(H_HDR) + data.byteLength;
    if (H_LENSIZE === 8) dv.setBigUint64(off, BigInt(len), true);
    else dv.setUint32(off, len, true);
    dv.setInt32(off + H_LENSIZE, level, true);
    dv.setInt32(off + H_LENSIZE + 4, type, true);
    out.set(data, off + hAlign(H_HDR));
    off += hostSpace(data.byteLength);
  }
  return out;
}

// ---- receive ----

/** What hostToControl found besides the messages. */
export interface ControlTranslation {
  /** Bytes written to the Windows buffer. */
  length: number;
  /** A message did not fit: MSG_CTRUNC. */
  truncated: boolean;
  /** MSG_BCAST / MSG_MCAST, known when the destination came with IP_PKTINFO / IPV6_PKTINFO. */
  castFlags: number;
  /** An ICMP error from the error queue: IPPROTO_ICMP or IPPROTO_ICMPV6, its type and code (-1: none). */
  icmpProtocol: number;
  icmpType: number;
  icmpCode: number;
}

const result: ControlTranslation = { length: 0, truncated: false, castFlags: 0, icmpProtocol: -1, icmpType: -1, icmpCode: -1 };
// Where hostToControl writes: module state rather than a closure per call (it runs per datagram).
let target: Uint8Array | null = null;
let targetEnd = 0;
let written = 0;

function emit(level: number, type: number, data: Uint8Array): void {
  if (target === null) return;
  const next = cmsgWrite(target, written, targetEnd, level, type, data);
  if (next < 0) {
    result.truncated = true;
    return;
  }
  written = next;
  result.length = written;
}

/**
 * Host cmsgs of a receive (`hostLength` bytes) -> Windows control messages in `out` (at most
 * `outLength` bytes; `out` may be null when the caller wants none), as the socket's `rx` bits
 * ask. Returns a shared object, valid until the next call.
 */
export function hostToControl(host: Uint8Array, hostLength: number, out: Uint8Array | null, outLength: number, rx = RX_DEFAULT): ControlTranslation {
  result.length = 0;
  result.truncated = false;
  result.castFlags = 0;
  result.icmpProtocol = -1;
  result.icmpType = -1;
  result.icmpCode = -1;
  target = out;
  targetEnd = outLength;
  written = 0;
  const dv = new DataView(host.buffer, host.byteOffset, host.byteLength);
  for (let off = 0; off + H_HDR <= hostLength; ) {
    const len = H_LENSIZE === 8 ? Number(dv.getBigUint64(off, true)) : dv.getUint32(off, true);
    if (len < H_HDR || off + len > hostLength) break;
    const level = dv.getInt32(off + H_LENSIZE, true);
    const type = dv.getInt32(off + H_LENSIZE + 4, true);
    const data = host.subarray(off + hAlign(H_HDR), off + len);
    off += hAlign(len);
    receivePart(level, type, data, rx);
  }
  target = null;
  return result;
}

function int32Of(data: Uint8Array): number {
  return data.byteLength >= 4 ? new DataView(data.buffer, data.byteOffset, 4).getInt32(0, true) : data[0];
}

function emitInt(level: number, type: number, value: number): void {
  new DataView(scratchInt.buffer).setInt32(0, value, true);
  emit(level, type, scratchInt);
}

/** One host cmsg -> the Windows message(s) it stands for. */
function receivePart(level: number, type: number, data: Uint8Array, rx: number): void {
  if (level === OS.IPPROTO_IP) {
    if (type === OS.IP_PKTINFO && data.byteLength >= 12) {
      // Linux in_pktinfo { ifindex; spec_dst; addr } -> Windows IN_PKTINFO { ipi_addr; ipi_ifindex },
      // where ipi_addr is the datagram's destination.
      scratchPkt.set(data.subarray(8, 12), 0);
      scratchPkt.set(data.subarray(0, 4), 4);
      const first = data[8];
      if (first >= 224 && first <= 239) result.castFlags |= ws.MSG_MCAST;
      else if (data[8] === 255 && data[9] === 255 && data[10] === 255 && data[11] === 255) result.castFlags |= ws.MSG_BCAST;
      emit(ws.IPPROTO_IP, ws.IP_PKTINFO, scratchPkt);
    } else if (type === OS.IP_TTL && data.byteLength >= 1) {
      emitInt(ws.IPPROTO_IP, ws.IP_TTL, int32Of(data));
    } else if (type === OS.IP_TOS && data.byteLength >= 1) {
      // INT on Windows; the host gives one byte.
      const tos = data[0];
      if (rx & RX_TOS) emitInt(ws.IPPROTO_IP, ws.IP_TOS, tos);
      if (rx & RX_ECN) emitInt(ws.IPPROTO_IP, ws.IP_ECN, tos & 3);
    } else if (type === OS.IP_RECVERR) {
      icmpError(data);
    }
  } else if (level === OS.IPPROTO_IPV6) {
    if (type === OS.IPV6_PKTINFO && data.byteLength >= 20) {
      scratchInt6.set(data.subarray(0, 20));
      if (data[0] === 0xff) result.castFlags |= ws.MSG_MCAST;
      emit(ws.IPPROTO_IPV6, ws.IPV6_PKTINFO, scratchInt6);
    } else if (type === OS.IPV6_HOPLIMIT && data.byteLength >= 1) {
      emitInt(ws.IPPROTO_IPV6, ws.IPV6_HOPLIMIT, int32Of(data));
    } else if (type === OS.IPV6_TCLASS && data.byteLength >= 1) {
      const tclass = int32Of(data);
      if (rx & RX_TCLASS) emitInt(ws.IPPROTO_IPV6, ws.IPV6_TCLASS, tclass);
      if (rx & RX_ECN6) emitInt(ws.IPPROTO_IPV6, ws.IPV6_ECN, tclass & 3);
    } else if (type === OS.IPV6_RECVERR) {
      icmpError(data);
    }
  } else if (level === OS.SOL_UDP && type === OS.UDP_GRO && data.byteLength >= 4) {
    // A coalesced receive: the size of its segments, as Windows' UDP_COALESCED_INFO DWORD.
    emitInt(ws.IPPROTO_UDP, ws.UDP_COALESCED_INFO, int32Of(data));
  }
}

/**
 * Linux sock_extended_err { ee_errno; ee_origin; ee_type; ee_code; ee_pad; ee_info; ee_data }
 * -> Windows IN_RECVERR { IPPROTO protocol; ULONG info; UINT8 type; UINT8 code } (12 bytes),
 * at the level of the ICMP that carried it (an IPv4 error on a dual-stack socket comes as the
 * host's IPV6_RECVERR with an ICMP origin: Windows reports it as IP_RECVERR).
 */
function icmpError(data: Uint8Array): void {
  if (data.byteLength < 16) return;
  const origin = data[4];
  const v6 = origin === OS.SO_EE_ORIGIN_ICMP6;
  if (!v6 && origin !== OS.SO_EE_ORIGIN_ICMP) return;
  const dv = new DataView(scratchErr.buffer);
  dv.setInt32(0, v6 ? ws.IPPROTO_ICMPV6 : ws.IPPROTO_ICMP, true);
  dv.setUint32(4, new DataView(data.buffer, data.byteOffset, 16).getUint32(8, true), true);
  scratchErr[8] = data[5];
  scratchErr[9] = data[6];
  scratchErr[10] = 0;
  scratchErr[11] = 0;
  result.icmpProtocol = v6 ? ws.IPPROTO_ICMPV6 : ws.IPPROTO_ICMP;
  result.icmpType = data[5];
  result.icmpCode = data[6];
  emit(v6 ? ws.IPPROTO_IPV6 : ws.IPPROTO_IP, v6 ? ws.IPV6_RECVERR : ws.IP_RECVERR, scratchErr);
}
