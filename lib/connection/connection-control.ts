// WskControlSocket for a connection: SO_WSK_EVENT_CALLBACK (once connected), the backlog
// IOCTLs, and the options a connection remembers (buffer sizes, TCP_NODELAY).
import { addon } from '../transport/native';
import { STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from '../kernel/ntstatus';
import { SOL_SOCKET } from '../net/ws2def';
import { bufferControl } from '../socket/buffer-options';
import { ControlRequest, ControlResult, writeSizeT } from '../socket/control-request';
import { readEventControl } from '../socket/events';
import {
  SIO_WSK_QUERY_IDEAL_SEND_BACKLOG,
  SIO_WSK_QUERY_RECEIVE_BACKLOG,
  SO_WSK_EVENT_CALLBACK,
  WSK_EVENT_DISCONNECT,
  WSK_EVENT_RECEIVE,
  WSK_EVENT_SEND_BACKLOG,
  WskIoctl,
} from '../wsk/wsk-base';
import { BACKLOG_DUE, Connection, CONNECTION_EVENTS, PARKED } from './connection';
import { connectionRule, WSK_EVENTS } from './connection-state';
import { idealSendBacklog, sendBufferChanged } from './receive-events';

export function connectionControl(c: Connection, req: ControlRequest): ControlResult | undefined {
  if (req.Level === SOL_SOCKET && req.ControlCode === SO_WSK_EVENT_CALLBACK && req.RequestType !== WskIoctl) {
    const ctl = readEventControl(req, CONNECTION_EVENTS);
    if (typeof ctl === 'number') return { status: ctl };
    const refused = connectionRule(WSK_EVENTS, c.state, c.failure);
    if (refused !== STATUS_SUCCESS) return { status: refused };
    const d = c.dispatch();
    const result = c.events.apply(c.s, req, ctl, (bit) => {
      if (!d) return false;
      if (bit === WSK_EVENT_RECEIVE) return typeof d.WskReceiveEvent === 'function';
      if (bit === WSK_EVENT_DISCONNECT) return typeof d.WskDisconnectEvent === 'function';
      return typeof d.WskSendBacklogEvent === 'function';
    });
    if (result.status === STATUS_SUCCESS && !ctl.disable) {
      c.flags &= ~PARKED;
      if (ctl.mask & WSK_EVENT_SEND_BACKLOG) c.flags |= BACKLOG_DUE;
      c.schedule();
    }
    c.updateInterest();
    return result;
  }
  if (req.RequestType === WskIoctl) {
    if (req.ControlCode === SIO_WSK_QUERY_IDEAL_SEND_BACKLOG || req.ControlCode === SIO_WSK_QUERY_RECEIVE_BACKLOG) {
      if (!req.Irp) return { status: STATUS_INVALID_PARAMETER };
      const refused = connectionRule(WSK_EVENTS, c.state, c.failure);
      if (refused !== STATUS_SUCCESS) return { status: refused };
      let value: number;
      if (req.ControlCode === SIO_WSK_QUERY_IDEAL_SEND_BACKLOG) value = idealSendBacklog(c);
      else {
        const n = addon.available(c.s.id);
        value = (n > 0 ? n : 0) + (c.leftover ? c.leftover.unconsumed : 0);
      }
      return writeSizeT(req, value);
    }
    return undefined;
  }
  return bufferControl(c.s.id, c, req, () => sendBufferChanged(c));
}
