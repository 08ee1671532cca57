// Connects that fail over the impaired link: each failure must complete the IRP with the
// status Windows gives, and a failed connect must leave the socket bound and able to connect
// again (README, "Cancellation").
// run.sh set B up as a router: 198.18.1.0/24 answers with ICMP host unreachable, 198.18.2.0/24
// (no route) with ICMP net unreachable; A has no route to 198.19.0.0/16 at all. Time-outs are
// in blackhole.fault.ts.
import { performance } from 'perf_hooks';
import {
  NTSTATUS,
  STATUS_CONNECTION_REFUSED,
  STATUS_HOST_UNREACHABLE,
  STATUS_NETWORK_UNREACHABLE,
  STATUS_SUCCESS,
  WSK_BUF,
  WSK_FLAG_WAITALL,
  WSK_SOCKET,
  ntStatusName,
} from '../../lib';
import { pattern } from './irp-ledger';
import { config, faultTest, Peer, report, within } from './netfault';
import { conn, connect, FaultClient, mdlOver, mustBe, withClient } from './wsk-client';

const NO_LISTENER = 9; // nothing listens in B but the peer, on ports it got from port 0

let peer: Peer;

beforeAll(async () => {
  if (config) peer = await Peer.start();
});

afterAll(async () => {
  await peer?.stop();
});

/** One message to the echo peer and back, checked. */
async function echoOnce(client: FaultClient, s: WSK_SOCKET): Promise<void> {
  const [lane, sendLane] = [client.ledger.lane(), client.ledger.lane()];
  const message = pattern(config.seed + 5000, 1000);
  const reply = new Uint8Array(message.byteLength);
  const replied = lane.run((irp) => conn(s).WskReceive(s, { Mdl: mdlOver(reply), Offset: 0, Length: reply.byteLength }, WSK_FLAG_WAITALL, irp));
  const buf: WSK_BUF = { Mdl: mdlOver(message), Offset: 0, Length: message.byteLength };
  mustBe((await sendLane.run((irp) => conn(s).WskSend(s, buf, 0, irp))).IoStatus.Status, STATUS_SUCCESS, 'WskSend');
  mustBe((await replied).IoStatus.Status, STATUS_SUCCESS, 'WskReceive');
  expect(Buffer.compare(reply, message)).toBe(0);
}

/** Connects a fresh socket to `host`:`port` and expects `expected`; returns the seconds it took. */
async function connectFails(client: FaultClient, host: string, port: number, expected: NTSTATUS): Promise<number> {
  const lane = client.ledger.lane();
  const s = await client.boundSocket(lane, host.includes(':') ? config.a6 : config.a4);
  const started = performance.now();
  const status = await within(connect(s, lane, host, port), 60000, `WskConnect to ${host}:${port}`);
  const seconds = (performance.now() - started) / 1000;
  expect(`${host}:${port} ${ntStatusName(status)}`).toBe(`${host}:${port} ${ntStatusName(expected)}`);
  await client.close(s, lane);
  client.ledger.verify();
  return seconds;
}

faultTest('a port with no listener (a reset answers the SYN): STATUS_CONNECTION_REFUSED, IPv4 and IPv6', () =>
  withClient(async (client) => {
    const v4 = await connectFails(client, config.b4, NO_LISTENER, STATUS_CONNECTION_REFUSED);
    const v6 = await connectFails(client, config.b6, NO_LISTENER, STATUS_CONNECTION_REFUSED);
    report(`connect refused: STATUS_CONNECTION_REFUSED in ${v4.toFixed(2)} s (IPv4), ${v6.toFixed(2)} s (IPv6); every IRP completed once`);
  }),
);

faultTest('no route in A: STATUS_NETWORK_UNREACHABLE', () =>
  withClient(async (client) => {
    await connectFails(client, config.noRoute4, 80, STATUS_NETWORK_UNREACHABLE);
  }),
);

faultTest('ICMP net unreachable from the router B: STATUS_NETWORK_UNREACHABLE', () =>
  withClient(async (client) => {
    const seconds = await connectFails(client, config.netUnreachable4, 80, STATUS_NETWORK_UNREACHABLE);
    report(`connect to ${config.netUnreachable4} (ICMP net unreachable from B): STATUS_NETWORK_UNREACHABLE in ${seconds.toFixed(2)} s`);
  }),
);

faultTest('ICMP host unreachable from the router B: STATUS_HOST_UNREACHABLE', () =>
  withClient(async (client) => {
    const seconds = await connectFails(client, config.hostUnreachable4, 80, STATUS_HOST_UNREACHABLE);
    report(`connect to ${config.hostUnreachable4} (ICMP host unreachable from B): STATUS_HOST_UNREACHABLE in ${seconds.toFixed(2)} s`);
  }),
);

faultTest('after a refused connect, the same socket connects again', () =>
  withClient(async (client) => {
    const lane = client.ledger.lane();
    const s = await client.boundSocket(lane, config.a4);
    mustBe(await connect(s, lane, config.b4, NO_LISTENER), STATUS_CONNECTION_REFUSED, 'the first WskConnect');
    // Linux leaves a socket whose connect failed asynchronously in SS_CONNECTING (its next
    // connect() would be ECONNABORTED); WSK dissolves the attempt so that this one connects.
    mustBe(await connect(s, lane, config.b4, peer.port4), STATUS_SUCCESS, 'WskConnect after the refusal');
    await echoOnce(client, s);
    await client.close(s, lane);
  }),
);
