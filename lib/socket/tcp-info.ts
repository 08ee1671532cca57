// SIO_TCP_INFO (mstcpip.h): input the version (a DWORD: 0, 1 or 2), output TCP_INFO_v0, _v1 or
// _v2, filled from the host's struct tcp_info (getsockopt TCP_INFO). Linux keeps most of what
// Windows reports; where it keeps something near, the nearest is given, and where it keeps
// nothing, 0 (docs/SEMANTICS.md, "Choices", lists each).
import { STATUS_BUFFER_TOO_SMALL, STATUS_INVALID_PARAMETER, STATUS_NOT_SUPPORTED } from '../kernel/ntstatus';
import {
  Layout,
  SIZEOF_TCP_INFO_v0,
  SIZEOF_TCP_INFO_v1,
  SIZEOF_TCP_INFO_v2,
  TCP_INFO_V0_LAYOUT,
  TCP_INFO_V1_LAYOUT,
  TCP_INFO_V2_LAYOUT,
} from '../net/mstcpip';
import * as ws from '../net/ws2def';
import { ntStatusFromErrno } from '../transport/errno';
import { addon, OS } from '../transport/native';
import { ControlRequest, ControlResult, readIntOption, structOutput } from './control-request';
import type { SocketObject } from './socket';
import { isTcp } from './tcp-options';

const VERSIONS: Array<[Layout, number]> = [
  [TCP_INFO_V0_LAYOUT, SIZEOF_TCP_INFO_v0],
  [TCP_INFO_V1_LAYOUT, SIZEOF_TCP_INFO_v1],
  [TCP_INFO_V2_LAYOUT, SIZEOF_TCP_INFO_v2],
];

/**
 * Offsets in Linux's struct tcp_info (include/uapi/linux/tcp.h; fields are only ever appended,
 * so an older kernel answers fewer bytes and the missing ones read 0).
 */
const TCPI = {
  state: 0,
  retransmits: 2,
  options: 5,
  snd_mss: 16,
  rcv_space: 96,
  rtt: 68,
  snd_cwnd: 80,
  total_retrans: 100,
  bytes_acked: 120,
  bytes_received: 128,
  min_rtt: 148,
  busy_time: 168,
  rwnd_limited: 176,
  sndbuf_limited: 184,
  bytes_sent: 200,
  bytes_retrans: 208,
  reord_seen: 220,
  rcv_ooopack: 224,
  snd_wnd: 228,
  rcv_wnd: 232,
  total_rto_recoveries: 242,
} as const;
const TCPI_OPT_TIMESTAMPS = 1;
const TCPI_OPT_ECN = 8;

/** Linux's TCP states (TCP_ESTABLISHED = 1 ... TCP_CLOSING = 11) -> TCPSTATE. */
const STATES = [
  ws.TCPSTATE_CLOSED,
  ws.TCPSTATE_ESTABLISHED,
  ws.TCPSTATE_SYN_SENT,
  ws.TCPSTATE_SYN_RCVD,
  ws.TCPSTATE_FIN_WAIT_1,
  ws.TCPSTATE_FIN_WAIT_2,
  ws.TCPSTATE_TIME_WAIT,
  ws.TCPSTATE_CLOSED,
  ws.TCPSTATE_CLOSE_WAIT,
  ws.TCPSTATE_LAST_ACK,
  ws.TCPSTATE_LISTEN,
  ws.TCPSTATE_CLOSING,
];

const hostInfo = new Uint8Array(256);
const hostView = new DataView(hostInfo.buffer);
const rcvbuf = new Int32Array(1);

