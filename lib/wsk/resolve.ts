// Name resolution (https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_get_address_info): WskGetAddressInfo, WskFreeAddressInfo, WskGetNameInfo over
// getaddrinfo / getnameinfo on libuv's thread pool, so the event loop never blocks. Windows
// flag, family and type values are translated here; results come back in Windows form.
import { IRP, irpComplete, irpPend, irpStart } from '../kernel/irp';
import { faults } from '../kernel/fault';
import { native, NETADDR_SIZE, OS } from '../transport/native';
import {
  NTSTATUS,
  STATUS_BUFFER_TOO_SMALL,
  STATUS_CANCELLED,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_INVALID_PARAMETER,
  STATUS_IO_TIMEOUT,
  STATUS_NO_MATCH,
  STATUS_NOT_FOUND,
  STATUS_NOT_SUPPORTED,
  STATUS_SUCCESS,
  STATUS_UNEXPECTED_NETWORK_ERROR,
} from '../kernel/ntstatus';
import { ClientState, clientArg, nullClientStatus } from './client';
import { PUNICODE_STRING, UNICODE_STRING } from '../kernel/rtl';
import { PSOCKADDR, sockaddrFamily } from '../net/sockaddr';
import { badArgument, isWritableSlot } from '../kernel/verifier';
import * as ws from '../net/ws2def';
import { ADDRINFOEXW, GUID, PADDRINFOEXW, PEPROCESS, PETHREAD, PWSK_CLIENT, ULONG } from './wsk-base';
import { netaddrToSockaddr, sockaddrToNetaddr } from '../transport/netaddr';

const E = native.resolverErrors;

/** Windows AI_* -> host. AI_FQDN asks for the canonical name, as AI_CANONNAME does. */
const AI_MAP: Array<[number, number]> = [
  [ws.AI_PASSIVE, OS.AI_PASSIVE],
  [ws.AI_CANONNAME, OS.AI_CANONNAME],
  [ws.AI_NUMERICHOST, OS.AI_NUMERICHOST],
  [ws.AI_NUMERICSERV, OS.AI_NUMERICSERV],
  [ws.AI_ALL, OS.AI_ALL],
  [ws.AI_ADDRCONFIG, OS.AI_ADDRCONFIG],
  [ws.AI_V4MAPPED, OS.AI_V4MAPPED],
  [ws.AI_FQDN, OS.AI_CANONNAME],
];
const NI_MAP: Array<[number, number]> = [
  [ws.NI_NOFQDN, OS.NI_NOFQDN],
  [ws.NI_NUMERICHOST, OS.NI_NUMERICHOST],
  [ws.NI_NAMEREQD, OS.NI_NAMEREQD],
  [ws.NI_NUMERICSERV, OS.NI_NUMERICSERV],
  [ws.NI_DGRAM, OS.NI_DGRAM],
];

function mapFlags(flags: number, map: Array<[number, number]>): number | null {
  if (typeof flags !== 'number') return null;
  let host = 0;
  let known = 0;
  for (const [win, h] of map) {
    known |= win;
    if (flags & win) host |= h;
  }
  return (flags & ~known) !== 0 ? null : host;
}

const TYPE_TO_HOST: Record<number, number> = { 0: 0, [ws.SOCK_STREAM]: OS.SOCK_STREAM, [ws.SOCK_DGRAM]: OS.SOCK_DGRAM, [ws.SOCK_RAW]: OS.SOCK_RAW };
const TYPE_FROM_HOST: Record<number, number> = { 0: 0, [OS.SOCK_STREAM]: ws.SOCK_STREAM, [OS.SOCK_DGRAM]: ws.SOCK_DGRAM, [OS.SOCK_RAW]: ws.SOCK_RAW };
const FAMILY_TO_HOST: Record<number, number> = { [ws.AF_UNSPEC]: OS.AF_UNSPEC, [ws.AF_INET]: OS.AF_INET, [ws.AF_INET6]: OS.AF_INET6 };

/** libuv's resolver errors -> NTSTATUS. Every "no such name or service" is STATUS_NO_MATCH. */
function statusOf(uv: number, noSuchName: NTSTATUS = STATUS_NO_MATCH): NTSTATUS {
  switch (uv) {
    case 0:
      return STATUS_SUCCESS;
    case E.EAI_NONAME:
    case E.EAI_NODATA:
    case E.EAI_ADDRFAMILY:
    case E.EAI_SERVICE:
      return noSuchName;
    case E.EAI_AGAIN:
      return STATUS_IO_TIMEOUT;
    case E.EAI_FAMILY:
    case E.EAI_SOCKTYPE:
      return STATUS_NOT_SUPPORTED;
    case E.EAI_BADFLAGS:
    case E.EINVAL:
      return STATUS_INVALID_PARAMETER;
    case E.EAI_MEMORY:
      return STATUS_INSUFFICIENT_RESOURCES;
    case E.EAI_CANCELED:
    case E.ECANCELED:
      return STATUS_CANCELLED;
    case E.EAI_OVERFLOW:
      return STATUS_BUFFER_TOO_SMALL;
    default:
      return STATUS_UNEXPECTED_NETWORK_ERROR;
  }
}


