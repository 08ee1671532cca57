// Stream sockets (WSK_FLAG_STREAM_SOCKET, Windows 10 1703), reference §3.2, §3.6: a socket
// that becomes a listener (WskListen) or a connection (WskConnect). The first one commits it:
// it then hosts a ListenRole or a ConnectionRole, the same code the listen and connection
// categories run. What the other role offers is refused with STATUS_INVALID_DEVICE_STATE, as is
// anything before bind. A connect that fails leaves the socket uncommitted (bound) again.
import { bindShared, isBoundShared, SHARE_NONE, SharingHolder, sharingControl, unbindShared } from '../socket/address-sharing';
import { BOUND, bufferControl, checkRetained, CONNECTED, CONNECTING, ConnectionRole, makeConnectionCalls } from '../connection/connection-socket';
import { IRP, irpStart } from '../kernel/irp';
import { acceptOn, ListenRole } from '../listen/listen-socket';
import {
  NTSTATUS,
  STATUS_CONNECTION_ACTIVE,
  STATUS_INVALID_DEVICE_STATE,
  STATUS_INVALID_PARAMETER,
  STATUS_SUCCESS,
} from '../kernel/ntstatus';
import { WskControlSocket } from '../socket/control';
import { PSOCKADDR } from '../net/sockaddr';
import { getAddressCall, notImplemented, SocketObject, socketArg, WskCloseSocket } from '../socket/socket';
import { SOL_SOCKET } from '../net/ws2def';
import {
  PFN_WSK_CONNECT_EX,
  PFN_WSK_RECEIVE_EX,
  PFN_WSK_SEND_EX,
  PWSK_SOCKET,
  SO_WSK_EVENT_CALLBACK,
  WSK_CLIENT_CONNECTION_DISPATCH,
  WSK_CLIENT_LISTEN_DISPATCH,
  WSK_CLIENT_STREAM_DISPATCH,
  WSK_FLAG_STREAM_SOCKET,
  WSK_PROVIDER_STREAM_DISPATCH,
} from '../wsk/wsk';
import { ControlRequest, ControlResult } from '../socket/control-request';

const STREAM = 1 << WSK_FLAG_STREAM_SOCKET;

export class StreamSocket extends SocketObject implements SharingHolder {
  // On the prototype, not in every socket (memory per connection, bench C idle).
  get category(): number { return WSK_FLAG_STREAM_SOCKET; }
  get Dispatch(): WSK_PROVIDER_STREAM_DISPATCH { return WSK_PROVIDER_STREAM_DISPATCH_TABLE; }
  shareOption = SHARE_NONE;
  /** Committed by WskListen. */
  listenRole: ListenRole | null = null;
  /** Committed by WskConnect (tentatively while the connect is under way). */
  conn: ConnectionRole | null = null;
  // Options tracked before the socket has a role (bufferControl).
  nodelay = false;
  rcvbuf = -1;
  sndbuf = -1;

  get isBound(): boolean {
    return isBoundShared(this);
  }

  /** For bufferControl, which works on a role's host. */
  get s(): SocketObject {
    return this;
  }

  private streamDispatch(): WSK_CLIENT_STREAM_DISPATCH | null {
    const d = this.clientDispatch as WSK_CLIENT_STREAM_DISPATCH | null;
    return d && typeof d === 'object' ? d : null;
  }

  listen(): NTSTATUS {
    if (!this.isBound || this.listenRole || this.conn) return STATUS_INVALID_DEVICE_STATE;
    const role = new ListenRole(this, () => this.streamDispatch()?.Listen ?? null as WSK_CLIENT_LISTEN_DISPATCH | null, this.client.staticEventMask);
    const status = role.listen();
    if (status === STATUS_SUCCESS) this.listenRole = role;
    return status;
  }

  connect(Irp: IRP, RemoteAddress: PSOCKADDR, Flags: number): NTSTATUS {
    if (this.conn && this.conn.state === CONNECTED) return this.complete(Irp, STATUS_CONNECTION_ACTIVE, 0);
    if (!this.isBound || this.listenRole || this.conn) return this.complete(Irp, STATUS_INVALID_DEVICE_STATE, 0);
    const role = new ConnectionRole(this, () => this.streamDispatch()?.Connect ?? null as WSK_CLIENT_CONNECTION_DISPATCH | null, this.client.staticEventMask);
    role.state = BOUND;
    role.nodelay = this.nodelay;
    role.rcvbuf = this.rcvbuf;
    role.sndbuf = this.sndbuf;
    role.onConnectFailed = () => {
      if (this.conn === role) this.conn = null;
    };
    this.conn = role;
    const status = role.connect(Irp, RemoteAddress, Flags);
    if (role.state !== CONNECTED && role.state !== CONNECTING && this.conn === role) this.conn = null;
    return status;
  }

