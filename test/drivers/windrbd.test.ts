// The harness of the windrbd port (windrbd-winsocket.ts): DRBD's view of sockets (sock_create_kern,
// bind, listen, kernel_accept, connect, kernel_sendmsg, kernel_recvmsg) over node-wsk on
// loopback, between two windrbd sockets and against node:net peers. Assertions are about bytes,
// errno values and the port's own state; the workload is bounded (256 KiB each way).
import * as net from 'net';
import {
  AF_INET, IPPROTO_TCP, PSOCKADDR, SOCKADDR_STORAGE, SOCK_STREAM, SOL_SOCKET, SO_REUSEADDR, STATUS_SUCCESS,
  WSK_PROVIDER_LISTEN_DISPATCH, sockaddrFromString, sockaddrPort,
} from '../../lib';
import { call, expectStatus, tick } from '../helpers';
import { randomBytes, readBytes } from '../conn-helpers';
import * as D from './windrbd-winsocket';

const sa = (port: number) => sockaddrFromString('127.0.0.1', port) as PSOCKADDR;
const sockets: D.socket[] = [];

async function create(type: number): Promise<D.socket> {
  const res: { 0: D.socket | null } = { 0: null };
  expect(await D.sock_create_kern(AF_INET, type, IPPROTO_TCP, res)).toBe(0);
  sockets.push(res[0]!);
  return res[0]!;
}

/** A windrbd listener on 127.0.0.1 (SO_REUSEADDR as DRBD sets it), listening; and its port. */
async function listener(): Promise<{ l: D.socket; port: number }> {
  const l = await create(D.SOCK_LISTEN);
  expect(await D.kernel_setsockopt(l, SOL_SOCKET, SO_REUSEADDR, Uint8Array.of(1))).toBe(0);
  expect(await D.wsk_bind(l, sa(0))).toBe(0);
  expect(await D.wsk_listen(l, 5)).toBe(0); // SO_WSK_EVENT_CALLBACK through an IRP
  // windrbd's getname has no local side: the harness asks WSK itself.
  const local: SOCKADDR_STORAGE = {};
  const irp = await call((i) => (l.wsk_socket!.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH).WskGetLocalAddress(l.wsk_socket!, local as PSOCKADDR, i));
  expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
  return { l, port: sockaddrPort(local as PSOCKADDR) };
}

async function accept(l: D.socket): Promise<D.socket> {
  const out: { 0: D.socket | null } = { 0: null };
  expect(await D.kernel_accept(l, out, 0)).toBe(0);
  sockets.push(out[0]!);
  return out[0]!;
}

/** kernel_recvmsg with MSG_WAITALL until `n` bytes, in chunks of at most 64 KiB (DRBD's pattern). */
async function recvAll(s: D.socket, n: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let got = 0; got < n; ) {
    const chunk = new Uint8Array(Math.min(65536, n - got));
    const r = await D.kernel_recvmsg(s, [chunk], 1, chunk.byteLength, D.MSG_WAITALL);
    expect(r).toBe(chunk.byteLength);
    parts.push(Buffer.from(chunk));
    got += r;
  }
  return Buffer.concat(parts);
}

async function sendAll(s: D.socket, data: Uint8Array): Promise<void> {
  for (let off = 0; off < data.byteLength; ) {
    const r = await D.kernel_sendmsg(s, [data.subarray(off, Math.min(off + 65536, data.byteLength))], 1);
    expect(r).toBeGreaterThan(0);
    off += r;
  }
}

async function until(what: () => boolean): Promise<void> {
  for (let i = 0; i < 10000 && !what(); i++) await tick();
  expect(what()).toBe(true);
}

beforeEach(() => expectStatus(D.SocketsInit(), STATUS_SUCCESS));
afterEach(async () => {
  for (const s of sockets.splice(0)) D.sock_release(s);
  await D.SocketsDeinit(); // settles only once every WskCloseSocket has completed
});

