// Stream sockets (WSK_FLAG_STREAM_SOCKET, Windows 10 1703), https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_provider_stream_dispatch: a socket that
// becomes a listener (WskListen) or a connection (WskConnect). The first one commits it: it then
// hosts a Listener or a Connection, the same code the listen and connection categories run.
// Which call is legal when is in stream-state.ts.
import { IRP, irpComplete, irpStart } from '../kernel/irp';
import type { WSK_BUF } from '../kernel/mdl';
import { NTSTATUS, STATUS_INVALID_DEVICE_STATE, STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from '../kernel/ntstatus';
import type { PSOCKADDR } from '../net/sockaddr';
import { SOL_SOCKET } from '../net/ws2def';
import { AfterConnect, connectionConnect } from '../connection/connect';
import { connectExFirstSend, connectionSendEx, receiveExOutputs } from '../connection/ex';
import { Connection, ConnectionHost } from '../connection/connection';
import { checkRetained } from '../connection/connection-socket';
import { connectionControl } from '../connection/connection-control';
import * as cs from '../connection/connection-state';
import { onConnectionPoll } from '../connection/readiness';
import { connectionReceive } from '../connection/receive';
import { releaseIndication, runDeferredDelivery } from '../connection/receive-events';
import { connectionDisconnect, connectionSend } from '../connection/send';
import { Listener, ListenHost } from '../listen/listen';
import { acceptOn } from '../listen/listen-socket';
import { bindShared, isBoundShared, SHARE_NONE, SharingHolder, sharingControl, unbindShared } from '../socket/address-sharing';
import { bufferControl } from '../socket/buffer-options';
import { WSK_PROVIDER_BASIC_VIEW, WskControlSocket } from '../socket/control';
import type { ControlRequest, ControlResult } from '../socket/control-request';
import { getAddressCall, SocketObject, socketArg, WskCloseSocket } from '../socket/socket';
import type { PCMSGHDR } from '../net/cmsg';
import { PULONG, PWSK_DATA_INDICATION, SO_WSK_EVENT_CALLBACK, WSK_FLAG_STREAM_SOCKET } from '../wsk/wsk-base';
import {
  PWSK_SOCKET,
  WSK_CLIENT_CONNECTION_DISPATCH,
  WSK_CLIENT_LISTEN_DISPATCH,
  WSK_CLIENT_STREAM_DISPATCH,
  WSK_PROVIDER_STREAM_DISPATCH,
} from '../wsk/wsk-dispatch';
import {
  BOUND,
  COMMITTED,
  CONNECTION,
  FRESH,
  LISTENING,
  StreamState,
  streamRule,
  WSK_BIND,
  WSK_DATA,
  WSK_EVENTS,
  WSK_GET_LOCAL_ADDRESS,
  WSK_GET_REMOTE_ADDRESS,
  WSK_LISTEN,
} from './stream-state';

const STREAM = 1 << WSK_FLAG_STREAM_SOCKET;

export class StreamSocket extends SocketObject implements ConnectionHost, ListenHost, SharingHolder {
  // On the prototype, not in every socket (memory per connection, bench C idle).
  get category(): number { return WSK_FLAG_STREAM_SOCKET; }
  get Dispatch(): WSK_PROVIDER_STREAM_DISPATCH { return WSK_PROVIDER_STREAM_DISPATCH_TABLE; }
  shareOption = SHARE_NONE;
  /** Committed by WskListen. */
  listenRole: Listener | null = null;
  /** Committed by WskConnect (tentatively while the connect is under way). */
  conn: Connection | null = null;
  // Options remembered before the socket has a role (bufferControl).
  nodelay = false;
  rcvbuf = -1;
  sndbuf = -1;

  get isBound(): boolean {
    return isBoundShared(this);
  }

  get state(): StreamState {
    if (this.listenRole) return LISTENING;
    if (this.conn) return CONNECTION;
    return this.isBound ? BOUND : FRESH;
  }

  private streamDispatch(): WSK_CLIENT_STREAM_DISPATCH | null {
    const d = this.clientDispatch as WSK_CLIENT_STREAM_DISPATCH | null;
    return d && typeof d === 'object' ? d : null;
  }

  connectionDispatch(): WSK_CLIENT_CONNECTION_DISPATCH | null {
    return this.streamDispatch()?.Connect ?? null;
  }

  listenDispatch(): WSK_CLIENT_LISTEN_DISPATCH | null {
    return this.streamDispatch()?.Listen ?? null;
  }

  override connectedMs(): number {
    return this.conn ? this.conn.connectedMs : -1;
  }

  connectFailed(conn: Connection): void {
    if (this.conn === conn) this.conn = null;
  }

  runDeferred(): void {
    if (this.conn) runDeferredDelivery(this.conn);
  }

  /** Closes without a client IRP; a stream socket never needs it (WskSocketConnect makes connection sockets). */
  closeQuietly(): void {}

  listen(): NTSTATUS {
    const refused = streamRule(WSK_LISTEN, this.state);
    if (refused !== STATUS_SUCCESS) return refused;
    const role = new Listener(this, this.client.staticEventMask);
    const status = role.listen();
    if (status === STATUS_SUCCESS) this.listenRole = role;
    return status;
  }

  /** WskConnect, or WskConnectEx with `then` its first send. */
  connect(Irp: IRP, RemoteAddress: PSOCKADDR, Flags: number, then: AfterConnect | null = null): NTSTATUS {
    const state = this.state;
    if (state === CONNECTION) return irpComplete(Irp, cs.connectionRule(cs.WSK_CONNECT, this.conn!.state, this.conn!.failure), 0);
    if (state !== BOUND) return irpComplete(Irp, STATUS_INVALID_DEVICE_STATE, 0);
    const role = new Connection(this, this.client.staticEventMask);
    role.state = cs.BOUND;
    role.nodelay = this.nodelay;
    role.rcvbuf = this.rcvbuf;
    role.sndbuf = this.sndbuf;
    this.conn = role;
    const status = connectionConnect(role, Irp, RemoteAddress, Flags, then);
    const after = role.state as cs.ConnectionState; // connectionConnect moved it on
    if (after !== cs.CONNECTED && after !== cs.CONNECTING && this.conn === role) this.conn = null;
    return status;
  }

  override hasAddress(remote: boolean): boolean {
    const rule = streamRule(remote ? WSK_GET_REMOTE_ADDRESS : WSK_GET_LOCAL_ADDRESS, this.state);
    if (rule !== COMMITTED) return rule === STATUS_SUCCESS;
    return cs.connectionRule(remote ? cs.WSK_GET_REMOTE_ADDRESS : cs.WSK_GET_LOCAL_ADDRESS, this.conn!.state, this.conn!.failure) === STATUS_SUCCESS;
  }

  override onPoll(events: number, status: number, received: number): void {
    if (this.listenRole) this.listenRole.drain();
    else if (this.conn) onConnectionPoll(this.conn, events, received);
  }

  override control(req: ControlRequest): ControlResult | undefined {
    const shared = sharingControl(this, req);
    if (shared) return shared;
    if (this.listenRole) return this.listenRole.control(req);
    if (this.conn) return connectionControl(this.conn, req);
    if (req.Level === SOL_SOCKET && req.ControlCode === SO_WSK_EVENT_CALLBACK) return { status: streamRule(WSK_EVENTS, this.state) };
    return bufferControl(this.id, this, req);
  }

  override close(Irp: IRP): NTSTATUS {
    checkRetained(this.conn);
    return super.close(Irp);
  }

  protected override beforeClose(): void {
    this.listenRole?.beforeClose();
    this.conn?.beforeClose();
    unbindShared(this);
  }
}

// ---- the provider table (WSK_PROVIDER_STREAM_DISPATCH) ----

function streamArg(Socket: PWSK_SOCKET, where: string): StreamSocket {
  return socketArg<StreamSocket>(Socket, STREAM, where);
}

/** The connection a data call works on, or the IRP completed with the stream's rule. */
function committedConnection(s: StreamSocket, Irp: IRP): Connection | NTSTATUS {
  const state = s.state;
  return streamRule(WSK_DATA, state) === COMMITTED ? s.conn! : irpComplete(Irp, streamRule(WSK_DATA, state), 0);
}

export function WskBind(Socket: PWSK_SOCKET, LocalAddress: PSOCKADDR, Flags: number, Irp: IRP | null): NTSTATUS {
  const s = streamArg(Socket, 'WskBind');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskBind', LocalAddress, Flags);
  const refused = streamRule(WSK_BIND, s.state);
  if (refused !== STATUS_SUCCESS) return irpComplete(Irp, refused, 0);
  return irpComplete(Irp, bindShared(s, LocalAddress, Flags, s.shareOption), 0);
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
  const s = streamArg(ListenSocket, 'WskAccept');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskAccept', Flags);
  return acceptOn(s, s.listenRole, Flags, AcceptSocketContext, AcceptSocketDispatch, LocalAddress, RemoteAddress, Irp);
}

export function WskConnect(Socket: PWSK_SOCKET, RemoteAddress: PSOCKADDR, Flags: number, Irp: IRP | null): NTSTATUS {
  const s = streamArg(Socket, 'WskConnect');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskConnect', RemoteAddress, Flags);
  return s.connect(Irp, RemoteAddress, Flags);
}

export function WskListen(Socket: PWSK_SOCKET, Irp: IRP | null): NTSTATUS {
  const s = streamArg(Socket, 'WskListen');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskListen');
  // The IRP completes once the socket listens, not when a connection arrives (https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_listen).
  return irpComplete(Irp, s.listen(), 0);
}

export function WskSend(Socket: PWSK_SOCKET, Buffer: WSK_BUF, Flags: number, Irp: IRP | null): NTSTATUS {
  const s = streamArg(Socket, 'WskSend');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskSend', Buffer, Flags);
  const c = committedConnection(s, Irp);
  return typeof c === 'number' ? c : connectionSend(c, Irp, Buffer, Flags);
}

export function WskReceive(Socket: PWSK_SOCKET, Buffer: WSK_BUF, Flags: number, Irp: IRP | null): NTSTATUS {
  const s = streamArg(Socket, 'WskReceive');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskReceive', Buffer, Flags);
  const c = committedConnection(s, Irp);
  return typeof c === 'number' ? c : connectionReceive(c, Irp, Buffer, Flags);
}

export function WskDisconnect(Socket: PWSK_SOCKET, Buffer: WSK_BUF | null, Flags: number, Irp: IRP | null): NTSTATUS {
  const s = streamArg(Socket, 'WskDisconnect');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskDisconnect', Buffer, Flags);
  const c = committedConnection(s, Irp);
  return typeof c === 'number' ? c : connectionDisconnect(c, Irp, Buffer, Flags);
}

export function WskRelease(Socket: PWSK_SOCKET, DataIndication: PWSK_DATA_INDICATION): NTSTATUS {
  const s = streamArg(Socket, 'WskRelease');
  if (s.conn === null || DataIndication === null || typeof DataIndication !== 'object') return STATUS_INVALID_PARAMETER;
  return releaseIndication(s.conn, DataIndication);
}

export function WskGetLocalAddress(Socket: PWSK_SOCKET, LocalAddress: PSOCKADDR, Irp: IRP | null): NTSTATUS {
  return getAddressCall(Socket, STREAM, false, LocalAddress, Irp, 'WskGetLocalAddress');
}

export function WskGetRemoteAddress(Socket: PWSK_SOCKET, RemoteAddress: PSOCKADDR, Irp: IRP | null): NTSTATUS {
  return getAddressCall(Socket, STREAM, true, RemoteAddress, Irp, 'WskGetRemoteAddress');
}

export function WskConnectEx(Socket: PWSK_SOCKET, RemoteAddress: PSOCKADDR, Buffer: WSK_BUF | null, Flags: number, Irp: IRP | null): NTSTATUS {
  const s = streamArg(Socket, 'WskConnectEx');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskConnectEx');
  const first = connectExFirstSend(Irp, Buffer, Flags);
  if (typeof first === 'number') return first;
  return s.connect(Irp, RemoteAddress, 0, first);
}

export function WskSendEx(
  Socket: PWSK_SOCKET,
  Buffer: WSK_BUF,
  Flags: number,
  ControlInfoLength: number,
  ControlInfo: PCMSGHDR | null,
  Irp: IRP | null,
): NTSTATUS {
  const s = streamArg(Socket, 'WskSendEx');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskSendEx');
  const c = committedConnection(s, Irp);
  return typeof c === 'number' ? c : connectionSendEx(c, Irp, Buffer, Flags, ControlInfoLength, ControlInfo);
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
  const s = streamArg(Socket, 'WskReceiveEx');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskReceiveEx');
  const c = committedConnection(s, Irp);
  if (typeof c === 'number') return c;
  if (!receiveExOutputs(ControlInfoLength, ControlFlags)) return irpComplete(Irp, STATUS_INVALID_PARAMETER, 0);
  return connectionReceive(c, Irp, Buffer, Flags);
}

// Member order is the stream table's own (https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_provider_stream_dispatch): the address getters sit after
// WskRelease, not where the connection table has them.
export const WSK_PROVIDER_STREAM_DISPATCH_TABLE: WSK_PROVIDER_STREAM_DISPATCH = Object.freeze({
  Basic: WSK_PROVIDER_BASIC_VIEW,
  WskControlSocket,
  WskCloseSocket,
  WskBind,
  WskAccept,
  WskConnect,
  WskListen,
  WskSend,
  WskReceive,
  WskDisconnect,
  WskRelease,
  WskGetLocalAddress,
  WskGetRemoteAddress,
  WskConnectEx,
  WskSendEx,
  WskReceiveEx,
});