/** What the host's tcp_info (of `length` bytes) says, in Windows' TCP_INFO members. */
function windowsMembers(s: SocketObject, length: number): Record<string, number> {
  const u8 = (o: number): number => (o < length ? hostInfo[o] : 0);
  const u16 = (o: number): number => (o + 2 <= length ? hostView.getUint16(o, true) : 0);
  const u32 = (o: number): number => (o + 4 <= length ? hostView.getUint32(o, true) : 0);
  const u64 = (o: number): number => (o + 8 <= length ? Number(hostView.getBigUint64(o, true)) : 0);
  const mss = u32(TCPI.snd_mss);
  const bytesSent = u64(TCPI.bytes_sent);
  const state = STATES[u8(TCPI.state)] ?? ws.TCPSTATE_CLOSED;
  const since = s.connectedMs();
  const busyMs = u64(TCPI.busy_time) / 1000;
  const rwndMs = u64(TCPI.rwnd_limited) / 1000;
  const sndbufMs = u64(TCPI.sndbuf_limited) / 1000;
  rcvbuf[0] = 0;
  addon.getsockopt(s.id, OS.SOL_SOCKET, OS.SO_RCVBUF, new Uint8Array(rcvbuf.buffer));
  return {
    State: state,
    Mss: mss,
    ConnectionTimeMs: since >= 0 ? Math.max(0, Math.floor(performance.now()) - since) : 0,
    TimestampsEnabled: u8(TCPI.options) & TCPI_OPT_TIMESTAMPS ? 1 : 0,
    RttUs: u32(TCPI.rtt),
    MinRttUs: u32(TCPI.min_rtt),
    // Sent once and not yet acknowledged.
    BytesInFlight: Math.max(0, bytesSent - u64(TCPI.bytes_retrans) - u64(TCPI.bytes_acked)),
    Cwnd: u32(TCPI.snd_cwnd) * mss,
    SndWnd: u32(TCPI.snd_wnd),
    RcvWnd: u32(TCPI.rcv_wnd),
    RcvBuf: rcvbuf[0],
    BytesOut: bytesSent,
    BytesIn: u64(TCPI.bytes_received),
    // Linux counts reordering events, not bytes: one segment each.
    BytesReordered: u32(TCPI.reord_seen) * mss,
    BytesRetrans: u64(TCPI.bytes_retrans),
    // Linux does not count fast retransmits apart: every retransmitted segment.
    FastRetrans: u32(TCPI.total_retrans),
    DupAcksIn: 0,
    TimeoutEpisodes: u16(TCPI.total_rto_recoveries),
    SynRetrans: state === ws.TCPSTATE_SYN_SENT ? u8(TCPI.retransmits) : 0,
    // Time limited by the peer's window, by the send buffer (the sender), and the rest of the
    // busy time (the congestion window); Linux keeps times only.
    SndLimTimeRwin: Math.floor(rwndMs),
    SndLimTimeSnd: Math.floor(sndbufMs),
    SndLimTimeCwnd: Math.floor(Math.max(0, busyMs - rwndMs - sndbufMs)),
    OutOfOrderPktsIn: u32(TCPI.rcv_ooopack),
    EcnNegotiated: u8(TCPI.options) & TCPI_OPT_ECN ? 1 : 0,
  };
}

/** SIO_TCP_INFO on a TCP socket (any category, listening too). */
export function tcpInfoIoctl(s: SocketObject, req: ControlRequest): ControlResult {
  if (!isTcp(s)) return { status: STATUS_NOT_SUPPORTED };
  const version = readIntOption(req.input);
  if (version === null) return { status: STATUS_INVALID_PARAMETER };
  if (version < 0 || version >= VERSIONS.length) return { status: STATUS_NOT_SUPPORTED };
  const [layout, size] = VERSIONS[version];
  if (req.output && req.output.byteLength < size) return { status: STATUS_BUFFER_TOO_SMALL };
  hostInfo.fill(0);
  const length = addon.getsockopt(s.id, OS.IPPROTO_TCP, OS.TCP_INFO, hostInfo);
  if (length < 0) return { status: ntStatusFromErrno(length) };
  return structOutput(req, layout, size, windowsMembers(s, length));
}
