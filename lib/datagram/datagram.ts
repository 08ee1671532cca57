// What a datagram socket holds: its state, the fixed addresses, the queued sends and receives,
// and the event's buffers. The work is in datagram-send.ts, datagram-receive.ts and
// datagram-events.ts; the rules in datagram-state.ts; the socket and its table in
// datagram-socket.ts.
import type { IRP } from '../kernel/irp';
import { NTSTATUS, STATUS_INVALID_PARAMETER } from '../kernel/ntstatus';
import type { PSOCKADDR } from '../net/sockaddr';
import { EventState } from '../socket/events';
import type { Deferred } from '../socket/scheduler';
import { SocketObject } from '../socket/socket';
import { NETADDR_SIZE } from '../transport/native';
import { sockaddrToNetaddr } from '../transport/netaddr';
import { PULONG, PWSK_DATAGRAM_INDICATION, WSK_EVENT_RECEIVE_FROM } from '../wsk/wsk-base';
import { WSK_CLIENT_DATAGRAM_DISPATCH } from '../wsk/wsk-dispatch';
import { BOUND, DatagramState, FRESH } from './datagram-state';
import { DATAGRAM_RECEIVE_POOL, ensureArmedDatagrams, ReceiveArea } from './receive-area';

export interface ReceiveRequest {
  Irp: IRP;
  views: Uint8Array[];
  remote: PSOCKADDR | null;
  ControlLength: PULONG | null;
  ControlInfo: Uint8Array | null;
  /** *ControlLength on the way in, read at the call: the room in ControlInfo. */
  controlRoom: number;
  ControlFlags: PULONG | null;
}

export interface SendRequest {
  Irp: IRP;
  views: Uint8Array[];
  /** Views per datagram (WskSendMessages); null for one datagram. */
  counts: Int32Array | null;
  /** Next datagram and view to send. */
  next: number;
  nextView: number;
  addr: Uint8Array | null;
  control: Uint8Array | null;
  /** Bytes of every datagram, the IRP's Information. */
  total: number;
}

/** Where a send's destination NETADDR is made; copied when the send has to wait. */
export const scratchAddr = new Uint8Array(NETADDR_SIZE);

export abstract class Datagram extends SocketObject implements Deferred {
  state: DatagramState = FRESH;
  /**
   * SIO_WSK_SET_REMOTE_ADDRESS, as a NETADDR: the default destination, and the only source
   * accepted. Filtered here rather than by connect(): on Linux, dissolving the association
   * (AF_UNSPEC) also gives up a port the OS chose at bind.
   */
  remoteAddress: Uint8Array | null = null;
  /** SIO_WSK_SET_SENDTO_ADDRESS, as a NETADDR. */
  sendtoAddress: Uint8Array | null = null;

  readonly receives: ReceiveRequest[] = [];
  readonly sends: SendRequest[] = [];
  /** WskReceiveFromEvent: enabled, static (locked), running. */
  readonly events: EventState;
  /** A chain the client refused (STATUS_DATA_NOT_ACCEPTED): indicated first when re-enabled. */
  refused: ReceiveArea | null = null;
  /** Areas of which the client retains (STATUS_PENDING) a datagram, until WskRelease. */
  readonly held = new Set<ReceiveArea>();
  /** Bytes of the datagrams retained, and the budget they may reach (set when retention starts). */
  heldBytes = 0;
  retainBudget = 0;
  /** On the scheduler's queue. */
  deliverDue = false;
  /** The socket failed for good (WskReceiveFromEvent was told with a NULL indication). */
  dead = false;
  /** The host has queued ICMP errors to read (datagram-errors.ts). */
  errorsPending = false;

  constructor(...args: ConstructorParameters<typeof SocketObject>) {
    super(...args);
    this.events = new EventState(this.client.staticEventMask & WSK_EVENT_RECEIVE_FROM);
  }

  /** The scheduler's call (datagram-events.ts). */
  abstract runDeferred(): void;

  get bound(): boolean {
    return this.state === BOUND;
  }

  get receiveEvent(): ((SocketContext: unknown, Flags: number, DataIndication: PWSK_DATAGRAM_INDICATION | null) => NTSTATUS) | null {
    const d = this.clientDispatch as WSK_CLIENT_DATAGRAM_DISPATCH | null;
    return d && typeof d.WskReceiveFromEvent === 'function' ? d.WskReceiveFromEvent : null;
  }

  /** The event may take a new batch from the OS. */
  eventReady(): boolean {
    return (
      this.state === BOUND &&
      !this.dead &&
      this.events.has(WSK_EVENT_RECEIVE_FROM) &&
      this.refused === null &&
      this.held.size < DATAGRAM_RECEIVE_POOL.MAX_HELD &&
      (this.held.size === 0 || this.heldBytes < this.retainBudget) &&
      this.receiveEvent !== null
    );
  }

  updateInterest(): void {
    if (this.closed) return;
    // The event may take datagrams and no WskReceiveFrom waits: the transport reads a batch on
    // readiness itself and hands it over in the same call (POLL_RECEIVE).
    // (Not while ICMP errors wait in the error queue: the explicit path reads those first.)
    const receive = this.state === BOUND && this.receives.length === 0 && !this.errorsPending && this.eventReady();
    if (receive) ensureArmedDatagrams();
    this.setInterest(this.state === BOUND && (this.receives.length > 0 || receive), this.sends.length > 0, receive);
  }

  /** Whether a datagram from the NETADDR at addrs[o] passes the fixed remote address (if any). */
  accepts(addrs: Uint8Array, o: number): boolean {
    const r = this.remoteAddress;
    if (r === null) return true;
    if (addrs[o] !== r[0] || addrs[o + 2] !== r[2] || addrs[o + 3] !== r[3]) return false;
    const end = r[0] === 4 ? 12 : 24;
    for (let i = 8; i < end; i++) if (addrs[o + i] !== r[i]) return false;
    return true;
  }

  /** The destination NETADDR of a send (scratchAddr or a fixed one), or a status. */
  destination(RemoteAddress: PSOCKADDR | null): Uint8Array | null | NTSTATUS {
    if (RemoteAddress !== null && RemoteAddress !== undefined) {
      return sockaddrToNetaddr(RemoteAddress, this.family, scratchAddr) ?? STATUS_INVALID_PARAMETER;
    }
    return this.sendtoAddress ?? this.remoteAddress ?? STATUS_INVALID_PARAMETER;
  }
}
