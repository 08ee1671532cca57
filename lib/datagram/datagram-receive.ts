// WskReceiveFrom: straight into the caller's MDLs with one recvmsg, sender and control data
// filled in; queued in order when nothing is there. A chain the event refused is served first.
import { faults } from '../kernel/fault';
import { irpComplete, irpReturned } from '../kernel/irp';
import { NTSTATUS, STATUS_BUFFER_OVERFLOW, STATUS_PORT_UNREACHABLE, STATUS_SUCCESS } from '../kernel/ntstatus';
import { MSG_CTRUNC, MSG_TRUNC } from '../net/ws2def';
import { ntStatusFromErrno } from '../transport/errno';
import { hostToControl } from '../transport/host-cmsg';
import { addon, NETADDR_SIZE, OS } from '../transport/native';
import { netaddrToSockaddr } from '../transport/netaddr';
import { Datagram, ReceiveRequest } from './datagram';
import { isAgain, SOFT_ERRORS } from './datagram-send';
import { afterErrorRead, classifyError, ERROR_DATAGRAM, ERROR_PORT_UNREACHABLE, noteSoftError } from './datagram-errors';
import { giveBack } from './receive-area';

const scratchFrom = new Uint8Array(NETADDR_SIZE);
const recvOut = new Int32Array(2);
const recvControl = new Uint8Array(512);

export function datagramReceive(d: Datagram, req: ReceiveRequest): NTSTATUS {
  // NODE_WSK_VERIFIER pending: the receive waits for the loop (readiness) before it reads, so its
  // buffer is untouched when STATUS_PENDING comes back. Not with a refused chain or an ICMP
  // error waiting: no readiness would come for those.
  const pendFirst = faults !== null && d.refused === null && !d.errorsPending && faults.pends();
  if (d.receives.length === 0 && !pendFirst && tryReceive(d, req)) return irpReturned(req.Irp);
  const refused = d.closedDuringCall(req.Irp);
  if (refused !== null) return refused;
  d.receives.push(req);
  d.updateInterest();
  return d.pend(req.Irp, () => {
    const i = d.receives.indexOf(req);
    if (i >= 0) d.receives.splice(i, 1);
    d.updateInterest();
  });
}

/** Readable: the queued receives are served in order. */
export function drainReceives(d: Datagram): void {
  // tryReceive takes each finished receive off the queue.
  while (d.receives.length > 0 && !d.closed) {
    if (!tryReceive(d, d.receives[0])) break;
  }
}

/** Tries one WskReceiveFrom; true when it completed. */
function tryReceive(d: Datagram, req: ReceiveRequest): boolean {
  if (d.refused) return receiveRefused(d, req);
  for (let i = 0; i < 16; i++) {
    if (d.errorsPending) {
      if (receiveError(d, req)) return true;
      continue;
    }
    const wantControl = req.ControlLength !== null;
    const rc = addon.recvmsg(d.id, req.views, 0, req.remote || d.remoteAddress ? scratchFrom : null, wantControl ? recvControl : null, recvOut);
    if (isAgain(rc)) return false;
    if (SOFT_ERRORS.has(rc)) {
      noteSoftError(d);
      continue;
    }
    if (rc < 0) {
      finishReceive(d, req, ntStatusFromErrno(rc), 0);
      return true;
    }
    if (!d.accepts(scratchFrom, 0)) continue; // from a source the fixed remote address excludes
    completeDatagram(d, req, rc);
    return true;
  }
  return false;
}

/** Completes a receive with the datagram recvmsg just placed in its buffers (rc bytes). */
function completeDatagram(d: Datagram, req: ReceiveRequest, rc: number): void {
  let flags = 0;
  if (recvOut[0] & OS.MSG_TRUNC) flags |= MSG_TRUNC;
  if (recvOut[0] & OS.MSG_CTRUNC) flags |= MSG_CTRUNC;
  if (req.ControlLength) {
    const t = hostToControl(recvControl, recvOut[1], req.ControlInfo, req.controlRoom, d.options?.rx);
    req.ControlLength[0] = t.length;
    if (t.truncated) flags |= MSG_CTRUNC;
    flags |= t.castFlags;
    if (req.ControlFlags) req.ControlFlags[0] = flags;
  }
  if (req.remote) netaddrToSockaddr(scratchFrom, req.remote);
  // A datagram larger than the buffer: the bytes that fit, MSG_TRUNC, and STATUS_BUFFER_OVERFLOW
  // (what AFD does for a truncated datagram receive; see docs/SEMANTICS.md, "Choices").
  finishReceive(d, req, flags & MSG_TRUNC ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS, rc);
}

/** Reads one queued ICMP error (datagram-errors.ts) for a WskReceiveFrom; true when it completed it. */
function receiveError(d: Datagram, req: ReceiveRequest): boolean {
  const rc = addon.recvmsg(d.id, req.views, OS.MSG_ERRQUEUE, scratchFrom, recvControl, recvOut);
  afterErrorRead(d, rc);
  if (rc < 0 || !d.accepts(scratchFrom, 0)) return false;
  const kind = classifyError(d, recvControl, recvOut[1], null, 0);
  if (kind === ERROR_DATAGRAM) {
    completeDatagram(d, req, rc);
    return true;
  }
  if (kind !== ERROR_PORT_UNREACHABLE) return false;
  if (req.ControlLength) req.ControlLength[0] = 0;
  if (req.remote) netaddrToSockaddr(scratchFrom, req.remote);
  finishReceive(d, req, STATUS_PORT_UNREACHABLE, 0);
  return true;
}

/**
 * Completes a receive, taken off the queue first: a routine that throws (on the event loop)
 * must not leave it at the head, to be completed again with every later datagram.
 */
function finishReceive(d: Datagram, req: ReceiveRequest, status: NTSTATUS, bytes: number): void {
  if (d.receives[0] === req) d.receives.shift();
  irpComplete(req.Irp, status, bytes);
}

/** A WskReceiveFrom served from a refused chain, which WSK keeps buffered. */
function receiveRefused(d: Datagram, req: ReceiveRequest): boolean {
  const area = d.refused!;
  const i = area.nextLive(area.first);
  if (i >= area.count) {
    d.refused = null;
    giveBack(area);
    return tryReceive(d, req);
  }
  area.first = i + 1;
  const length = area.meta[3 * i];
  const data = area.area.subarray(i * area.slot, i * area.slot + length);
  let copied = 0;
  for (const v of req.views) {
    if (copied >= length) break;
    const n = Math.min(v.byteLength, length - copied);
    v.set(data.subarray(copied, copied + n));
    copied += n;
  }
  if (req.remote) netaddrToSockaddr(area.addrs.subarray(i * NETADDR_SIZE, (i + 1) * NETADDR_SIZE), req.remote);
  let flags = copied < length ? MSG_TRUNC : 0;
  if (req.ControlLength) {
    const t = hostToControl(area.hostControl.subarray(i * area.controlSlot), area.meta[3 * i + 2], req.ControlInfo, req.controlRoom, d.options?.rx);
    req.ControlLength[0] = t.length;
    if (t.truncated) flags |= MSG_CTRUNC;
    flags |= t.castFlags;
    if (req.ControlFlags) req.ControlFlags[0] = flags;
  }
  if (area.nextLive(area.first) >= area.count) {
    d.refused = null;
    giveBack(area);
  }
  finishReceive(d, req, flags & MSG_TRUNC ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS, copied);
  return true;
}
