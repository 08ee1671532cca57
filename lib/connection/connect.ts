// WskBind and WskConnect of a connection (and WskSocketConnect's second half): FRESH -> BOUND ->
// CONNECTING -> CONNECTED, or back to BOUND when the connect fails.
import { IRP, irpComplete, irpDetach, irpPend } from '../kernel/irp';
import { faults } from '../kernel/fault';
import { NTSTATUS, STATUS_CANCELLED, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from '../kernel/ntstatus';
import type { PSOCKADDR } from '../net/sockaddr';
import { bindShared } from '../socket/address-sharing';
import { ntStatusFromErrno } from '../transport/errno';
import { addon, native, NETADDR_SIZE } from '../transport/native';
import { sockaddrToNetaddr } from '../transport/netaddr';
import { WSK_EVENT_SEND_BACKLOG } from '../wsk/wsk-base';
import { Connection, BACKLOG_DUE, SOCKET_CONNECT } from './connection';
import { BOUND, CONNECTED, CONNECTING, connectionRule, DEAD, WSK_BIND, WSK_CONNECT } from './connection-state';

const { EINPROGRESS } = native.errno;
const scratchAddr = new Uint8Array(NETADDR_SIZE);
/** NETADDR version 0: connect(AF_UNSPEC), which dissolves a failed attempt (and resets a TCP connection). */
export const UNSPEC = new Uint8Array(NETADDR_SIZE);

export function connectionBind(c: Connection, LocalAddress: PSOCKADDR, Flags: number, shareOption: number): NTSTATUS {
  const refused = connectionRule(WSK_BIND, c.state, c.failure);
  if (refused !== STATUS_SUCCESS) return refused;
  const status = bindShared(c.s, LocalAddress, Flags, shareOption);
  if (status === STATUS_SUCCESS) c.state = BOUND;
  return status;
}

/**
 * WskConnect, or with `then` WskConnectEx (its first send, made once connected instead of
 * completing). `then` is installed on the connection only when this connect pends: a connect
 * refused or done at once must leave a connect already in progress as it is.
 */
export function connectionConnect(c: Connection, Irp: IRP, RemoteAddress: PSOCKADDR, Flags: number, then: AfterConnect | null = null): NTSTATUS {
  const s = c.s;
  if (Flags !== 0) return irpComplete(Irp, STATUS_INVALID_PARAMETER, 0);
  const refused = connectionRule(WSK_CONNECT, c.state, c.failure);
  if (refused !== STATUS_SUCCESS) return irpComplete(Irp, refused, 0);
  const net = sockaddrToNetaddr(RemoteAddress, s.family, scratchAddr);
  if (!net) return completeConnect(c, Irp, STATUS_INVALID_PARAMETER, null);
  // NODE_WSK_VERIFIER lowres: no memory for the connection (failed as any connect failure).
  if (faults !== null && faults.lowResources()) return completeConnect(c, Irp, STATUS_INSUFFICIENT_RESOURCES, null);
  const rc = addon.connect(s.id, net);
  if (rc === 0) {
    connected(c);
    return completeConnect(c, Irp, STATUS_SUCCESS, then);
  }
  if (rc !== -EINPROGRESS) return completeConnect(c, Irp, ntStatusFromErrno(rc), null);
  const closed = s.closedDuringCall(Irp);
  if (closed !== null) return closed;
  c.state = CONNECTING;
  c.connectIrp = Irp;
  if (then !== null) afterConnect.set(c, then);
  s.pending.add(Irp);
  const status = irpPend(Irp, (c.cancelConnectFn ??= (irp) => cancelConnect(c, irp)));
  c.updateInterest();
  return status;
}

/** Readiness while CONNECTING: the OS finished the attempt one way or the other. */
export function finishConnect(c: Connection): void {
  const s = c.s;
  const rc = addon.takeError(s.id);
  const Irp = c.connectIrp!;
  c.connectIrp = null;
  const then = takeAfterConnect(c);
  if (rc === 0) {
    connected(c);
    completeConnect(c, Irp, STATUS_SUCCESS, then);
    return;
  }
  // Linux leaves a TCP socket whose connect failed half in the attempt: its next connect()
  // would give ECONNABORTED. Dissolving it (AF_UNSPEC) lets the socket connect again, bound
  // where it was, as WSK promises.
  addon.connect(s.id, UNSPEC);
  c.state = BOUND;
  s.connectFailed(c);
  completeConnect(c, Irp, ntStatusFromErrno(rc), null);
}

/** What WskConnectEx does once connected: its send, whose completion completes the IRP. */
export type AfterConnect = (c: Connection, Irp: IRP) => NTSTATUS;

/**
 * WskConnectEx: what the IRP does once the connect succeeds (its first send), instead of
 * completing. Kept beside the connection, not in it: only a connect in progress has one.
 */
const afterConnect = new WeakMap<Connection, AfterConnect>();

function takeAfterConnect(c: Connection): AfterConnect | null {
  const then = afterConnect.get(c);
  if (then === undefined) return null;
  afterConnect.delete(c);
  return then;
}

function completeConnect(c: Connection, Irp: IRP, status: NTSTATUS, then: AfterConnect | null): NTSTATUS {
  if (then !== null && status === STATUS_SUCCESS) {
    irpDetach(Irp); // off the connect's cancel routine; the send pends it again if it must
    return then(c, Irp);
  }
  if ((c.flags & SOCKET_CONNECT) === 0) return irpComplete(Irp, status, 0);
  c.flags &= ~SOCKET_CONNECT;
  if (status === STATUS_SUCCESS) return irpComplete(Irp, STATUS_SUCCESS, c.s);
  irpDetach(Irp);
  c.s.closeQuietly();
  return irpComplete(Irp, status, 0);
}

function cancelConnect(c: Connection, irp: IRP): void {
  c.connectIrp = null;
  c.state = DEAD;
  if (c.s.closed) {
    c.s.pending.delete(irp);
    irpComplete(irp, STATUS_CANCELLED, 0);
    return;
  }
  completeConnect(c, irp, STATUS_CANCELLED, takeAfterConnect(c));
  c.updateInterest();
}

/** The connection is up (connect done, or accepted). */
export function connected(c: Connection): void {
  c.state = CONNECTED;
  c.connectedMs = Math.floor(performance.now());
  if (c.events.has(WSK_EVENT_SEND_BACKLOG)) c.flags |= BACKLOG_DUE;
  c.updateInterest();
  if (c.flags & BACKLOG_DUE) c.schedule();
}

/** WskSocketConnect: the connect that follows completes the caller's IRP with the socket, or closes it. */
export function markSocketConnect(c: Connection): void {
  c.flags |= SOCKET_CONNECT;
}
