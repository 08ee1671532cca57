// Connection-oriented sockets (WSK_FLAG_CONNECTION_SOCKET), reference §3.6. Accepted sockets
// are of this category. The data path (connect, send, receive, disconnect, receive events)
// comes with the connection-socket work; until then those slots answer STATUS_NOT_IMPLEMENTED.
import { OS } from './native';
import { WskControlSocket } from './options';
import {
  getAddressCall,
  notImplemented,
  SocketObject,
  WskCloseSocket,
} from './socket';
import {
  PFN_WSK_BIND,
  PFN_WSK_CONNECT,
  PFN_WSK_CONNECT_EX,
  PFN_WSK_DISCONNECT,
  PFN_WSK_RECEIVE,
  PFN_WSK_RECEIVE_EX,
  PFN_WSK_RELEASE_DATA_INDICATION_LIST,
  PFN_WSK_SEND,
  PFN_WSK_SEND_EX,
  WSK_FLAG_CONNECTION_SOCKET,
  WSK_PROVIDER_CONNECTION_DISPATCH,
} from './wsk';

const CONNECTION = 1 << WSK_FLAG_CONNECTION_SOCKET;

/** struct linger { l_onoff = 1, l_linger = 0 }: close() then sends a reset. */
const LINGER_ABORT = new Uint8Array(new Int32Array([1, 0]).buffer);

export class ConnectionSocket extends SocketObject {
  readonly category = WSK_FLAG_CONNECTION_SOCKET;
  readonly Dispatch: WSK_PROVIDER_CONNECTION_DISPATCH = WSK_PROVIDER_CONNECTION_DISPATCH_TABLE;
  /** Both directions already shut down gracefully: close may then be graceful too. */
  disconnectedBothWays = false;

  protected override beforeClose(): void {
    // WskCloseSocket on a connection not disconnected both ways is abortive (reference §3.4).
    if (!this.disconnectedBothWays) this.sock.setsockopt(OS.SOL_SOCKET, OS.SO_LINGER, LINGER_ABORT);
  }
}

export const WSK_PROVIDER_CONNECTION_DISPATCH_TABLE = Object.freeze<WSK_PROVIDER_CONNECTION_DISPATCH>({
  WskControlSocket,
  WskCloseSocket,
  WskBind: notImplemented<PFN_WSK_BIND>('WskBind', CONNECTION, 3),
  WskConnect: notImplemented<PFN_WSK_CONNECT>('WskConnect', CONNECTION, 3),
  WskGetLocalAddress: (Socket, LocalAddress, Irp) =>
    getAddressCall(Socket, CONNECTION, false, LocalAddress, Irp, 'WskGetLocalAddress'),
  WskGetRemoteAddress: (Socket, RemoteAddress, Irp) =>
    getAddressCall(Socket, CONNECTION, true, RemoteAddress, Irp, 'WskGetRemoteAddress'),
  WskSend: notImplemented<PFN_WSK_SEND>('WskSend', CONNECTION, 3),
  WskReceive: notImplemented<PFN_WSK_RECEIVE>('WskReceive', CONNECTION, 3),
  WskDisconnect: notImplemented<PFN_WSK_DISCONNECT>('WskDisconnect', CONNECTION, 3),
  WskRelease: notImplemented<PFN_WSK_RELEASE_DATA_INDICATION_LIST>('WskRelease', CONNECTION, -1),
  WskConnectEx: notImplemented<PFN_WSK_CONNECT_EX>('WskConnectEx', CONNECTION, 4),
  WskSendEx: notImplemented<PFN_WSK_SEND_EX>('WskSendEx', CONNECTION, 5),
  WskReceiveEx: notImplemented<PFN_WSK_RECEIVE_EX>('WskReceiveEx', CONNECTION, 6),
});
