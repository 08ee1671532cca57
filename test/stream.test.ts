// Stream sockets (WSK_FLAG_STREAM_SOCKET): one socket that commits to listening or to a connection.
import * as net from 'net';
import {
  AF_INET,
  IPPROTO_TCP,
  NPI_WSK_INTERFACE_ID,
  PSOCKADDR,
  SOCKADDR_STORAGE,
  SOCK_STREAM,
  SO_WSK_EVENT_CALLBACK,
  SOL_SOCKET,
  STATUS_INVALID_DEVICE_STATE,
  STATUS_PENDING,
  STATUS_SUCCESS,
  WSK_CLIENT_STREAM_DISPATCH,
  WSK_EVENT_ACCEPT,
  WSK_EVENT_RECEIVE,
  WSK_FLAG_STREAM_SOCKET,
  WSK_FLAG_WAITALL,
  WSK_PROVIDER_STREAM_DISPATCH,
  WSK_SOCKET,
  WskSetOption,
  sockaddrPort,
} from '../lib';
import { call, expectStatus, netClosed, netConnect, newOp, Provider, register, unregister, wskClose, wskSocket } from './helpers';
import { conn, netServer, readBytes, sockaddr, wskBuf } from './conn-helpers';

const st = (s: WSK_SOCKET) => s.Dispatch as WSK_PROVIDER_STREAM_DISPATCH;

async function boundStream(p: Provider, dispatch: WSK_CLIENT_STREAM_DISPATCH | null = null): Promise<WSK_SOCKET> {
  const s = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_STREAM_SOCKET, null, dispatch);
  expectStatus((await call((irp) => st(s).WskBind(s, sockaddr('127.0.0.1', 0), 0, irp))).IoStatus.Status, STATUS_SUCCESS);
  return s;
}