/** The text of an optional UNICODE_STRING (null for NULL or empty); undefined when malformed. */
function nameOf(s: PUNICODE_STRING | null): string | null | undefined {
  if (s === null || s === undefined) return null;
  if (typeof s !== 'object' || !Number.isInteger(s.Length) || s.Length < 0 || s.Length % 2 !== 0) return undefined;
  if (s.Length === 0) return null;
  if (!(s.Buffer instanceof Uint16Array) || s.Length / 2 > s.Buffer.length) return undefined;
  const units = s.Buffer.subarray(0, s.Length / 2);
  const nul = units.indexOf(0);
  return String.fromCharCode(...(nul >= 0 ? units.subarray(0, nul) : units));
}

/**
 * Starts a thread-pool request for a pending IRP: it counts in client.pendingIrps (so that
 * WskDeregister waits for it) and IoCancelIrp completes it STATUS_CANCELLED at once (the
 * request is cancelled in libuv if still queued; a late answer is dropped).
 */
function pendLookup(
  client: ClientState,
  Irp: IRP,
  start: (done: (status: NTSTATUS, info: unknown) => void, alive: () => boolean) => number,
): NTSTATUS {
  let finished = false;
  let id = 0;
  const done = (status: NTSTATUS, info: unknown): void => {
    if (finished) return;
    finished = true;
    client.completeIrp(Irp, status, info);
  };
  id = start(done, () => !finished);
  if (id <= 0) {
    finished = true;
    return irpComplete(Irp, statusOf(id), 0);
  }
  client.pendingIrps.add(Irp);
  return irpPend(Irp, (irp) => {
    if (finished) return;
    finished = true;
    native.cancelResolution(id);
    client.completeIrp(irp, STATUS_CANCELLED, 0);
  });
}

/** The lists handed out and not yet freed. */
const liveLists = new WeakSet<ADDRINFOEXW>();

export function WskGetAddressInfo(
  Client: PWSK_CLIENT,
  NodeName: PUNICODE_STRING | null,
  ServiceName: PUNICODE_STRING | null,
  NameSpace: ULONG,
  Provider: GUID | null,
  Hints: Partial<ADDRINFOEXW> | null,
  Result: { 0: PADDRINFOEXW | null },
  OwningProcess: PEPROCESS,
  OwningThread: PETHREAD,
  Irp: IRP | null,
): NTSTATUS {
  const where = 'WskGetAddressInfo';
  const nullClient = nullClientStatus(Client, Irp);
  if (nullClient !== null) return nullClient;
  const client = clientArg(Client, where);
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, where, NodeName, ServiceName);
  const fail = (status: NTSTATUS) => irpComplete(Irp, status, 0);
  // NODE_WSK_VERIFIER lowres: no memory for the request.
  if (faults !== null && faults.lowResources()) return fail(STATUS_INSUFFICIENT_RESOURCES);
  // OwningThread without OwningProcess is refused (https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_get_address_info); both are always null here.
  if ((OwningThread ?? null) !== null && (OwningProcess ?? null) === null) return fail(STATUS_INVALID_PARAMETER);
  // Filled when the answer comes, on the event loop: checked now.
  if (!isWritableSlot(Result, 0)) return fail(STATUS_INVALID_PARAMETER);
  const node = nameOf(NodeName);
  const service = nameOf(ServiceName);
  if (node === undefined || service === undefined || (node === null && service === null)) return fail(STATUS_INVALID_PARAMETER);
  // The DNS namespace (or all of them) is what the host resolver is; NetBT, WINS, NLA are not here.
  if (NameSpace !== ws.NS_ALL && NameSpace !== ws.NS_DNS) return fail(STATUS_NOT_SUPPORTED);
  if (Provider !== null && Provider !== undefined) return fail(STATUS_NOT_SUPPORTED);
  const h = Hints ?? {};
  const flags = mapFlags(h.ai_flags ?? 0, AI_MAP);
  const family = FAMILY_TO_HOST[h.ai_family ?? 0];
  const socktype = TYPE_TO_HOST[h.ai_socktype ?? 0];
  const protocol = h.ai_protocol ?? 0;
  if (flags === null || family === undefined || socktype === undefined || !Number.isInteger(protocol) || protocol < 0 || protocol > 255) {
    return fail(STATUS_INVALID_PARAMETER);
  }
  return pendLookup(client, Irp, (done, alive) =>
    native.getaddrinfo(node, service, flags, family, socktype, protocol, (status, count, addrs, meta, canon) => {
      if (!alive()) return; // cancelled: the late answer is dropped
      // Windows 8 and later answer an unknown name STATUS_NOT_FOUND (Windows 7: STATUS_NO_MATCH),
      // as Wine's Windows-checked netio test records.
      if (status !== 0) return done(statusOf(status, STATUS_NOT_FOUND), 0);
      if (count === 0) return done(STATUS_NOT_FOUND, 0);
      let head: ADDRINFOEXW | null = null;
      let tail: ADDRINFOEXW | null = null;
      for (let i = 0; i < count; i++) {
        const addr: PSOCKADDR = {};
        netaddrToSockaddr(addrs.subarray(i * NETADDR_SIZE, (i + 1) * NETADDR_SIZE), addr);
        const v6 = meta[3 * i] === 6;
        const entry: ADDRINFOEXW = {
          ai_flags: 0,
          ai_family: v6 ? ws.AF_INET6 : ws.AF_INET,
          ai_socktype: TYPE_FROM_HOST[meta[3 * i + 1]] ?? 0,
          ai_protocol: meta[3 * i + 2],
          ai_addrlen: v6 ? 28 : 16,
          ai_canonname: i === 0 ? canon : null,
          ai_addr: addr,
          ai_blob: null,
          ai_bloblen: 0,
          ai_provider: null,
          ai_next: null,
        };
        if (tail) tail.ai_next = entry;
        else head = entry;
        tail = entry;
      }
      liveLists.add(head!);
      // The list comes back through *Result only: Windows leaves Information 0 (the same test).
      Result[0] = head;
      done(STATUS_SUCCESS, 0);
    }),
  );
}

