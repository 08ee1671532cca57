// Plumbing for the connection, stream, event and echo tests: WSK_BUFs over bytes, connected
// sockets, node:net servers that keep what they receive.
import * as net from 'net';
import {
  AF_INET,
  AF_INET6,
  IoAllocateMdl,
  IPPROTO_TCP,
  MDL,
  MmBuildMdlForNonPagedPool,
  NTSTATUS,
  PSOCKADDR,
  SOCK_STREAM,
  STATUS_SUCCESS,
  WSK_BUF,
  WSK_FLAG_CONNECTION_SOCKET,
  WSK_PROVIDER_CONNECTION_DISPATCH,
  WSK_SOCKET,
  sockaddrFromString,
} from '../lib';
import { call, expectStatus, Provider, wskSocket } from './helpers';

/** A WSK_BUF over `bytes` (one MDL), or over several MDLs when `split` gives their sizes. */
export function wskBuf(bytes: Uint8Array, offset = 0, length = bytes.byteLength - offset, split?: number[]): WSK_BUF {
  if (!split) {
    const mdl = IoAllocateMdl(bytes, bytes.byteLength, false, false, null)!;
    MmBuildMdlForNonPagedPool(mdl);
    return { Mdl: mdl, Offset: offset, Length: length };
  }
  let head: MDL | null = null;
  let tail: MDL | null = null;
  let at = 0;
  for (const size of split) {
    const mdl = IoAllocateMdl(bytes.subarray(at, at + size), size, false, false, null)!;
    MmBuildMdlForNonPagedPool(mdl);
    if (tail) tail.Next = mdl;
    else head = mdl;
    tail = mdl;
    at += size;
  }
  return { Mdl: head, Offset: offset, Length: length };
}

export const conn = (s: WSK_SOCKET): WSK_PROVIDER_CONNECTION_DISPATCH => s.Dispatch as WSK_PROVIDER_CONNECTION_DISPATCH;

/** A node:net server on host:0 that hands each connection to `onConnection`. */
export async function netServer(host: string, onConnection: (c: net.Socket) => void = () => {}, allowHalfOpen = false): Promise<{ server: net.Server; port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen }, (c) => {
    sockets.add(c);
    c.on('close', () => sockets.delete(c));
    c.on('error', () => {});
    onConnection(c);
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.address() as net.AddressInfo).port;
  const close = async (): Promise<void> => {
    for (const c of sockets) c.destroy();
    await new Promise((r) => server.close(r));
  };
  return { server, port, close };
}

/** A WSK connection socket bound to host:0 and connected to host:port. */
export async function wskConnect(p: Provider, host: string, port: number, context: unknown = null, dispatch: unknown = null): Promise<WSK_SOCKET> {
  const family = host.includes(':') ? AF_INET6 : AF_INET;
  const s = await wskSocket(p, family, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_CONNECTION_SOCKET, context, dispatch);
  const b = await call((irp) => conn(s).WskBind(s, sockaddrFromString(host, 0), 0, irp));
  expectStatus(b.IoStatus.Status, STATUS_SUCCESS);
  const c = await call((irp) => conn(s).WskConnect(s, sockaddrFromString(host, port), 0, irp));
  expectStatus(c.IoStatus.Status, STATUS_SUCCESS);
  return s;
}

/** A WSK connection to a node:net server; resolves with both ends. */
export async function connectedPair(p: Provider, host = '127.0.0.1', allowHalfOpen = false): Promise<{ s: WSK_SOCKET; peer: net.Socket; close: () => Promise<void> }> {
  let resolvePeer!: (c: net.Socket) => void;
  const peerReady = new Promise<net.Socket>((r) => (resolvePeer = r));
  const srv = await netServer(host, resolvePeer, allowHalfOpen);
  const s = await wskConnect(p, host, srv.port);
  const peer = await peerReady;
  return { s, peer, close: srv.close };
}

/** Reads from a node:net socket until `n` bytes have arrived. */
export function readBytes(c: net.Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const onData = (d: Buffer): void => {
      chunks.push(d);
      got += d.length;
      if (got >= n) {
        c.off('data', onData);
        c.pause();
        resolve(Buffer.concat(chunks));
      }
    };
    c.on('data', onData);
    c.once('error', reject);
    c.resume();
  });
}

/** Collects everything until the peer's end. */
export function readAll(c: net.Socket): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    c.on('data', (d) => chunks.push(d));
    c.on('end', () => resolve(Buffer.concat(chunks)));
    c.on('close', () => resolve(Buffer.concat(chunks)));
    c.resume();
  });
}

export function sockaddr(host: string, port: number): PSOCKADDR {
  return sockaddrFromString(host, port) as PSOCKADDR;
}

export function status(n: NTSTATUS): NTSTATUS {
  return n;
}

/** Pseudo-random bytes from a seed (reproducible). */
export function randomBytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
