// Windows option levels and names (ws2def.h, ws2ipdef.h) -> the host's, for the options that
// mean the same on both: the one translation table of WskControlSocket.
import * as ws from '../net/ws2def';
import { OS } from './native';

/** Options whose value is a ULONG on Windows and an int on the host. */
const INT_OPTIONS: Array<[level: number, name: number, osLevel: string, osName: string]> = [
  [ws.SOL_SOCKET, ws.SO_KEEPALIVE, 'SOL_SOCKET', 'SO_KEEPALIVE'],
  [ws.SOL_SOCKET, ws.SO_BROADCAST, 'SOL_SOCKET', 'SO_BROADCAST'],
  [ws.SOL_SOCKET, ws.SO_RCVBUF, 'SOL_SOCKET', 'SO_RCVBUF'],
  [ws.SOL_SOCKET, ws.SO_SNDBUF, 'SOL_SOCKET', 'SO_SNDBUF'],
  [ws.SOL_SOCKET, ws.SO_OOBINLINE, 'SOL_SOCKET', 'SO_OOBINLINE'],
  [ws.SOL_SOCKET, ws.SO_ACCEPTCONN, 'SOL_SOCKET', 'SO_ACCEPTCONN'],
  [ws.SOL_SOCKET, ws.SO_REUSEADDR, 'SOL_SOCKET', 'SO_REUSEADDR'],
  [ws.IPPROTO_TCP, ws.TCP_NODELAY, 'IPPROTO_TCP', 'TCP_NODELAY'],
  [ws.IPPROTO_TCP, ws.TCP_KEEPIDLE, 'IPPROTO_TCP', 'TCP_KEEPIDLE'],
  [ws.IPPROTO_TCP, ws.TCP_KEEPCNT, 'IPPROTO_TCP', 'TCP_KEEPCNT'],
  [ws.IPPROTO_TCP, ws.TCP_KEEPINTVL, 'IPPROTO_TCP', 'TCP_KEEPINTVL'],
  [ws.IPPROTO_TCP, ws.TCP_MAXSEG, 'IPPROTO_TCP', 'TCP_MAXSEG'],
  [ws.IPPROTO_TCP, ws.TCP_FASTOPEN, 'IPPROTO_TCP', 'TCP_FASTOPEN'],
  [ws.IPPROTO_IP, ws.IP_TTL, 'IPPROTO_IP', 'IP_TTL'],
  [ws.IPPROTO_IP, ws.IP_TOS, 'IPPROTO_IP', 'IP_TOS'],
  [ws.IPPROTO_IP, ws.IP_HDRINCL, 'IPPROTO_IP', 'IP_HDRINCL'],
  [ws.IPPROTO_IP, ws.IP_PKTINFO, 'IPPROTO_IP', 'IP_PKTINFO'],
  [ws.IPPROTO_IP, ws.IP_RECVTOS, 'IPPROTO_IP', 'IP_RECVTOS'],
  [ws.IPPROTO_IP, ws.IP_MULTICAST_TTL, 'IPPROTO_IP', 'IP_MULTICAST_TTL'],
  [ws.IPPROTO_IP, ws.IP_MULTICAST_LOOP, 'IPPROTO_IP', 'IP_MULTICAST_LOOP'],
  [ws.IPPROTO_IPV6, ws.IPV6_V6ONLY, 'IPPROTO_IPV6', 'IPV6_V6ONLY'],
  [ws.IPPROTO_IPV6, ws.IPV6_UNICAST_HOPS, 'IPPROTO_IPV6', 'IPV6_UNICAST_HOPS'],
  [ws.IPPROTO_IPV6, ws.IPV6_MULTICAST_IF, 'IPPROTO_IPV6', 'IPV6_MULTICAST_IF'],
  [ws.IPPROTO_IPV6, ws.IPV6_MULTICAST_HOPS, 'IPPROTO_IPV6', 'IPV6_MULTICAST_HOPS'],
  [ws.IPPROTO_IPV6, ws.IPV6_MULTICAST_LOOP, 'IPPROTO_IPV6', 'IPV6_MULTICAST_LOOP'],
  // Windows' IPV6_PKTINFO turns on delivery of the control message, as the host's RECVPKTINFO does.
  [ws.IPPROTO_IPV6, ws.IPV6_PKTINFO, 'IPPROTO_IPV6', 'IPV6_RECVPKTINFO'],
  [ws.IPPROTO_IPV6, ws.IPV6_HOPLIMIT, 'IPPROTO_IPV6', 'IPV6_RECVHOPLIMIT'],
];

/** Options whose value is a structure laid out the same on Windows and the host. */
const RAW_OPTIONS: Array<[level: number, name: number, osLevel: string, osName: string]> = [
  [ws.IPPROTO_IP, ws.IP_MULTICAST_IF, 'IPPROTO_IP', 'IP_MULTICAST_IF'],
  [ws.IPPROTO_IP, ws.IP_ADD_MEMBERSHIP, 'IPPROTO_IP', 'IP_ADD_MEMBERSHIP'],
  [ws.IPPROTO_IP, ws.IP_DROP_MEMBERSHIP, 'IPPROTO_IP', 'IP_DROP_MEMBERSHIP'],
  [ws.IPPROTO_IPV6, ws.IPV6_ADD_MEMBERSHIP, 'IPPROTO_IPV6', 'IPV6_ADD_MEMBERSHIP'],
  [ws.IPPROTO_IPV6, ws.IPV6_DROP_MEMBERSHIP, 'IPPROTO_IPV6', 'IPV6_DROP_MEMBERSHIP'],
];

export interface HostOption {
  level: number;
  name: number;
  int: boolean;
}

const hostOptions = new Map<string, HostOption>();
for (const [table, int] of [[INT_OPTIONS, true], [RAW_OPTIONS, false]] as const) {
  for (const [level, name, osLevel, osName] of table) {
    if (OS[osLevel] !== undefined && OS[osName] !== undefined) {
      hostOptions.set(`${level}:${name >>> 0}`, { level: OS[osLevel], name: OS[osName], int });
    }
  }
}

/** The host option a Windows (level, name) stands for, or undefined when there is none. */
export function hostOptionOf(Level: number, OptionName: number): HostOption | undefined {
  return hostOptions.get(`${Level >>> 0}:${OptionName >>> 0}`);
}
