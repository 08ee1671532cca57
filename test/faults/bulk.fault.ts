// 50 MiB through the impaired link: four IPv4 connections from namespace A to the echo peer
// in B, 12.5 MiB each way on each, every byte checked where it comes back (and hashed by the
// peer on the way out), every IRP counted. Two connections receive with WskReceive IRPs, two
// with WskReceiveEvent, so that both receive paths see loss, reordering and duplicates.
import { performance } from 'perf_hooks';
import {
  STATUS_SUCCESS,
  WSK_BUF,
  WSK_CLIENT_CONNECTION_DISPATCH,
  WSK_EVENT_DISCONNECT,
  WSK_EVENT_RECEIVE,
  WSK_SOCKET,
} from '../../lib';
import { IrpLedger, pattern } from './irp-ledger';
import { config, faultTest, forwarderStats, impairmentSince, Peer, report, within } from './netfault';
import { conn, enableEvents, FaultClient, withClient, indicationBytes, localPort, mdlOver, mustBe, sha256, StreamCheck } from './wsk-client';

const TOTAL = 50 * 1024 * 1024;
const CONNECTIONS = 4;
const SEND_CHUNK = 256 * 1024;
const RECEIVE_SIZE = 64 * 1024;

/** Sends all of `data` in SEND_CHUNK pieces, then a graceful disconnect (the peer echoes the FIN). */
async function sendAll(s: WSK_SOCKET, ledger: IrpLedger, data: Uint8Array): Promise<void> {
  const lane = ledger.lane();
  const mdl = mdlOver(data);
  for (let offset = 0; offset < data.byteLength; offset += SEND_CHUNK) {
    const buf: WSK_BUF = { Mdl: mdl, Offset: offset, Length: Math.min(SEND_CHUNK, data.byteLength - offset) };
    const sent = await lane.run((irp) => conn(s).WskSend(s, buf, 0, irp));
    mustBe(sent.IoStatus.Status, STATUS_SUCCESS, `WskSend at offset ${offset}`);
    if (sent.IoStatus.Information !== buf.Length) throw new Error(`WskSend at ${offset}: ${String(sent.IoStatus.Information)} of ${buf.Length} bytes`);
  }
  mustBe((await lane.run((irp) => conn(s).WskDisconnect(s, null, 0, irp))).IoStatus.Status, STATUS_SUCCESS, 'WskDisconnect');
}

/** WskReceive IRPs until the peer's FIN (a completion of 0 bytes). */
async function receiveWithIrps(s: WSK_SOCKET, ledger: IrpLedger, check: StreamCheck): Promise<void> {
  const lane = ledger.lane();
  const space = new Uint8Array(RECEIVE_SIZE);
  const buf: WSK_BUF = { Mdl: mdlOver(space), Offset: 0, Length: RECEIVE_SIZE };
  for (;;) {
    const got = await lane.run((irp) => conn(s).WskReceive(s, buf, 0, irp));
    mustBe(got.IoStatus.Status, STATUS_SUCCESS, `WskReceive after ${check.received} bytes`);
    const n = got.IoStatus.Information as number;
    if (n === 0) return;
    check.take(space.subarray(0, n));
  }
}

/** A dispatch whose WskReceiveEvent checks and accepts everything; resolves at the disconnect. */
function receivingDispatch(check: StreamCheck): { dispatch: WSK_CLIENT_CONNECTION_DISPATCH; disconnected: Promise<number> } {
  let resolve!: (flags: number) => void;
  const disconnected = new Promise<number>((r) => (resolve = r));
  const dispatch: WSK_CLIENT_CONNECTION_DISPATCH = {
    WskReceiveEvent: (_context, _flags, chain) => {
      for (const piece of indicationBytes(chain)) check.take(piece);
      return STATUS_SUCCESS;
    },
    WskDisconnectEvent: (_context, flags) => (resolve(flags), STATUS_SUCCESS),
    WskSendBacklogEvent: null,
  };
  return { dispatch, disconnected };
}

interface Transfer {
  check: StreamCheck;
  port: number;
  sent: string;
}

async function transfer(client: FaultClient, index: number, withEvents: boolean): Promise<Transfer> {
  const { ledger } = client;
  const data = pattern(config.seed + index, TOTAL / CONNECTIONS);
  const check = new StreamCheck(data);
  const lane = ledger.lane();
  const events = withEvents ? receivingDispatch(check) : null;
  const s = await client.connected(lane, config.a4, config.b4, peer.port4, events?.dispatch ?? null);
  const port = await localPort(s, lane);
  let received: Promise<unknown>;
  if (events) {
    enableEvents(s, WSK_EVENT_RECEIVE | WSK_EVENT_DISCONNECT);
    received = events.disconnected.then((flags) => {
      if (flags !== 0) throw new Error(`connection ${index}: abortive disconnect event (flags ${flags}) after ${check.describe()}`);
    });
  } else {
    received = receiveWithIrps(s, ledger, check);
  }
  await Promise.all([sendAll(s, ledger, data), received]);
  await client.close(s, lane);
  return { check, port, sent: sha256(data) };
}

let peer: Peer;

beforeAll(async () => {
  if (config) peer = await Peer.start();
});

afterAll(async () => {
  await peer?.stop();
});

faultTest(`${TOTAL >> 20} MiB echoed over ${CONNECTIONS} impaired connections: every byte back in order, every IRP completed once`, () =>
  withClient(async (client) => {
    const before = await forwarderStats();
    const started = performance.now();
    const transfers = Array.from({ length: CONNECTIONS }, (_, i) => transfer(client, i, i % 2 === 1));
    const results = await within(Promise.all(transfers), 170000, `${TOTAL >> 20} MiB under impairment`);
    const seconds = (performance.now() - started) / 1000;
    const impairment = impairmentSince(before, await forwarderStats());

    const each = TOTAL / CONNECTIONS;
    for (const [i, r] of results.entries()) {
      expect(`connection ${i}: ${r.check.describe()}`).toBe(`connection ${i}: ${each} of ${each} bytes, all matching`);
      const atPeer = await peer.connection(r.port);
      expect({ bytes: atPeer.bytes, sha256: atPeer.sha256, error: atPeer.error }).toEqual({ bytes: each, sha256: r.sent, error: null });
    }
    client.ledger.verify();

    report(
      `bulk: ${TOTAL >> 20} MiB each way (${CONNECTIONS} IPv4 connections x ${each / 1048576} MiB echoed; 2 receive with IRPs, 2 with WskReceiveEvent) ` +
        `in ${seconds.toFixed(1)} s = ${(TOTAL / 1048576 / seconds).toFixed(2)} MiB/s each way; every byte matched both ways; ${client.ledger}; ${impairment}`,
    );
  }),
);
