// What a readiness report does for a connection: finish a connect, serve queued sends and
// receives, then indications, a FIN or a reset for the event callbacks. With POLL_RECEIVE the
// transport has already read for the receive event: the data comes with the report.
import { STATUS_SUCCESS } from '../kernel/ntstatus';
import { NO_RECEIVE, POLL_READABLE } from '../transport/native';
import { WSK_EVENT_DISCONNECT } from '../wsk/wsk-base';
import { finishConnect } from './connect';
import { Connection, RECV_EOF } from './connection';
import { CONNECTING, wasConnected } from './connection-state';
import { serveReceives } from './receive';
import { deliver, onReceived, probe } from './receive-events';
import { serveSends } from './send';

export function onConnectionPoll(c: Connection, events: number, received: number): void {
  if (c.state === CONNECTING) {
    finishConnect(c);
    return;
  }
  // What the transport read for the receive event comes first: it came before anything else.
  if (received !== NO_RECEIVE) onReceived(c, received);
  if (c.sendQueue.length > 0) serveSends(c);
  if (c.recvQueue.length > 0) serveReceives(c);
  if (c.recvQueue.length === 0 && !c.s.closed && wasConnected(c.state)) {
    if (c.wantsIndications()) {
      // A plain readable report (no automatic read happened): read and indicate ourselves.
      if (received === NO_RECEIVE && events & POLL_READABLE) deliver(c);
    } else if (c.events.has(WSK_EVENT_DISCONNECT) && (c.flags & RECV_EOF) === 0 && c.failure === STATUS_SUCCESS) probe(c);
    if (c.flags & RECV_EOF || c.failure !== STATUS_SUCCESS) deliver(c);
  }
  c.updateInterest();
}
