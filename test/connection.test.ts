// Connection-oriented sockets on real loopback TCP, with node:net peers.
import * as net from 'net';
import {
  AF_INET,
  AF_INET6,
  IoCancelIrp,
  IPPROTO_TCP,
  PSOCKADDR,
  SOCKADDR_STORAGE,
  SOCK_STREAM,
  STATUS_CANCELLED,
  STATUS_CONNECTION_ABORTED,
  STATUS_CONNECTION_REFUSED,
  STATUS_CONNECTION_RESET,
  STATUS_INVALID_DEVICE_STATE,
  STATUS_INVALID_PARAMETER,
  STATUS_NOT_SUPPORTED,
  STATUS_PENDING,
  STATUS_SUCCESS,
  WSK_FLAG_ABORTIVE,
  WSK_FLAG_CONNECTION_SOCKET,
  WSK_FLAG_DRAIN,
  WSK_FLAG_NODELAY,
  WSK_FLAG_WAITALL,
  WSK_SOCKET,
  sockaddrAddressString,
  sockaddrPort,
} from '../lib';
import { native } from '../lib/transport/native';
import { call, expectStatus, netClosed, newOp, register, tick, unregister, wskClose, wskSocket } from './helpers';
import { conn, connectedPair, netServer, randomBytes, readAll, readBytes, sockaddr, wskBuf, wskConnect } from './conn-helpers';

/**
 * Pends a WskReceive of bytes [8, 24) of a 64-byte MDL, has the peer send 40 bytes (seeded
 * `seed`) and checks that exactly that range got the first 16; returns what was sent.
 */
async function receiveIntoRange(s: WSK_SOCKET, peer: net.Socket, seed: number): Promise<Uint8Array> {
  const mem = new Uint8Array(64).fill(0xee);
  const op = newOp();
  expectStatus(conn(s).WskReceive(s, wskBuf(mem, 8, 16), 0, op.irp), STATUS_PENDING);
  const sent = randomBytes(40, seed);
  peer.write(sent);
  const irp = await op.done;
  expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
  expect(irp.IoStatus.Information).toBe(16);
  expect(Buffer.compare(Buffer.from(mem.subarray(8, 24)), Buffer.from(sent.subarray(0, 16)))).toBe(0);
  expect(mem.subarray(0, 8).every((b) => b === 0xee)).toBe(true);
  expect(mem.subarray(24).every((b) => b === 0xee)).toBe(true);
  return sent;
}

