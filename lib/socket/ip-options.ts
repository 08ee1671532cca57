// The IP, IPv6 and UDP options whose Windows meaning needs lib/ (the rest are one entry each in
// transport/host-options.ts): receive control messages where one host option serves two Windows
// ones (IP_RECVTOS and IP_ECN both need the host's IP_RECVTOS), ICMP error reporting
// (IP_RECVERR, IPV6_RECVERR, SIO_UDP_CONNRESET over the host's error queue), UDP segmentation
// offload (UDP_SEND_MSG_SIZE over UDP_SEGMENT, UDP_RECV_MAX_COALESCED_SIZE over UDP_GRO), and the
// port options Linux does by default (SO_RANDOMIZE_PORT, SO_PORT_SCALABILITY).
import { NTSTATUS, STATUS_INVALID_PARAMETER, STATUS_NOT_SUPPORTED, STATUS_SUCCESS } from '../kernel/ntstatus';
import * as ws from '../net/ws2def';
import { ntStatusFromErrno } from '../transport/errno';
import { RX_ECN, RX_ECN6, RX_TCLASS, RX_TOS } from '../transport/host-cmsg';
import { addon, OS } from '../transport/native';
import { WskGetOption, WskIoctl, WskSetOption } from '../wsk/wsk-base';
import { ControlRequest, ControlResult, intOptionResult, readIntOption } from './control-request';
import { OptionState, optionStateOf } from './option-state';
import type { SocketObject } from './socket';

const intScratch = new Int32Array(1);
const intBytes = new Uint8Array(intScratch.buffer);

function setHost(s: SocketObject, level: number, name: number, value: number): NTSTATUS {
  intScratch[0] = value;
  const rc = addon.setsockopt(s.id, level, name, intBytes);
  return rc < 0 ? ntStatusFromErrno(rc) : STATUS_SUCCESS;
}

/** The host's int, or null with the status in `failed`. */
let failed: NTSTATUS = STATUS_SUCCESS;
function getHost(s: SocketObject, level: number, name: number): number | null {
  intScratch[0] = 0;
  const rc = addon.getsockopt(s.id, level, name, intBytes);
  if (rc >= 0) return intScratch[0];
  failed = ntStatusFromErrno(rc);
  return null;
}


const MISSING: ControlResult = Object.freeze({ status: STATUS_INVALID_PARAMETER });

// ---- receive control messages ----

/** [Windows level, Windows name, its RX bit, the bit sharing its host option, host level, host name]. */
const RX_OPTIONS: Array<[number, number, number, number, string, string]> = [
  [ws.IPPROTO_IP, ws.IP_RECVTOS, RX_TOS, RX_ECN, 'IPPROTO_IP', 'IP_RECVTOS'],
  [ws.IPPROTO_IP, ws.IP_ECN, RX_ECN, RX_TOS, 'IPPROTO_IP', 'IP_RECVTOS'],
  [ws.IPPROTO_IPV6, ws.IPV6_RECVTCLASS, RX_TCLASS, RX_ECN6, 'IPPROTO_IPV6', 'IPV6_RECVTCLASS'],
  [ws.IPPROTO_IPV6, ws.IPV6_ECN, RX_ECN6, RX_TCLASS, 'IPPROTO_IPV6', 'IPV6_RECVTCLASS'],
];

function receiveOption(s: SocketObject, req: ControlRequest, bit: number, partner: number, level: number, name: number): ControlResult {
  if (req.RequestType === WskGetOption) return intOptionResult(req, s.options && s.options.rx & bit ? 1 : 0);
  const v = readIntOption(req.input);
  if (v === null) return MISSING;
  const st = optionStateOf(s);
  const rx = v ? st.rx | bit : st.rx & ~bit;
  const status = setHost(s, level, name, rx & (bit | partner) ? 1 : 0);
  if (status === STATUS_SUCCESS) st.rx = rx;
  return { status };
}

// ---- ICMP errors ----

/** Turns the host's error queue on while IP_RECVERR, IPV6_RECVERR or SIO_UDP_CONNRESET wants it. */
function applyRecvErr(s: SocketObject, st: OptionState): NTSTATUS {
  const status = setHost(s, OS.IPPROTO_IP, OS.IP_RECVERR, st.recvErr || st.connReset ? 1 : 0);
  if (status !== STATUS_SUCCESS || s.family !== ws.AF_INET6) return status;
  return setHost(s, OS.IPPROTO_IPV6, OS.IPV6_RECVERR, st.recvErr6 || st.connReset ? 1 : 0);
}

function recvErrOption(s: SocketObject, req: ControlRequest, ipv6: boolean): ControlResult {
  if (ipv6 && s.family !== ws.AF_INET6) return { status: STATUS_INVALID_PARAMETER };
  if (req.RequestType === WskGetOption) return intOptionResult(req, s.options && (ipv6 ? s.options.recvErr6 : s.options.recvErr) ? 1 : 0);
  const v = readIntOption(req.input);
  if (v === null) return MISSING;
  const st = optionStateOf(s);
  const before = ipv6 ? st.recvErr6 : st.recvErr;
  if (ipv6) st.recvErr6 = v !== 0;
  else st.recvErr = v !== 0;
  const status = applyRecvErr(s, st);
  if (status !== STATUS_SUCCESS) {
    if (ipv6) st.recvErr6 = before;
    else st.recvErr = before;
  }
  return { status };
}

