// WskConnectEx, WskSendEx and WskReceiveEx as wsk.h declares them (PFN_WSK_CONNECT_EX,
// PFN_WSK_SEND_EX, PFN_WSK_RECEIVE_EX), on connection and stream sockets, against a node:net
// peer; and the C++ view of every provider table (`Dispatch.Basic.WskCloseSocket`).
import * as net from 'net';
import {
  AF_INET,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IP_TOS,
  IPPROTO_IP,
  SOCK_DGRAM,
  SOCK_STREAM,
  STATUS_BUFFER_OVERFLOW,
  STATUS_CONNECTION_REFUSED,
  STATUS_INVALID_DEVICE_STATE,
  STATUS_INVALID_PARAMETER,
  STATUS_SUCCESS,
  WSK_FLAG_BASIC_SOCKET,
  WSK_FLAG_CONNECTION_SOCKET,
  WSK_FLAG_DATAGRAM_SOCKET,
  WSK_FLAG_LISTEN_SOCKET,
  WSK_FLAG_STREAM_SOCKET,
  WSK_FLAG_WAITALL,
  WSK_PROVIDER_STREAM_DISPATCH,
  WSK_SOCKET,
  cmsgBuild,
  sockaddrFromString,
} from '../lib';
import { call, expectStatus, Provider, register, unregister, wskClose, wskSocket } from './helpers';
import { conn, netServer, randomBytes, readBytes, wskBuf } from './conn-helpers';

const stream = (s: WSK_SOCKET) => s.Dispatch as WSK_PROVIDER_STREAM_DISPATCH;

/** A socket of `flags` bound to 127.0.0.1:0, and a node:net server whose next connection is `peer`. */
async function setup(p: Provider, flags: number) {
  let resolvePeer!: (c: net.Socket) => void;
  const peer = new Promise<net.Socket>((r) => (resolvePeer = r));
  const srv = await netServer('127.0.0.1', resolvePeer);
  const s = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, flags);
  const table = flags === WSK_FLAG_STREAM_SOCKET ? stream(s) : conn(s);
  expectStatus((await call((i) => table.WskBind(s, sockaddrFromString('127.0.0.1', 0), 0, i))).IoStatus.Status, STATUS_SUCCESS);
  return { s, table, srv, peer };
}

