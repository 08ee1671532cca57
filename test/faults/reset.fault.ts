// Resets in the middle of a transfer over the impaired link. `ss -K` (sock_diag's destroy)
// kills one TCP socket as an administrator would: the peer's, which then sends a reset to the
// WSK client (any later segment of ours is answered with one too, so a lost reset is repeated),
// or the WSK client's own, which the host aborts under it. The client is sending and receiving
// when it happens; its pending IRPs must all complete, with Windows' statuses.
import {
  STATUS_CONNECTION_ABORTED,
  STATUS_CONNECTION_RESET,
  STATUS_SUCCESS,
  WSK_CLIENT_CONNECTION_DISPATCH,
  WSK_EVENT_DISCONNECT,
  WSK_EVENT_RECEIVE,
  WSK_FLAG_ABORTIVE,
  ntStatusName,
} from '../../lib';
import { pattern } from './irp-ledger';
import { config, faultTest, inNamespace, Peer, report, until, within } from './netfault';
import { Ended, enableEvents, FaultClient, indicationBytes, localPort, receiveUntilFailure, sendUntilFailure, StreamCheck, withClient } from './wsk-client';

const STREAM = 16 * 1024 * 1024; // more than the transfer gets through before the reset
const RESET_AFTER = 1024 * 1024; // bytes echoed back before the kill: mid-transfer

/** Destroys the TCP sockets `ss` finds in namespace `ns` with `filter`; returns what it listed. */
function killSockets(ns: 'A' | 'B', filter: string[]): string {
  return inNamespace(ns, ['ss', '-K', '-t', '-n', ...filter]);
}

let peer: Peer;

beforeAll(async () => {
  if (config) peer = await Peer.start();
});

afterAll(async () => {
  await peer?.stop();
});

/** A connection streaming to the echo peer; `killed` says whose socket `ss -K` destroyed. */
async function streamAndKill(client: FaultClient, whose: 'peer' | 'own'): Promise<{ sent: Ended; received: Ended; check: StreamCheck; listed: string; port: number }> {
  const data = pattern(config.seed + 3000, STREAM);
  const check = new StreamCheck(data);
  const lane = client.ledger.lane();
  const s = await client.connected(lane, config.a4, config.b4, peer.port4);
  const port = await localPort(s, lane);
  const sending = sendUntilFailure(client, s, data);
  const receiving = receiveUntilFailure(client, s, check);
  await until(() => check.received >= RESET_AFTER, `${RESET_AFTER} bytes echoed`);
  const listed =
    whose === 'peer' ? killSockets('B', ['dst', `${config.a4}:${port}`]) : killSockets('A', ['src', `${config.a4}:${port}`]);
  const [sent, received] = await within(Promise.all([sending, receiving]), 60000, 'the pending send and receive after the kill');
  await client.close(s, lane);
  return { sent, received, check, listed, port };
}

faultTest("the peer's socket destroyed mid-transfer (ss -K in B): the pending receive and send complete STATUS_CONNECTION_RESET", () =>
  withClient(async (client) => {
    const r = await streamAndKill(client, 'peer');
    expect(r.listed).toContain(`${config.a4}:${r.port}`);
    expect(ntStatusName(r.received.status)).toBe(ntStatusName(STATUS_CONNECTION_RESET));
    expect(ntStatusName(r.sent.status)).toBe(ntStatusName(STATUS_CONNECTION_RESET));
    expect(r.check.firstBad).toBe(-1); // what arrived before the reset is the stream, in order
    expect((await peer.connection(r.port)).error).not.toBeNull();
    client.ledger.verify();
    report(
      `reset by the peer (ss -K in B) after ${r.received.bytes} bytes echoed: receive ${ntStatusName(r.received.status)}, ` +
        `send ${ntStatusName(r.sent.status)} after ${r.sent.bytes} bytes sent; ${client.ledger}`,
    );
  }),
);

faultTest('the WSK socket itself destroyed mid-transfer (ss -K in A): the pending receive and send complete STATUS_CONNECTION_ABORTED', () =>
  withClient(async (client) => {
    const r = await streamAndKill(client, 'own');
    expect(r.listed).toContain(`${config.a4}:${r.port}`);
    expect(ntStatusName(r.received.status)).toBe(ntStatusName(STATUS_CONNECTION_ABORTED));
    expect(ntStatusName(r.sent.status)).toBe(ntStatusName(STATUS_CONNECTION_ABORTED));
    expect(r.check.firstBad).toBe(-1);
    client.ledger.verify();
    report(
      `own socket destroyed (ss -K in A) after ${r.received.bytes} bytes echoed: receive ${ntStatusName(r.received.status)}, ` +
        `send ${ntStatusName(r.sent.status)}; ${client.ledger}`,
    );
  }),
);

faultTest("with receive and disconnect events, the peer's reset mid-transfer is a WskDisconnectEvent with WSK_FLAG_ABORTIVE", () =>
  withClient(async (client) => {
    const data = pattern(config.seed + 4000, STREAM);
    const check = new StreamCheck(data);
    const disconnects: number[] = [];
    const dispatch: WSK_CLIENT_CONNECTION_DISPATCH = {
      WskReceiveEvent: (_context, _flags, chain) => {
        for (const piece of indicationBytes(chain)) check.take(piece);
        return STATUS_SUCCESS;
      },
      WskDisconnectEvent: (_context, flags) => (disconnects.push(flags), STATUS_SUCCESS),
      WskSendBacklogEvent: null,
    };
    const lane = client.ledger.lane();
    const s = await client.connected(lane, config.a4, config.b4, peer.port4, dispatch);
    const port = await localPort(s, lane);
    enableEvents(s, WSK_EVENT_RECEIVE | WSK_EVENT_DISCONNECT);
    const sending = sendUntilFailure(client, s, data);
    await until(() => check.received >= RESET_AFTER, `${RESET_AFTER} bytes indicated`);
    expect(killSockets('B', ['dst', `${config.a4}:${port}`])).toContain(`${config.a4}:${port}`);
    const sent = await within(sending, 60000, 'the pending send after the reset');
    await until(() => disconnects.length > 0, 'WskDisconnectEvent');
    await client.close(s, lane);

    expect(disconnects).toEqual([WSK_FLAG_ABORTIVE]);
    expect(ntStatusName(sent.status)).toBe(ntStatusName(STATUS_CONNECTION_RESET));
    expect(check.firstBad).toBe(-1);
    client.ledger.verify();
    report(`reset by the peer with events on, after ${check.received} bytes indicated: WskDisconnectEvent flags ${disconnects.join(',')}, send ${ntStatusName(sent.status)}; ${client.ledger}`);
  }),
);