describe('connection socket: bind and connect', () => {
  test('WskConnect before WskBind completes STATUS_INVALID_DEVICE_STATE', async () => {
    const p = register();
    const s = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_CONNECTION_SOCKET);
    const op = newOp();
    expectStatus(conn(s).WskConnect(s, sockaddr('127.0.0.1', 9), 0, op.irp), STATUS_INVALID_DEVICE_STATE);
    expect(op.completions).toBe(1);
    await wskClose(s);
    await unregister(p);
  });

  test('WskConnect reaches a node:net server; the address getters report both ends', async () => {
    const p = register();
    let peer!: net.Socket;
    const srv = await netServer('127.0.0.1', (c) => (peer = c));
    const s = await wskConnect(p, '127.0.0.1', srv.port);
    const local: SOCKADDR_STORAGE = {};
    const remote: SOCKADDR_STORAGE = {};
    expectStatus((await call((irp) => conn(s).WskGetLocalAddress(s, local, irp))).IoStatus.Status, STATUS_SUCCESS);
    expectStatus((await call((irp) => conn(s).WskGetRemoteAddress(s, remote, irp))).IoStatus.Status, STATUS_SUCCESS);
    expect(sockaddrPort(remote as PSOCKADDR)).toBe(srv.port);
    expect(sockaddrAddressString(local as PSOCKADDR)).toBe('127.0.0.1');
    for (let i = 0; i < 100 && !peer; i++) await tick();
    expect(sockaddrPort(local as PSOCKADDR)).toBe(peer.remotePort);
    await wskClose(s);
    await srv.close();
    await unregister(p);
  });

  test('WskGetRemoteAddress before connect: STATUS_INVALID_DEVICE_STATE', async () => {
    const p = register();
    const s = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_CONNECTION_SOCKET);
    const irp = await call((i) => conn(s).WskGetRemoteAddress(s, {}, i));
    expectStatus(irp.IoStatus.Status, STATUS_INVALID_DEVICE_STATE);
    await wskClose(s);
    await unregister(p);
  });

  test('a refused connect completes STATUS_CONNECTION_REFUSED', async () => {
    const p = register();
    const srv = await netServer('127.0.0.1');
    const port = srv.port;
    await srv.close();
    const s = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_CONNECTION_SOCKET);
    await call((irp) => conn(s).WskBind(s, sockaddr('127.0.0.1', 0), 0, irp));
    const irp = await call((i) => conn(s).WskConnect(s, sockaddr('127.0.0.1', port), 0, i));
    expectStatus(irp.IoStatus.Status, STATUS_CONNECTION_REFUSED);
    await wskClose(s);
    await unregister(p);
  });

  test('IoCancelIrp on a pending WskConnect completes it STATUS_CANCELLED', async () => {
    const p = register();
    const srv = await netServer('127.0.0.1');
    const s = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_CONNECTION_SOCKET);
    await call((irp) => conn(s).WskBind(s, sockaddr('127.0.0.1', 0), 0, irp));
    const op = newOp();
    const st = conn(s).WskConnect(s, sockaddr('127.0.0.1', srv.port), 0, op.irp);
    if (st === STATUS_PENDING) {
      expect(IoCancelIrp(op.irp)).toBe(true);
      expectStatus((await op.done).IoStatus.Status, STATUS_CANCELLED);
    } else {
      expectStatus(st, STATUS_SUCCESS); // loopback connected at once: nothing to cancel
    }
    await wskClose(s);
    await srv.close();
    await unregister(p);
  });

  test('WskSocketConnect creates, binds and connects in one call (IPv6)', async () => {
    const p = register();
    let peer!: net.Socket;
    const srv = await netServer('::1', (c) => (peer = c));
    const irp = await call((i) =>
      p.npi.Dispatch.WskSocketConnect(p.npi.Client, SOCK_STREAM, IPPROTO_TCP, sockaddr('::1', 0), sockaddr('::1', srv.port), 0, null, null, null, null, null, i),
    );
    expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
    const s = irp.IoStatus.Information as WSK_SOCKET;
    expect(Object.keys(s.Dispatch)).toContain('WskSend');
    const local: SOCKADDR_STORAGE = {};
    await call((i) => conn(s).WskGetLocalAddress(s, local, i));
    expect(local.ss_family ?? (local as { sin6_family?: number }).sin6_family).toBe(AF_INET6);
    for (let i = 0; i < 100 && !peer; i++) await tick();
    const got = readBytes(peer, 3);
    await call((i) => conn(s).WskSend(s, wskBuf(new Uint8Array([1, 2, 3])), 0, i));
    expect([...(await got)]).toEqual([1, 2, 3]);
    await wskClose(s);
    await srv.close();
    await unregister(p);
  });

  test('WskSocketConnect to a closed port: STATUS_CONNECTION_REFUSED and no socket left', async () => {
    const p = register();
    const srv = await netServer('127.0.0.1');
    const port = srv.port;
    await srv.close();
    const before = native.openSockets();
    const irp = await call((i) =>
      p.npi.Dispatch.WskSocketConnect(p.npi.Client, SOCK_STREAM, IPPROTO_TCP, sockaddr('127.0.0.1', 0), sockaddr('127.0.0.1', port), 0, null, null, null, null, null, i),
    );
    expectStatus(irp.IoStatus.Status, STATUS_CONNECTION_REFUSED);
    expect(irp.IoStatus.Information).toBe(0);
    expect(native.openSockets()).toBe(before);
    await unregister(p);
  });
});

