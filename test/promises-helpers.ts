// Sockets for the node-wsk/promises tests, made with the layer itself (wskCall): listeners,
// connections, datagram sockets, and node:net / node:dgram peers.
import * as dgram from 'dgram';
import * as net from 'net';
import {
  AF_INET,
  AF_INET6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  PSOCKADDR,
  PWSK_SOCKET,
  SOCKADDR_STORAGE,
  SOCK_DGRAM,
  SOCK_STREAM,
  WSK_FLAG_DATAGRAM_SOCKET,
  WSK_FLAG_LISTEN_SOCKET,
  WSK_PROVIDER_CONNECTION_DISPATCH,
  WSK_PROVIDER_DATAGRAM_DISPATCH,
  WSK_PROVIDER_LISTEN_DISPATCH,
  WSK_PROVIDER_NPI,
  sockaddrFromString,
  sockaddrPort,
} from '../lib';
import { wskCall } from '../lib/promises';

export const conn = (s: PWSK_SOCKET): WSK_PROVIDER_CONNECTION_DISPATCH => s.Dispatch as WSK_PROVIDER_CONNECTION_DISPATCH;
export const dgramTable = (s: PWSK_SOCKET): WSK_PROVIDER_DATAGRAM_DISPATCH => s.Dispatch as WSK_PROVIDER_DATAGRAM_DISPATCH;
export const listenTable = (s: PWSK_SOCKET): WSK_PROVIDER_LISTEN_DISPATCH => s.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;
const family = (host: string): number => (host.includes(':') ? AF_INET6 : AF_INET);

async function localPort(s: PWSK_SOCKET): Promise<number> {
  const local: SOCKADDR_STORAGE = {};
  await wskCall((Irp) => conn(s).WskGetLocalAddress(s, local, Irp));
  return sockaddrPort(local as PSOCKADDR);
}

/** A WSK listening socket on host:0, and its port. */
export async function wskListen(Npi: WSK_PROVIDER_NPI, host: string): Promise<{ listener: PWSK_SOCKET; port: number }> {
  const io = await wskCall((Irp) =>
    Npi.Dispatch.WskSocket(Npi.Client, family(host), SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET, null, null, null, null, null, Irp),
  );
  const listener = io.Information as PWSK_SOCKET;
  await wskCall((Irp) => listenTable(listener).WskBind(listener, sockaddrFromString(host, 0), 0, Irp));
  return { listener, port: await localPort(listener) };
}

/** WskAccept with the accepted socket's context and dispatch. */
export async function wskAccept(listener: PWSK_SOCKET, context: unknown = null, dispatch: unknown = null): Promise<PWSK_SOCKET> {
  const io = await wskCall((Irp) => listenTable(listener).WskAccept(listener, 0, context, dispatch as never, null, null, Irp));
  return io.Information as PWSK_SOCKET;
}

/** WskSocketConnect to host:port. */
export async function wskConnect(Npi: WSK_PROVIDER_NPI, host: string, port: number, context: unknown = null, dispatch: unknown = null): Promise<PWSK_SOCKET> {
  const io = await wskCall((Irp) =>
    Npi.Dispatch.WskSocketConnect(Npi.Client, SOCK_STREAM, IPPROTO_TCP, sockaddrFromString(host, 0), sockaddrFromString(host, port), 0, context, dispatch as never, null, null, null, Irp),
  );
  return io.Information as PWSK_SOCKET;
}

/** A WSK datagram socket bound to host:0, and its port. */
export async function wskUdp(Npi: WSK_PROVIDER_NPI, host: string, context: unknown = null, dispatch: unknown = null): Promise<{ s: PWSK_SOCKET; port: number }> {
  const io = await wskCall((Irp) =>
    Npi.Dispatch.WskSocket(Npi.Client, family(host), SOCK_DGRAM, IPPROTO_UDP, WSK_FLAG_DATAGRAM_SOCKET, context, dispatch as never, null, null, null, Irp),
  );
  const s = io.Information as PWSK_SOCKET;
  await wskCall((Irp) => dgramTable(s).WskBind(s, sockaddrFromString(host, 0), 0, Irp));
  return { s, port: await localPort(s) };
}

export async function wskClose(s: PWSK_SOCKET): Promise<void> {
  await wskCall((Irp) => s.Dispatch.WskCloseSocket(s, Irp));
}

/** A node:net server on host:0 whose first connection is `peer`. */
export async function netPeer(host: string): Promise<{ port: number; peer: Promise<net.Socket>; close: () => Promise<void> }> {
  let resolve!: (c: net.Socket) => void;
  const peer = new Promise<net.Socket>((r) => (resolve = r));
  const sockets: net.Socket[] = [];
  const server = net.createServer((c) => {
    sockets.push(c);
    c.on('error', () => {});
    resolve(c);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const close = async (): Promise<void> => {
    for (const c of sockets) c.destroy();
    await new Promise((r) => server.close(r));
  };
  return { port: (server.address() as net.AddressInfo).port, peer, close };
}

/** A node:net client of host:port, once connected. */
export function netConnect(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ host, port }, () => resolve(c));
    c.once('error', reject);
  });
}

/** Reads a node:net socket to its end (or close). */
export function readToEnd(c: net.Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    c.on('data', (d) => chunks.push(d));
    c.on('error', () => {});
    c.once('close', () => resolve(Buffer.concat(chunks)));
  });
}

/** A node:dgram socket bound to host:0. */
export async function dgramPeer(host: string): Promise<dgram.Socket> {
  const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((r) => sock.bind(0, host, r));
  return sock;
}

/** Pseudo-random bytes from a seed (reproducible). */
export function pattern(n: number, seed = 1): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Resolves on a later turn of the event loop. */
export const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
