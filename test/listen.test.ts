// Listening sockets on real loopback ports, with node:net peers.
import * as net from 'net';
import {
  AF_INET,
  AF_INET6,
  IoCancelIrp,
  IoFreeIrp,
  IPPROTO_TCP,
  PSOCKADDR,
  SOCKADDR_IN,
  SOCKADDR_IN6,
  SOCKADDR_STORAGE,
  SOCK_STREAM,
  STATUS_ADDRESS_ALREADY_EXISTS,
  STATUS_CANCELLED,
  STATUS_INVALID_DEVICE_STATE,
  STATUS_INVALID_PARAMETER,
  STATUS_PENDING,
  STATUS_SUCCESS,
  WSK_FLAG_LISTEN_SOCKET,
  WSK_PROVIDER_CONNECTION_DISPATCH,
  WSK_PROVIDER_LISTEN_DISPATCH,
  WSK_SOCKET,
  sockaddrAddressString,
  sockaddrFromString,
  sockaddrPort,
} from '../lib';
import { call, expectStatus, listenOn, netClosed, netConnect, newOp, register, tick, unregister, wskClose, wskSocket } from './helpers';

const listenTable = (s: WSK_SOCKET) => s.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;

describe('listening socket', () => {
  test('a pending WskAccept completes with the node:net client address and port', async () => {
    const p = register();
    const { socket, port } = await listenOn(p, '127.0.0.1');
    const op = newOp();
    const local: SOCKADDR_STORAGE = {};
    const remote: SOCKADDR_STORAGE = {};
    const ctx = { name: 'conn' };
    expectStatus(listenTable(socket).WskAccept(socket, 0, ctx, null, local, remote, op.irp), STATUS_PENDING);
    const client = await netConnect('127.0.0.1', port);
    const irp = await op.done;
    expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
    expect(irp.PendingReturned).toBe(true);
    const accepted = irp.IoStatus.Information as WSK_SOCKET;
    expect(Object.keys(accepted.Dispatch)).toContain('WskSend');
    expect((remote as SOCKADDR_IN).sin_family).toBe(AF_INET);
    expect(sockaddrAddressString(remote as PSOCKADDR)).toBe('127.0.0.1');
    expect(sockaddrPort(remote as PSOCKADDR)).toBe(client.localPort);
    expect(sockaddrPort(local as PSOCKADDR)).toBe(port);
    const ended = netClosed(client);
    await wskClose(accepted);
    await ended;
    await wskClose(socket);
    await unregister(p);
  });

  test('WskAccept completes inline when a connection is already waiting', async () => {
    const p = register();
    const { socket, port } = await listenOn(p, '127.0.0.1');
    const client = await netConnect('127.0.0.1', port);
    const op = newOp();
    const remote: SOCKADDR_STORAGE = {};
    // The handshake is done when node:net reports 'connect', so the connection is queued.
    expectStatus(listenTable(socket).WskAccept(socket, 0, null, null, null, remote, op.irp), STATUS_SUCCESS);
    expect(op.completions).toBe(1);
    expect(op.irp.PendingReturned).toBe(false);
    expect(sockaddrPort(remote as PSOCKADDR)).toBe(client.localPort);
    const ended = netClosed(client);
    await wskClose(op.irp.IoStatus.Information as WSK_SOCKET);
    await ended;
    await wskClose(socket);
    await unregister(p);
  });

  test('one readiness event serves every waiting accept', async () => {
    const p = register();
    const { socket, port } = await listenOn(p, '127.0.0.1');
    const ops = Array.from({ length: 5 }, () => newOp());
    for (const op of ops) expectStatus(listenTable(socket).WskAccept(socket, 0, null, null, null, null, op.irp), STATUS_PENDING);
    const clients = await Promise.all(ops.map(() => netConnect('127.0.0.1', port)));
    const irps = await Promise.all(ops.map((op) => op.done));
    for (const irp of irps) expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
    const closed = clients.map(netClosed);
    for (const irp of irps) await wskClose(irp.IoStatus.Information as WSK_SOCKET);
    await Promise.all(closed);
    await wskClose(socket);
    await unregister(p);
  });

  test('IoCancelIrp on a pending WskAccept completes it STATUS_CANCELLED; the listener still works', async () => {
    const p = register();
    const { socket, port } = await listenOn(p, '127.0.0.1');
    const op = newOp();
    expectStatus(listenTable(socket).WskAccept(socket, 0, null, null, null, null, op.irp), STATUS_PENDING);
    expect(IoCancelIrp(op.irp)).toBe(true);
    const irp = await op.done;
    expectStatus(irp.IoStatus.Status, STATUS_CANCELLED);
    expect(irp.IoStatus.Information).toBe(0);
    expect(IoCancelIrp(irp)).toBe(false);
    IoFreeIrp(irp);

    const again = newOp();
    expectStatus(listenTable(socket).WskAccept(socket, 0, null, null, null, null, again.irp), STATUS_PENDING);
    const client = await netConnect('127.0.0.1', port);
    const accepted = await again.done;
    expectStatus(accepted.IoStatus.Status, STATUS_SUCCESS);
    const ended = netClosed(client);
    await wskClose(accepted.IoStatus.Information as WSK_SOCKET);
    await ended;
    await wskClose(socket);
    await unregister(p);
  });

  test('WskCloseSocket completes a pending accept STATUS_CANCELLED before its own IRP', async () => {
    const p = register();
    const { socket } = await listenOn(p, '127.0.0.1');
    const order: string[] = [];
    const accept = newOp();
    accept.done.then(() => order.push('accept'));
    expectStatus(listenTable(socket).WskAccept(socket, 0, null, null, null, null, accept.irp), STATUS_PENDING);
    const close = newOp();
    close.done.then(() => order.push('close'));
    expectStatus(socket.Dispatch.WskCloseSocket(socket, close.irp), STATUS_SUCCESS);
    await close.done;
    await tick();
    expect(order).toEqual(['accept', 'close']);
    expectStatus(accept.irp.IoStatus.Status, STATUS_CANCELLED);
    await unregister(p);
  });

  test('closing an accepted socket ends the node:net connection', async () => {
    const p = register();
    const { socket, port } = await listenOn(p, '127.0.0.1');
    const client = await netConnect('127.0.0.1', port);
    const closed = netClosed(client);
    const irp = await call((irp) => listenTable(socket).WskAccept(socket, 0, null, null, null, null, irp));
    await wskClose(irp.IoStatus.Information as WSK_SOCKET);
    const result = await closed;
    // Not disconnected first, so the close is abortive (reference §3.4): the peer sees a reset.
    expect(result.error && (result.error as NodeJS.ErrnoException).code).toBe('ECONNRESET');
    await wskClose(socket);
    await unregister(p);
  });

  test('an IPv6 listener on ::1 accepts a node:net IPv6 client', async () => {
    const p = register();
    const { socket, port } = await listenOn(p, '::1');
    const op = newOp();
    const remote: SOCKADDR_STORAGE = {};
    const local: SOCKADDR_STORAGE = {};
    expectStatus(listenTable(socket).WskAccept(socket, 0, null, null, local, remote, op.irp), STATUS_PENDING);
    const client = await netConnect('::1', port);
    const irp = await op.done;
    expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
    expect((remote as SOCKADDR_IN6).sin6_family).toBe(AF_INET6);
    expect(sockaddrAddressString(remote as PSOCKADDR)).toBe('::1');
    expect(sockaddrPort(remote as PSOCKADDR)).toBe(client.localPort);
    expect(sockaddrAddressString(local as PSOCKADDR)).toBe('::1');
    const accepted = irp.IoStatus.Information as WSK_SOCKET;
    const peer: SOCKADDR_STORAGE = {};
    const got = await call((i) => (accepted.Dispatch as WSK_PROVIDER_CONNECTION_DISPATCH).WskGetRemoteAddress(accepted, peer, i));
    expectStatus(got.IoStatus.Status, STATUS_SUCCESS);
    expect(peer).toEqual(remote);
    const ended = netClosed(client);
    await wskClose(accepted);
    await ended;
    await wskClose(socket);
    await unregister(p);
  });

  test('an IPv6 listener is IPv6-only by default, as on Windows', async () => {
    const p = register();
    const { socket, port } = await listenOn(p, '::');
    await expect(netConnect('127.0.0.1', port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await wskClose(socket);
    await unregister(p);
  });

  test('WskGetLocalAddress and WskAccept before bind: STATUS_INVALID_DEVICE_STATE', async () => {
    const p = register();
    const s = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET);
    const a = await call((irp) => listenTable(s).WskGetLocalAddress(s, {}, irp));
    expectStatus(a.IoStatus.Status, STATUS_INVALID_DEVICE_STATE);
    const b = await call((irp) => listenTable(s).WskAccept(s, 0, null, null, null, null, irp));
    expectStatus(b.IoStatus.Status, STATUS_INVALID_DEVICE_STATE);
    await wskClose(s);
    await unregister(p);
  });

  test('binding an address in use: STATUS_ADDRESS_ALREADY_EXISTS', async () => {
    const p = register();
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    const s = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET);
    const irp = await call((irp) => listenTable(s).WskBind(s, sockaddrFromString('127.0.0.1', port), 0, irp));
    expectStatus(irp.IoStatus.Status, STATUS_ADDRESS_ALREADY_EXISTS);
    await wskClose(s);
    await new Promise((r) => server.close(r));
    await unregister(p);
  });

  test('WskBind with an address of the wrong family: STATUS_INVALID_PARAMETER', async () => {
    const p = register();
    const s = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET);
    const irp = await call((irp) => listenTable(s).WskBind(s, sockaddrFromString('::1', 0), 0, irp));
    expectStatus(irp.IoStatus.Status, STATUS_INVALID_PARAMETER);
    await wskClose(s);
    await unregister(p);
  });

  test('a second WskBind on a listening socket: STATUS_INVALID_DEVICE_STATE', async () => {
    const p = register();
    const { socket } = await listenOn(p, '127.0.0.1');
    const irp = await call((irp) => listenTable(socket).WskBind(socket, sockaddrFromString('127.0.0.1', 0), 0, irp));
    expectStatus(irp.IoStatus.Status, STATUS_INVALID_DEVICE_STATE);
    await wskClose(socket);
    await unregister(p);
  });
});
