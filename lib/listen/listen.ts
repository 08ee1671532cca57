// What a listening socket does, hosted by a listening socket or by a stream socket committed
// to listening: WskAccept completes at once when a connection waits, else pends until one
// arrives; WskAcceptEvent offers connections when no WskAccept waits; with
// SO_CONDITIONAL_ACCEPT every connection is inspected first (conditional-accept.ts).
import { forEachSettled, IRP, irpComplete, irpPend } from '../kernel/irp';
import { NTSTATUS, STATUS_CANCELLED, STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from '../kernel/ntstatus';
import { eventChannel, traceEvent } from '../kernel/trace';
import type { PSOCKADDR, SOCKADDR_STORAGE } from '../net/sockaddr';
import { SO_CONDITIONAL_ACCEPT, SOL_SOCKET } from '../net/ws2def';
import { connected } from '../connection/connect';
import { CONNECTION_EVENTS } from '../connection/connection';
import { ConnectionSocket } from '../connection/connection-socket';
import { isBoundShared } from '../socket/address-sharing';
import { ControlRequest, ControlResult, intOptionResult, readIntOption } from '../socket/control-request';
import { EventState, readEventControl } from '../socket/events';
import { defer, Deferred } from '../socket/scheduler';
import type { SocketObject } from '../socket/socket';
import { ntStatusFromErrno } from '../transport/errno';
import { addon, native, NETADDR_SIZE, OS } from '../transport/native';
import { SO_WSK_EVENT_CALLBACK, WSK_EVENT_ACCEPT, WskGetOption, WskIoctl } from '../wsk/wsk-base';
import { WSK_CLIENT_CONNECTION_DISPATCH, WSK_CLIENT_LISTEN_DISPATCH } from '../wsk/wsk-dispatch';
import { ConditionalAccept, InspectingListener } from './conditional-accept';
import { FAILED, FRESH, LISTENING, ListenState, listenRule, WSK_ACCEPT, WSK_EVENTS } from './listen-state';

/** The socket that hosts the listening role. */
export interface ListenHost extends SocketObject {
  /** The client's listen callbacks (a stream socket's are its dispatch's Listen member). */
  listenDispatch(): WSK_CLIENT_LISTEN_DISPATCH | null;
  /** SO_RCVBUF as the client set it on the listener (-1: never), inherited by accepted sockets. */
  readonly rcvbuf?: number;
}

export interface AcceptRequest {
  Irp: IRP;
  context: unknown;
  dispatch: WSK_CLIENT_CONNECTION_DISPATCH | null;
  local: PSOCKADDR | null;
  remote: PSOCKADDR | null;
}

const { EAGAIN, EWOULDBLOCK, ECONNABORTED, EINTR, EPROTO } = native.errno;
/** A connection that died in the backlog, or a signal: try the next one. */
const RETRY = new Set([-ECONNABORTED, -EINTR, -(EPROTO ?? 71)]);
const remoteAddr = new Uint8Array(NETADDR_SIZE);

export class Listener implements Deferred, InspectingListener {
  state: ListenState = FRESH;
  readonly acceptQueue: AcceptRequest[] = [];
  readonly events: EventState;
  /** SO_CONDITIONAL_ACCEPT (set before bind): every new connection is inspected first. */
  conditional: ConditionalAccept | null = null;
  /** Connections inspected and accepted, waiting for a WskAccept or the accept event. */
  readonly ready: ConnectionSocket[] = [];
  /** On the scheduler's queue (scheduleDrain). */
  private drainDue = false;
  /** FAILED: the status the listener failed with; and whether WskAcceptEvent was told. */
  failure: NTSTATUS = STATUS_SUCCESS;
  private deadSignalled = false;

  private readonly cancelAccept = (irp: IRP): void => {
    const i = this.acceptQueue.findIndex((r) => r.Irp === irp);
    if (i >= 0) this.acceptQueue.splice(i, 1);
    this.s.pending.delete(irp);
    irpComplete(irp, STATUS_CANCELLED, 0);
    this.updateInterest();
  };

  constructor(
    readonly s: ListenHost,
    staticMask: number,
  ) {
    this.events = new EventState(staticMask & (WSK_EVENT_ACCEPT | CONNECTION_EVENTS));
  }

  dispatch(): WSK_CLIENT_LISTEN_DISPATCH | null {
    return this.s.listenDispatch();
  }

  get listening(): boolean {
    return this.state === LISTENING;
  }

  /** listen() on a bound socket: a WSK listening socket listens as soon as it is bound. */
  listen(): NTSTATUS {
    const rc = addon.listen(this.s.id, OS.SOMAXCONN);
    if (rc < 0) return ntStatusFromErrno(rc);
    this.state = LISTENING;
    this.updateInterest();
    return STATUS_SUCCESS;
  }

  /** One waiting connection's transport id, null when none waits, or the failure. */
  acceptOne(): number | { failure: NTSTATUS } | null {
    for (;;) {
      const c = addon.accept(this.s.id, remoteAddr);
      if (c >= 0) return c;
      if (c === -EAGAIN || c === -EWOULDBLOCK) return null;
      if (!RETRY.has(c)) return { failure: ntStatusFromErrno(c) };
    }
  }

  newConnection(c: number, context: unknown, dispatch: unknown): ConnectionSocket {
    const conn = ConnectionSocket.accepted(this.s.client, this.s.family, context, dispatch, c);
    // Inherited from the listener as on Windows (the OS copies the buffer sizes themselves).
    const rcvbuf = this.s.rcvbuf;
    if (rcvbuf !== undefined && rcvbuf >= 0) conn.conn.rcvbuf = rcvbuf;
    return conn;
  }

  /** Completes an accept request with a connection. */
  private finishAccept(req: AcceptRequest, c: number | ConnectionSocket): NTSTATUS {
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
    connected(accepted.conn);
    return irpComplete(req.Irp, STATUS_SUCCESS, accepted);
  }

  acceptEventOn(): boolean {
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
    if (eventChannel.hasSubscribers) traceEvent(s, 'WskAcceptEvent', remote, conn);
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
    connected(conn.conn);
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
      if (typeof c === 'object') {
        this.fail(c.failure);
        break;
      }
      if (this.conditional !== null) {
        this.conditional.inspect(this.newConnection(c, null, null));
        continue;
      }
      if (this.acceptQueue.length > 0) this.finishAccept(this.acceptQueue.shift()!, c);
      else this.offer(this.newConnection(c, null, null));
    }
    this.updateInterest();
  }

  /** Delivers what WskInspectComplete made ready, from the event loop. */
  scheduleDrain(): void {
    if (this.drainDue) return;
    this.drainDue = true;
    defer(this);
  }

  runDeferred(): void {
    this.drainDue = false;
    if (this.s.closed) return;
    if (this.state === FAILED) this.signalDead();
    else this.drain();
  }

  /**
   * The listener can no longer accept: accept(2) failed with something other than a connection
   * that died in the backlog (EMFILE, ENFILE, ENOBUFS, ENOMEM...). Every pending WskAccept
   * completes with the failure, later ones too (listen-state.ts), readiness stops (a
   * level-triggered listener would report the waiting connection forever), and WskAcceptEvent
   * hears of it from the event loop with a NULL AcceptSocket, which wsk.h documents as "no
   * longer functional: close it" (Microsoft's echosrv then makes a new listener).
   */
  private fail(status: NTSTATUS): void {
    this.state = FAILED;
    this.failure = status;
    const pending = this.acceptQueue.splice(0);
    this.updateInterest();
    this.scheduleDrain();
    forEachSettled(pending, (req) => irpComplete(req.Irp, status, 0));
  }

  private signalDead(): void {
    if (this.deadSignalled || !this.acceptEventOn()) return;
    this.deadSignalled = true;
    const s = this.s;
    this.events.enter(WSK_EVENT_ACCEPT);
    try {
      this.dispatch()!.WskAcceptEvent!(s.context, 0, null, null, null, { 0: null }, { 0: null });
    } finally {
      this.events.leave(s, WSK_EVENT_ACCEPT);
    }
  }

  accept(req: AcceptRequest): NTSTATUS {
    const refused = listenRule(WSK_ACCEPT, this.state, this.failure);
    if (refused !== STATUS_SUCCESS) return irpComplete(req.Irp, refused, 0);
    if (this.acceptQueue.length === 0) {
      if (this.ready.length > 0) return this.finishAccept(req, this.ready.shift()!);
      if (!this.conditional) {
        const c = this.acceptOne();
        if (c !== null && typeof c === 'object') {
          this.fail(c.failure);
          return irpComplete(req.Irp, c.failure, 0);
        }
        if (c !== null) return this.finishAccept(req, c);
      }
    }
    const closed = this.s.closedDuringCall(req.Irp);
    if (closed !== null) return closed;
    this.acceptQueue.push(req);
    this.s.pending.add(req.Irp);
    const status = irpPend(req.Irp, this.cancelAccept);
    this.updateInterest();
    return status;
  }

  updateInterest(): void {
    const read = this.listening && (this.acceptQueue.length > 0 || this.acceptEventOn() || this.conditional !== null);
    this.s.setInterest(read, false);
  }

  control(req: ControlRequest): ControlResult | undefined {
    if (req.Level === SOL_SOCKET && req.ControlCode === SO_WSK_EVENT_CALLBACK && req.RequestType !== WskIoctl) {
      const ctl = readEventControl(req, WSK_EVENT_ACCEPT | CONNECTION_EVENTS);
      if (typeof ctl === 'number') return { status: ctl };
      const refused = listenRule(WSK_EVENTS, this.state);
      if (refused !== STATUS_SUCCESS) return { status: refused };
      const d = this.dispatch();
      const result = this.events.apply(this.s, req, ctl, (bit) => bit !== WSK_EVENT_ACCEPT || (!!d && typeof d.WskAcceptEvent === 'function'));
      // Connection events enabled on a listener can never be disabled there (https://learn.microsoft.com/windows-hardware/drivers/network/enabling-and-disabling-event-callback-functions).
      if (result.status === STATUS_SUCCESS && !ctl.disable) this.events.locked |= ctl.mask & CONNECTION_EVENTS;
      this.updateInterest();
      return result;
    }
    if (req.Level === SOL_SOCKET && req.ControlCode === SO_CONDITIONAL_ACCEPT && req.RequestType !== WskIoctl) {
      return this.conditionalAcceptOption(req);
    }
    return undefined;
  }

  /** SO_CONDITIONAL_ACCEPT: set before bind; once on it stays on (https://learn.microsoft.com/windows-hardware/drivers/network/so-conditional-accept). */
  private conditionalAcceptOption(req: ControlRequest): ControlResult {
    if (!req.Irp) return { status: STATUS_INVALID_PARAMETER };
    if (req.RequestType === WskGetOption) {
      return intOptionResult(req, this.conditional !== null ? 1 : 0);
    }
    const value = readIntOption(req.input);
    if (value === null) return { status: STATUS_INVALID_PARAMETER };
    const on = value !== 0;
    if (isBoundShared(this.s) || this.listening) return { status: STATUS_INVALID_PARAMETER };
    if (on) this.conditional ??= new ConditionalAccept(this);
    else this.conditional = null;
    return { status: STATUS_SUCCESS };
  }

  /** Connections held or waiting for delivery go with the listener. */
  beforeClose(): void {
    for (const c of this.ready.splice(0)) if (!c.closed) c.closeQuietly();
    this.conditional?.closeAll();
  }
}
