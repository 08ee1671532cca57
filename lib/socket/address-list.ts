// The host's addresses and routes, as Winsock's IOCTLs report them (https://learn.microsoft.com/windows-hardware/drivers/network/wsk-socket-ioctl-operations):
// SIO_ADDRESS_LIST_QUERY (the local addresses of the socket's family), SIO_ADDRESS_LIST_CHANGE
// (an IRP that completes when that list changes: socket/netlink.ts), SIO_ROUTING_INTERFACE_QUERY
// (the local address a datagram to a destination would leave from) and
// SIO_QUERY_RSS_SCALABILITY_INFO.
import * as os from 'os';
import { IRP, irpComplete } from '../kernel/irp';
import { STATUS_BUFFER_OVERFLOW, STATUS_BUFFER_TOO_SMALL, STATUS_INVALID_PARAMETER, STATUS_PENDING, STATUS_SUCCESS } from '../kernel/ntstatus';
import { isRefillable, isWritableSlot } from '../kernel/verifier';
import { PSOCKADDR, sockaddrFromString } from '../net/sockaddr';
import * as ws from '../net/ws2def';
import { ntStatusFromErrno } from '../transport/errno';
import { native, NETADDR_SIZE, OS } from '../transport/native';
import { netaddrToSockaddr, sockaddrToNetaddr } from '../transport/netaddr';
import type { ControlRequest, ControlResult } from './control-request';
import { AddressListener, unwatchAddresses, watchAddresses } from './netlink';
import type { SocketObject } from './socket';

/** SOCKET_ADDRESS { LPSOCKADDR lpSockaddr; INT iSockaddrLength; } */
export interface SOCKET_ADDRESS {
  lpSockaddr: PSOCKADDR;
  iSockaddrLength: number;
}
/** SOCKET_ADDRESS_LIST { INT iAddressCount; SOCKET_ADDRESS Address[]; }: the output of SIO_ADDRESS_LIST_QUERY. */
export interface SOCKET_ADDRESS_LIST {
  iAddressCount: number;
  Address: SOCKET_ADDRESS[];
}

const SIZEOF_SOCKADDR = { [ws.AF_INET]: 16, [ws.AF_INET6]: 28 } as Record<number, number>;
/** FIELD_OFFSET(SOCKET_ADDRESS_LIST, Address) and sizeof(SOCKET_ADDRESS) on x64. */
const LIST_HEADER = 8;
const SIZEOF_SOCKET_ADDRESS = 16;

/**
 * The host's addresses of one family on interfaces that are up (getifaddrs through Node), as
 * SOCKADDRs with port 0; IPv6 link-local ones carry their interface as scope id.
 */
export function localAddresses(family: number): PSOCKADDR[] {
  const out: PSOCKADDR[] = [];
  for (const entries of Object.values(os.networkInterfaces())) {
    for (const e of entries ?? []) {
      if ((e.family === 'IPv4') !== (family === ws.AF_INET)) continue;
      const sa = sockaddrFromString(e.address, 0);
      if ('sin6_scope_id' in sa && e.scopeid) sa.sin6_scope_id = e.scopeid;
      out.push(sa);
    }
  }
  return out;
}

/**
 * SIO_ADDRESS_LIST_QUERY: OutputBuffer is a SOCKET_ADDRESS_LIST object the call fills, its size
 * counted as in C (the header, the array, then the SOCKADDRs). Too small: STATUS_BUFFER_OVERFLOW
 * with the size needed in *OutputSizeReturned (or the IRP's Information).
 */
function addressListQuery(s: SocketObject, req: ControlRequest): ControlResult {
  const addresses = localAddresses(s.family);
  const length = SIZEOF_SOCKADDR[s.family];
  const needed = LIST_HEADER + addresses.length * (SIZEOF_SOCKET_ADDRESS + length);
  if ((req.OutputSize ?? 0) < needed) return { status: STATUS_BUFFER_OVERFLOW, bytes: needed };
  const list = req.outputObject as Partial<SOCKET_ADDRESS_LIST> | null;
  if (!list || typeof list !== 'object' || ArrayBuffer.isView(list) || !isWritableSlot(list, 'iAddressCount') || !isWritableSlot(list, 'Address')) {
    return { status: STATUS_INVALID_PARAMETER };
  }
  list.iAddressCount = addresses.length;
  list.Address = addresses.map((lpSockaddr) => ({ lpSockaddr, iSockaddrLength: length }));
  return { status: STATUS_SUCCESS, bytes: needed };
}

/** The sockets waiting in SIO_ADDRESS_LIST_CHANGE, each with its IRPs. */
const waiting = new Map<SocketObject, Set<IRP>>();

