// Listening sockets (WSK_FLAG_LISTEN_SOCKET), reference §3.5: WskBind binds and listens;
// WskAccept completes at once when a connection waits, else pends until one arrives.
import { ConnectionSocket } from './connection-socket';
import { IRP, irpStart } from './irp';
import { native, NativeSocket, NETADDR_SIZE, OS } from './native';
import {
  NTSTATUS,
  STATUS_INVALID_DEVICE_STATE,
  STATUS_INVALID_PARAMETER,
  STATUS_SUCCESS,
  ntStatusFromErrno,
} from './ntstatus';
import { WskControlSocket } from './options';
import { netaddrToSockaddr, PSOCKADDR } from './sockaddr';
import { getAddressCall, notImplemented, SocketObject, socketArg, WskCloseSocket } from './socket';
import { IPPROTO_TCP, SOCK_STREAM } from './ws2def';
import {
  PFN_WSK_INSPECT_COMPLETE,
  PWSK_SOCKET,
  WSK_CLIENT_CONNECTION_DISPATCH,
  WSK_FLAG_LISTEN_SOCKET,
  WSK_PROVIDER_LISTEN_DISPATCH,
} from './wsk';

const LISTEN = 1 << WSK_FLAG_LISTEN_SOCKET;

interface AcceptRequest {
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

export class ListenSocket extends SocketObject {
  readonly category: number = WSK_FLAG_LISTEN_SOCKET;
  readonly Dispatch: WSK_PROVIDER_LISTEN_DISPATCH = WSK_PROVIDER_LISTEN_DISPATCH_TABLE;
  listening = false;
  readonly acceptQueue: AcceptRequest[] = [];

  override hasAddress(remote: boolean): boolean {
    return !remote && this.listening;
  }

  /** bind() then listen(): a WSK listening socket listens as soon as it is bound. */
  bindAndListen(LocalAddress: PSOCKADDR, Flags: number): NTSTATUS {
    const status = this.bindTo(LocalAddress, Flags);
    if (status !== STATUS_SUCCESS) return status;
    const rc = this.sock.listen(OS.SOMAXCONN);
    if (rc < 0) return ntStatusFromErrno(rc);
    this.listening = true;
    return STATUS_SUCCESS;
  }

  /** One waiting connection, null when none waits, or the failure status. */
  acceptOne(): NativeSocket | NTSTATUS | null {
    for (;;) {
      const c = this.sock.accept(remoteAddr);
      if (typeof c !== 'number') return c;
      if (c === -EAGAIN || c === -EWOULDBLOCK) return null;
      if (!RETRY.has(c)) return ntStatusFromErrno(c);
    }
  }

  /** Completes an accept request with a connection (or a failure status). */
  finishAccept(req: AcceptRequest, c: NativeSocket | NTSTATUS): NTSTATUS {
    if (typeof c === 'number') return this.complete(req.Irp, c, 0);
    const accepted = new ConnectionSocket(this.client, this.family, SOCK_STREAM, IPPROTO_TCP, req.context, req.dispatch, c);
    if (req.remote) netaddrToSockaddr(remoteAddr, req.remote);
    if (req.local) accepted.queryAddress(false, req.local);
    return this.complete(req.Irp, STATUS_SUCCESS, accepted);
  }

  /** Serves waiting accept IRPs from every connection that is ready, in one readiness event. */
  drainAccepts(): void {
    while (this.acceptQueue.length > 0 && !this.closed) {
      const c = this.acceptOne();
      if (c === null) break;
      this.finishAccept(this.acceptQueue.shift()!, c);
    }
    if (this.acceptQueue.length === 0) this.setInterest(false, false);
  }

  override onPoll(): void {
    this.drainAccepts();
  }

  accept(req: AcceptRequest): NTSTATUS {
    if (!this.listening) return this.complete(req.Irp, STATUS_INVALID_DEVICE_STATE, 0);
    if (this.acceptQueue.length === 0) {
      const c = this.acceptOne();
      if (c !== null) return this.finishAccept(req, c);
    }
    this.acceptQueue.push(req);
    this.setInterest(true, false);
    return this.pend(req.Irp, () => {
      const i = this.acceptQueue.indexOf(req);
      if (i >= 0) this.acceptQueue.splice(i, 1);
      if (this.acceptQueue.length === 0) this.setInterest(false, false);
    });
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
  if (Flags !== 0) return s.complete(Irp, STATUS_INVALID_PARAMETER, 0);
  return s.accept({
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
  if (s.listening) return s.complete(Irp, STATUS_INVALID_DEVICE_STATE, 0);
  return s.complete(Irp, s.bindAndListen(LocalAddress, Flags), 0);
}

export const WSK_PROVIDER_LISTEN_DISPATCH_TABLE: WSK_PROVIDER_LISTEN_DISPATCH = Object.freeze({
  WskControlSocket,
  WskCloseSocket,
  WskBind,
  WskAccept,
  WskInspectComplete: notImplemented<PFN_WSK_INSPECT_COMPLETE>('WskInspectComplete', LISTEN, 3),
  WskGetLocalAddress: (Socket: PWSK_SOCKET, LocalAddress: PSOCKADDR, Irp: IRP | null) =>
    getAddressCall(Socket, LISTEN, false, LocalAddress, Irp, 'WskGetLocalAddress'),
});
