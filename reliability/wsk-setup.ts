// WSK plumbing the scale and soak runs share: sockets made and bound with counted IRPs, event
// enabling, and the bytes of an indication chain.
import {
  AF_INET,
  IPPROTO_TCP,
  IPPROTO_UDP,
  MmGetSystemAddressForMdlSafe,
  NormalPagePriority,
  NPI_WSK_INTERFACE_ID,
  NTSTATUS,
  PSOCKADDR,
  SOCK_DGRAM,
  SOCK_STREAM,
  SOCKADDR_STORAGE,
  SOL_SOCKET,
  SO_WSK_EVENT_CALLBACK,
  WSK_BUF,
  WSK_FLAG_DATAGRAM_SOCKET,
  WSK_FLAG_LISTEN_SOCKET,
  WSK_PROVIDER_DATAGRAM_DISPATCH,
  WSK_PROVIDER_LISTEN_DISPATCH,
  WSK_SOCKET,
  WskSetOption,
  sockaddrFromString,
  sockaddrPort,
} from '../lib';
import { check, Wsk } from '../bench/common';
import { Ledger } from './ledger';

export const HOST = '127.0.0.1';

async function wskSocket(w: Wsk, ledger: Ledger, type: number, protocol: number, flags: number, context: unknown, dispatch: unknown): Promise<WSK_SOCKET> {
  const irp = await ledger.call((i) => w.npi.Dispatch.WskSocket(w.npi.Client, AF_INET, type, protocol, flags, context, dispatch, null, null, null, i));
  check(irp.IoStatus.Status, 'WskSocket');
  return irp.IoStatus.Information as WSK_SOCKET;
}

type Bindable = WSK_PROVIDER_LISTEN_DISPATCH | WSK_PROVIDER_DATAGRAM_DISPATCH;

/** Binds to 127.0.0.1 port 0 and returns the port the OS chose. */
async function bindLoopback(ledger: Ledger, socket: WSK_SOCKET): Promise<number> {
  const d = socket.Dispatch as Bindable;
  let irp = await ledger.call((i) => d.WskBind(socket, sockaddrFromString(HOST, 0), 0, i));
  check(irp.IoStatus.Status, 'WskBind');
  const local: SOCKADDR_STORAGE = {};
  irp = await ledger.call((i) => d.WskGetLocalAddress(socket, local, i));
  check(irp.IoStatus.Status, 'WskGetLocalAddress');
  return sockaddrPort(local as PSOCKADDR);
}

/** A listening socket on 127.0.0.1 (a WSK listener listens once bound). */
export async function listenLoopback(w: Wsk, ledger: Ledger, context: unknown = null, dispatch: unknown = null): Promise<{ socket: WSK_SOCKET; port: number }> {
  const socket = await wskSocket(w, ledger, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET, context, dispatch);
  return { socket, port: await bindLoopback(ledger, socket) };
}

/** A UDP socket bound to 127.0.0.1. */
export async function udpLoopback(w: Wsk, ledger: Ledger, context: unknown = null, dispatch: unknown = null): Promise<{ socket: WSK_SOCKET; port: number }> {
  const socket = await wskSocket(w, ledger, SOCK_DGRAM, IPPROTO_UDP, WSK_FLAG_DATAGRAM_SOCKET, context, dispatch);
  return { socket, port: await bindLoopback(ledger, socket) };
}

/** SO_WSK_EVENT_CALLBACK without an IRP (allowed when enabling; completes inline). */
export function enableEvents(socket: WSK_SOCKET, mask: number): void {
  const control = { NpiId: NPI_WSK_INTERFACE_ID, EventMask: mask };
  const status: NTSTATUS = socket.Dispatch.WskControlSocket(socket, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, control, 0, null, null, null);
  check(status, `SO_WSK_EVENT_CALLBACK 0x${mask.toString(16)}`);
}

/** The bytes a WSK_BUF describes, MDL by MDL (views into the provider's memory: copy them before returning). */
export function* bufViews(buf: WSK_BUF): Generator<Uint8Array> {
  let left = buf.Length;
  let offset = buf.Offset;
  for (let mdl = buf.Mdl; mdl !== null && left > 0; mdl = mdl.Next) {
    const mem = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority)!;
    const view = mem.subarray(offset, offset + Math.min(left, mem.length - offset));
    left -= view.length;
    offset = 0;
    yield view;
  }
}
