// What every WSK socket shares, whatever its category: the link to its client and transport
// handle, the set of IRPs it holds pending, readiness interest, and WskCloseSocket.
import {
  forEachSettled,
  IRP,
  irpCallEntry,
  irpCancelled,
  irpCancelOnClose,
  irpComplete,
  irpPend,
  irpStart,
  irpStretchBegin,
  irpStretchEnd,
  PendingIrps,
} from '../kernel/irp';
import {
  addon,
  claimReadiness,
  native,
  NETADDR_SIZE,
  POLL_READABLE,
  POLL_RECEIVE,
  POLL_WRITABLE,
  ReadinessOwner,
  releaseReadiness,
} from '../transport/native';
import {
  NTSTATUS,
  STATUS_ADDRESS_ALREADY_EXISTS,
  STATUS_CANCELLED,
  STATUS_INVALID_DEVICE_STATE,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PARAMETER,
  STATUS_SUCCESS,
} from '../kernel/ntstatus';
import type { ClientState } from '../wsk/client';
import { PSOCKADDR } from '../net/sockaddr';
import { faultOwner, faults } from '../kernel/fault';
import { irpChannel, traceOwner } from '../kernel/trace';
import { badArgument, isRefillable, violation } from '../kernel/verifier';
import {
  WSK_FLAG_BASIC_SOCKET,
  WSK_FLAG_CONNECTION_SOCKET,
  WSK_FLAG_DATAGRAM_SOCKET,
  WSK_FLAG_LISTEN_SOCKET,
  WSK_FLAG_STREAM_SOCKET,
} from '../wsk/wsk-base';
import { PWSK_SOCKET, WSK_PROVIDER_BASIC_DISPATCH } from '../wsk/wsk-dispatch';
import { ntStatusFromErrno } from '../transport/errno';
import { netaddrToSockaddr, sockaddrToNetaddr } from '../transport/netaddr';
import type { ControlRequest, ControlResult } from './control-request';
import type { OptionState } from './option-state';

export const CATEGORY_NAMES: Record<number, string> = {
  [WSK_FLAG_BASIC_SOCKET]: 'basic',
  [WSK_FLAG_LISTEN_SOCKET]: 'listening',
  [WSK_FLAG_CONNECTION_SOCKET]: 'connection-oriented',
  [WSK_FLAG_DATAGRAM_SOCKET]: 'datagram',
  [WSK_FLAG_STREAM_SOCKET]: 'stream',
};

/** Scratch NETADDR for address queries; every use is synchronous. */
const scratchAddr = new Uint8Array(NETADDR_SIZE);

export abstract class SocketObject implements PWSK_SOCKET, ReadinessOwner {
  abstract readonly Dispatch: WSK_PROVIDER_BASIC_DISPATCH;
  /** WSK_FLAG_*_SOCKET */
  abstract readonly category: number;

  /** Set once WskCloseSocket starts: every later call is a use-after-free. */
  closed = false;
  // Made on the first pend: an idle connection in event mode never pends (bench C idle).
  private pendingList: PendingIrps | null = null;
  /** This socket's pending IRPs (completed cancelled by WskCloseSocket). */
  get pending(): PendingIrps {
    return (this.pendingList ??= new PendingIrps());
  }
  private interest = 0;
  /** Option state kept in lib/ (socket/option-state.ts); null until an option needs it. */
  options: OptionState | null = null;

  /** The IRPs pending on this socket now (a copy; none allocates nothing). */
  pendingIrps(): IRP[] {
    return this.pendingList?.toArray() ?? [];
  }

  constructor(
    readonly client: ClientState,
    /** Windows address family (AF_INET / AF_INET6). */
    readonly family: number,
    readonly type: number,
    readonly protocol: number,
    public context: unknown,
    public clientDispatch: unknown,
    /** The transport's name for the OS socket (lib/transport/native.ts): every call takes it. */
    readonly id: number,
  ) {
    claimReadiness(id, this);
    client.socketOpened(this);
  }

