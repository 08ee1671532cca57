// 5,000 request/response round trips through the impaired link, over IPv6: 25 connections
// from namespace A to the echo peer in B, 200 round trips each, requests of 1 to 3,000 bytes
// (one to three segments). Each round trip posts its WskReceive before its WskSend, as a driver
// does, and checks the reply byte for byte. Half the connections receive each reply with one
// WSK_FLAG_WAITALL receive, half with as many plain receives as it takes.
import { performance } from 'perf_hooks';
import { STATUS_SUCCESS, WSK_BUF, WSK_FLAG_WAITALL, WSK_SOCKET } from '../../lib';
import { Lane, pattern } from './irp-ledger';
import { config, faultTest, forwarderStats, impairmentSince, Peer, report, within } from './netfault';
import { conn, FaultClient, localPort, mdlOver, mustBe, withClient } from './wsk-client';

const CONNECTIONS = 25;
const ROUND_TRIPS = 200;
const MAX_REQUEST = 3000;

/** Receives exactly `size` bytes into `buf`'s MDL: one WAITALL receive, or a loop of plain ones. */
async function receiveReply(s: WSK_SOCKET, lane: Lane, buf: WSK_BUF, size: number, waitAll: boolean): Promise<void> {
  let got = 0;
  while (got < size) {
    const part: WSK_BUF = { Mdl: buf.Mdl, Offset: got, Length: size - got };
    const done = await lane.run((irp) => conn(s).WskReceive(s, part, waitAll ? WSK_FLAG_WAITALL : 0, irp));
    mustBe(done.IoStatus.Status, STATUS_SUCCESS, `WskReceive of a ${size}-byte reply after ${got}`);
    const n = done.IoStatus.Information as number;
    if (n === 0) throw new Error(`the peer closed with ${size - got} bytes of a reply missing`);
    if (waitAll && n !== size) throw new Error(`WSK_FLAG_WAITALL receive of ${size} bytes completed with ${n}`);
    got += n;
  }
}

/** ROUND_TRIPS request/replies on one connection; returns the client port (for the peer's record). */
async function roundTrips(client: FaultClient, index: number, waitAll: boolean): Promise<number> {
  const { ledger } = client;
  const requests = pattern(config.seed + 1000 + index, ROUND_TRIPS * MAX_REQUEST);
  const sizes = pattern(config.seed + 2000 + index, ROUND_TRIPS * 4);
  const requestMdl = mdlOver(requests);
  const reply = new Uint8Array(MAX_REQUEST);
  const replyBuf: WSK_BUF = { Mdl: mdlOver(reply), Offset: 0, Length: MAX_REQUEST };
  const [lane, sendLane] = [ledger.lane(), ledger.lane()];
  const s = await client.connected(lane, config.a6, config.b6, peer.port6);
  const port = await localPort(s, lane);
  for (let i = 0; i < ROUND_TRIPS; i++) {
    const size = 1 + (new DataView(sizes.buffer).getUint32(i * 4) % MAX_REQUEST);
    const request: WSK_BUF = { Mdl: requestMdl, Offset: i * MAX_REQUEST, Length: size };
    const replied = receiveReply(s, lane, replyBuf, size, waitAll);
    const sent = await sendLane.run((irp) => conn(s).WskSend(s, request, 0, irp));
    mustBe(sent.IoStatus.Status, STATUS_SUCCESS, `WskSend of round trip ${i}`);
    await replied;
    const expected = requests.subarray(i * MAX_REQUEST, i * MAX_REQUEST + size);
    if (Buffer.compare(reply.subarray(0, size), expected) !== 0) {
      throw new Error(`connection ${index}, round trip ${i}: the ${size}-byte reply differs from the request`);
    }
  }
  mustBe((await sendLane.run((irp) => conn(s).WskDisconnect(s, null, 0, irp))).IoStatus.Status, STATUS_SUCCESS, 'WskDisconnect');
  const end = await lane.run((irp) => conn(s).WskReceive(s, replyBuf, 0, irp));
  if (end.IoStatus.Status !== STATUS_SUCCESS || end.IoStatus.Information !== 0) throw new Error('no FIN after the last reply');
  await client.close(s, lane);
  return port;
}

let peer: Peer;

beforeAll(async () => {
  if (config) peer = await Peer.start();
});

afterAll(async () => {
  await peer?.stop();
});

faultTest(`${CONNECTIONS * ROUND_TRIPS} round trips over ${CONNECTIONS} impaired IPv6 connections: every reply checked, every IRP completed once`, () =>
  withClient(async (client) => {
    const before = await forwarderStats();
    const started = performance.now();
    const connections = Array.from({ length: CONNECTIONS }, (_, i) => roundTrips(client, i, i % 2 === 0));
    const ports = await within(Promise.all(connections), 170000, `${CONNECTIONS * ROUND_TRIPS} round trips under impairment`);
    const seconds = (performance.now() - started) / 1000;
    const impairment = impairmentSince(before, await forwarderStats());

    for (const port of ports) expect((await peer.connection(port)).error).toBeNull();
    client.ledger.verify();

    const total = CONNECTIONS * ROUND_TRIPS;
    report(
      `round trips: ${total} (${CONNECTIONS} IPv6 connections x ${ROUND_TRIPS}, 1-${MAX_REQUEST} bytes, receive posted before send) ` +
        `in ${seconds.toFixed(1)} s = ${(total / seconds).toFixed(0)}/s, ${((seconds * 1000) / ROUND_TRIPS).toFixed(0)} ms per round trip on a connection; ` +
        `every reply matched; ${client.ledger}; ${impairment}`,
    );
  }),
);
