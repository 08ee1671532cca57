// What a readiness report does for a connection: finish a connect, serve queued sends and
// receives, then indications, a FIN or a reset for the event callbacks.
import { STATUS_SUCCESS } from '../kernel/ntstatus';
import { POLL_READABLE } from '../transport/native';
import { WSK_EVENT_DISCONNECT } from '../wsk/wsk';
import { finishConnect } from './connect';
import { Connection, MAY_HAVE_DATA, RECV_EOF } from './connection';
import { CONNECTING, wasConnected } from './connection-state';
import { serveReceives } from './receive';
import { deliver, probe } from './receive-events';
import { serveSends } from './send';

export function onConnectionPoll(c: Connection, events: number): void {
  if (events & POLL_READABLE) c.flags |= MAY_HAVE_DATA;
  if (c.state === CONNECTING) {
    finishConnect(c);
    return;
  }
  if (c.sendQueue.length > 0) serveSends(c);
  if (c.recvQueue.length > 0) serveReceives(c);
  if (c.recvQueue.length === 0 && !c.s.closed && wasConnected(c.state)) {
    if (c.wantsIndications()) deliver(c);
    else if (c.events.has(WSK_EVENT_DISCONNECT) && (c.flags & RECV_EOF) === 0 && c.failure === STATUS_SUCCESS) probe(c);
    if (c.flags & RECV_EOF || c.failure !== STATUS_SUCCESS) deliver(c);
  }
  c.updateInterest();
}