/**
 * SIO_UDP_CONNRESET (input a BOOL): with it on, an ICMP port unreachable for a datagram this
 * socket sent completes its next WskReceiveFrom with STATUS_PORT_UNREACHABLE (what Winsock
 * reports as WSAECONNRESET). UDP sockets only.
 */
function connResetIoctl(s: SocketObject, req: ControlRequest): ControlResult {
  if (s.type !== ws.SOCK_DGRAM || s.protocol !== ws.IPPROTO_UDP) return { status: STATUS_NOT_SUPPORTED };
  const v = readIntOption(req.input);
  if (v === null) return MISSING;
  const st = optionStateOf(s);
  const before = st.connReset;
  st.connReset = v !== 0;
  const status = applyRecvErr(s, st);
  if (status !== STATUS_SUCCESS) st.connReset = before;
  return { status };
}

// ---- UDP segmentation offload ----

/** UDP_SEND_MSG_SIZE (a DWORD) over UDP_SEGMENT; kept in lib/ too, to cut datagrams the host would refuse whole. */
function sendMessageSize(s: SocketObject, req: ControlRequest): ControlResult {
  if (req.RequestType === WskGetOption) {
    const v = getHost(s, OS.SOL_UDP, OS.UDP_SEGMENT);
    return v === null ? { status: failed } : intOptionResult(req, v);
  }
  const v = readIntOption(req.input);
  if (v === null) return MISSING;
  // Linux refuses a segment size above 16 bits with EINVAL.
  const status = setHost(s, OS.SOL_UDP, OS.UDP_SEGMENT, v > 0xffff ? -1 : v);
  if (status === STATUS_SUCCESS) optionStateOf(s).segmentSize = v;
  return { status };
}

/**
 * UDP_RECV_MAX_COALESCED_SIZE (a DWORD) over UDP_GRO: a non-zero size turns receive coalescing
 * on. Linux has no per-socket bound on the coalesced size (up to 64 KiB); the size is kept and
 * read back.
 */
function receiveCoalescedSize(s: SocketObject, req: ControlRequest): ControlResult {
  if (req.RequestType === WskGetOption) {
    if (getHost(s, OS.SOL_UDP, OS.UDP_GRO) === null) return { status: failed };
    return intOptionResult(req, s.options?.coalescedSize ?? 0);
  }
  const v = readIntOption(req.input);
  if (v === null) return MISSING;
  const status = setHost(s, OS.SOL_UDP, OS.UDP_GRO, v !== 0 ? 1 : 0);
  if (status === STATUS_SUCCESS) optionStateOf(s).coalescedSize = v >>> 0;
  return { status };
}

// ---- ports ----

/**
 * SO_RANDOMIZE_PORT and SO_PORT_SCALABILITY ask Windows for what Linux always does: ephemeral
 * ports chosen at random, and one port reused for connections to different peers. Accepted,
 * kept and read back; the host needs nothing.
 */
function portOption(s: SocketObject, req: ControlRequest, key: 'randomizePort' | 'portScalability'): ControlResult {
  if (req.RequestType === WskGetOption) return intOptionResult(req, s.options?.[key] ?? 0);
  const v = readIntOption(req.input);
  if (v === null) return MISSING;
  optionStateOf(s)[key] = v !== 0 ? 1 : 0;
  return { status: STATUS_SUCCESS };
}

/** The options and IOCTL of this file, or undefined for any other request. */
export function ipOptionControl(s: SocketObject, req: ControlRequest): ControlResult | undefined {
  const { Level, ControlCode: code, RequestType } = req;
  if (RequestType === WskIoctl) return code === ws.SIO_UDP_CONNRESET ? connResetIoctl(s, req) : undefined;
  if (RequestType !== WskSetOption && RequestType !== WskGetOption) return undefined;
  for (const [level, name, bit, partner, osLevel, osName] of RX_OPTIONS) {
    if (Level === level && code === name) return receiveOption(s, req, bit, partner, OS[osLevel], OS[osName]);
  }
  if (Level === ws.IPPROTO_IP && code === ws.IP_RECVERR) return recvErrOption(s, req, false);
  if (Level === ws.IPPROTO_IPV6 && code === ws.IPV6_RECVERR) return recvErrOption(s, req, true);
  if (Level === ws.IPPROTO_UDP && code === ws.UDP_SEND_MSG_SIZE) return sendMessageSize(s, req);
  if (Level === ws.IPPROTO_UDP && code === ws.UDP_RECV_MAX_COALESCED_SIZE) return receiveCoalescedSize(s, req);
  if (Level === ws.SOL_SOCKET && code === ws.SO_RANDOMIZE_PORT) return portOption(s, req, 'randomizePort');
  if (Level === ws.SOL_SOCKET && code === ws.SO_PORT_SCALABILITY) return portOption(s, req, 'portScalability');
  return undefined;
}
