// Basic sockets (WSK_FLAG_BASIC_SOCKET): options and IOCTLs only, never bound, no data.
import { WskControlSocket } from './options';
import { SocketObject, WskCloseSocket } from './socket';
import { WSK_FLAG_BASIC_SOCKET, WSK_PROVIDER_BASIC_DISPATCH } from './wsk';

export class BasicSocket extends SocketObject {
  readonly category = WSK_FLAG_BASIC_SOCKET;
  readonly Dispatch: WSK_PROVIDER_BASIC_DISPATCH = WSK_PROVIDER_BASIC_DISPATCH_TABLE;
}

export const WSK_PROVIDER_BASIC_DISPATCH_TABLE: WSK_PROVIDER_BASIC_DISPATCH = Object.freeze({
  WskControlSocket,
  WskCloseSocket,
});