const onAddressChange: AddressListener = (families) => {
  const hostFamily = (s: SocketObject): number => (s.family === ws.AF_INET ? OS.AF_INET : OS.AF_INET6);
  for (const [s, irps] of [...waiting]) {
    if (!families.has(hostFamily(s))) continue;
    waiting.delete(s);
    for (const irp of irps) {
      s.pending.delete(irp);
      irpComplete(irp, STATUS_SUCCESS, 0);
    }
  }
  if (waiting.size === 0) unwatchAddresses(onAddressChange);
};

function forget(s: SocketObject, irp: IRP): void {
  const irps = waiting.get(s);
  irps?.delete(irp);
  if (irps?.size === 0) waiting.delete(s);
  if (waiting.size === 0) unwatchAddresses(onAddressChange);
}

/** SIO_ADDRESS_LIST_CHANGE: pends until the list of the socket's family changes; cancel and close complete it cancelled. */
function addressListChange(s: SocketObject, req: ControlRequest): ControlResult {
  const irp = req.Irp;
  if (!irp) return { status: STATUS_INVALID_PARAMETER };
  const rc = watchAddresses(onAddressChange);
  if (rc < 0) return { status: ntStatusFromErrno(rc) };
  let irps = waiting.get(s);
  if (!irps) waiting.set(s, (irps = new Set()));
  irps.add(irp);
  const status = s.pend(irp, () => forget(s, irp));
  // Closed during the call (a getter in an argument): s.pend completed it already.
  if (s.closed) forget(s, irp);
  return { status, pended: true };
}

const scratchNet = new Uint8Array(NETADDR_SIZE);
const probeNet = new Uint8Array(NETADDR_SIZE);

/**
 * SIO_ROUTING_INTERFACE_QUERY: InputBuffer a destination SOCKADDR of the socket's family,
 * OutputBuffer a SOCKADDR to fill with the local address the host would send from (port 0).
 * Asked the host's way: a UDP socket connected to the destination (nothing is sent) says its
 * local address.
 */
function routingInterfaceQuery(s: SocketObject, req: ControlRequest): ControlResult {
  const dest = sockaddrToNetaddr(req.inputObject, s.family, scratchNet);
  const out = req.outputObject as PSOCKADDR | null;
  if (!dest || !isRefillable(out)) return { status: STATUS_INVALID_PARAMETER };
  const size = SIZEOF_SOCKADDR[s.family];
  if ((req.OutputSize ?? 0) < size) return { status: STATUS_BUFFER_TOO_SMALL, bytes: size };
  const probe = native.socket(s.family === ws.AF_INET ? OS.AF_INET : OS.AF_INET6, OS.SOCK_DGRAM, 0);
  if (typeof probe === 'number') return { status: ntStatusFromErrno(probe) };
  try {
    // The port only has to be valid for connect.
    if (dest[2] === 0 && dest[3] === 0) dest[3] = 9;
    let rc = probe.connect(dest);
    if (rc >= 0) rc = probe.localAddress(probeNet);
    if (rc < 0) return { status: ntStatusFromErrno(rc) };
    probeNet[2] = probeNet[3] = 0;
    netaddrToSockaddr(probeNet, out!);
    return { status: STATUS_SUCCESS, bytes: size };
  } finally {
    probe.close();
  }
}

/**
 * SIO_QUERY_RSS_SCALABILITY_INFO: RSS_SCALABILITY_INFO { BOOLEAN RssEnabled } (one byte, or an
 * object). FALSE: every socket here is served by one event loop, whatever the NIC spreads.
 */
function rssScalabilityInfo(req: ControlRequest): ControlResult {
  if (req.output) {
    if (req.output.byteLength < 1) return { status: STATUS_BUFFER_TOO_SMALL };
    req.output[0] = 0;
    return { status: STATUS_SUCCESS, bytes: 1 };
  }
  const out = req.outputObject as { RssEnabled?: boolean } | null;
  if (!out || typeof out !== 'object' || !isWritableSlot(out, 'RssEnabled')) return { status: STATUS_INVALID_PARAMETER };
  out.RssEnabled = false;
  return { status: STATUS_SUCCESS, bytes: 1 };
}

/** The IOCTLs of this file, or undefined for any other request. */
export function addressIoctl(s: SocketObject, req: ControlRequest): ControlResult | undefined {
  switch (req.ControlCode) {
    case ws.SIO_ADDRESS_LIST_QUERY:
      return addressListQuery(s, req);
    case ws.SIO_ADDRESS_LIST_CHANGE:
      return addressListChange(s, req);
    case ws.SIO_ROUTING_INTERFACE_QUERY:
      return routingInterfaceQuery(s, req);
    case ws.SIO_QUERY_RSS_SCALABILITY_INFO:
      return rssScalabilityInfo(req);
    default:
      return undefined;
  }
}

