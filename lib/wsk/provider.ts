// WSK_PROVIDER_DISPATCH, the client-level table (https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_provider_dispatch): WskSocket creates a socket of
// any category over a real OS socket.
import { BasicSocket } from '../basic/basic-socket';
import { connectionBind, connectionConnect, markSocketConnect } from '../connection/connect';
import { ConnectionSocket } from '../connection/connection-socket';
import { WskControlClient } from './control-client';
import { DatagramSocket } from '../datagram/datagram-socket';
import { WskFreeAddressInfo, WskGetAddressInfo, WskGetNameInfo } from './resolve';
import { IRP, irpComplete, irpStart } from '../kernel/irp';
import { faults } from '../kernel/fault';
import { ListenSocket } from '../listen/listen-socket';
import { addon, OS } from '../transport/native';
import { NTSTATUS, STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER, STATUS_NOT_SUPPORTED, STATUS_SUCCESS } from '../kernel/ntstatus';
import { ClientState, clientArg, nullClientStatus, WSK_PROVIDER_VERSION } from './client';
import type { SocketObject } from '../socket/socket';
import { StreamSocket } from '../stream/stream-socket';
import { badArgument } from '../kernel/verifier';
import { AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM } from '../net/ws2def';
import {
  PEPROCESS,
  PETHREAD,
  PWSK_CLIENT,
  WSK_FLAG_BASIC_SOCKET,
  WSK_FLAG_CONNECTION_SOCKET,
  WSK_FLAG_DATAGRAM_SOCKET,
  WSK_FLAG_LISTEN_SOCKET,
  WSK_FLAG_STREAM_SOCKET,
} from './wsk-base';
import {
  PFN_WSK_CONTROL_CLIENT,
  PFN_WSK_FREE_ADDRESS_INFO,
  PFN_WSK_GET_ADDRESS_INFO,
  PFN_WSK_GET_NAME_INFO,
  PFN_WSK_SOCKET_CONNECT,
  WSK_PROVIDER_DISPATCH,
  WSK_CLIENT_CONNECTION_DISPATCH,
} from './wsk-dispatch';
import { ntStatusFromErrno } from '../transport/errno';
import { netaddrToSockaddr, sockaddrToNetaddr } from '../transport/netaddr';
import { PSOCKADDR, sockaddrFamily } from '../net/sockaddr';
import { SHARE_NONE } from '../socket/address-sharing';
import { isLiveCachedSd, setSocketSecurity } from './security';

type SocketClass = new (...args: ConstructorParameters<typeof BasicSocket>) => SocketObject;

const CATEGORY_CLASS: Record<number, SocketClass> = {
  [WSK_FLAG_BASIC_SOCKET]: BasicSocket,
  [WSK_FLAG_LISTEN_SOCKET]: ListenSocket,
  [WSK_FLAG_CONNECTION_SOCKET]: ConnectionSocket,
  [WSK_FLAG_DATAGRAM_SOCKET]: DatagramSocket,
  [WSK_FLAG_STREAM_SOCKET]: StreamSocket,
};

/** The (type, protocol) pairs each category accepts for AF_INET and AF_INET6 (https://learn.microsoft.com/windows-hardware/drivers/network/winsock-kernel-socket-categories, https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_socket). */
function tripleAllowed(category: number, type: number, protocol: number): boolean {
  const tcp = type === SOCK_STREAM && protocol === IPPROTO_TCP;
  const udp = type === SOCK_DGRAM && protocol === IPPROTO_UDP;
  const raw = type === SOCK_RAW && Number.isInteger(protocol) && protocol >= 0 && protocol <= 255;
  switch (category) {
    case WSK_FLAG_BASIC_SOCKET:
      return tcp || udp || raw;
    case WSK_FLAG_DATAGRAM_SOCKET:
      return udp || raw;
    case WSK_FLAG_LISTEN_SOCKET:
      // Windows creates a UDP socket with WSK_FLAG_LISTEN_SOCKET; only its WskBind fails
      // (STATUS_NOT_IMPLEMENTED), as Wine's Windows-checked netio test records.
      return tcp || udp;
    default:
      return tcp;
  }
}

export function hostFamily(family: number): number | undefined {
  return family === AF_INET ? OS.AF_INET : family === AF_INET6 ? OS.AF_INET6 : undefined;
}

const HOST_TYPE: Record<number, number> = { [SOCK_STREAM]: OS.SOCK_STREAM, [SOCK_DGRAM]: OS.SOCK_DGRAM, [SOCK_RAW]: OS.SOCK_RAW };
const ONE = new Uint8Array(new Int32Array([1]).buffer);


/**
 * Creates the socket object over a new OS socket, or returns the failure status. Unsupported
 * families and (type, protocol) pairs give STATUS_NOT_SUPPORTED (Winsock's EAFNOSUPPORT /
 * EPROTONOSUPPORT); a Flags value naming no single category gives STATUS_INVALID_PARAMETER.
 */
