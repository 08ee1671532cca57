// ICMP errors on a datagram socket. When the client asked for them (IP_RECVERR, IPV6_RECVERR,
// SIO_UDP_CONNRESET: socket/ip-options.ts) the host queues each one on the socket's error queue,
// which is read apart (MSG_ERRQUEUE). An error is then, as on Windows:
//   - with IP_RECVERR / IPV6_RECVERR for its family, a datagram: the payload of the datagram
//     that failed, its destination as RemoteAddress, and an IP_RECVERR / IPV6_RECVERR control
//     message (IN_RECVERR: protocol, info, type, code), as msquic's receive path reads it;
//   - else, with SIO_UDP_CONNRESET and a port unreachable, STATUS_PORT_UNREACHABLE for the next
//     WskReceiveFrom (an indication carries no status: the event path drops it);
//   - else dropped.
//
// Knowing when to read: the error queue is read only when the host said there is something in
// it (a poll with POLLERR, or a read or send that returned the pending ICMP error), never on
// the chance, because a read that finds nothing marks the socket drained for the readiness
// poller. After each read, the socket's pending error says whether more are queued (the kernel
// sets it to the next entry's).
import * as ws from '../net/ws2def';
import { hostToControl } from '../transport/host-cmsg';
import { addon, OS } from '../transport/native';
import type { Datagram } from './datagram';
import { DATAGRAM_RECEIVE_POOL, ReceiveArea } from './receive-area';

/** What one queued error is to the client. */
export const ERROR_DATAGRAM = 1;
export const ERROR_PORT_UNREACHABLE = 2;
export const ERROR_DROPPED = 3;

function isPortUnreachable(protocol: number, type: number, code: number): boolean {
  return protocol === ws.IPPROTO_ICMP ? type === 3 && code === 3 : type === 1 && code === 4;
}

/**
 * What the error whose host control bytes are given is to the client. `out` receives its
 * Windows control messages when it is a datagram (null: none wanted).
 */
export function classifyError(d: Datagram, host: Uint8Array, hostLength: number, out: Uint8Array | null, outLength: number): number {
  const st = d.options;
  const t = hostToControl(host, hostLength, out, outLength, st?.rx);
  if (!st || t.icmpProtocol < 0) return ERROR_DROPPED;
  if (t.icmpProtocol === ws.IPPROTO_ICMP ? st.recvErr : st.recvErr6) return ERROR_DATAGRAM;
  if (st.connReset && isPortUnreachable(t.icmpProtocol, t.icmpType, t.icmpCode)) return ERROR_PORT_UNREACHABLE;
  return ERROR_DROPPED;
}

/** A read or send returned the socket's pending ICMP error: an entry waits in the error queue. */
export function noteSoftError(d: Datagram): void {
  if (d.options?.hostRecvErr) d.errorsPending = true;
}

/** After reading one entry: whether another waits (the kernel re-arms the socket's error with it). */
export function afterErrorRead(d: Datagram, rc: number): void {
  d.errorsPending = rc >= 0 && addon.takeError(d.id) !== 0;
}

/**
 * The event path's batch read: queued errors first, one at a time (an error the client wants is
 * a one-datagram batch), then datagrams. Returns what recvmmsg returns.
 */
export function readBatch(d: Datagram, area: ReceiveArea, softErrors: Set<number>): number {
  const { BATCH, SLOT, CONTROL_SLOT } = DATAGRAM_RECEIVE_POOL;
  let n = 0;
  for (let i = 0; i < 16; i++) {
    if (d.errorsPending) {
      n = addon.recvmmsg(d.id, area.area, SLOT, 1, area.meta, area.addrs, area.hostControl, CONTROL_SLOT, OS.MSG_ERRQUEUE);
      afterErrorRead(d, n);
      if (n === 1 && classifyError(d, area.hostControl, area.meta[2], null, 0) === ERROR_DATAGRAM) return 1;
      continue;
    }
    n = addon.recvmmsg(d.id, area.area, SLOT, BATCH, area.meta, area.addrs, area.hostControl, CONTROL_SLOT, 0);
    if (!softErrors.has(n)) return n;
    noteSoftError(d);
  }
  return n;
}

const discardBuffer = new Uint8Array(2048);
const discardOut = new Int32Array(2);

/**
 * Drops what the error queue holds while nobody reads: a queued error keeps the socket
 * reporting POLLERR, which would otherwise wake a socket that waits only to send, again and
 * again. An error nobody was reading for is lost, as a datagram is when the receive queue is full.
 */
export function discardErrors(d: Datagram): void {
  for (let i = 0; i < 64 && d.errorsPending; i++) {
    const rc = addon.recvmsg(d.id, [discardBuffer], OS.MSG_ERRQUEUE, null, null, discardOut);
    afterErrorRead(d, rc);
  }
}