export function WskFreeAddressInfo(Client: PWSK_CLIENT, AddrInfo: PADDRINFOEXW | null): void {
  const where = 'WskFreeAddressInfo';
  // A NULL Client frees nothing (VOID: there is no status to return).
  if (Client === null || Client === undefined) return;
  clientArg(Client, where);
  if (AddrInfo === null || AddrInfo === undefined) return;
  if (!liveLists.has(AddrInfo)) {
    badArgument(where, 'AddrInfo must be a list from WskGetAddressInfo, not yet freed');
  }
  liveLists.delete(AddrInfo);
}

/** Fills a caller-supplied UNICODE_STRING with text and a NUL; false when it does not fit. */
function fill(dest: UNICODE_STRING, text: string): boolean {
  const need = text.length + 1;
  if (!(dest.Buffer instanceof Uint16Array) || dest.MaximumLength < need * 2 || dest.Buffer.length < need) return false;
  for (let i = 0; i < text.length; i++) dest.Buffer[i] = text.charCodeAt(i);
  dest.Buffer[text.length] = 0;
  dest.Length = text.length * 2;
  return true;
}

export function WskGetNameInfo(
  Client: PWSK_CLIENT,
  SockAddr: PSOCKADDR,
  SockAddrLength: ULONG,
  NodeName: PUNICODE_STRING | null,
  ServiceName: PUNICODE_STRING | null,
  Flags: ULONG,
  OwningProcess: PEPROCESS,
  OwningThread: PETHREAD,
  Irp: IRP | null,
): NTSTATUS {
  const where = 'WskGetNameInfo';
  const nullClient = nullClientStatus(Client, Irp);
  if (nullClient !== null) return nullClient;
  const client = clientArg(Client, where);
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, where, SockAddr);
  const fail = (status: NTSTATUS) => irpComplete(Irp, status, 0);
  if (faults !== null && faults.lowResources()) return fail(STATUS_INSUFFICIENT_RESOURCES);
  if ((OwningThread ?? null) !== null && (OwningProcess ?? null) === null) return fail(STATUS_INVALID_PARAMETER);
  const family = sockaddrFamily(SockAddr);
  const minLength = family === ws.AF_INET ? 16 : family === ws.AF_INET6 ? 28 : Infinity;
  if (!Number.isInteger(SockAddrLength) || SockAddrLength < minLength || SockAddrLength > 128) return fail(STATUS_INVALID_PARAMETER);
  const net = sockaddrToNetaddr(SockAddr, family!);
  if (!net) return fail(STATUS_INVALID_PARAMETER);
  const node = NodeName ?? null;
  const service = ServiceName ?? null;
  if (node === null && service === null) return fail(STATUS_INVALID_PARAMETER);
  for (const s of [node, service]) {
    if (s !== null && (typeof s !== 'object' || !(s.Buffer instanceof Uint16Array) || !isWritableSlot(s, 'Length'))) return fail(STATUS_INVALID_PARAMETER);
  }
  const flags = typeof Flags === 'number' ? mapFlags(Flags >>> 0, NI_MAP) : null;
  if (flags === null) return fail(STATUS_INVALID_PARAMETER);
  return pendLookup(client, Irp, (done, alive) =>
    native.getnameinfo(net, flags, (status, host, serv) => {
      if (!alive()) return; // cancelled: the caller's buffers are not touched
      if (status !== 0) return done(statusOf(status), 0);
      if ((node && !fill(node, host ?? '')) || (service && !fill(service, serv ?? ''))) return done(STATUS_BUFFER_TOO_SMALL, 0);
      done(STATUS_SUCCESS, 0);
    }),
  );
}