describe('connection socket: send', () => {
  test('a small WskSend completes inline with every byte sent', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    const got = readBytes(peer, 5);
    const op = newOp();
    expectStatus(conn(s).WskSend(s, wskBuf(new Uint8Array([104, 101, 108, 108, 111])), WSK_FLAG_NODELAY, op.irp), STATUS_SUCCESS);
    expect(op.completions).toBe(1);
    expect(op.irp.IoStatus.Information).toBe(5);
    expect((await got).toString()).toBe('hello');
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('a large WskSend pends and completes only when every byte is sent; sends stay in order', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    peer.pause();
    const a = randomBytes(4 << 20, 7);
    const b = randomBytes(1 << 20, 8);
    const opA = newOp();
    const opB = newOp();
    expectStatus(conn(s).WskSend(s, wskBuf(a), 0, opA.irp), STATUS_PENDING);
    expectStatus(conn(s).WskSend(s, wskBuf(b), 0, opB.irp), STATUS_PENDING);
    expect(opA.completions).toBe(0);
    const got = readBytes(peer, a.length + b.length);
    const [ia, ib] = await Promise.all([opA.done, opB.done]);
    expect(ia.IoStatus.Information).toBe(a.length);
    expect(ib.IoStatus.Information).toBe(b.length);
    const all = await got;
    expect(Buffer.compare(all.subarray(0, a.length), Buffer.from(a))).toBe(0);
    expect(Buffer.compare(all.subarray(a.length), Buffer.from(b))).toBe(0);
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('a pending WskSend of a range inside a larger MDL sends exactly that range', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    peer.pause();
    const mem = randomBytes((6 << 20) + 100, 11);
    const offset = 37;
    const length = 6 << 20;
    const op = newOp();
    expectStatus(conn(s).WskSend(s, wskBuf(mem, offset, length), 0, op.irp), STATUS_PENDING);
    const got = readBytes(peer, length);
    const irp = await op.done;
    expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
    expect(irp.IoStatus.Information).toBe(length);
    expect(Buffer.compare(await got, Buffer.from(mem.subarray(offset, offset + length)))).toBe(0);
    // Nothing past the range went out: the next bytes the peer sees are the next send's.
    const next = newOp();
    expectStatus(conn(s).WskSend(s, wskBuf(Buffer.from('end')), 0, next.irp), STATUS_SUCCESS);
    expect((await readBytes(peer, 3)).toString()).toBe('end');
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('gather send over an MDL chain starting at an Offset', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    const bytes = new Uint8Array(20).map((_, i) => i);
    const got = readBytes(peer, 15);
    const irp = await call((i) => conn(s).WskSend(s, wskBuf(bytes, 3, 15, [5, 4, 11]), 0, i));
    expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
    expect([...(await got)]).toEqual([...bytes.subarray(3, 18)]);
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('an unsupported send flag: STATUS_NOT_SUPPORTED', async () => {
    const p = register();
    const { s, close } = await connectedPair(p);
    const irp = await call((i) => conn(s).WskSend(s, wskBuf(new Uint8Array(1)), 0x100, i));
    expectStatus(irp.IoStatus.Status, STATUS_NOT_SUPPORTED);
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('IoCancelIrp on a pending send: STATUS_CANCELLED, Information = bytes that did go out', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    peer.pause();
    const op = newOp();
    expectStatus(conn(s).WskSend(s, wskBuf(randomBytes(16 << 20)), 0, op.irp), STATUS_PENDING);
    IoCancelIrp(op.irp);
    const irp = await op.done;
    expectStatus(irp.IoStatus.Status, STATUS_CANCELLED);
    expect(irp.IoStatus.Information).toBeGreaterThan(0);
    expect(irp.IoStatus.Information).toBeLessThan(16 << 20);
    await wskClose(s);
    await close();
    await unregister(p);
  });
});

describe('connection socket: receive', () => {
  test('a pending WskReceive completes with the bytes that arrived, straight into the MDL', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    const mem = new Uint8Array(64);
    const op = newOp();
    expectStatus(conn(s).WskReceive(s, wskBuf(mem, 8, 32), 0, op.irp), STATUS_PENDING);
    peer.write('abc');
    const irp = await op.done;
    expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
    expect(irp.IoStatus.Information).toBe(3);
    expect(Buffer.from(mem.subarray(8, 11)).toString()).toBe('abc');
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('a pending WskReceive of a range inside a larger MDL fills that range only', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    const sent = await receiveIntoRange(s, peer, 3);
    // The rest stayed in the socket for the next receive.
    const rest = new Uint8Array(64);
    const op2 = newOp();
    const st = conn(s).WskReceive(s, wskBuf(rest), 0, op2.irp);
    if (st === STATUS_PENDING) await op2.done;
    expect(op2.irp.IoStatus.Information).toBe(24);
    expect(Buffer.compare(Buffer.from(rest.subarray(0, 24)), Buffer.from(sent.subarray(16)))).toBe(0);
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('after a short read, the next WskReceive of a range pends without a read and fills that range only', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    const first = new Uint8Array(32);
    const op1 = newOp();
    expectStatus(conn(s).WskReceive(s, wskBuf(first), 0, op1.irp), STATUS_PENDING);
    peer.write('abc');
    expect((await op1.done).IoStatus.Information).toBe(3); // short: the socket is known empty
    await receiveIntoRange(s, peer, 5);
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('WskReceive completes inline when data is already there', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    const first = new Uint8Array(4);
    const op1 = newOp();
    conn(s).WskReceive(s, wskBuf(first), 0, op1.irp);
    peer.write('wxyz');
    await op1.done; // after this the next bytes are written before the next receive
    await new Promise<void>((r) => peer.write('more', () => r()));
    await new Promise((r) => setTimeout(r, 20));
    const mem = new Uint8Array(16);
    const op = newOp();
    expectStatus(conn(s).WskReceive(s, wskBuf(mem), 0, op.irp), STATUS_SUCCESS);
    expect(op.irp.PendingReturned).toBe(false);
    expect(Buffer.from(mem.subarray(0, op.irp.IoStatus.Information as number)).toString()).toBe('more');
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('0 bytes with STATUS_SUCCESS at the peer graceful close', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    peer.end();
    const irp = await call((i) => conn(s).WskReceive(s, wskBuf(new Uint8Array(8)), 0, i));
    expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
    expect(irp.IoStatus.Information).toBe(0);
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('WSK_FLAG_WAITALL fills the whole buffer from several segments', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    const mem = new Uint8Array(10);
    const op = newOp();
    expectStatus(conn(s).WskReceive(s, wskBuf(mem), WSK_FLAG_WAITALL, op.irp), STATUS_PENDING);
    peer.write('0123');
    await new Promise((r) => setTimeout(r, 10));
    expect(op.completions).toBe(0);
    peer.write('456789');
    const irp = await op.done;
    expect(irp.IoStatus.Information).toBe(10);
    expect(Buffer.from(mem).toString()).toBe('0123456789');
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('WSK_FLAG_WAITALL ends at the peer close with what arrived', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    const mem = new Uint8Array(10);
    const op = newOp();
    conn(s).WskReceive(s, wskBuf(mem), WSK_FLAG_WAITALL, op.irp);
    peer.end('abc');
    const irp = await op.done;
    expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
    expect(irp.IoStatus.Information).toBe(3);
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('scatter receive into an MDL chain', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    const mem = new Uint8Array(12);
    const op = newOp();
    conn(s).WskReceive(s, wskBuf(mem, 2, 9, [4, 4, 4]), WSK_FLAG_WAITALL, op.irp);
    peer.write('ABCDEFGHI');
    const irp = await op.done;
    expect(irp.IoStatus.Information).toBe(9);
    expect(Buffer.from(mem.subarray(2, 11)).toString()).toBe('ABCDEFGHI');
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('WSK_FLAG_DRAIN: Length must be 0, not with WAITALL; it discards until the close', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    const bad1 = await call((i) => conn(s).WskReceive(s, wskBuf(new Uint8Array(4)), WSK_FLAG_DRAIN, i));
    expectStatus(bad1.IoStatus.Status, STATUS_INVALID_PARAMETER);
    const bad2 = await call((i) => conn(s).WskReceive(s, { Mdl: null, Offset: 0, Length: 0 }, WSK_FLAG_DRAIN | WSK_FLAG_WAITALL, i));
    expectStatus(bad2.IoStatus.Status, STATUS_INVALID_PARAMETER);
    const op = newOp();
    expectStatus(conn(s).WskReceive(s, { Mdl: null, Offset: 0, Length: 0 }, WSK_FLAG_DRAIN, op.irp), STATUS_PENDING);
    peer.write(Buffer.alloc(100000, 1));
    peer.end();
    const irp = await op.done;
    expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
    expect(irp.IoStatus.Information).toBe(0);
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('a peer reset completes a pending receive STATUS_CONNECTION_RESET', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    const op = newOp();
    expectStatus(conn(s).WskReceive(s, wskBuf(new Uint8Array(8)), 0, op.irp), STATUS_PENDING);
    peer.resetAndDestroy();
    const irp = await op.done;
    expectStatus(irp.IoStatus.Status, STATUS_CONNECTION_RESET);
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('a reset that arrives with data is reported as a reset, never as a graceful close', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    const gone = netClosed(peer);
    peer.write('data', () => peer.resetAndDestroy());
    await gone;
    await new Promise((r) => setTimeout(r, 20));
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      const irp = await call((x) => conn(s).WskReceive(s, wskBuf(new Uint8Array(64)), 0, x));
      statuses.push(irp.IoStatus.Status);
      if (irp.IoStatus.Status !== STATUS_SUCCESS) break;
      expect(irp.IoStatus.Information).toBeGreaterThan(0); // data, not a 0-byte end
    }
    expectStatus(statuses[statuses.length - 1], STATUS_CONNECTION_RESET);
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('IoCancelIrp on a pending receive: STATUS_CANCELLED, the socket still works, no byte lost', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    const op = newOp();
    expectStatus(conn(s).WskReceive(s, wskBuf(new Uint8Array(8)), 0, op.irp), STATUS_PENDING);
    expect(IoCancelIrp(op.irp)).toBe(true);
    const cancelled = await op.done;
    expectStatus(cancelled.IoStatus.Status, STATUS_CANCELLED);
    expect(cancelled.IoStatus.Information).toBe(0);
    peer.write('after');
    const mem = new Uint8Array(5);
    const irp = await call((i) => conn(s).WskReceive(s, wskBuf(mem), WSK_FLAG_WAITALL, i));
    expect(irp.IoStatus.Information).toBe(5);
    expect(Buffer.from(mem).toString()).toBe('after');
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('WskReceive before connect: STATUS_INVALID_DEVICE_STATE', async () => {
    const p = register();
    const s = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_CONNECTION_SOCKET);
    const irp = await call((i) => conn(s).WskReceive(s, wskBuf(new Uint8Array(4)), 0, i));
    expectStatus(irp.IoStatus.Status, STATUS_INVALID_DEVICE_STATE);
    await wskClose(s);
    await unregister(p);
  });

  test('missing IRP: STATUS_INVALID_PARAMETER', async () => {
    const p = register();
    const { s, close } = await connectedPair(p);
    expectStatus(conn(s).WskReceive(s, wskBuf(new Uint8Array(4)), 0, null), STATUS_INVALID_PARAMETER);
    expectStatus(conn(s).WskSend(s, wskBuf(new Uint8Array(4)), 0, null), STATUS_INVALID_PARAMETER);
    await wskClose(s);
    await close();
    await unregister(p);
  });
});

describe('connection socket: disconnect and close', () => {
  test('graceful WskDisconnect with a final buffer: the peer gets the data, then the end', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p, '127.0.0.1', true);
    const all = readAll(peer);
    const irp = await call((i) => conn(s).WskDisconnect(s, wskBuf(Buffer.from('bye')), 0, i));
    expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
    expect((await all).toString()).toBe('bye');
    // Send side shut: sends are refused, receiving still works (half-open).
    const send = await call((i) => conn(s).WskSend(s, wskBuf(new Uint8Array(1)), 0, i));
    expect(send.IoStatus.Status).not.toBe(STATUS_SUCCESS);
    peer.end('back');
    const mem = new Uint8Array(8);
    const r = await call((i) => conn(s).WskReceive(s, wskBuf(mem), WSK_FLAG_WAITALL, i));
    expect(Buffer.from(mem.subarray(0, r.IoStatus.Information as number)).toString()).toBe('back');
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('a graceful disconnect waits behind a pending send, and the close after both FINs is graceful', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    peer.pause();
    const big = randomBytes(8 << 20, 3);
    const send = newOp();
    const disc = newOp();
    expectStatus(conn(s).WskSend(s, wskBuf(big), 0, send.irp), STATUS_PENDING);
    expectStatus(conn(s).WskDisconnect(s, null, 0, disc.irp), STATUS_PENDING);
    const closed = netClosed(peer);
    const all = readAll(peer);
    await disc.done;
    expect(send.completions).toBe(1);
    const got = await all;
    expect(got.length).toBe(big.length);
    peer.end();
    const eof = await call((i) => conn(s).WskReceive(s, wskBuf(new Uint8Array(1)), 0, i));
    expect(eof.IoStatus.Information).toBe(0);
    await wskClose(s);
    expect((await closed).error).toBeUndefined();
    await close();
    await unregister(p);
  });

  test('IoCancelIrp on a pending graceful disconnect: STATUS_CANCELLED, the connection stays open', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    peer.pause();
    const big = randomBytes(16 << 20, 4);
    const send = newOp();
    const disc = newOp();
    expectStatus(conn(s).WskSend(s, wskBuf(big), 0, send.irp), STATUS_PENDING);
    expectStatus(conn(s).WskDisconnect(s, null, 0, disc.irp), STATUS_PENDING);
    expect(IoCancelIrp(disc.irp)).toBe(true);
    expectStatus((await disc.done).IoStatus.Status, STATUS_CANCELLED);
    const got = readBytes(peer, big.length + 1);
    await send.done;
    await call((i) => conn(s).WskSend(s, wskBuf(new Uint8Array([9])), 0, i));
    const all = await got;
    expect(all.length).toBe(big.length + 1);
    expect(all[big.length]).toBe(9);
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('WSK_FLAG_ABORTIVE: Buffer must be NULL; the peer sees a reset; later calls STATUS_CONNECTION_ABORTED', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    const bad = await call((i) => conn(s).WskDisconnect(s, wskBuf(new Uint8Array(1)), WSK_FLAG_ABORTIVE, i));
    expectStatus(bad.IoStatus.Status, STATUS_INVALID_PARAMETER);
    const pending = newOp();
    conn(s).WskReceive(s, wskBuf(new Uint8Array(4)), 0, pending.irp);
    const closed = netClosed(peer);
    const irp = await call((i) => conn(s).WskDisconnect(s, null, WSK_FLAG_ABORTIVE, i));
    expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
    expectStatus((await pending.done).IoStatus.Status, STATUS_CONNECTION_ABORTED);
    expect(((await closed).error as NodeJS.ErrnoException | undefined)?.code).toBe('ECONNRESET');
    const later = await call((i) => conn(s).WskSend(s, wskBuf(new Uint8Array(1)), 0, i));
    expectStatus(later.IoStatus.Status, STATUS_CONNECTION_ABORTED);
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('WskCloseSocket completes pending receive and send STATUS_CANCELLED before its own IRP', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    peer.pause();
    const order: string[] = [];
    const r = newOp();
    const w = newOp();
    r.done.then(() => order.push('receive'));
    w.done.then(() => order.push('send'));
    conn(s).WskReceive(s, wskBuf(new Uint8Array(4)), 0, r.irp);
    expectStatus(conn(s).WskSend(s, wskBuf(randomBytes(16 << 20)), 0, w.irp), STATUS_PENDING);
    const c = newOp();
    c.done.then(() => order.push('close'));
    expectStatus(s.Dispatch.WskCloseSocket(s, c.irp), STATUS_SUCCESS);
    await c.done;
    await tick();
    expect(order).toEqual(['receive', 'send', 'close']);
    expectStatus(r.irp.IoStatus.Status, STATUS_CANCELLED);
    expectStatus(w.irp.IoStatus.Status, STATUS_CANCELLED);
    await close();
    await unregister(p);
  });

  test('an accepted socket is a full connection socket (echo through it)', async () => {
    const p = register();
    const { listenOn } = await import('./helpers');
    const { socket, port } = await listenOn(p, '127.0.0.1');
    const client = net.connect(port, '127.0.0.1');
    client.on('error', () => {});
    const acc = await call((i) => (socket.Dispatch as import('../lib').WSK_PROVIDER_LISTEN_DISPATCH).WskAccept(socket, 0, null, null, null, null, i));
    const a = acc.IoStatus.Information as WSK_SOCKET;
    client.write('ping');
    const mem = new Uint8Array(4);
    await call((i) => conn(a).WskReceive(s4(a), wskBuf(mem), WSK_FLAG_WAITALL, i));
    const got = readBytes(client, 4);
    await call((i) => conn(a).WskSend(a, wskBuf(mem), 0, i));
    expect((await got).toString()).toBe('ping');
    const closed = netClosed(client);
    await wskClose(a);
    await closed;
    await wskClose(socket);
    await unregister(p);
  });
});

function s4(s: WSK_SOCKET): WSK_SOCKET {
  return s;
}