  /** The transport's report for this socket (ReadinessOwner). */
  onReadiness(events: number, status: number, received: number): void {
    if (this.closed) {
      addon.poll(this.id, 0);
      return;
    }
    irpStretchBegin();
    try {
      this.onPoll(events, status, received);
    } finally {
      irpStretchEnd();
    }
  }

  // ---- IRP bookkeeping ----

  /** Pends `Irp` on this socket; `onCancel` undoes whatever queued it before it completes cancelled. */
  pend(Irp: IRP, onCancel?: (irp: IRP) => void): NTSTATUS {
    const refused = this.closedDuringCall(Irp);
    if (refused !== null) return refused;
    this.pending.add(Irp);
    return irpPend(Irp, (irp) => {
      onCancel?.(irp);
      this.pending.delete(irp);
      irpCancelled(irp);
    });
  }

  /**
   * A getter in the caller's arguments (WSK_BUF.Length...) can close the socket in the middle
   * of the call. What was about to pend then completes, as the transport answers a closed handle
   * (EBADF: STATUS_INVALID_HANDLE), instead of waiting on a socket nothing polls or cancels any
   * more. Returns that status, or null when the socket is open and the IRP may pend.
   */
  closedDuringCall(Irp: IRP, Information = 0): NTSTATUS | null {
    return this.closed ? irpComplete(Irp, STATUS_INVALID_HANDLE, Information) : null;
  }

  // ---- readiness ----

  /**
   * Arms or disarms readiness; the transport is told only when the mask changes. `receive`
   * (with `read`) asks the transport to read on readiness into the env's receive area and
   * report what it read in the same call (POLL_RECEIVE): the event paths' one crossing.
   */
  setInterest(read: boolean, write: boolean, receive = false): void {
    const mask = (read ? (receive ? POLL_READABLE | POLL_RECEIVE : POLL_READABLE) : 0) | (write ? POLL_WRITABLE : 0);
    if (mask === this.interest || this.closed) return;
    this.interest = mask;
    addon.poll(this.id, mask);
  }

  /** The transport dropped reading after a stream's end or error (see POLL_RECEIVE). */
  readingStopped(): void {
    this.interest &= ~(POLL_READABLE | POLL_RECEIVE);
  }

  get wantsRead(): boolean {
    return (this.interest & POLL_READABLE) !== 0;
  }
  get wantsWrite(): boolean {
    return (this.interest & POLL_WRITABLE) !== 0;
  }

  /**
   * Readiness from the transport; `received` is what an automatic read found (NO_RECEIVE
   * when none happened; see POLL_RECEIVE).
   */
  onPoll(events: number, status: number, received: number): void {
    void events;
    void status;
    void received;
  }

  /** performance.now() in whole ms when the socket's connection came up; -1 when it has none. */
  connectedMs(): number {
    return -1;
  }

  /** The category's own options and IOCTLs; undefined passes the request to the host table. */
  control(req: ControlRequest): ControlResult | undefined {
    void req;
    return undefined;
  }

  // ---- addresses ----

  /** Fills `out` from getsockname/getpeername; returns the status. */
  queryAddress(remote: boolean, out: PSOCKADDR): NTSTATUS {
    const rc = remote ? addon.peerAddress(this.id, scratchAddr) : addon.localAddress(this.id, scratchAddr);
    if (rc < 0) return ntStatusFromErrno(rc);
    netaddrToSockaddr(scratchAddr, out);
    return STATUS_SUCCESS;
  }

  /** Whether the socket has a local (false) or remote (true) address to report yet. */
  hasAddress(remote: boolean): boolean {
    void remote;
    return true;
  }

  /** WskBind's work for every bindable category: Windows SOCKADDR -> OS bind. */
  bindTo(LocalAddress: PSOCKADDR, Flags: number): NTSTATUS {
    if (Flags !== 0) return STATUS_INVALID_PARAMETER;
    const net = sockaddrToNetaddr(LocalAddress, this.family, scratchAddr);
    if (!net) return STATUS_INVALID_PARAMETER;
    const rc = addon.bind(this.id, net);
    if (rc === 0) return STATUS_SUCCESS;
    // WSK reports a taken address as INUSE in its sharing table (https://learn.microsoft.com/windows-hardware/drivers/network/sharing-transport-addresses), not as AFD's SHARING_VIOLATION.
    return rc === -native.errno.EADDRINUSE ? STATUS_ADDRESS_ALREADY_EXISTS : ntStatusFromErrno(rc);
  }