describe('stream socket', () => {
  test('the table keeps the stream order (address getters after WskRelease)', async () => {
    const p = register();
    const s = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_STREAM_SOCKET);
    expect(Object.keys(s.Dispatch)).toEqual([
      'Basic', // C++'s view of the two below (ex-calls.test.ts)
      'WskControlSocket', 'WskCloseSocket', 'WskBind', 'WskAccept', 'WskConnect', 'WskListen', 'WskSend', 'WskReceive',
      'WskDisconnect', 'WskRelease', 'WskGetLocalAddress', 'WskGetRemoteAddress', 'WskConnectEx', 'WskSendEx', 'WskReceiveEx',
    ]);
    await wskClose(s);
    await unregister(p);
  });

  test('before bind, WskListen and WskConnect: STATUS_INVALID_DEVICE_STATE', async () => {
    const p = register();
    const s = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_STREAM_SOCKET);
    expectStatus((await call((irp) => st(s).WskListen(s, irp))).IoStatus.Status, STATUS_INVALID_DEVICE_STATE);
    expectStatus((await call((irp) => st(s).WskConnect(s, sockaddr('127.0.0.1', 9), 0, irp))).IoStatus.Status, STATUS_INVALID_DEVICE_STATE);
    await wskClose(s);
    await unregister(p);
  });

  test('WskListen completes once listening; WskAccept then accepts; connection calls are refused', async () => {
    const p = register();
    const s = await boundStream(p);
    const listen = newOp();
    expectStatus(st(s).WskListen(s, listen.irp), STATUS_SUCCESS);
    const local: SOCKADDR_STORAGE = {};
    await call((irp) => st(s).WskGetLocalAddress(s, local, irp));
    const port = sockaddrPort(local as PSOCKADDR);
    const op = newOp();
    expectStatus(st(s).WskAccept(s, 0, null, null, null, null, op.irp), STATUS_PENDING);
    const client = await netConnect('127.0.0.1', port);
    const a = (await op.done).IoStatus.Information as WSK_SOCKET;
    client.write('hi');
    const mem = new Uint8Array(2);
    await call((i) => conn(a).WskReceive(a, wskBuf(mem), WSK_FLAG_WAITALL, i));
    expect(Buffer.from(mem).toString()).toBe('hi');
    // Committed to listening: what a connection offers is refused.
    expectStatus((await call((i) => st(s).WskConnect(s, sockaddr('127.0.0.1', port), 0, i))).IoStatus.Status, STATUS_INVALID_DEVICE_STATE);
    expectStatus((await call((i) => st(s).WskSend(s, wskBuf(new Uint8Array(1)), 0, i))).IoStatus.Status, STATUS_INVALID_DEVICE_STATE);
    expectStatus((await call((i) => st(s).WskListen(s, i))).IoStatus.Status, STATUS_INVALID_DEVICE_STATE);
    const closed = netClosed(client);
    await wskClose(a);
    await closed;
    await wskClose(s);
    await unregister(p);
  });

  test('WskConnect commits to a connection: send and receive work, listen and accept are refused', async () => {
    const p = register();
    let peer!: net.Socket;
    const srv = await netServer('127.0.0.1', (c) => (peer = c));
    const s = await boundStream(p);
    expectStatus((await call((i) => st(s).WskConnect(s, sockaddr('127.0.0.1', srv.port), 0, i))).IoStatus.Status, STATUS_SUCCESS);
    const remote: SOCKADDR_STORAGE = {};
    await call((i) => st(s).WskGetRemoteAddress(s, remote, i));
    expect(sockaddrPort(remote as PSOCKADDR)).toBe(srv.port);
    for (let i = 0; i < 100 && !peer; i++) await new Promise((r) => setTimeout(r, 2));
    const got = readBytes(peer, 3);
    await call((i) => st(s).WskSend(s, wskBuf(Buffer.from('abc')), 0, i));
    expect((await got).toString()).toBe('abc');
    expectStatus((await call((i) => st(s).WskListen(s, i))).IoStatus.Status, STATUS_INVALID_DEVICE_STATE);
    expectStatus((await call((i) => st(s).WskAccept(s, 0, null, null, null, null, i))).IoStatus.Status, STATUS_INVALID_DEVICE_STATE);
    await wskClose(s);
    await srv.close();
    await unregister(p);
  });

  test('events go to the Listen and Connect tables of WSK_CLIENT_STREAM_DISPATCH', async () => {
    const p = register();
    const seen: string[] = [];
    const dispatch: WSK_CLIENT_STREAM_DISPATCH = {
      Listen: { WskAcceptEvent: (_c, _f, _l, _r, a) => (seen.push('accept'), accepted.push(a!), 0), WskInspectEvent: null, WskAbortEvent: null },
      Connect: { WskReceiveEvent: () => (seen.push('receive'), 0), WskDisconnectEvent: null, WskSendBacklogEvent: null },
    };
    const accepted: WSK_SOCKET[] = [];
    const listener = await boundStream(p, dispatch);
    await call((i) => st(listener).WskListen(listener, i));
    const ctl = { NpiId: NPI_WSK_INTERFACE_ID, EventMask: WSK_EVENT_ACCEPT };
    expectStatus(listener.Dispatch.WskControlSocket(listener, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, ctl, 0, null, null, null), STATUS_SUCCESS);
    const local: SOCKADDR_STORAGE = {};
    await call((i) => st(listener).WskGetLocalAddress(listener, local, i));

    const s = await boundStream(p, dispatch);
    await call((i) => st(s).WskConnect(s, sockaddr('127.0.0.1', sockaddrPort(local as PSOCKADDR)), 0, i));
    const rctl = { NpiId: NPI_WSK_INTERFACE_ID, EventMask: WSK_EVENT_RECEIVE };
    expectStatus(s.Dispatch.WskControlSocket(s, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, rctl, 0, null, null, null), STATUS_SUCCESS);
    for (let i = 0; i < 500 && accepted.length === 0; i++) await new Promise((r) => setTimeout(r, 2));
    const a = accepted[0];
    await call((i) => conn(a).WskSend(a, wskBuf(Buffer.from('x')), 0, i));
    for (let i = 0; i < 500 && !seen.includes('receive'); i++) await new Promise((r) => setTimeout(r, 2));
    expect(seen).toEqual(['accept', 'receive']);
    await wskClose(a);
    await wskClose(s);
    await wskClose(listener);
    await unregister(p);
  });
});
