// Listening sockets (WSK_FLAG_LISTEN_SOCKET), reference §3.5, §4.4: WskBind binds and listens;
// WskAccept completes at once when a connection waits, else pends until one arrives;
// WskAcceptEvent delivers connections when no WskAccept waits; with SO_CONDITIONAL_ACCEPT,
// WskInspectEvent / WskAbortEvent / WskInspectComplete decide on each one first. The work lives
// in ListenRole, which a stream socket that commits to listening uses as well.
import { bindShared, isBoundShared, SHARE_NONE, SharingHolder, sharingControl, unbindShared } from '../socket/address-sharing';
import { CONNECTION_EVENTS, ConnectionSocket } from '../connection/connection-socket';
import { EventState, readEventControl } from '../socket/events';
import { IRP, irpComplete, irpPend, irpStart } from '../kernel/irp';
import { native, NativeSocket, NETADDR_SIZE, OS } from '../transport/native';
import { NTSTATUS, STATUS_CANCELLED, STATUS_INVALID_DEVICE_STATE, STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from '../kernel/ntstatus';
import { WskControlSocket } from '../socket/control';
import { PSOCKADDR, SOCKADDR_STORAGE } from '../net/sockaddr';
import { getAddressCall, SocketObject, socketArg, WskCloseSocket } from '../socket/socket';
import { isRefillable } from '../kernel/verifier';
import { SO_CONDITIONAL_ACCEPT, SO_RCVBUF, SOL_SOCKET } from '../net/ws2def';
import {
  PWSK_INSPECT_ID,
  PWSK_SOCKET,
  SO_WSK_EVENT_CALLBACK,
  WSK_CLIENT_CONNECTION_DISPATCH,
  WSK_CLIENT_LISTEN_DISPATCH,
  WSK_EVENT_ACCEPT,
  WSK_FLAG_LISTEN_SOCKET,
  WSK_INSPECT_ID,
  WSK_PROVIDER_LISTEN_DISPATCH,
  WskGetOption,
  WskInspectAccept,
  WskInspectPend,
  WskInspectReject,
  WskIoctl,
} from '../wsk/wsk';
import { ntStatusFromErrno } from '../transport/errno';
import { ControlRequest, ControlResult } from '../socket/control-request';

const LISTEN = 1 << WSK_FLAG_LISTEN_SOCKET;

export interface AcceptRequest {
  Irp: IRP;
  context: unknown;
  dispatch: WSK_CLIENT_CONNECTION_DISPATCH | null;
  local: PSOCKADDR | null;
  remote: PSOCKADDR | null;
}

/** A connection held by conditional accept until the client decides (WskInspectPend). */
interface Held {
  conn: ConnectionSocket;
  id: WSK_INSPECT_ID;
}

const { EAGAIN, EWOULDBLOCK, ECONNABORTED, EINTR, EPROTO } = native.errno;
/** A connection that died in the backlog, or a signal: try the next one. */
const RETRY = new Set([-ECONNABORTED, -EINTR, -(EPROTO ?? 71)]);
const remoteAddr = new Uint8Array(NETADDR_SIZE);
const peek = new Uint8Array(1);
let inspectSerial = 0;

export class ListenRole {
  listening = false;
  readonly acceptQueue: AcceptRequest[] = [];
  readonly events: EventState;
  /** SO_CONDITIONAL_ACCEPT, set before bind. */
  conditional = false;
  /** Connections inspected and accepted, waiting for a WskAccept or the accept event. */
  private readonly ready: ConnectionSocket[] = [];
  private readonly held: Held[] = [];

  private readonly cancelAccept = (irp: IRP): void => {
    const i = this.acceptQueue.findIndex((r) => r.Irp === irp);
    if (i >= 0) this.acceptQueue.splice(i, 1);
    this.s.pending.delete(irp);
    irpComplete(irp, STATUS_CANCELLED, 0);
    this.updateInterest();
  };

  constructor(
    readonly s: SocketObject,
    readonly dispatch: () => WSK_CLIENT_LISTEN_DISPATCH | null,
    staticMask: number,
  ) {
    this.events = new EventState(staticMask & (WSK_EVENT_ACCEPT | CONNECTION_EVENTS));
  }

  /** listen() on a bound socket: a WSK listening socket listens as soon as it is bound. */
  listen(): NTSTATUS {
    const rc = this.s.sock.listen(OS.SOMAXCONN);
    if (rc < 0) return ntStatusFromErrno(rc);
    this.listening = true;
    this.updateInterest();
    return STATUS_SUCCESS;
  }

  /** One waiting connection, null when none waits, or the failure status. */
  acceptOne(): NativeSocket | NTSTATUS | null {
    for (;;) {
      const c = this.s.sock.accept(remoteAddr);
      if (typeof c !== 'number') return c;
      if (c === -EAGAIN || c === -EWOULDBLOCK) return null;
      if (!RETRY.has(c)) return ntStatusFromErrno(c);
    }
  }

  private newConnection(c: NativeSocket, context: unknown, dispatch: unknown): ConnectionSocket {
    const conn = ConnectionSocket.accepted(this.s.client, this.s.family, context, dispatch, c);
    // Inherited from the listener as on Windows (the OS copies the buffer sizes themselves).
    const owner = this.s as SocketObject & { rcvbuf?: number };
    if (owner.rcvbuf !== undefined && owner.rcvbuf >= 0) conn.conn.rcvbuf = owner.rcvbuf;
    return conn;
  }

  /** Completes an accept request with a connection (or a failure status). */
  private finishAccept(req: AcceptRequest, c: NativeSocket | ConnectionSocket | NTSTATUS): NTSTATUS {
    if (typeof c === 'number') return this.s.complete(req.Irp, c, 0);
    let accepted: ConnectionSocket;
    if (c instanceof ConnectionSocket) {
      accepted = c;
      accepted.context = req.context;
      accepted.clientDispatch = req.dispatch;
    } else {
      accepted = this.newConnection(c, req.context, req.dispatch);
    }
    if (req.remote) accepted.queryAddress(true, req.remote);
    if (req.local) accepted.queryAddress(false, req.local);
    accepted.conn.connected();
    return this.s.complete(req.Irp, STATUS_SUCCESS, accepted);
  }

  private acceptEventOn(): boolean {
    const d = this.dispatch();
    return this.events.has(WSK_EVENT_ACCEPT) && d !== null && typeof d.WskAcceptEvent === 'function';
  }

  /**
   * WskAcceptEvent for one connection. STATUS_SUCCESS keeps it, with the context and dispatch
   * the callback returned and the connection events enabled on the listener; anything else
   * (STATUS_REQUEST_NOT_ACCEPTED) closes it.
   */
  private offer(conn: ConnectionSocket): void {
    const s = this.s;
    const d = this.dispatch()!;
    const local: SOCKADDR_STORAGE = {};
    const remote: SOCKADDR_STORAGE = {};
    conn.queryAddress(false, local as PSOCKADDR);
    conn.queryAddress(true, remote as PSOCKADDR);
    const outContext: { 0: unknown } = { 0: null };
    const outDispatch: { 0: WSK_CLIENT_CONNECTION_DISPATCH | null } = { 0: null };
    this.events.enter(WSK_EVENT_ACCEPT);
    let status: NTSTATUS;
    try {
      status = d.WskAcceptEvent!(s.context, 0, local as PSOCKADDR, remote as PSOCKADDR, conn, outContext, outDispatch);
    } catch (e) {
      if (!conn.closed) conn.closeQuietly();
      throw e;
    } finally {
      this.events.leave(s, WSK_EVENT_ACCEPT);
    }
    if (status !== STATUS_SUCCESS) {
      // STATUS_REQUEST_NOT_ACCEPTED: WSK closes the new socket (the peer sees a reset).
      if (!conn.closed) conn.closeQuietly();
      return;
    }
    if (conn.closed) return;
    conn.context = outContext[0];
    conn.clientDispatch = outDispatch[0] ?? null;
    // Connection events enabled on the listener are enabled on sockets it delivers this way.
    conn.conn.events.enabled |= this.events.enabled & CONNECTION_EVENTS;
    conn.conn.connected();
    if (conn.conn.events.enabled & CONNECTION_EVENTS) conn.conn.schedule();
  }

  /** Serves accept IRPs, then the accept event, from every connection ready now. */
  drain(): void {
    const s = this.s;
    for (let rounds = 0; rounds < 256 && !s.closed && this.listening; rounds++) {
      if (this.ready.length > 0) {
        if (this.acceptQueue.length > 0) {
          this.finishAccept(this.acceptQueue.shift()!, this.ready.shift()!);
          continue;
        }
        if (this.acceptEventOn()) {
          this.offer(this.ready.shift()!);
          continue;
        }
        if (!this.conditional) break;
      }
      if (!this.conditional && this.acceptQueue.length === 0 && !this.acceptEventOn()) break;
      const c = this.acceptOne();
      if (c === null) break;
      if (typeof c === 'number') {
        if (this.acceptQueue.length > 0) this.finishAccept(this.acceptQueue.shift()!, c);
        else break;
        continue;
      }
      if (this.conditional) {
        this.inspect(this.newConnection(c, null, null));
        continue;
      }
      if (this.acceptQueue.length > 0) this.finishAccept(this.acceptQueue.shift()!, c);
      else this.offer(this.newConnection(c, null, null));
    }
    this.updateInterest();
  }

  // ---- conditional accept ----

  /**
   * The OS completes the handshake before user space sees a connection, so inspection runs on
   * an accepted connection before it is delivered: Reject resets it, Accept delivers it, Pend
   * holds it until WskInspectComplete (and a reset meanwhile gives WskAbortEvent).
   */
  private inspect(conn: ConnectionSocket): void {
    const s = this.s;
    const d = this.dispatch();
    const id: WSK_INSPECT_ID = { Key: 0x1000 + (++inspectSerial % 0x7fffffff), SerialNumber: inspectSerial };
    conn.inspectId = { Key: id.Key, SerialNumber: id.SerialNumber };
    if (!d || typeof d.WskInspectEvent !== 'function') {
      this.ready.push(conn);
      return;
    }
    const local: SOCKADDR_STORAGE = {};
    const remote: SOCKADDR_STORAGE = {};
    conn.queryAddress(false, local as PSOCKADDR);
    conn.queryAddress(true, remote as PSOCKADDR);
    const action = d.WskInspectEvent(s.context, local as PSOCKADDR, remote as PSOCKADDR, { Key: id.Key, SerialNumber: id.SerialNumber });
    if (action === WskInspectAccept) this.ready.push(conn);
    else if (action === WskInspectPend) {
      this.held.push({ conn, id });
      conn.heldBy = this;
      conn.setInterest(true, false);
    } else {
      // WskInspectReject (anything that is not a WSK_INSPECT_ACTION is treated as one).
      conn.closeQuietly();
    }
  }

  /** A held connection became readable: a reset before the decision aborts it. */
  onHeldPoll(conn: ConnectionSocket): void {
    const n = conn.sock.recv(peek, 0, 1, OS.MSG_PEEK);
    if (n >= 0 || n === -EAGAIN || n === -EWOULDBLOCK) {
      conn.setInterest(false, false);
      return;
    }
    const i = this.held.findIndex((h) => h.conn === conn);
    if (i < 0) return;
    const { id } = this.held.splice(i, 1)[0];
    conn.closeQuietly();
    const d = this.dispatch();
    if (d && typeof d.WskAbortEvent === 'function') d.WskAbortEvent(this.s.context, { Key: id.Key, SerialNumber: id.SerialNumber });
  }

  inspectComplete(InspectID: PWSK_INSPECT_ID, Action: number): NTSTATUS {
    if (!this.conditional) return STATUS_INVALID_DEVICE_STATE;
    if (Action !== WskInspectAccept && Action !== WskInspectReject) return STATUS_INVALID_PARAMETER;
    if (InspectID === null || typeof InspectID !== 'object') return STATUS_INVALID_PARAMETER;
    const i = this.held.findIndex((h) => h.id.Key === InspectID.Key && h.id.SerialNumber === InspectID.SerialNumber);
    if (i < 0) return STATUS_INVALID_PARAMETER;
    const { conn } = this.held.splice(i, 1)[0];
    conn.heldBy = null;
    conn.setInterest(false, false);
    if (Action === WskInspectReject) {
      conn.closeQuietly();
      return STATUS_SUCCESS;
    }
    this.ready.push(conn);
    setImmediate(() => {
      if (!this.s.closed) this.drain();
    });
    return STATUS_SUCCESS;
  }

  // ---- accept ----

  accept(req: AcceptRequest): NTSTATUS {
    if (!this.listening) return this.s.complete(req.Irp, STATUS_INVALID_DEVICE_STATE, 0);
    if (this.acceptQueue.length === 0) {
      if (this.ready.length > 0) return this.finishAccept(req, this.ready.shift()!);
      if (!this.conditional) {
        const c = this.acceptOne();
        if (c !== null) return this.finishAccept(req, c);
      }
    }
    const refused = this.s.closedDuringCall(req.Irp);
    if (refused !== null) return refused;
    this.acceptQueue.push(req);
    this.s.pending.add(req.Irp);
    const status = irpPend(req.Irp, this.cancelAccept);
    this.updateInterest();
    return status;
  }

  updateInterest(): void {
    const read = this.listening && (this.acceptQueue.length > 0 || this.acceptEventOn() || this.conditional);
    this.s.setInterest(read, false);
  }

  control(req: ControlRequest): ControlResult | undefined {
    if (req.Level === SOL_SOCKET && req.ControlCode === SO_WSK_EVENT_CALLBACK && req.RequestType !== WskIoctl) {
      const ctl = readEventControl(req, WSK_EVENT_ACCEPT | CONNECTION_EVENTS);
      if (typeof ctl === 'number') return { status: ctl };
      if (!this.listening) return { status: STATUS_INVALID_DEVICE_STATE };
      const d = this.dispatch();
      const result = this.events.apply(this.s, req, ctl, (bit) => bit !== WSK_EVENT_ACCEPT || (!!d && typeof d.WskAcceptEvent === 'function'));
      // Connection events enabled on a listener can never be disabled there (reference §4.4).
      if (result.status === STATUS_SUCCESS && !ctl.disable) this.events.locked |= ctl.mask & CONNECTION_EVENTS;
      this.updateInterest();
      return result;
    }
    if (req.Level === SOL_SOCKET && req.ControlCode === SO_CONDITIONAL_ACCEPT && req.RequestType !== WskIoctl) {
      if (!req.Irp) return { status: STATUS_INVALID_PARAMETER };
      if (req.RequestType === WskGetOption) {
        if (!req.output || req.output.byteLength < 4) return { status: STATUS_INVALID_PARAMETER };
        new DataView(req.output.buffer, req.output.byteOffset, 4).setUint32(0, this.conditional ? 1 : 0, true);
        return { status: STATUS_SUCCESS, bytes: 4 };
      }
      if (!req.input || req.input.byteLength < 4) return { status: STATUS_INVALID_PARAMETER };
      // Set before bind; once on it stays on (reference §4.4).
      const on = new DataView(req.input.buffer, req.input.byteOffset, 4).getUint32(0, true) !== 0;
      if (isBoundShared(this.s) || this.listening) return { status: STATUS_INVALID_PARAMETER };
      this.conditional = on;
      return { status: STATUS_SUCCESS };
    }
    return undefined;
  }

  /** Connections held or waiting for delivery go with the listener. */
  beforeClose(): void {
    for (const c of this.ready.splice(0)) if (!c.closed) c.closeQuietly();
    for (const h of this.held.splice(0)) if (!h.conn.closed) h.conn.closeQuietly();
  }
}

export class ListenSocket extends SocketObject implements SharingHolder {
  // On the prototype, not in every socket (memory per connection, bench C idle).
  get category(): number { return WSK_FLAG_LISTEN_SOCKET; }
  get Dispatch(): WSK_PROVIDER_LISTEN_DISPATCH { return WSK_PROVIDER_LISTEN_DISPATCH_TABLE; }
  readonly role: ListenRole;
  shareOption = SHARE_NONE;
  /** SO_RCVBUF as the client set it, inherited by accepted sockets. */
  rcvbuf = -1;

  constructor(...args: ConstructorParameters<typeof SocketObject>) {
    super(...args);
    this.role = new ListenRole(this, () => this.clientDispatch as WSK_CLIENT_LISTEN_DISPATCH | null, this.client.staticEventMask);
  }

  get listening(): boolean {
    return this.role.listening;
  }

  get isBound(): boolean {
    return isBoundShared(this);
  }

  override hasAddress(remote: boolean): boolean {
    return !remote && this.role.listening;
  }

  override onPoll(): void {
    this.role.drain();
  }

  override control(req: ControlRequest): ControlResult | undefined {
    const own = sharingControl(this, req) ?? this.role.control(req);
    if (own) return own;
    if (req.Level === SOL_SOCKET && req.ControlCode === SO_RCVBUF && req.RequestType !== WskIoctl) {
      if (!req.Irp) return { status: STATUS_INVALID_PARAMETER };
      if (req.RequestType === WskGetOption && this.rcvbuf >= 0 && req.output && req.output.byteLength >= 4) {
        new DataView(req.output.buffer, req.output.byteOffset, 4).setUint32(0, this.rcvbuf, true);
        return { status: STATUS_SUCCESS, bytes: 4 };
      }
      if (req.RequestType !== WskGetOption && req.input && req.input.byteLength >= 4) {
        const rc = this.sock.setsockopt(OS.SOL_SOCKET, OS.SO_RCVBUF, req.input.subarray(0, 4));
        if (rc < 0) return { status: ntStatusFromErrno(rc) };
        this.rcvbuf = new DataView(req.input.buffer, req.input.byteOffset, 4).getUint32(0, true);
        return { status: STATUS_SUCCESS };
      }
    }
    return undefined;
  }

  protected override beforeClose(): void {
    this.role.beforeClose();
    unbindShared(this);
  }
}

export function WskAccept(
  ListenSocket: PWSK_SOCKET,
  Flags: number,
  AcceptSocketContext: unknown,
  AcceptSocketDispatch: WSK_CLIENT_CONNECTION_DISPATCH | null,
  LocalAddress: PSOCKADDR | null,
  RemoteAddress: PSOCKADDR | null,
  Irp: IRP | null,
): NTSTATUS {
  const s = socketArg<ListenSocket>(ListenSocket, LISTEN, 'WskAccept');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskAccept');
  return acceptOn(s, s.role, Flags, AcceptSocketContext, AcceptSocketDispatch, LocalAddress, RemoteAddress, Irp);
}

/** WskAccept's work once the socket and IRP are checked (shared with the stream table). */
export function acceptOn(
  s: SocketObject,
  role: ListenRole | null,
  Flags: number,
  AcceptSocketContext: unknown,
  AcceptSocketDispatch: WSK_CLIENT_CONNECTION_DISPATCH | null,
  LocalAddress: PSOCKADDR | null,
  RemoteAddress: PSOCKADDR | null,
  Irp: IRP,
): NTSTATUS {
  if (Flags !== 0) return s.complete(Irp, STATUS_INVALID_PARAMETER, 0);
  // Filled when a connection comes, maybe later on the event loop: checked now.
  const fillable = (a: PSOCKADDR | null) => a === null || a === undefined || isRefillable(a);
  if (!fillable(LocalAddress) || !fillable(RemoteAddress)) return s.complete(Irp, STATUS_INVALID_PARAMETER, 0);
  if (!role) return s.complete(Irp, STATUS_INVALID_DEVICE_STATE, 0);
  return role.accept({
    Irp,
    context: AcceptSocketContext,
    dispatch: AcceptSocketDispatch ?? null,
    local: LocalAddress ?? null,
    remote: RemoteAddress ?? null,
  });
}

export function WskBind(Socket: PWSK_SOCKET, LocalAddress: PSOCKADDR, Flags: number, Irp: IRP | null): NTSTATUS {
  const s = socketArg<ListenSocket>(Socket, LISTEN, 'WskBind');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskBind');
  if (s.listening || isBoundShared(s)) return s.complete(Irp, STATUS_INVALID_DEVICE_STATE, 0);
  let status = bindShared(s, LocalAddress, Flags, s.shareOption);
  if (status === STATUS_SUCCESS) {
    status = s.role.listen();
    if (status !== STATUS_SUCCESS) unbindShared(s);
  }
  return s.complete(Irp, status, 0);
}

export function WskInspectComplete(ListenSocket: PWSK_SOCKET, InspectID: PWSK_INSPECT_ID, Action: number, Irp: IRP | null): NTSTATUS {
  const s = socketArg<ListenSocket>(ListenSocket, LISTEN, 'WskInspectComplete');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskInspectComplete');
  return s.complete(Irp, s.role.inspectComplete(InspectID, Action), 0);
}

export const WSK_PROVIDER_LISTEN_DISPATCH_TABLE: WSK_PROVIDER_LISTEN_DISPATCH = Object.freeze({
  WskControlSocket,
  WskCloseSocket,
  WskBind,
  WskAccept,
  WskInspectComplete,
  WskGetLocalAddress: (Socket: PWSK_SOCKET, LocalAddress: PSOCKADDR, Irp: IRP | null) =>
    getAddressCall(Socket, LISTEN, false, LocalAddress, Irp, 'WskGetLocalAddress'),
});

