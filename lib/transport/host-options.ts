// Windows option levels and names (ws2def.h, ws2ipdef.h, mstcpip.h) -> the host's: the one
// translation table of WskControlSocket. An option is either an integer (a Windows ULONG, DWORD
// or BOOL, sent to the host as an int after an optional conversion of its value) or bytes laid
// out the same on both (multicast requests). Options whose Windows meaning needs state kept in
// lib/ (the receive control messages, UDP offload sizes, ICMP errors) are answered by
// socket/ip-options.ts before this table is asked.
import * as ws from '../net/ws2def';
import { OS } from './native';

export interface HostOption {
  level: number;
  name: number;
  /** A Windows integer <-> the host's int; false: bytes passed as they are. */
  int: boolean;
  /** The host's value for a Windows one (set); -1 for a value the host cannot express (EINVAL). */
  toHost?: (value: number) => number;
  /** The Windows value for the host's (get). */
  fromHost?: (value: number) => number;
}

type Conversion = Pick<HostOption, 'toHost' | 'fromHost'>;

const INT32_MAX = 0x7fffffff;

/**
 * TCP_MAXRT (seconds) over TCP_USER_TIMEOUT (milliseconds). Values come signed (a ULONG of
 * 0xFFFFFFFF is -1, "infinite"): that and anything past 2^31-1 ms is the longest the host takes.
 */
const SECONDS_AS_MS: Conversion = {
  toHost: (s) => (s < 0 || s >= INT32_MAX / 1000 ? INT32_MAX : s * 1000),
  fromHost: (ms) => Math.ceil(ms / 1000),
};
const MS_CLAMPED: Conversion = { toHost: (ms) => (ms < 0 ? INT32_MAX : ms) };

/**
 * IP_DONTFRAGMENT (a BOOL) over IP_MTU_DISCOVER: TRUE is "do" (DF set, EMSGSIZE past the path
 * MTU); FALSE is "don't" (no DF, as Windows sends by default). A socket never set keeps Linux's
 * default ("want": DF set, larger datagrams fragmented locally) and reads FALSE.
 */
const DONTFRAGMENT: Conversion = {
  toHost: (on) => (on ? OS.IP_PMTUDISC_DO : OS.IP_PMTUDISC_DONT),
  fromHost: (mode) => (mode === OS.IP_PMTUDISC_DO || mode === OS.IP_PMTUDISC_PROBE ? 1 : 0),
};

/** PMTUD_STATE (Windows: NOT_SET 0, DO 1, DONT 2, PROBE 3) <-> the host's IP_PMTUDISC_* / IPV6_PMTUDISC_*. */
function pmtudState(prefix: 'IP' | 'IPV6'): Conversion {
  const host = [OS[`${prefix}_PMTUDISC_WANT`], OS[`${prefix}_PMTUDISC_DO`], OS[`${prefix}_PMTUDISC_DONT`], OS[`${prefix}_PMTUDISC_PROBE`]];
  return {
    toHost: (state) => (state >= 0 && state < host.length ? host[state] : -1),
    fromHost: (mode) => Math.max(0, host.indexOf(mode)),
  };
}