  // ---- close ----

  /** Category teardown before the transport handle closes (an abortive reset, for instance). */
  protected beforeClose(): void {}

  /**
   * WskCloseSocket: pending IRPs complete STATUS_CANCELLED first, then the close IRP.
   *
   * The socket is closed before the first completion routine runs: nothing may be called on a
   * socket once WskCloseSocket is (https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_close_socket), so a routine that re-posts its request or
   * closes again gets SOCKET_CLOSED, as Driver Verifier would flag it, instead of an IRP pended
   * on a socket about to go. A routine that throws does not stop the close: every IRP still
   * completes once, the socket closes, and the first exception is rethrown at the end.
   */
  close(Irp: IRP): NTSTATUS {
    // Also reached without a client call (closeQuietly): the close goes on this socket's track.
    if (irpChannel.hasSubscribers) traceOwner(this);
    if (faults !== null) faultOwner(this);
    irpStart(Irp, 'WskCloseSocket');
    this.closed = true;
    let status: NTSTATUS;
    try {
      const list = this.pendingList;
      if (list) forEachSettled(list.toArray(), (irp) => irpCancelOnClose(list, irp));
    } finally {
      this.beforeClose();
      this.interest = 0;
      addon.close(this.id);
      releaseReadiness(this.id, this);
      this.client.socketClosed(this);
      status = irpComplete(Irp, STATUS_SUCCESS, 0);
    }
    return status;
  }
}

/**
 * The socket argument of a provider call: a live socket of one of the given categories
 * (a bit set of 1 << WSK_FLAG_*). Anything else is what would bugcheck in the kernel.
 */
export function socketArg<T extends SocketObject>(Socket: unknown, categories: number, where: string): T {
  irpCallEntry();
  if (!(Socket instanceof SocketObject)) badArgument(where, 'Socket must be a WSK_SOCKET returned by WSK');
  if (Socket.closed) violation('SOCKET_CLOSED', where, 'the socket was already closed with WskCloseSocket');
  if ((categories & (1 << Socket.category)) === 0) {
    violation('WRONG_SOCKET_CATEGORY', where, `${where} does not belong to a ${CATEGORY_NAMES[Socket.category]} socket`);
  }
  // The IRP this call claims next goes on this socket's track of the IRP timeline.
  if (irpChannel.hasSubscribers) traceOwner(Socket);
  // NODE_WSK_VERIFIER keeps each socket's completions in order, whatever it reorders.
  if (faults !== null) faultOwner(Socket);
  return Socket as T;
}

export const ANY_CATEGORY =
  (1 << WSK_FLAG_BASIC_SOCKET) |
  (1 << WSK_FLAG_LISTEN_SOCKET) |
  (1 << WSK_FLAG_CONNECTION_SOCKET) |
  (1 << WSK_FLAG_DATAGRAM_SOCKET) |
  (1 << WSK_FLAG_STREAM_SOCKET);

/** WskCloseSocket, the same for every category. */
export function WskCloseSocket(Socket: PWSK_SOCKET, Irp: IRP | null): NTSTATUS {
  const s = socketArg<SocketObject>(Socket, ANY_CATEGORY, 'WskCloseSocket');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  return s.close(Irp);
}

/** WskGetLocalAddress / WskGetRemoteAddress: STATUS_INVALID_DEVICE_STATE until there is one. */
export function getAddressCall(
  Socket: PWSK_SOCKET,
  categories: number,
  remote: boolean,
  Address: PSOCKADDR,
  Irp: IRP | null,
  where: string,
): NTSTATUS {
  const s = socketArg<SocketObject>(Socket, categories, where);
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, where);
  if (!isRefillable(Address)) return irpComplete(Irp, STATUS_INVALID_PARAMETER, 0);
  if (!s.hasAddress(remote)) return irpComplete(Irp, STATUS_INVALID_DEVICE_STATE, 0);
  return irpComplete(Irp, s.queryAddress(remote, Address), 0);
}
