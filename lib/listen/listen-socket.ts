// Listening sockets (WSK_FLAG_LISTEN_SOCKET), https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_provider_listen_dispatch: the socket object and its
// provider table. WskBind binds and listens; what the socket then does is in listen.ts (which a
// stream socket committed to listening runs too), its rules in listen-state.ts.
import { IRP, irpComplete, irpStart } from '../kernel/irp';
import { faults } from '../kernel/fault';
import {
  NTSTATUS,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_DEVICE_STATE,
  STATUS_INVALID_PARAMETER,
  STATUS_NOT_IMPLEMENTED,
  STATUS_SUCCESS,
} from '../kernel/ntstatus';
import { isRefillable } from '../kernel/verifier';
import type { PSOCKADDR } from '../net/sockaddr';
import { SO_RCVBUF, SOCK_STREAM, SOL_SOCKET } from '../net/ws2def';
import { bindShared, isBoundShared, SHARE_NONE, SharingHolder, sharingControl, unbindShared } from '../socket/address-sharing';
import { WSK_PROVIDER_BASIC_VIEW, WskControlSocket } from '../socket/control';
import { ControlRequest, ControlResult, hostInt, intOptionResult, readIntOption } from '../socket/control-request';
import { getAddressCall, SocketObject, socketArg, WskCloseSocket } from '../socket/socket';
import { ntStatusFromErrno } from '../transport/errno';
import { addon, OS } from '../transport/native';
import { PWSK_INSPECT_ID, WSK_FLAG_LISTEN_SOCKET, WskGetOption, WskSetOption, WskIoctl } from '../wsk/wsk-base';
import { PWSK_SOCKET, WSK_CLIENT_CONNECTION_DISPATCH, WSK_CLIENT_LISTEN_DISPATCH, WSK_PROVIDER_LISTEN_DISPATCH } from '../wsk/wsk-dispatch';
import { Listener, ListenHost } from './listen';
import { listenRule, WSK_BIND, WSK_GET_LOCAL_ADDRESS } from './listen-state';

const LISTEN = 1 << WSK_FLAG_LISTEN_SOCKET;

export class ListenSocket extends SocketObject implements ListenHost, SharingHolder {
  // On the prototype, not in every socket (memory per connection, bench C idle).
  get category(): number { return WSK_FLAG_LISTEN_SOCKET; }
  get Dispatch(): WSK_PROVIDER_LISTEN_DISPATCH { return WSK_PROVIDER_LISTEN_DISPATCH_TABLE; }
  readonly role: Listener;
  shareOption = SHARE_NONE;
  /** SO_RCVBUF as the client set it, inherited by accepted sockets. */
  rcvbuf = -1;

  constructor(...args: ConstructorParameters<typeof SocketObject>) {
    super(...args);
    this.role = new Listener(this, this.client.staticEventMask);
  }

  listenDispatch(): WSK_CLIENT_LISTEN_DISPATCH | null {
    return this.clientDispatch as WSK_CLIENT_LISTEN_DISPATCH | null;
  }

  get isBound(): boolean {
    return isBoundShared(this);
  }

  override hasAddress(remote: boolean): boolean {
    return !remote && listenRule(WSK_GET_LOCAL_ADDRESS, this.role.state) === STATUS_SUCCESS;
  }

  override onPoll(): void {
    this.role.drain();
  }

  override control(req: ControlRequest): ControlResult | undefined {
    return sharingControl(this, req) ?? this.role.control(req) ?? this.receiveBufferOption(req);
  }

  /** SO_RCVBUF reads back what was set, and is inherited by accepted sockets. */
  private receiveBufferOption(req: ControlRequest): ControlResult | undefined {
    if (req.Level !== SOL_SOCKET || req.ControlCode !== SO_RCVBUF || req.RequestType === WskIoctl) return undefined;
    if (!req.Irp) return { status: STATUS_INVALID_PARAMETER };
    if (req.RequestType === WskGetOption && this.rcvbuf >= 0) return intOptionResult(req, this.rcvbuf);
    const value = req.RequestType === WskSetOption ? readIntOption(req.input) : null;
    if (value !== null) {
      const rc = addon.setsockopt(this.id, OS.SOL_SOCKET, OS.SO_RCVBUF, hostInt(value));
      if (rc < 0) return { status: ntStatusFromErrno(rc) };
      this.rcvbuf = value >>> 0;
      return { status: STATUS_SUCCESS };
    }
    return undefined;
  }

