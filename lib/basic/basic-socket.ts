// Basic sockets (WSK_FLAG_BASIC_SOCKET): options and IOCTLs only, never bound, no data.
import { readEventControl } from '../socket/events';
import { WskControlSocket } from '../socket/control';
import { SocketObject, WskCloseSocket } from '../socket/socket';
import { SOL_SOCKET } from '../net/ws2def';
import { SO_WSK_EVENT_CALLBACK, WSK_FLAG_BASIC_SOCKET } from '../wsk/wsk-base';
import { WSK_PROVIDER_BASIC_DISPATCH } from '../wsk/wsk-dispatch';
import type { ControlRequest, ControlResult } from '../socket/control-request';

export class BasicSocket extends SocketObject {
  // On the prototype, not in every socket (memory per connection, bench C idle).
  get category(): number { return WSK_FLAG_BASIC_SOCKET; }
  get Dispatch(): WSK_PROVIDER_BASIC_DISPATCH { return WSK_PROVIDER_BASIC_DISPATCH_TABLE; }

  override control(req: ControlRequest): ControlResult | undefined {
    // A basic socket has no events of its own (only extension interfaces would, and none
    // exists): any event mask is invalid for it.
    if (req.Level === SOL_SOCKET && req.ControlCode === SO_WSK_EVENT_CALLBACK) {
      const ctl = readEventControl(req, 0);
      return { status: typeof ctl === 'number' ? ctl : 0 };
    }
    return undefined;
  }
}

export const WSK_PROVIDER_BASIC_DISPATCH_TABLE: WSK_PROVIDER_BASIC_DISPATCH = Object.freeze({
  WskControlSocket,
  WskCloseSocket,
});
