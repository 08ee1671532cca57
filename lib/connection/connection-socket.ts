// Connection-oriented sockets (WSK_FLAG_CONNECTION_SOCKET), https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_provider_connection_dispatch: the socket
// object and its provider table. Accepted sockets are of this category. What a connection does
// lives in the files beside this one (connection.ts lists the state; connection-state.ts the
// rules); a stream socket committed to a connection runs the same code (stream/stream-socket.ts).
//
// Hot path: WskSend and WskReceive try the OS call first and complete inline when it is enough;
// only what is left pends, in FIFO order, with POLL_WRITABLE / POLL_READABLE armed for it. A
// readiness event serves queued IRPs until EAGAIN or until they are satisfied.
import { IRP, irpAllocateInternal, irpComplete, irpStart } from '../kernel/irp';
import type { WSK_BUF } from '../kernel/mdl';
import { NTSTATUS, STATUS_INVALID_DEVICE_REQUEST, STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from '../kernel/ntstatus';
import { isWritableSlot, violation } from '../kernel/verifier';
import type { PSOCKADDR } from '../net/sockaddr';
import { IPPROTO_TCP, SOCK_STREAM } from '../net/ws2def';
import { isBoundShared, SHARE_NONE, SharingHolder, sharingControl, unbindShared } from '../socket/address-sharing';
import { WSK_PROVIDER_BASIC_VIEW, WskControlSocket } from '../socket/control';
import type { ControlRequest, ControlResult } from '../socket/control-request';
import { getAddressCall, SocketObject, socketArg, WskCloseSocket } from '../socket/socket';
import type { ClientState } from '../wsk/client';
import type { PCMSGHDR } from '../net/cmsg';
import { PULONG, PWSK_DATA_INDICATION, SIO_WSK_QUERY_INSPECT_ID, WSK_FLAG_CONNECTION_SOCKET, WSK_INSPECT_ID, WskIoctl } from '../wsk/wsk-base';
import { PWSK_SOCKET, WSK_CLIENT_CONNECTION_DISPATCH, WSK_PROVIDER_CONNECTION_DISPATCH } from '../wsk/wsk-dispatch';
import { connectionBind, connectionConnect } from './connect';
import { connectExFirstSend, connectionSendEx, receiveExOutputs } from './ex';
import { Connection, ConnectionHost } from './connection';
import { connectionControl } from './connection-control';
import { CONNECTED, connectionRule, FRESH, WSK_GET_LOCAL_ADDRESS, WSK_GET_REMOTE_ADDRESS } from './connection-state';
import { onConnectionPoll } from './readiness';
import { connectionReceive } from './receive';
import { releaseIndication, runDeferredDelivery } from './receive-events';
import { connectionDisconnect, connectionSend } from './send';

const CONNECTION = 1 << WSK_FLAG_CONNECTION_SOCKET;

export class ConnectionSocket extends SocketObject implements ConnectionHost, SharingHolder {
  // On the prototype, not in every socket (memory per connection, bench C idle).
  get category(): number { return WSK_FLAG_CONNECTION_SOCKET; }
  get Dispatch(): WSK_PROVIDER_CONNECTION_DISPATCH { return WSK_PROVIDER_CONNECTION_DISPATCH_TABLE; }
  readonly conn: Connection;
  shareOption = SHARE_NONE;
  /** Set on sockets accepted from a conditional-accept listener (SIO_WSK_QUERY_INSPECT_ID). */
  inspectId: { Key: number; SerialNumber: number } | null = null;
  /** A conditional-accept listener holding this connection until WskInspectComplete. */
  heldBy: { onHeldPoll(conn: ConnectionSocket): void } | null = null;

  constructor(...args: ConstructorParameters<typeof SocketObject>) {
    super(...args);
    this.conn = new Connection(this, this.client.staticEventMask);
  }

  /** For the listener: an accepted connection is connected from the start. */
  static accepted(client: ClientState, family: number, context: unknown, dispatch: unknown, id: number): ConnectionSocket {
    const c = new ConnectionSocket(client, family, SOCK_STREAM, IPPROTO_TCP, context, dispatch, id);
    c.conn.state = CONNECTED;
    c.conn.connectedMs = Math.floor(performance.now());
    return c;
  }

  override connectedMs(): number {
    return this.conn.connectedMs;
  }

  get isBound(): boolean {
    return this.conn.state !== FRESH || isBoundShared(this);
  }

  connectionDispatch(): WSK_CLIENT_CONNECTION_DISPATCH | null {
    return this.clientDispatch as WSK_CLIENT_CONNECTION_DISPATCH | null;
  }

  connectFailed(): void {}

  runDeferred(): void {
    runDeferredDelivery(this.conn);
  }

  override hasAddress(remote: boolean): boolean {
    return connectionRule(remote ? WSK_GET_REMOTE_ADDRESS : WSK_GET_LOCAL_ADDRESS, this.conn.state, this.conn.failure) === STATUS_SUCCESS;
  }

  override onPoll(events: number, status: number, received: number): void {
    if (this.heldBy) this.heldBy.onHeldPoll(this);
    else onConnectionPoll(this.conn, events, received);
  }

  override control(req: ControlRequest): ControlResult | undefined {
    return sharingControl(this, req) ?? queryInspectId(this, req) ?? connectionControl(this.conn, req);
  }

  override close(Irp: IRP): NTSTATUS {
    checkRetained(this.conn);
    return super.close(Irp);
  }

  protected override beforeClose(): void {
    this.conn.beforeClose();
    unbindShared(this);
  }

  /** Closes without a client IRP (a declined or rejected connection, a failed WskSocketConnect). */
  closeQuietly(): void {
    super.close(irpAllocateInternal());
  }
}

/** SIO_WSK_QUERY_INSPECT_ID on a socket accepted from a conditional-accept listener (no IRP). */
function queryInspectId(conn: ConnectionSocket, req: ControlRequest): ControlResult | undefined {
  if (req.RequestType !== WskIoctl || req.ControlCode !== SIO_WSK_QUERY_INSPECT_ID) return undefined;
  if (req.Irp) return { status: STATUS_INVALID_PARAMETER };
  if (!conn.inspectId) return { status: STATUS_INVALID_DEVICE_REQUEST };
  const out = req.outputObject as WSK_INSPECT_ID | null;
  if (!out || typeof out !== 'object' || ArrayBuffer.isView(out) || !isWritableSlot(out, 'Key') || !isWritableSlot(out, 'SerialNumber')) {
    return { status: STATUS_INVALID_PARAMETER };
  }
  out.Key = conn.inspectId.Key;
  out.SerialNumber = conn.inspectId.SerialNumber;
  return { status: STATUS_SUCCESS, bytes: 16 };
}

/** WskCloseSocket with indication lists still retained is what would leak in the kernel. */
export function checkRetained(conn: Connection | null): void {
  if (conn && conn.retainedCount > 0) {
    violation(
      'RETAINED_INDICATIONS_AT_CLOSE',
      'WskCloseSocket',
      `${conn.retainedCount} data indication list(s) retained by WskReceiveEvent (STATUS_PENDING) were not given back with WskRelease`,
    );
  }
}

// ---- the provider table (WSK_PROVIDER_CONNECTION_DISPATCH) ----

function connectionArg(Socket: PWSK_SOCKET, where: string): ConnectionSocket {
  return socketArg<ConnectionSocket>(Socket, CONNECTION, where);
}

export function WskBind(Socket: PWSK_SOCKET, LocalAddress: PSOCKADDR, Flags: number, Irp: IRP | null): NTSTATUS {
  const s = connectionArg(Socket, 'WskBind');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskBind', LocalAddress, Flags);
  return irpComplete(Irp, connectionBind(s.conn, LocalAddress, Flags, s.shareOption), 0);
}

export function WskConnect(Socket: PWSK_SOCKET, RemoteAddress: PSOCKADDR, Flags: number, Irp: IRP | null): NTSTATUS {
  const s = connectionArg(Socket, 'WskConnect');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskConnect', RemoteAddress, Flags);
  return connectionConnect(s.conn, Irp, RemoteAddress, Flags);
}

export function WskGetLocalAddress(Socket: PWSK_SOCKET, LocalAddress: PSOCKADDR, Irp: IRP | null): NTSTATUS {
  return getAddressCall(Socket, CONNECTION, false, LocalAddress, Irp, 'WskGetLocalAddress');
}

export function WskGetRemoteAddress(Socket: PWSK_SOCKET, RemoteAddress: PSOCKADDR, Irp: IRP | null): NTSTATUS {
  return getAddressCall(Socket, CONNECTION, true, RemoteAddress, Irp, 'WskGetRemoteAddress');
}

export function WskSend(Socket: PWSK_SOCKET, Buffer: WSK_BUF, Flags: number, Irp: IRP | null): NTSTATUS {
  const s = connectionArg(Socket, 'WskSend');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskSend', Buffer, Flags);
  return connectionSend(s.conn, Irp, Buffer, Flags);
}

export function WskReceive(Socket: PWSK_SOCKET, Buffer: WSK_BUF, Flags: number, Irp: IRP | null): NTSTATUS {
  const s = connectionArg(Socket, 'WskReceive');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskReceive', Buffer, Flags);
  return connectionReceive(s.conn, Irp, Buffer, Flags);
}

export function WskDisconnect(Socket: PWSK_SOCKET, Buffer: WSK_BUF | null, Flags: number, Irp: IRP | null): NTSTATUS {
  const s = connectionArg(Socket, 'WskDisconnect');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskDisconnect', Buffer, Flags);
  return connectionDisconnect(s.conn, Irp, Buffer, Flags);
}

export function WskRelease(Socket: PWSK_SOCKET, DataIndication: PWSK_DATA_INDICATION): NTSTATUS {
  const s = connectionArg(Socket, 'WskRelease');
  if (DataIndication === null || typeof DataIndication !== 'object') return STATUS_INVALID_PARAMETER;
  return releaseIndication(s.conn, DataIndication);
}

export function WskConnectEx(Socket: PWSK_SOCKET, RemoteAddress: PSOCKADDR, Buffer: WSK_BUF | null, Flags: number, Irp: IRP | null): NTSTATUS {
  const s = connectionArg(Socket, 'WskConnectEx');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskConnectEx');
  const first = connectExFirstSend(Irp, Buffer, Flags);
  if (typeof first === 'number') return first;
  return connectionConnect(s.conn, Irp, RemoteAddress, 0, first);
}

export function WskSendEx(
  Socket: PWSK_SOCKET,
  Buffer: WSK_BUF,
  Flags: number,
  ControlInfoLength: number,
  ControlInfo: PCMSGHDR | null,
  Irp: IRP | null,
): NTSTATUS {
  const s = connectionArg(Socket, 'WskSendEx');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskSendEx');
  return connectionSendEx(s.conn, Irp, Buffer, Flags, ControlInfoLength, ControlInfo);
}

export function WskReceiveEx(
  Socket: PWSK_SOCKET,
  Buffer: WSK_BUF,
  Flags: number,
  ControlInfoLength: PULONG | null,
  ControlInfo: PCMSGHDR | null,
  ControlFlags: PULONG | null,
  Irp: IRP | null,
): NTSTATUS {
  void ControlInfo;
  const s = connectionArg(Socket, 'WskReceiveEx');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskReceiveEx');
  if (!receiveExOutputs(ControlInfoLength, ControlFlags)) return irpComplete(Irp, STATUS_INVALID_PARAMETER, 0);
  return connectionReceive(s.conn, Irp, Buffer, Flags);
}

export const WSK_PROVIDER_CONNECTION_DISPATCH_TABLE = Object.freeze<WSK_PROVIDER_CONNECTION_DISPATCH>({
  Basic: WSK_PROVIDER_BASIC_VIEW,
  WskControlSocket,
  WskCloseSocket,
  WskBind,
  WskConnect,
  WskGetLocalAddress,
  WskGetRemoteAddress,
  WskSend,
  WskReceive,
  WskDisconnect,
  WskRelease,
  WskConnectEx,
  WskSendEx,
  WskReceiveEx,
});