/** IPV6_UNICAST_IF: the index in host byte order on Windows, in network byte order on Linux (as for IPv4). */
const swap32 = (v: number): number => (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0;
const BYTE_SWAPPED: Conversion = { toHost: (v) => swap32(v) | 0, fromHost: swap32 };

/**
 * TCP_NOSYNRETRIES (a BOOL) over TCP_SYNCNT: Linux's fewest is one SYN retransmission (it has no
 * zero), and FALSE restores its default of 6.
 */
const NOSYNRETRIES: Conversion = {
  toHost: (on) => (on ? 1 : 6),
  fromHost: (count) => (count === 1 ? 1 : 0),
};

/** Options whose value is an integer on both sides: [level, name, host level, host name, conversion]. */
const INT_OPTIONS: Array<[number, number, string, string, Conversion?]> = [
  [ws.SOL_SOCKET, ws.SO_KEEPALIVE, 'SOL_SOCKET', 'SO_KEEPALIVE'],
  [ws.SOL_SOCKET, ws.SO_BROADCAST, 'SOL_SOCKET', 'SO_BROADCAST'],
  [ws.SOL_SOCKET, ws.SO_RCVBUF, 'SOL_SOCKET', 'SO_RCVBUF'],
  [ws.SOL_SOCKET, ws.SO_SNDBUF, 'SOL_SOCKET', 'SO_SNDBUF'],
  [ws.SOL_SOCKET, ws.SO_OOBINLINE, 'SOL_SOCKET', 'SO_OOBINLINE'],
  [ws.SOL_SOCKET, ws.SO_ACCEPTCONN, 'SOL_SOCKET', 'SO_ACCEPTCONN'],
  [ws.SOL_SOCKET, ws.SO_REUSEADDR, 'SOL_SOCKET', 'SO_REUSEADDR'],
  // Windows' SO_REUSE_UNICASTPORT defers the choice of an ephemeral port to connect, so that
  // one port serves connections to different peers: Linux's IP_BIND_ADDRESS_NO_PORT.
  [ws.SOL_SOCKET, ws.SO_REUSE_UNICASTPORT, 'IPPROTO_IP', 'IP_BIND_ADDRESS_NO_PORT'],
  [ws.IPPROTO_TCP, ws.TCP_NODELAY, 'IPPROTO_TCP', 'TCP_NODELAY'],
  [ws.IPPROTO_TCP, ws.TCP_KEEPIDLE, 'IPPROTO_TCP', 'TCP_KEEPIDLE'],
  [ws.IPPROTO_TCP, ws.TCP_KEEPCNT, 'IPPROTO_TCP', 'TCP_KEEPCNT'],
  [ws.IPPROTO_TCP, ws.TCP_KEEPINTVL, 'IPPROTO_TCP', 'TCP_KEEPINTVL'],
  [ws.IPPROTO_TCP, ws.TCP_MAXSEG, 'IPPROTO_TCP', 'TCP_MAXSEG'],
  [ws.IPPROTO_TCP, ws.TCP_FASTOPEN, 'IPPROTO_TCP', 'TCP_FASTOPEN'],
  [ws.IPPROTO_TCP, ws.TCP_MAXRT, 'IPPROTO_TCP', 'TCP_USER_TIMEOUT', SECONDS_AS_MS],
  [ws.IPPROTO_TCP, ws.TCP_MAXRTMS, 'IPPROTO_TCP', 'TCP_USER_TIMEOUT', MS_CLAMPED],
  [ws.IPPROTO_TCP, ws.TCP_NOSYNRETRIES, 'IPPROTO_TCP', 'TCP_SYNCNT', NOSYNRETRIES],
  [ws.IPPROTO_IP, ws.IP_TTL, 'IPPROTO_IP', 'IP_TTL'],
  [ws.IPPROTO_IP, ws.IP_TOS, 'IPPROTO_IP', 'IP_TOS'],
  [ws.IPPROTO_IP, ws.IP_TCLASS, 'IPPROTO_IP', 'IP_TOS'],
  [ws.IPPROTO_IP, ws.IP_HDRINCL, 'IPPROTO_IP', 'IP_HDRINCL'],
  [ws.IPPROTO_IP, ws.IP_PKTINFO, 'IPPROTO_IP', 'IP_PKTINFO'],
  // Windows delivers the TTL of each datagram as an IP_TTL control message (msquic reads it so).
  [ws.IPPROTO_IP, ws.IP_HOPLIMIT, 'IPPROTO_IP', 'IP_RECVTTL'],
  [ws.IPPROTO_IP, ws.IP_MULTICAST_TTL, 'IPPROTO_IP', 'IP_MULTICAST_TTL'],
  [ws.IPPROTO_IP, ws.IP_MULTICAST_LOOP, 'IPPROTO_IP', 'IP_MULTICAST_LOOP'],
  [ws.IPPROTO_IP, ws.IP_DONTFRAGMENT, 'IPPROTO_IP', 'IP_MTU_DISCOVER', DONTFRAGMENT],
  [ws.IPPROTO_IP, ws.IP_MTU_DISCOVER, 'IPPROTO_IP', 'IP_MTU_DISCOVER', pmtudState('IP')],
  [ws.IPPROTO_IP, ws.IP_MTU, 'IPPROTO_IP', 'IP_MTU'],
  // The interface index in network byte order on both (Linux took Windows' convention).
  [ws.IPPROTO_IP, ws.IP_UNICAST_IF, 'IPPROTO_IP', 'IP_UNICAST_IF'],
  [ws.IPPROTO_IPV6, ws.IPV6_V6ONLY, 'IPPROTO_IPV6', 'IPV6_V6ONLY'],
  [ws.IPPROTO_IPV6, ws.IPV6_UNICAST_HOPS, 'IPPROTO_IPV6', 'IPV6_UNICAST_HOPS'],
  [ws.IPPROTO_IPV6, ws.IPV6_MULTICAST_IF, 'IPPROTO_IPV6', 'IPV6_MULTICAST_IF'],
  [ws.IPPROTO_IPV6, ws.IPV6_MULTICAST_HOPS, 'IPPROTO_IPV6', 'IPV6_MULTICAST_HOPS'],
  [ws.IPPROTO_IPV6, ws.IPV6_MULTICAST_LOOP, 'IPPROTO_IPV6', 'IPV6_MULTICAST_LOOP'],
  // Windows' IPV6_PKTINFO turns on delivery of the control message, as the host's RECVPKTINFO does.
  [ws.IPPROTO_IPV6, ws.IPV6_PKTINFO, 'IPPROTO_IPV6', 'IPV6_RECVPKTINFO'],
  [ws.IPPROTO_IPV6, ws.IPV6_HOPLIMIT, 'IPPROTO_IPV6', 'IPV6_RECVHOPLIMIT'],
  [ws.IPPROTO_IPV6, ws.IPV6_TCLASS, 'IPPROTO_IPV6', 'IPV6_TCLASS'],
  [ws.IPPROTO_IPV6, ws.IPV6_DONTFRAG, 'IPPROTO_IPV6', 'IPV6_DONTFRAG'],
  [ws.IPPROTO_IPV6, ws.IPV6_MTU_DISCOVER, 'IPPROTO_IPV6', 'IPV6_MTU_DISCOVER', pmtudState('IPV6')],
  [ws.IPPROTO_IPV6, ws.IPV6_MTU, 'IPPROTO_IPV6', 'IPV6_MTU'],
  [ws.IPPROTO_IPV6, ws.IPV6_UNICAST_IF, 'IPPROTO_IPV6', 'IPV6_UNICAST_IF', BYTE_SWAPPED],
  [ws.IPPROTO_UDP, ws.UDP_NOCHECKSUM, 'SOL_SOCKET', 'SO_NO_CHECK'],
];

/** Options whose value is a structure laid out the same on Windows and the host. */
const RAW_OPTIONS: Array<[number, number, string, string]> = [
  [ws.IPPROTO_IP, ws.IP_OPTIONS, 'IPPROTO_IP', 'IP_OPTIONS'],
  [ws.IPPROTO_IP, ws.IP_MULTICAST_IF, 'IPPROTO_IP', 'IP_MULTICAST_IF'],
  [ws.IPPROTO_IP, ws.IP_ADD_MEMBERSHIP, 'IPPROTO_IP', 'IP_ADD_MEMBERSHIP'],
  [ws.IPPROTO_IP, ws.IP_DROP_MEMBERSHIP, 'IPPROTO_IP', 'IP_DROP_MEMBERSHIP'],
  [ws.IPPROTO_IPV6, ws.IPV6_ADD_MEMBERSHIP, 'IPPROTO_IPV6', 'IPV6_ADD_MEMBERSHIP'],
  [ws.IPPROTO_IPV6, ws.IPV6_DROP_MEMBERSHIP, 'IPPROTO_IPV6', 'IPV6_DROP_MEMBERSHIP'],
];

const hostOptions = new Map<string, HostOption>();
for (const [level, name, osLevel, osName, conversion] of INT_OPTIONS) {
  if (OS[osLevel] !== undefined && OS[osName] !== undefined) {
    hostOptions.set(`${level}:${name >>> 0}`, { level: OS[osLevel], name: OS[osName], int: true, ...conversion });
  }
}
for (const [level, name, osLevel, osName] of RAW_OPTIONS) {
  if (OS[osLevel] !== undefined && OS[osName] !== undefined) {
    hostOptions.set(`${level}:${name >>> 0}`, { level: OS[osLevel], name: OS[osName], int: false });
  }
}

/** The host option a Windows (level, name) stands for, or undefined when there is none. */
export function hostOptionOf(Level: number, OptionName: number): HostOption | undefined {
  return hostOptions.get(`${Level >>> 0}:${OptionName >>> 0}`);
}
