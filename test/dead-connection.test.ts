// A connection that failed for good tells WskReceiveEvent with a NULL DataIndication ("the
// socket is no longer functional", wsk.h), once, after the data that came before the failure;
// WskDisconnectEvent (if enabled) still says WSK_FLAG_ABORTIVE first. The client's own abortive
// disconnect is not a failure: no NULL indication then.
import * as net from 'net';
import {
  MmGetSystemAddressForMdlSafe,
  NormalPagePriority,
  NPI_WSK_INTERFACE_ID,
  NTSTATUS,
  PWSK_DATA_INDICATION,
  SO_WSK_EVENT_CALLBACK,
  SOL_SOCKET,
  STATUS_SUCCESS,
  WSK_CLIENT_CONNECTION_DISPATCH,
  WSK_EVENT_DISCONNECT,
  WSK_EVENT_RECEIVE,
  WSK_FLAG_ABORTIVE,
  WSK_SOCKET,
  WskSetOption,
} from '../lib';
import { conn, netServer, wskConnect } from './conn-helpers';
import { call, expectStatus, register, unregister, wskClose } from './helpers';

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

function enable(s: WSK_SOCKET, mask: number): NTSTATUS {
  return s.Dispatch.WskControlSocket(s, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, { NpiId: NPI_WSK_INTERFACE_ID, EventMask: mask }, 0, null, null, null);
}

function text(d: PWSK_DATA_INDICATION | null): string {
  let out = '';
  for (let e = d; e; e = e.Next) {
    const v = MmGetSystemAddressForMdlSafe(e.Buffer.Mdl!, NormalPagePriority)!;
    out += Buffer.from(v.subarray(e.Buffer.Offset, e.Buffer.Offset + e.Buffer.Length)).toString();
  }
  return out;
}

/** A WSK connection whose events write what they see to `log`; its node:net peer. */
async function logged(mask: number) {
  const p = register();
  const log: string[] = [];
  const dispatch: WSK_CLIENT_CONNECTION_DISPATCH = {
    WskReceiveEvent: (_c, _f, d, n) => (log.push(d === null ? `receive NULL (${n})` : `receive '${text(d)}'`), STATUS_SUCCESS),
    WskDisconnectEvent: (_c, flags) => (log.push(flags & WSK_FLAG_ABORTIVE ? 'disconnect abortive' : 'disconnect'), STATUS_SUCCESS),
    WskSendBacklogEvent: null,
  };
  let resolvePeer!: (c: net.Socket) => void;
  const peerReady = new Promise<net.Socket>((r) => (resolvePeer = r));
  const srv = await netServer('127.0.0.1', resolvePeer);
  const s = await wskConnect(p, '127.0.0.1', srv.port, null, dispatch);
  const peer = await peerReady;
  expectStatus(enable(s, mask), STATUS_SUCCESS);
  return { p, s, peer, log, close: srv.close };
}

test('a reset after data: the data, then WskReceiveEvent with NULL, once', async () => {
  const c = await logged(WSK_EVENT_RECEIVE);
  c.peer.write('last words');
  await until(() => c.log.length === 1, 'the data');
  c.peer.resetAndDestroy();
  await until(() => c.log.length === 2, 'the NULL indication');
  await new Promise((r) => setTimeout(r, 30));
  expect(c.log).toEqual(["receive 'last words'", 'receive NULL (0)']);
  await wskClose(c.s);
  await c.close();
  await unregister(c.p);
});

test('with WskDisconnectEvent too: the abortive disconnect event first, then the NULL indication', async () => {
  const c = await logged(WSK_EVENT_RECEIVE | WSK_EVENT_DISCONNECT);
  c.peer.resetAndDestroy();
  await until(() => c.log.length === 2, 'both events');
  expect(c.log).toEqual(['disconnect abortive', 'receive NULL (0)']);
  await wskClose(c.s);
  await c.close();
  await unregister(c.p);
});

test('a graceful end and the client\'s own abortive disconnect give no NULL indication', async () => {
  const c = await logged(WSK_EVENT_RECEIVE | WSK_EVENT_DISCONNECT);
  c.peer.end('bye');
  await until(() => c.log.length === 2, 'the data and the disconnect');
  expectStatus((await call((irp) => conn(c.s).WskDisconnect(c.s, null, WSK_FLAG_ABORTIVE, irp))).IoStatus.Status, STATUS_SUCCESS);
  await new Promise((r) => setTimeout(r, 30));
  expect(c.log).toEqual(["receive 'bye'", 'disconnect']);
  await wskClose(c.s);
  await c.close();
  await unregister(c.p);
});