  override hasAddress(remote: boolean): boolean {
    if (remote) return this.conn !== null && this.conn.hasAddress(true);
    return this.isBound && !(this.conn && this.conn.aborted);
  }

  override onPoll(events: number): void {
    if (this.listenRole) this.listenRole.drain();
    else if (this.conn) this.conn.onPoll(events);
  }

  override control(req: ControlRequest): ControlResult | undefined {
    const shared = sharingControl(this, req);
    if (shared) return shared;
    if (this.listenRole) return this.listenRole.control(req);
    if (this.conn) return this.conn.control(req);
    if (req.Level === SOL_SOCKET && req.ControlCode === SO_WSK_EVENT_CALLBACK) return { status: STATUS_INVALID_DEVICE_STATE };
    return bufferControl(this, req);
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

function stream(Socket: PWSK_SOCKET, where: string): StreamSocket {
  return socketArg<StreamSocket>(Socket, STREAM, where);
}

const calls = makeConnectionCalls((Socket, where) => stream(Socket, where).conn, STREAM);

// Member order is the stream table's own (reference §3.2): the address getters sit after
// WskRelease, not where the connection table has them.
export const WSK_PROVIDER_STREAM_DISPATCH_TABLE: WSK_PROVIDER_STREAM_DISPATCH = Object.freeze({
  WskControlSocket,
  WskCloseSocket,
  WskBind(Socket: PWSK_SOCKET, LocalAddress: PSOCKADDR, Flags: number, Irp: IRP | null): NTSTATUS {
    const s = stream(Socket, 'WskBind');
    if (!Irp) return STATUS_INVALID_PARAMETER;
    irpStart(Irp, 'WskBind');
    if (s.isBound || s.listenRole || s.conn) return s.complete(Irp, STATUS_INVALID_DEVICE_STATE, 0);
    return s.complete(Irp, bindShared(s, LocalAddress, Flags, s.shareOption), 0);
  },
  WskAccept(
    ListenSocket: PWSK_SOCKET,
    Flags: number,
    AcceptSocketContext: unknown,
    AcceptSocketDispatch: WSK_CLIENT_CONNECTION_DISPATCH | null,
    LocalAddress: PSOCKADDR | null,
    RemoteAddress: PSOCKADDR | null,
    Irp: IRP | null,
  ): NTSTATUS {
    const s = stream(ListenSocket, 'WskAccept');
    if (!Irp) return STATUS_INVALID_PARAMETER;
    irpStart(Irp, 'WskAccept');
    return acceptOn(s, s.listenRole, Flags, AcceptSocketContext, AcceptSocketDispatch, LocalAddress, RemoteAddress, Irp);
  },
  WskConnect(Socket: PWSK_SOCKET, RemoteAddress: PSOCKADDR, Flags: number, Irp: IRP | null): NTSTATUS {
    const s = stream(Socket, 'WskConnect');
    if (!Irp) return STATUS_INVALID_PARAMETER;
    irpStart(Irp, 'WskConnect');
    return s.connect(Irp, RemoteAddress, Flags);
  },
  WskListen(Socket: PWSK_SOCKET, Irp: IRP | null): NTSTATUS {
    const s = stream(Socket, 'WskListen');
    if (!Irp) return STATUS_INVALID_PARAMETER;
    irpStart(Irp, 'WskListen');
    // The IRP completes once the socket listens, not when a connection arrives (reference §3.6).
    return s.complete(Irp, s.listen(), 0);
  },
  WskSend: calls.WskSend,
  WskReceive: calls.WskReceive,
  WskDisconnect: calls.WskDisconnect,
  WskRelease: calls.WskRelease,
  WskGetLocalAddress: (Socket: PWSK_SOCKET, LocalAddress: PSOCKADDR, Irp: IRP | null) =>
    getAddressCall(Socket, STREAM, false, LocalAddress, Irp, 'WskGetLocalAddress'),
  WskGetRemoteAddress: (Socket: PWSK_SOCKET, RemoteAddress: PSOCKADDR, Irp: IRP | null) =>
    getAddressCall(Socket, STREAM, true, RemoteAddress, Irp, 'WskGetRemoteAddress'),
  WskConnectEx: notImplemented<PFN_WSK_CONNECT_EX>('WskConnectEx', STREAM, 4),
  WskSendEx: notImplemented<PFN_WSK_SEND_EX>('WskSendEx', STREAM, 5),
  WskReceiveEx: notImplemented<PFN_WSK_RECEIVE_EX>('WskReceiveEx', STREAM, 6),
});
