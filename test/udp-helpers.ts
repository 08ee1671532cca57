// Plumbing for the datagram tests: WSK_BUFs over plain buffers, bound datagram sockets, event
// enabling, and node:dgram peers whose datagrams can be awaited one by one.
import * as dgram from 'dgram';
import {
  AF_INET,
  AF_INET6,
  IoAllocateMdl,
  IPPROTO_UDP,
  MmBuildMdlForNonPagedPool,
  NPI_WSK_INTERFACE_ID,
  NTSTATUS,
  PSOCKADDR,
  SOCK_DGRAM,
  SOCKADDR_STORAGE,
  SOL_SOCKET,
  SO_WSK_EVENT_CALLBACK,
  STATUS_SUCCESS,
  WSK_BUF,
  WSK_EVENT_DISABLE,
  WSK_EVENT_RECEIVE_FROM,
  WSK_FLAG_DATAGRAM_SOCKET,
  WSK_PROVIDER_DATAGRAM_DISPATCH,
  WSK_SOCKET,
  WskSetOption,
  IRP,
  sockaddrFromString,
  sockaddrPort,
} from '../lib';
import { call, expectStatus, Provider, wskSocket } from './helpers';

export type Family = 4 | 6;
export const LOOPBACK: Record<Family, string> = { 4: '127.0.0.1', 6: '::1' };

export const dg = (s: WSK_SOCKET): WSK_PROVIDER_DATAGRAM_DISPATCH => s.Dispatch as WSK_PROVIDER_DATAGRAM_DISPATCH;

/** A WSK_BUF over `bytes` (a chain of MDLs when `split` cuts it). */
export function wskBuf(bytes: Uint8Array, split: number[] = []): WSK_BUF {
  const cuts = [0, ...split, bytes.byteLength];
  let head = null;
  let tail = null;
  for (let i = 0; i + 1 < cuts.length; i++) {
    const mdl = IoAllocateMdl(bytes.subarray(cuts[i]), cuts[i + 1] - cuts[i], false, false, null)!;
    MmBuildMdlForNonPagedPool(mdl);
    if (tail) tail.Next = mdl;
    else head = mdl;
    tail = mdl;
  }
  return { Mdl: head, Offset: 0, Length: bytes.byteLength };
}

/** A datagram socket bound to the loopback address of `family`, port 0; with its port. */
export async function udpSocket(
  p: Provider,
  family: Family,
  context: unknown = null,
  dispatch: unknown = null,
  host = LOOPBACK[family],
): Promise<{ s: WSK_SOCKET; port: number; addr: PSOCKADDR }> {
  const s = await wskSocket(p, family === 4 ? AF_INET : AF_INET6, SOCK_DGRAM, IPPROTO_UDP, WSK_FLAG_DATAGRAM_SOCKET, context, dispatch);
  const bound = await call((irp) => dg(s).WskBind(s, sockaddrFromString(host, 0), 0, irp));
  expectStatus(bound.IoStatus.Status, STATUS_SUCCESS);
  const local: SOCKADDR_STORAGE = {};
  await call((irp) => dg(s).WskGetLocalAddress(s, local, irp));
  const port = sockaddrPort(local as PSOCKADDR);
  return { s, port, addr: sockaddrFromString(LOOPBACK[family], port) };
}

export function eventControl(s: WSK_SOCKET, mask: number, irp: IRP | null = null): NTSTATUS {
  return dg(s).WskControlSocket(s, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, { NpiId: NPI_WSK_INTERFACE_ID, EventMask: mask }, 0, null, null, irp);
}
export const enableReceiveFrom = (s: WSK_SOCKET): NTSTATUS => eventControl(s, WSK_EVENT_RECEIVE_FROM);
export const disableReceiveFrom = (s: WSK_SOCKET, irp: IRP | null = null): NTSTATUS =>
  eventControl(s, WSK_EVENT_RECEIVE_FROM | WSK_EVENT_DISABLE, irp);

export interface Peer {
  sock: dgram.Socket;
  port: number;
  /** The next datagram (in arrival order). */
  next(): Promise<{ msg: Buffer; rinfo: dgram.RemoteInfo }>;
  received: Array<{ msg: Buffer; rinfo: dgram.RemoteInfo }>;
  send(data: Uint8Array, port: number, host?: string): Promise<void>;
  close(): Promise<void>;
}

/** A node:dgram socket bound to loopback, port 0. */
export async function peer(family: Family): Promise<Peer> {
  const sock = dgram.createSocket({ type: family === 4 ? 'udp4' : 'udp6' });
  const received: Peer['received'] = [];
  const waiters: Array<(m: Peer['received'][number]) => void> = [];
  let read = 0;
  sock.on('message', (msg, rinfo) => {
    received.push({ msg, rinfo });
    const w = waiters.shift();
    if (w) w(received[read++]);
  });
  await new Promise<void>((resolve) => sock.bind(0, LOOPBACK[family], resolve));
  return {
    sock,
    port: sock.address().port,
    received,
    next: () => (read < received.length ? Promise.resolve(received[read++]) : new Promise((r) => waiters.push(r))),
    send: (data, port, host = LOOPBACK[family]) =>
      new Promise((resolve, reject) => sock.send(data, port, host, (e) => (e ? reject(e) : resolve()))),
    close: () => new Promise((resolve) => sock.close(() => resolve())),
  };
}

/** Waits a few loop turns (for "nothing more happens" checks). */
export const turns = async (n = 5): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setTimeout(r, 5));
};
