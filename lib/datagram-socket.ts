// Datagram sockets (WSK_FLAG_DATAGRAM_SOCKET), reference §3.7: UDP and raw. The data path
// comes with the datagram work; until then its slots answer STATUS_NOT_IMPLEMENTED.
import { WskControlSocket } from './options';
import { getAddressCall, notImplemented, SocketObject, WskCloseSocket } from './socket';
import {
  PFN_WSK_BIND,
  PFN_WSK_RECEIVE_FROM,
  PFN_WSK_RELEASE_DATAGRAM_INDICATION_LIST,
  PFN_WSK_SEND_MESSAGES,
  PFN_WSK_SEND_TO,
  WSK_FLAG_DATAGRAM_SOCKET,
  WSK_PROVIDER_DATAGRAM_DISPATCH,
} from './wsk';

const DATAGRAM = 1 << WSK_FLAG_DATAGRAM_SOCKET;

export class DatagramSocket extends SocketObject {
  readonly category = WSK_FLAG_DATAGRAM_SOCKET;
  readonly Dispatch: WSK_PROVIDER_DATAGRAM_DISPATCH = WSK_PROVIDER_DATAGRAM_DISPATCH_TABLE;
  bound = false;

  override hasAddress(remote: boolean): boolean {
    return !remote && this.bound;
  }
}

export const WSK_PROVIDER_DATAGRAM_DISPATCH_TABLE = Object.freeze<WSK_PROVIDER_DATAGRAM_DISPATCH>({
  WskControlSocket,
  WskCloseSocket,
  WskBind: notImplemented<PFN_WSK_BIND>('WskBind', DATAGRAM, 3),
  WskSendTo: notImplemented<PFN_WSK_SEND_TO>('WskSendTo', DATAGRAM, 6),
  WskReceiveFrom: notImplemented<PFN_WSK_RECEIVE_FROM>('WskReceiveFrom', DATAGRAM, 7),
  WskRelease: notImplemented<PFN_WSK_RELEASE_DATAGRAM_INDICATION_LIST>('WskRelease', DATAGRAM, -1),
  WskGetLocalAddress: (Socket, LocalAddress, Irp) =>
    getAddressCall(Socket, DATAGRAM, false, LocalAddress, Irp, 'WskGetLocalAddress'),
  WskSendMessages: notImplemented<PFN_WSK_SEND_MESSAGES>('WskSendMessages', DATAGRAM, 6),
});