  protected override beforeClose(): void {
    this.role.beforeClose();
    unbindShared(this);
  }
}

// ---- the provider table (WSK_PROVIDER_LISTEN_DISPATCH) ----

function listenArg(Socket: PWSK_SOCKET, where: string): ListenSocket {
  return socketArg<ListenSocket>(Socket, LISTEN, where);
}

export function WskBind(Socket: PWSK_SOCKET, LocalAddress: PSOCKADDR, Flags: number, Irp: IRP | null): NTSTATUS {
  const s = listenArg(Socket, 'WskBind');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskBind', LocalAddress, Flags);
  // A listening socket over UDP (which Windows creates) cannot bind: Windows' answer.
  if (s.type !== SOCK_STREAM) return irpComplete(Irp, STATUS_NOT_IMPLEMENTED, 0);
  const refused = isBoundShared(s) ? STATUS_INVALID_DEVICE_STATE : listenRule(WSK_BIND, s.role.state);
  if (refused !== STATUS_SUCCESS) return irpComplete(Irp, refused, 0);
  let status = bindShared(s, LocalAddress, Flags, s.shareOption);
  if (status === STATUS_SUCCESS) {
    status = s.role.listen();
    if (status !== STATUS_SUCCESS) unbindShared(s);
  }
  return irpComplete(Irp, status, 0);
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
  const s = listenArg(ListenSocket, 'WskAccept');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskAccept', Flags);
  return acceptOn(s, s.role, Flags, AcceptSocketContext, AcceptSocketDispatch, LocalAddress, RemoteAddress, Irp);
}

/** WskAccept's work once the socket and IRP are checked (the stream table's WskAccept too). */
export function acceptOn(
  s: SocketObject,
  role: Listener | null,
  Flags: number,
  AcceptSocketContext: unknown,
  AcceptSocketDispatch: WSK_CLIENT_CONNECTION_DISPATCH | null,
  LocalAddress: PSOCKADDR | null,
  RemoteAddress: PSOCKADDR | null,
  Irp: IRP,
): NTSTATUS {
  if (Flags !== 0) return irpComplete(Irp, STATUS_INVALID_PARAMETER, 0);
  // Filled when a connection comes, maybe later on the event loop: checked now.
  const fillable = (a: PSOCKADDR | null) => a === null || a === undefined || isRefillable(a);
  if (!fillable(LocalAddress) || !fillable(RemoteAddress)) return irpComplete(Irp, STATUS_INVALID_PARAMETER, 0);
  if (!role) return irpComplete(Irp, STATUS_INVALID_DEVICE_STATE, 0);
  // NODE_WSK_VERIFIER lowres: no memory for the accepted socket.
  if (faults !== null && faults.lowResources()) return irpComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
  return role.accept({
    Irp,
    context: AcceptSocketContext,
    dispatch: AcceptSocketDispatch ?? null,
    local: LocalAddress ?? null,
    remote: RemoteAddress ?? null,
  });
}

export function WskInspectComplete(ListenSocket: PWSK_SOCKET, InspectID: PWSK_INSPECT_ID, Action: number, Irp: IRP | null): NTSTATUS {
  const s = listenArg(ListenSocket, 'WskInspectComplete');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskInspectComplete', InspectID, Action);
  const conditional = s.role.conditional;
  return irpComplete(Irp, conditional === null ? STATUS_INVALID_DEVICE_STATE : conditional.complete(InspectID, Action), 0);
}

export function WskGetLocalAddress(Socket: PWSK_SOCKET, LocalAddress: PSOCKADDR, Irp: IRP | null): NTSTATUS {
  return getAddressCall(Socket, LISTEN, false, LocalAddress, Irp, 'WskGetLocalAddress');
}

export const WSK_PROVIDER_LISTEN_DISPATCH_TABLE: WSK_PROVIDER_LISTEN_DISPATCH = Object.freeze({
  Basic: WSK_PROVIDER_BASIC_VIEW,
  WskControlSocket,
  WskCloseSocket,
  WskBind,
  WskAccept,
  WskInspectComplete,
  WskGetLocalAddress,
});
