// Stream sockets (WSK_FLAG_STREAM_SOCKET, Windows 10 1703), reference §3.2, §3.6: a socket
// that becomes a listener (WskListen) or a connection (WskConnect). Its roles come with the
// connection-socket work; until then its slots answer STATUS_NOT_IMPLEMENTED.
import { WskControlSocket } from './options';
import { notImplemented, SocketObject, WskCloseSocket } from './socket';
import {
  PFN_WSK_ACCEPT,
  PFN_WSK_BIND,
  PFN_WSK_CONNECT,
  PFN_WSK_CONNECT_EX,
  PFN_WSK_DISCONNECT,
  PFN_WSK_GET_LOCAL_ADDRESS,
  PFN_WSK_GET_REMOTE_ADDRESS,
  PFN_WSK_LISTEN,
  PFN_WSK_RECEIVE,
  PFN_WSK_RECEIVE_EX,
  PFN_WSK_RELEASE_DATA_INDICATION_LIST,
  PFN_WSK_SEND,
  PFN_WSK_SEND_EX,
  WSK_FLAG_STREAM_SOCKET,
  WSK_PROVIDER_STREAM_DISPATCH,
} from './wsk';

const STREAM = 1 << WSK_FLAG_STREAM_SOCKET;

export class StreamSocket extends SocketObject {
  readonly category = WSK_FLAG_STREAM_SOCKET;
  readonly Dispatch: WSK_PROVIDER_STREAM_DISPATCH = WSK_PROVIDER_STREAM_DISPATCH_TABLE;
}

// Member order is the stream table's own (reference §3.2): the address getters sit after
// WskRelease, not where the connection table has them.
export const WSK_PROVIDER_STREAM_DISPATCH_TABLE: WSK_PROVIDER_STREAM_DISPATCH = Object.freeze({
  WskControlSocket,
  WskCloseSocket,
  WskBind: notImplemented<PFN_WSK_BIND>('WskBind', STREAM, 3),
  WskAccept: notImplemented<PFN_WSK_ACCEPT>('WskAccept', STREAM, 6),
  WskConnect: notImplemented<PFN_WSK_CONNECT>('WskConnect', STREAM, 3),
  WskListen: notImplemented<PFN_WSK_LISTEN>('WskListen', STREAM, 1),
  WskSend: notImplemented<PFN_WSK_SEND>('WskSend', STREAM, 3),
  WskReceive: notImplemented<PFN_WSK_RECEIVE>('WskReceive', STREAM, 3),
  WskDisconnect: notImplemented<PFN_WSK_DISCONNECT>('WskDisconnect', STREAM, 3),
  WskRelease: notImplemented<PFN_WSK_RELEASE_DATA_INDICATION_LIST>('WskRelease', STREAM, -1),
  WskGetLocalAddress: notImplemented<PFN_WSK_GET_LOCAL_ADDRESS>('WskGetLocalAddress', STREAM, 2),
  WskGetRemoteAddress: notImplemented<PFN_WSK_GET_REMOTE_ADDRESS>('WskGetRemoteAddress', STREAM, 2),
  WskConnectEx: notImplemented<PFN_WSK_CONNECT_EX>('WskConnectEx', STREAM, 4),
  WskSendEx: notImplemented<PFN_WSK_SEND_EX>('WskSendEx', STREAM, 5),
  WskReceiveEx: notImplemented<PFN_WSK_RECEIVE_EX>('WskReceiveEx', STREAM, 6),
});