export function createSocket(
  client: ClientState,
  AddressFamily: number,
  SocketType: number,
  Protocol: number,
  Flags: number,
  SocketContext: unknown,
  Dispatch: unknown,
): SocketObject | NTSTATUS {
  // A number: any other key ('toString', 'constructor'...) would find Object.prototype's members.
  const Class = typeof Flags === 'number' ? CATEGORY_CLASS[Flags] : undefined;
  if (!Class) return STATUS_INVALID_PARAMETER;
  const family = hostFamily(AddressFamily);
  if (family === undefined) return STATUS_NOT_SUPPORTED;
  if (!tripleAllowed(Flags, SocketType, Protocol)) return STATUS_NOT_SUPPORTED;
  const id = addon.socket(family, HOST_TYPE[SocketType], Protocol);
  if (id < 0) return ntStatusFromErrno(id);
  // Windows sockets start IPv6-only; Linux's default follows a sysctl. Make it Windows'.
  if (AddressFamily === AF_INET6) addon.setsockopt(id, OS.IPPROTO_IPV6, OS.IPV6_V6ONLY, ONE);
  return new Class(client, AddressFamily, SocketType, Protocol, SocketContext, Dispatch ?? null, id);
}

export function WskSocket(
  Client: PWSK_CLIENT,
  AddressFamily: number,
  SocketType: number,
  Protocol: number,
  Flags: number,
  SocketContext: unknown,
  Dispatch: unknown,
  OwningProcess: PEPROCESS,
  OwningThread: PETHREAD,
  SecurityDescriptor: unknown,
  Irp: IRP | null,
): NTSTATUS {
  void OwningProcess;
  void OwningThread;
  const nullClient = nullClientStatus(Client, Irp);
  if (nullClient !== null) return nullClient;
  const client = clientArg(Client, 'WskSocket');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskSocket', AddressFamily, SocketType, Flags);
  // NODE_WSK_VERIFIER lowres: no memory for the socket (Driver Verifier's low-resources simulation).
  if (faults !== null && faults.lowResources()) return irpComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
  // A security descriptor must be a cached one (WSK_CACHE_SD), not yet released.
  const sd = SecurityDescriptor ?? null;
  if (sd !== null && !isLiveCachedSd(sd)) return irpComplete(Irp, STATUS_INVALID_PARAMETER, 0);
  const result = createSocket(client, AddressFamily, SocketType, Protocol, Flags, SocketContext, Dispatch);
  if (typeof result === 'number') return irpComplete(Irp, result, 0);
  if (sd !== null) setSocketSecurity(result, sd);
  return irpComplete(Irp, STATUS_SUCCESS, result);
}

/**
 * WskSocketConnect: WskSocket + WskBind + WskConnect in one call; the family comes from
 * LocalAddress. The IRP carries the connected socket, or the failure (the socket then closed).
 */
export function WskSocketConnect(
  Client: PWSK_CLIENT,
  SocketType: number,
  Protocol: number,
  LocalAddress: PSOCKADDR,
  RemoteAddress: PSOCKADDR,
  Flags: number,
  SocketContext: unknown,
  Dispatch: WSK_CLIENT_CONNECTION_DISPATCH | null,
  OwningProcess: PEPROCESS,
  OwningThread: PETHREAD,
  SecurityDescriptor: unknown,
  Irp: IRP | null,
): NTSTATUS {
  void OwningProcess;
  void OwningThread;
  void SecurityDescriptor;
  // Flags is reserved, and Windows ignores it: a shipped driver passes WSK_FLAG_CONNECTION_SOCKET.
  void Flags;
  const nullClient = nullClientStatus(Client, Irp);
  if (nullClient !== null) return nullClient;
  const client = clientArg(Client, 'WskSocketConnect');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  // Both addresses are read once, into copies, before the IRP is taken or anything is created: a
  // malformed one (a getter that throws included) then leaves no socket the caller cannot close,
  // and an IRP the caller can still free or reuse.
  const family = sockaddrFamily(LocalAddress);
  const local = family === undefined ? null : sockaddrCopy(LocalAddress, family);
  const remote = family === undefined ? null : sockaddrCopy(RemoteAddress, family);
  irpStart(Irp, 'WskSocketConnect', LocalAddress, RemoteAddress);
  if (local === null || remote === null) return irpComplete(Irp, STATUS_INVALID_PARAMETER, 0);
  if (faults !== null && faults.lowResources()) return irpComplete(Irp, STATUS_INSUFFICIENT_RESOURCES, 0);
  const created = createSocket(client, family!, SocketType, Protocol, WSK_FLAG_CONNECTION_SOCKET, SocketContext, Dispatch);
  if (typeof created === 'number') return irpComplete(Irp, created, 0);
  const s = created as ConnectionSocket;
  const bound = connectionBind(s.conn, local, 0, SHARE_NONE);
  if (bound !== STATUS_SUCCESS) {
    s.closeQuietly();
    return irpComplete(Irp, bound, 0);
  }
  // The connect completes the caller's IRP with the socket, or closes it and reports the failure.
  markSocketConnect(s.conn);
  return connectionConnect(s.conn, Irp, remote, 0);
}

/** A plain copy of a SOCKADDR of `family`, or null when it is not one. */
function sockaddrCopy(sa: PSOCKADDR, family: number): PSOCKADDR | null {
  const net = sockaddrToNetaddr(sa, family);
  if (net === null) return null;
  const copy: PSOCKADDR = {};
  netaddrToSockaddr(net, copy);
  return copy;
}

export const WSK_PROVIDER_DISPATCH_TABLE: WSK_PROVIDER_DISPATCH = Object.freeze({
  Version: WSK_PROVIDER_VERSION,
  Reserved: 0,
  WskSocket,
  WskSocketConnect,
  WskControlClient,
  WskGetAddressInfo,
  WskFreeAddressInfo,
  WskGetNameInfo,
});