describe.each([
  ['connection', WSK_FLAG_CONNECTION_SOCKET],
  ['stream', WSK_FLAG_STREAM_SOCKET],
])('the Ex calls on a %s socket', (_name, flags) => {
  let p: Provider;
  beforeEach(() => (p = register()));
  afterEach(() => unregister(p));

  test('WskConnectEx sends its buffer once connected; the IRP completes with the bytes sent', async () => {
    const { s, table, srv, peer } = await setup(p, flags);
    const first = randomBytes(3000, 7);
    const irp = await call((i) => table.WskConnectEx(s, sockaddrFromString('127.0.0.1', srv.port), wskBuf(first), 0, i));
    expect([irp.IoStatus.Status, irp.IoStatus.Information]).toEqual([STATUS_SUCCESS, first.byteLength]);
    const c = await peer;
    expect(Buffer.compare(await readBytes(c, first.byteLength), Buffer.from(first))).toBe(0);
    if (flags === WSK_FLAG_STREAM_SOCKET) {
      // Committed to the connection role: listening is no longer allowed.
      expectStatus((await call((i) => stream(s).WskListen(s, i))).IoStatus.Status, STATUS_INVALID_DEVICE_STATE);
    }
    c.destroy();
    await wskClose(s);
    await srv.close();
  });

  test('WskConnectEx without a buffer connects; reserved Flags and a buffer over 65,535 bytes are refused', async () => {
    const { s, table, srv, peer } = await setup(p, flags);
    const to = sockaddrFromString('127.0.0.1', srv.port);
    expectStatus((await call((i) => table.WskConnectEx(s, to, null, 1, i))).IoStatus.Status, STATUS_INVALID_PARAMETER);
    expectStatus((await call((i) => table.WskConnectEx(s, to, wskBuf(new Uint8Array(65536)), 0, i))).IoStatus.Status, STATUS_BUFFER_OVERFLOW);
    const irp = await call((i) => table.WskConnectEx(s, to, null, 0, i));
    expect([irp.IoStatus.Status, irp.IoStatus.Information]).toEqual([STATUS_SUCCESS, 0]);
    (await peer).destroy();
    await wskClose(s);
    await srv.close();
  });

  test('a refused WskConnectEx completes STATUS_CONNECTION_REFUSED and sends nothing', async () => {
    const { s, table, srv } = await setup(p, flags);
    const port = srv.port;
    await srv.close();
    const irp = await call((i) => table.WskConnectEx(s, sockaddrFromString('127.0.0.1', port), wskBuf(Uint8Array.of(1, 2, 3)), 0, i));
    expect([irp.IoStatus.Status, irp.IoStatus.Information]).toEqual([STATUS_CONNECTION_REFUSED, 0]);
    await wskClose(s);
  });

  test('WskSendEx with well-formed control information sends the bytes; a malformed buffer is refused', async () => {
    const { s, table, srv, peer } = await setup(p, flags);
    expectStatus((await call((i) => table.WskConnect(s, sockaddrFromString('127.0.0.1', srv.port), 0, i))).IoStatus.Status, STATUS_SUCCESS);
    const c = await peer;
    const data = randomBytes(5000, 3);
    const control = cmsgBuild([{ cmsg_level: IPPROTO_IP, cmsg_type: IP_TOS, data: Uint8Array.of(0, 0, 0, 0) }]);
    const sent = await call((i) => table.WskSendEx(s, wskBuf(data), 0, control.byteLength, control, i));
    expect([sent.IoStatus.Status, sent.IoStatus.Information]).toEqual([STATUS_SUCCESS, data.byteLength]);
    expect(Buffer.compare(await readBytes(c, data.byteLength), Buffer.from(data))).toBe(0);
    const plain = await call((i) => table.WskSendEx(s, wskBuf(data.subarray(0, 10)), 0, 0, null, i));
    expect(plain.IoStatus.Information).toBe(10);
    expect(Buffer.compare(await readBytes(c, 10), Buffer.from(data.subarray(0, 10)))).toBe(0);
    const bad = await call((i) => table.WskSendEx(s, wskBuf(data), 0, 12, control, i)); // a header cut short
    expect([bad.IoStatus.Status, bad.IoStatus.Information]).toEqual([STATUS_INVALID_PARAMETER, 0]);
    c.destroy();
    await wskClose(s);
    await srv.close();
  });

  test('WskReceiveEx receives like WskReceive (WSK_FLAG_WAITALL too); no control data, ControlFlags 0', async () => {
    const { s, table, srv, peer } = await setup(p, flags);
    expectStatus((await call((i) => table.WskConnect(s, sockaddrFromString('127.0.0.1', srv.port), 0, i))).IoStatus.Status, STATUS_SUCCESS);
    const c = await peer;
    const data = randomBytes(4096, 11);
    const mem = new Uint8Array(4096);
    const controlLength = { 0: 64 };
    const controlFlags = { 0: 0xff };
    const control = new Uint8Array(64);
    const op = call((i) => table.WskReceiveEx(s, wskBuf(mem), WSK_FLAG_WAITALL, controlLength, control, controlFlags, i));
    c.write(data.subarray(0, 1000));
    setTimeout(() => c.write(data.subarray(1000)), 20);
    const irp = await op;
    expect([irp.IoStatus.Status, irp.IoStatus.Information, controlLength[0], controlFlags[0]]).toEqual([STATUS_SUCCESS, 4096, 0, 0]);
    expect(Buffer.compare(Buffer.from(mem), Buffer.from(data))).toBe(0);
    const frozen = Object.freeze({ 0: 0 });
    expectStatus((await call((i) => table.WskReceiveEx(s, wskBuf(mem), 0, frozen, control, null, i))).IoStatus.Status, STATUS_INVALID_PARAMETER);
    c.destroy();
    await wskClose(s);
    await srv.close();
  });
});

describe('the C++ view of the provider tables', () => {
  test('every category table has Basic.WskControlSocket / Basic.WskCloseSocket beside its frozen flat members', async () => {
    const p = register();
    const kinds: Array<[number, number, number]> = [
      [WSK_FLAG_LISTEN_SOCKET, SOCK_STREAM, IPPROTO_TCP],
      [WSK_FLAG_CONNECTION_SOCKET, SOCK_STREAM, IPPROTO_TCP],
      [WSK_FLAG_DATAGRAM_SOCKET, SOCK_DGRAM, IPPROTO_UDP],
      [WSK_FLAG_STREAM_SOCKET, SOCK_STREAM, IPPROTO_TCP],
    ];
    for (const [flags, type, protocol] of kinds) {
      const s = await wskSocket(p, AF_INET, type, protocol, flags);
      const d = s.Dispatch as typeof s.Dispatch & { Basic: typeof s.Dispatch };
      expect(Object.isFrozen(d) && Object.isFrozen(d.Basic)).toBe(true);
      expect(d.Basic.WskCloseSocket).toBe(d.WskCloseSocket);
      expect(d.Basic.WskControlSocket).toBe(d.WskControlSocket);
      expect(Object.getOwnPropertyDescriptor(d, 'WskCloseSocket')).toMatchObject({ writable: false, value: d.WskCloseSocket });
      // C++ closes through the view.
      expectStatus((await call((i) => d.Basic.WskCloseSocket(s, i))).IoStatus.Status, STATUS_SUCCESS);
    }
    const b = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_BASIC_SOCKET);
    expect('Basic' in b.Dispatch).toBe(false); // WSK_PROVIDER_BASIC_DISPATCH is itself the basic struct
    await wskClose(b);
    await unregister(p);
  });
});
