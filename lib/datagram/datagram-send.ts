// WskSendTo and WskSendMessages: tried at once (one sendto / sendmsg / sendmmsg), queued in
// order only when the OS would block.
import { irpComplete, irpReturned } from '../kernel/irp';
import { faults } from '../kernel/fault';
import { NTSTATUS, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from '../kernel/ntstatus';
import type { PCMSGHDR } from '../net/cmsg';
import { ntStatusFromErrno } from '../transport/errno';
import { controlToHost, joinHostControl, segmentMessage } from '../transport/host-cmsg';
import { addon, native, OS } from '../transport/native';
import { Datagram, scratchAddr, SendRequest } from './datagram';
import { noteSoftError } from './datagram-errors';
import { cutSegmented } from './segmentation';

const { EAGAIN, EWOULDBLOCK, ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EPROTO } = native.errno;
/** ICMP errors the OS queues on a (connected) datagram socket: consumed, not reported. */
export const SOFT_ERRORS = new Set([-ECONNREFUSED, -EHOSTUNREACH, -ENETUNREACH, -(EPROTO ?? 71)]);
export const isAgain = (rc: number): boolean => rc === -EAGAIN || rc === -EWOULDBLOCK;
const EMPTY = new Uint8Array(0);
const MAX_VIEWS = Math.min(OS.IOV_MAX ?? 1024, OS.MAX_BATCH ?? 1024);

const classScratch = new Int32Array(1);
const classBytes = new Uint8Array(classScratch.buffer);

/** The socket's TOS (IPv4) or traffic class (IPv6): what an IP_ECN / IPV6_ECN message keeps of it. */
function classOf(d: Datagram, ipv6: boolean): number {
  classScratch[0] = 0;
  if (ipv6) addon.getsockopt(d.id, OS.IPPROTO_IPV6, OS.IPV6_TCLASS, classBytes);
  else addon.getsockopt(d.id, OS.IPPROTO_IP, OS.IP_TOS, classBytes);
  return classScratch[0] & 0xff;
}

/** A send's host control bytes and the segment size its datagrams are cut to (0: none). */
export interface HostSendControl {
  control: Uint8Array | null;
  segmentSize: number;
}
const NO_CONTROL: HostSendControl = Object.freeze({ control: null, segmentSize: 0 });

/**
 * The host control bytes for a send, or a status. UDP_SEND_MSG_SIZE as a control message
 * overrides the socket's option for this send (0: no segmentation), and goes to the host as
 * its own UDP_SEGMENT.
 */
export function sendControl(d: Datagram, ControlInfoLength: number, ControlInfo: PCMSGHDR | null): HostSendControl | NTSTATUS {
  const socketSegment = d.options?.segmentSize ?? 0;
  if (!ControlInfoLength) return socketSegment ? { control: null, segmentSize: socketSegment } : NO_CONTROL;
  if (!ControlInfo) return STATUS_INVALID_PARAMETER;
  const t = controlToHost(ControlInfo, ControlInfoLength, (ipv6) => classOf(d, ipv6));
  if (!t) return STATUS_INVALID_PARAMETER;
  const control = t.host.byteLength ? t.host : null;
  if (t.segmentSize < 0) return { control, segmentSize: socketSegment };
  return { control: joinHostControl(control, segmentMessage(t.segmentSize)), segmentSize: t.segmentSize };
}

/** The send of `views` (one datagram, or `counts` views each) as the host takes it, datagrams past its limit cut. */
export function segmentedSend(views: Uint8Array[], counts: Int32Array | null, segmentSize: number): { views: Uint8Array[]; counts: Int32Array | null } {
  if (segmentSize === 0) return { views, counts };
  return cutSegmented(views, counts, segmentSize) ?? { views, counts };
}

export function datagramSend(d: Datagram, req: SendRequest): NTSTATUS {
  // NODE_WSK_VERIFIER lowres: no memory for the send.
  if (faults !== null && faults.lowResources()) return irpComplete(req.Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
  if (d.sends.length === 0 && trySend(d, req)) return irpReturned(req.Irp);
  const refused = d.closedDuringCall(req.Irp);
  if (refused !== null) return refused;
  if (req.addr === scratchAddr) req.addr = scratchAddr.slice();
  d.sends.push(req);
  d.updateInterest();
  return d.pend(req.Irp, () => {
    const i = d.sends.indexOf(req);
    if (i >= 0) d.sends.splice(i, 1);
    d.updateInterest();
  });
}

/** Writable: the queued sends go on in order. */
export function drainSends(d: Datagram): void {
  // trySend takes each finished send off the queue.
  while (d.sends.length > 0 && !d.closed) {
    if (!trySend(d, d.sends[0])) break;
  }
}

/** Tries a queued or new send; true when it is finished (completed). */
function trySend(d: Datagram, req: SendRequest): boolean {
  const id = d.id;
  for (let retried = false; ; ) {
    let rc: number;
    if (req.counts === null) {
      const v = req.views;
      rc =
        v.length === 1 && req.control === null
          ? addon.sendto(id, v[0], 0, v[0].byteLength, 0, req.addr)
          : v.length === 0 && req.control === null
            ? addon.sendto(id, EMPTY, 0, 0, 0, req.addr)
            : addon.sendmsg(id, v, 0, req.addr, req.control);
      if (rc >= 0) {
        finishSend(d, req, STATUS_SUCCESS, req.total);
        return true;
      }
    } else {
      // As many datagrams as one sendmmsg takes (MAX_VIEWS views at most).
      let views = 0;
      let end = req.next;
      while (end < req.counts.length && end - req.next < MAX_VIEWS && views + req.counts[end] <= MAX_VIEWS) views += req.counts[end++];
      if (end === req.next) {
        finishSend(d, req, STATUS_INVALID_PARAMETER, 0); // one datagram of more than IOV_MAX views
        return true;
      }
      rc = addon.sendmmsg(id, req.views.slice(req.nextView, req.nextView + views), req.counts.subarray(req.next, end), req.addr, req.control, 0);
      if (rc > 0) {
        for (let i = 0; i < rc; i++) req.nextView += req.counts[req.next + i];
        req.next += rc;
        retried = false;
        if (req.next === req.counts.length) {
          finishSend(d, req, STATUS_SUCCESS, req.total);
          return true;
        }
        continue;
      }
    }
    if (isAgain(rc)) return false;
    // A queued ICMP error surfaces once on the next send; the datagram itself was not sent.
    if (SOFT_ERRORS.has(rc) && !retried) {
      noteSoftError(d);
      retried = true;
      continue;
    }
    finishSend(d, req, ntStatusFromErrno(rc), 0);
    return true;
  }
}

/**
 * Completes a send, taken off the queue first: a routine that throws (on the event loop) must
 * not leave it at the head, to be sent and completed again at the next readiness.
 */
function finishSend(d: Datagram, req: SendRequest, status: NTSTATUS, bytes: number): void {
  if (d.sends[0] === req) d.sends.shift();
  irpComplete(req.Irp, status, bytes);
}
