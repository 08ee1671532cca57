// Windows control messages <-> the host's cmsgs: what the transport sends and receives.
import { CMSG_SPACE, cmsgParse, cmsgWrite, IPV6_TCLASS } from '../net/cmsg';
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

/**
 * Windows control messages for a send -> host cmsg bytes. Understood: IP_PKTINFO and
 * IPV6_PKTINFO (source address / interface), IP_TTL, IP_TOS, IPV6_HOPLIMIT, IPV6_TCLASS.
 * Returns null for anything malformed or not understood (the caller answers STATUS_INVALID_PARAMETER).
 */
export function controlToHost(ControlInfo: Uint8Array, ControlInfoLength: number): Uint8Array | null {
  if (!(ControlInfo instanceof Uint8Array) || !Number.isInteger(ControlInfoLength) || ControlInfoLength < 0) return null;
  if (ControlInfoLength > ControlInfo.byteLength) return null;
  const messages = cmsgParse(ControlInfo, ControlInfoLength);
  const parts: Array<[number, number, Uint8Array]> = [];
  let consumed = 0;
  for (const m of messages) {
    consumed += CMSG_SPACE(m.data.byteLength);
    const d = m.data;
    const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
    if (m.cmsg_level === ws.IPPROTO_IP && m.cmsg_type === ws.IP_PKTINFO && d.byteLength >= 8) {
      // Windows IN_PKTINFO { ipi_addr; ipi_ifindex } -> Linux in_pktinfo { ifindex; spec_dst; addr }:
      // the address chosen as source is spec_dst on the host.
      const host = new Uint8Array(OS.SIZEOF_IN_PKTINFO);
      new DataView(host.buffer).setInt32(0, dv.getUint32(4, true), true);
      host.set(d.subarray(0, 4), 4);
      parts.push([OS.IPPROTO_IP, OS.IP_PKTINFO, host]);
    } else if (m.cmsg_level === ws.IPPROTO_IPV6 && m.cmsg_type === ws.IPV6_PKTINFO && d.byteLength >= 20) {
      parts.push([OS.IPPROTO_IPV6, OS.IPV6_PKTINFO, d.slice(0, 20)]);
    } else if (d.byteLength >= 4 && m.cmsg_level === ws.IPPROTO_IP && (m.cmsg_type === ws.IP_TTL || m.cmsg_type === ws.IP_TOS)) {
      parts.push([OS.IPPROTO_IP, m.cmsg_type === ws.IP_TTL ? OS.IP_TTL : OS.IP_TOS, d.slice(0, 4)]);
    } else if (d.byteLength >= 4 && m.cmsg_level === ws.IPPROTO_IPV6 && (m.cmsg_type === ws.IPV6_HOPLIMIT || m.cmsg_type === IPV6_TCLASS)) {
      parts.push([OS.IPPROTO_IPV6, m.cmsg_type === ws.IPV6_HOPLIMIT ? OS.IPV6_HOPLIMIT : OS.IPV6_TCLASS, d.slice(0, 4)]);
    } else {
      return null;
    }
  }
  // Bytes left over that are not a whole message are malformed.
  if (consumed < ControlInfoLength) return null;
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


/** What hostToControl found besides the messages. */
export interface ControlTranslation {
  /** Bytes written to the Windows buffer. */
  length: number;
  /** A message did not fit: MSG_CTRUNC. */
  truncated: boolean;
  /** MSG_BCAST / MSG_MCAST, known when the destination came with IP_PKTINFO / IPV6_PKTINFO. */
  castFlags: number;
}

const result: ControlTranslation = { length: 0, truncated: false, castFlags: 0 };

/**
 * Host cmsgs of a receive (`hostLength` bytes) -> Windows control messages in `out` (at most
 * `outLength` bytes; `out` may be null when the caller wants none). Returns a shared object,
 * valid until the next call.
 */
export function hostToControl(host: Uint8Array, hostLength: number, out: Uint8Array | null, outLength: number): ControlTranslation {
  result.length = 0;
  result.truncated = false;
  result.castFlags = 0;
  const dv = new DataView(host.buffer, host.byteOffset, host.byteLength);
  let w = 0;
  for (let off = 0; off + H_HDR <= hostLength; ) {
    const len = H_LENSIZE === 8 ? Number(dv.getBigUint64(off, true)) : dv.getUint32(off, true);
    if (len < H_HDR || off + len > hostLength) break;
    const level = dv.getInt32(off + H_LENSIZE, true);
    const type = dv.getInt32(off + H_LENSIZE + 4, true);
    const data = host.subarray(off + hAlign(H_HDR), off + len);
    off += hAlign(len);
    let wl = -1;
    let wt = 0;
    let wd: Uint8Array | null = null;
    if (level === OS.IPPROTO_IP && type === OS.IP_PKTINFO && data.byteLength >= 12) {
      // Linux in_pktinfo { ifindex; spec_dst; addr } -> Windows IN_PKTINFO { ipi_addr; ipi_ifindex },
      // where ipi_addr is the datagram's destination.
      scratchPkt.set(data.subarray(8, 12), 0);
      scratchPkt.set(data.subarray(0, 4), 4);
      const first = data[8];
      if (first >= 224 && first <= 239) result.castFlags |= ws.MSG_MCAST;
      else if (data[8] === 255 && data[9] === 255 && data[10] === 255 && data[11] === 255) result.castFlags |= ws.MSG_BCAST;
      wl = ws.IPPROTO_IP;
      wt = ws.IP_PKTINFO;
      wd = scratchPkt;
    } else if (level === OS.IPPROTO_IPV6 && type === OS.IPV6_PKTINFO && data.byteLength >= 20) {
      scratchInt6.set(data.subarray(0, 20));
      if (data[0] === 0xff) result.castFlags |= ws.MSG_MCAST;
      wl = ws.IPPROTO_IPV6;
      wt = ws.IPV6_PKTINFO;
      wd = scratchInt6;
    } else if (data.byteLength >= 1 && ((level === OS.IPPROTO_IP && (type === OS.IP_TTL || type === OS.IP_TOS)) ||
        (level === OS.IPPROTO_IPV6 && (type === OS.IPV6_HOPLIMIT || type === OS.IPV6_TCLASS)))) {
      // INT on Windows; the host gives an int (IP_TOS: one byte).
      const v = data.byteLength >= 4 ? new DataView(data.buffer, data.byteOffset, 4).getInt32(0, true) : data[0];
      new DataView(scratchInt.buffer).setInt32(0, v, true);
      if (level === OS.IPPROTO_IP) {
        wl = ws.IPPROTO_IP;
        wt = type === OS.IP_TTL ? ws.IP_TTL : ws.IP_TOS;
      } else {
        wl = ws.IPPROTO_IPV6;
        wt = type === OS.IPV6_HOPLIMIT ? ws.IPV6_HOPLIMIT : IPV6_TCLASS;
      }
      wd = scratchInt;
    }
    if (wd === null || out === null) continue;
    const next = cmsgWrite(out, w, outLength, wl, wt, wd);
    if (next < 0) {
      result.truncated = true;
      continue;
    }
    w = next;
    result.length = w;
  }
  return result;
}