test('two windrbd sockets: a listener taking connections through WskAcceptEvent, a connect, 256 KiB each way with TCP_NODELAY', async () => {
  const { l, port } = await listener();
  const c = await create(SOCK_STREAM);
  expect(await D.wsk_bind(c, sa(0))).toBe(0);
  expect(await D.kernel_setsockopt(c, D.SOL_TCP, D.TCP_NODELAY, Uint8Array.of(1))).toBe(0);
  expect(await D.wsk_connect(c, sa(port))).toBe(0);
  expect(c.is_connected).toBe(true);
  const a = await accept(l);
  const remote: SOCKADDR_STORAGE = {};
  expect(await D.wsk_getname(a, remote as PSOCKADDR, 1)).toBe(16);

  const there = randomBytes(256 * 1024, 21);
  const back = randomBytes(256 * 1024, 22);
  const [received] = await Promise.all([recvAll(a, there.byteLength), sendAll(c, there)]);
  expect(received.equals(Buffer.from(there))).toBe(true);
  const [returned] = await Promise.all([recvAll(c, back.byteLength), sendAll(a, back)]);
  expect(returned.equals(Buffer.from(back))).toBe(true);
  expect(D.kernel_sock_shutdown(c)).toBe(0);
  // close_socket is a WskCloseSocket without a WskDisconnect: abortive, as windrbd's own comment
  // says ("does an 'abortive' disconnect"). The peer's receive fails -ECONNRESET, and the error
  // sticks (error_status): the next receive returns it without calling WSK.
  const buf = new Uint8Array(16);
  expect(await D.kernel_recvmsg(a, [buf], 1, 16, 0)).toBe(-D.ECONNRESET);
  expect(a.error_status).toBe(-D.ECONNRESET);
  expect(await D.kernel_recvmsg(a, [buf], 1, 16, 0)).toBe(-D.ECONNRESET);
});

test('kernel_recvmsg past sk_rcvtimeo cancels its WskReceive (-EAGAIN) and the socket goes on; a node:net peer echoes', async () => {
  const { l, port } = await listener();
  const peer = net.connect({ host: '127.0.0.1', port });
  const a = await accept(l);
  a.sk.sk_rcvtimeo = 20; // 20 ms at HZ 1000
  const buf = new Uint8Array(100);
  expect(await D.kernel_recvmsg(a, [buf], 1, 100, D.MSG_WAITALL)).toBe(-D.EAGAIN);
  expect(a.error_status).toBe(0);
  a.sk.sk_rcvtimeo = 10 * D.HZ;
  const data = randomBytes(100, 5);
  peer.write(data);
  expect(Buffer.from(await recvAll(a, 100))).toEqual(Buffer.from(data));
  const echo = readBytes(peer, 100);
  expect(await D.kernel_sendmsg(a, [data], 1)).toBe(100);
  expect(await echo).toEqual(Buffer.from(data));
  const closed = new Promise((r) => peer.once('close', r));
  peer.destroy();
  await closed;
});

test('a second connection before kernel_accept replaces the first, which windrbd closes (dropped_accept_sockets)', async () => {
  const { l, port } = await listener();
  const first = net.connect({ host: '127.0.0.1', port });
  const firstClosed = new Promise<void>((r) => first.on('close', () => r()).on('error', () => undefined).resume());
  await until(() => l.accept_wsk_socket !== null);
  const second = net.connect({ host: '127.0.0.1', port });
  await until(() => l.dropped_accept_sockets === 1);
  await firstClosed;
  const a = await accept(l);
  second.write('second');
  expect((await recvAll(a, 6)).toString()).toBe('second');
  // Nothing is waiting now: a non-blocking accept says so.
  expect(await D.kernel_accept(l, { 0: null }, D.O_NONBLOCK)).toBe(-D.EWOULDBLOCK);
  const closed = new Promise((r) => second.once('close', r));
  second.destroy();
  await closed;
});

test('connecting to a port nobody listens on: -ECONNREFUSED', async () => {
  const { l, port } = await listener();
  D.sock_release(l); // the port is free again
  const c = await create(SOCK_STREAM);
  expect(await D.wsk_bind(c, sa(0))).toBe(0);
  expect(await D.wsk_connect(c, sa(port))).toBe(-D.ECONNREFUSED);
});
