// Conditional accept (SO_CONDITIONAL_ACCEPT, https://learn.microsoft.com/windows-hardware/drivers/network/so-conditional-accept): WskInspectEvent decides on each
// connection before it is delivered. The OS completes the handshake before user space sees a
// connection, so inspection runs on an accepted connection: Reject resets it, Accept delivers
// it, Pend holds it until WskInspectComplete, and a reset meanwhile gives WskAbortEvent.
import { NTSTATUS, STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from '../kernel/ntstatus';
import { eventChannel, traceEvent, traceEventEnd } from '../kernel/trace';
import type { PSOCKADDR, SOCKADDR_STORAGE } from '../net/sockaddr';
import type { ConnectionSocket } from '../connection/connection-socket';
import { addon, native, OS } from '../transport/native';
import { PWSK_INSPECT_ID, WSK_INSPECT_ID, WskInspectAccept, WskInspectPend, WskInspectReject } from '../wsk/wsk-base';
import { WSK_CLIENT_LISTEN_DISPATCH } from '../wsk/wsk-dispatch';

/** What conditional accept needs of its listener. */
export interface InspectingListener {
  readonly s: { readonly context: unknown; readonly closed: boolean };
  dispatch(): WSK_CLIENT_LISTEN_DISPATCH | null;
  /** Connections accepted by inspection, waiting for a WskAccept or the accept event. */
  readonly ready: ConnectionSocket[];
  /** Delivers what became ready, from the event loop. */
  scheduleDrain(): void;
}

/** A connection held by WskInspectPend until WskInspectComplete. */
interface Held {
  conn: ConnectionSocket;
  id: WSK_INSPECT_ID;
}

const { EAGAIN, EWOULDBLOCK } = native.errno;
const peek = new Uint8Array(1);
let inspectSerial = 0;

export class ConditionalAccept {
  private readonly held: Held[] = [];

  constructor(private readonly listener: InspectingListener) {}

  /** A new connection: WskInspectEvent says what becomes of it. */
  inspect(conn: ConnectionSocket): void {
    const l = this.listener;
    const d = l.dispatch();
    const id: WSK_INSPECT_ID = { Key: 0x1000 + (++inspectSerial % 0x7fffffff), SerialNumber: inspectSerial };
    conn.inspectId = { Key: id.Key, SerialNumber: id.SerialNumber };
    if (!d || typeof d.WskInspectEvent !== 'function') {
      l.ready.push(conn);
      return;
    }
    const local: SOCKADDR_STORAGE = {};
    const remote: SOCKADDR_STORAGE = {};
    conn.queryAddress(false, local as PSOCKADDR);
    conn.queryAddress(true, remote as PSOCKADDR);
    if (eventChannel.hasSubscribers) traceEvent(l.s, 'WskInspectEvent', remote, id);
    let action: unknown;
    try {
      action = d.WskInspectEvent(l.s.context, local as PSOCKADDR, remote as PSOCKADDR, { Key: id.Key, SerialNumber: id.SerialNumber });
    } catch (e) {
      // A handler that throws decided nothing (the exception goes on, a bugcheck): the connection
      // is rejected as for any answer that is no WSK_INSPECT_ACTION, not left open, owned by no one.
      conn.closeQuietly();
      throw e;
    } finally {
      if (eventChannel.hasSubscribers) traceEventEnd(l.s, 'WskInspectEvent');
    }
    if (l.s.closed) {
      // The handler closed the listener (legal from an event): whatever it answered, the
      // connection goes with it, as the held and ready ones did when it closed.
      conn.closeQuietly();
      return;
    }
    if (action === WskInspectAccept) l.ready.push(conn);
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
    const n = addon.recv(conn.id, peek, 0, 1, OS.MSG_PEEK);
    if (n >= 0 || n === -EAGAIN || n === -EWOULDBLOCK) {
      conn.setInterest(false, false);
      return;
    }
    const i = this.held.findIndex((h) => h.conn === conn);
    if (i < 0) return;
    const { id } = this.held.splice(i, 1)[0];
    conn.closeQuietly();
    const d = this.listener.dispatch();
    if (d && typeof d.WskAbortEvent === 'function') {
      if (eventChannel.hasSubscribers) traceEvent(this.listener.s, 'WskAbortEvent', id);
      d.WskAbortEvent(this.listener.s.context, { Key: id.Key, SerialNumber: id.SerialNumber });
    }
  }

  /** WskInspectComplete's decision on a held connection. */
  complete(InspectID: PWSK_INSPECT_ID, Action: number): NTSTATUS {
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
    this.listener.ready.push(conn);
    this.listener.scheduleDrain();
    return STATUS_SUCCESS;
  }

  /** Held connections go with the listener. */
  closeAll(): void {
    for (const h of this.held.splice(0)) if (!h.conn.closed) h.conn.closeQuietly();
  }
}
