// The control calls of an API case: WskControlSocket (options, IOCTLs, event callbacks; one
// table of rows, well-formed and not), WskControlClient, and name resolution (numeric only).
import * as W from '../lib';
import type { IRP, WSK_SOCKET } from '../lib';
import type { Act } from './api-arbs';
import { CTL_CONDITIONAL_ACCEPT, CTL_ENABLE_EVENTS } from './api-macros';
import type { ApiRunner } from './api-run';
import { A, Here, sockaddr } from './api-world';
import { materialize, pick } from './values';

/** The events a socket's category can take through SO_WSK_EVENT_CALLBACK. */
function eventMask(s: WSK_SOCKET): number {
  const d = s.Dispatch as unknown as Record<string, unknown>;
  if ('WskSendTo' in d) return W.WSK_EVENT_RECEIVE_FROM;
  if ('WskListen' in d) return W.WSK_EVENT_ACCEPT | W.WSK_EVENT_RECEIVE | W.WSK_EVENT_DISCONNECT;
  if ('WskAccept' in d) return W.WSK_EVENT_ACCEPT;
  if ('WskSend' in d) return W.WSK_EVENT_RECEIVE | W.WSK_EVENT_DISCONNECT | W.WSK_EVENT_SEND_BACKLOG;
  return 0;
}

const u32 = (n: unknown) => new Uint8Array(new Uint32Array([typeof n === 'number' ? n : 0]).buffer);
const events = (mask: unknown, npi: unknown = W.NPI_WSK_INTERFACE_ID) => ({ NpiId: npi, EventMask: mask });

/** Rows of [RequestType, ControlCode, Level, InputSize, InputBuffer, OutputSize, OutputBuffer]. */
function controlRows(r: ApiRunner, s: WSK_SOCKET | null, v: unknown): unknown[][] {
  const all = s ? eventMask(s) : 0;
  const n = typeof v === 'number' ? v : 0;
  const rows: unknown[][] = [];
  rows[CTL_ENABLE_EVENTS] = [W.WskSetOption, W.SO_WSK_EVENT_CALLBACK, W.SOL_SOCKET, 16, events(all)];
  rows[1] = [W.WskSetOption, W.SO_WSK_EVENT_CALLBACK, W.SOL_SOCKET, 16, events((all | W.WSK_EVENT_DISABLE) >>> 0)];
  // Any subset of the event bits, enabling or (odd v) disabling: some are not the category's.
  rows[2] = [W.WskSetOption, W.SO_WSK_EVENT_CALLBACK, W.SOL_SOCKET, 16, events(typeof v === 'number' ? ((n & 0x3d0) | (n & 1 ? W.WSK_EVENT_DISABLE : 0)) >>> 0 : v)];
  rows[3] = [W.WskSetOption, W.SO_RCVBUF, W.SOL_SOCKET, 4, u32(v)];
  rows[4] = [W.WskGetOption, W.SO_RCVBUF, W.SOL_SOCKET, 0, null, 4, new Uint8Array(4)];
  rows[5] = [W.WskSetOption, W.SO_REUSEADDR, W.SOL_SOCKET, 4, u32(1)];
  rows[6] = [W.WskSetOption, W.TCP_NODELAY, W.IPPROTO_TCP, 4, u32(1)];
  rows[7] = [W.WskSetOption, W.IPV6_V6ONLY, W.IPPROTO_IPV6, 4, u32(0)];
  rows[8] = [W.WskIoctl, W.SIO_WSK_QUERY_RECEIVE_BACKLOG, 0, 0, null, 8, new Uint8Array(8)];
  rows[9] = [W.WskIoctl, W.SIO_WSK_QUERY_IDEAL_SEND_BACKLOG, 0, 0, null, 8, new Uint8Array(8)];
  rows[10] = [W.WskIoctl, W.SIO_WSK_SET_REMOTE_ADDRESS, 0, 28, sockaddr(r.w, { a: 'learned', i: n })];
  rows[CTL_CONDITIONAL_ACCEPT] = [W.WskSetOption, W.SO_CONDITIONAL_ACCEPT, W.SOL_SOCKET, 4, u32(n & 1)];
  rows[12] = [W.WskIoctl, W.SIO_WSK_QUERY_INSPECT_ID, 0, 0, null, 16, {}];
  rows[13] = [W.WskSetOption, typeof v === 'number' ? 0x7f00 | (n & 0xff) : v, W.SOL_SOCKET, 4, u32(1)];
  rows[14] = [v, W.SO_KEEPALIVE, W.SOL_SOCKET, 4, u32(1), 4, new Uint8Array(4)];
  rows[15] = [W.WskGetOption, W.SO_KEEPALIVE, W.SOL_SOCKET, 0, null, typeof v === 'number' ? v : 4, new Uint8Array(4)];
  rows[16] = [W.WskIoctl, W.SIO_WSK_SET_SENDTO_ADDRESS, 0, 28, sockaddr(r.w, { a: 'learned', i: n })];
  rows[17] = [W.WskIoctl, n & 1 ? W.SIO_WSK_SET_REMOTE_ADDRESS : W.SIO_WSK_SET_SENDTO_ADDRESS, 0, 0, null];
  rows[18] = [W.WskIoctl, W.SIO_WSK_REGISTER_EXTENSION, 0, 16, { NpiId: W.NPI_WSK_INTERFACE_ID }, 0, null];
  rows[19] = [W.WskIoctl, W.SIO_WSK_SET_TCP_SILENT_MODE, 0, 0, null];
  rows[20] = [W.WskSetOption, W.SO_WSK_SECURITY, W.SOL_SOCKET, 8, [pick(r.w.sds, n) ?? { Revision: 1 }]];
  rows[21] = [W.WskGetOption, W.SO_WSK_SECURITY, W.SOL_SOCKET, 0, null, 8, r.w.sdOut()];
  rows[22] = [W.WskSetOption, W.SO_EXCLUSIVEADDRUSE, W.SOL_SOCKET, 4, u32(n & 1)];
  rows[23] = [W.WskSetOption, W.SO_LINGER, W.SOL_SOCKET, 4, new Uint8Array([1, 0, 0, 0])];
  rows[24] = [W.WskSetOption, W.SO_SNDBUF, W.SOL_SOCKET, 4, u32(v)];
  rows[25] = [W.WskSetOption, W.IP_PKTINFO, W.IPPROTO_IP, 4, u32(1)];
  rows[26] = [W.WskSetOption, W.SO_WSK_EVENT_CALLBACK, W.SOL_SOCKET, 16, events(all, v)];
  rows[27] = [W.WskIoctl, W.SIO_WSK_SET_REMOTE_ADDRESS, 0, 28, v];
  rows[28] = [W.WskSetOption, W.IPV6_UNICAST_HOPS, W.IPPROTO_IPV6, 4, u32(n & 0xff)];
  rows[29] = [W.WskSetOption, W.SO_RCVBUF, W.SOL_SOCKET, 64, u32(1)]; // InputSize past the buffer
  return rows;
}

export function controlSocket(r: ApiRunner, a: Act, here: Here): void {
  const f = A(a);
  const s = r.socketOf(a, here);
  const rows = controlRows(r, s, materialize(f.v));
  const outRet = f.out === null ? null : materialize(f.out);
  const [type, code, level, inSize, inBuf, outSize = 0, outBuf = null] = rows[f.c % rows.length];
  r.socketCall(a, here, 'WskControlSocket', () => [type, code, level, inSize, inBuf, outSize, outBuf, outRet]);
}

export function controlClient(r: ApiRunner, a: Act, here: Here): void {
  const f = A(a);
  const D = r.w.npi.Dispatch;
  if (!D) return;
  const outRet = f.out === null ? null : materialize(f.out);
  const sdOut = r.w.sdOut();
  const mask = f.m ?? W.WSK_EVENT_RECEIVE_FROM;
  const rows: unknown[][] = [
    [W.WSK_TRANSPORT_LIST_QUERY, 0, null, 4 * W.SIZEOF_WSK_TRANSPORT, new Array(4)],
    [W.WSK_TRANSPORT_LIST_QUERY, 0, null, 0, null],
    [W.WSK_TRANSPORT_LIST_CHANGE, 0, null, 0, null],
    [W.WSK_CACHE_SD, 8, [{ Revision: 1 }], 8, sdOut],
    [W.WSK_RELEASE_SD, 8, [pick(r.w.sds, mask) ?? { Revision: 1 }], 0, null],
    // Static events: any subset of the bits (legal only before the client's first socket).
    [W.WSK_SET_STATIC_EVENT_CALLBACKS, 16, events(mask & 0x3d0 || W.WSK_EVENT_RECEIVE_FROM), 0, null],
    [W.WSK_TDI_BEHAVIOR, 4, new Uint32Array([mask & 1]), 0, null],
    [0x1234, 0, null, 0, null],
    [W.WSK_TDI_DEVICENAME_MAPPING, 8, {}, 0, null],
    [W.WSK_SET_STATIC_EVENT_CALLBACKS, 16, events(mask, mask & 1 ? null : W.NPI_WSK_INTERFACE_ID), 0, null],
  ];
  const [code, inSize, inBuf, outSize, outBuf] = rows[f.c % rows.length];
  r.irpCall(a, here, 'WskControlClient', null, (irp) => D.WskControlClient(r.w.npi.Client, code as number, inSize as number, inBuf as object, outSize as number, outBuf as object, outRet as { 0: number }, irp as IRP));
}

/** [ControlInfoLength, ControlInfo]: none, a well-formed IP_TTL, garbage, a length past the buffer. */
export function controlInfo(c: number): unknown[] {
  if (c === 1) {
    const ttl = W.cmsgBuild([{ cmsg_level: W.IPPROTO_IP, cmsg_type: W.IP_TTL, data: new Uint8Array([64, 0, 0, 0]) }]);
    return [ttl.byteLength, ttl];
  }
  if (c === 2) return [8, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])];
  if (c === 3) return [100, new Uint8Array(8)];
  return [0, null];
}

export function getAddressInfo(r: ApiRunner, a: Act, here: Here): void {
  const f = A(a);
  const D = r.w.npi.Dispatch;
  if (!D) return;
  // Numeric hosts only, and AI_NUMERICHOST always: no name ever reaches a DNS server.
  const nodes = ['127.0.0.1', '::1', 'localhost', null, '0.0.0.0', '::ffff:127.0.0.1'];
  const services = ['80', null, '0', '65536'];
  const us = (text: string | null) => {
    if (text === null) return null;
    const u = {};
    W.RtlInitUnicodeString(u, text);
    return u as W.UNICODE_STRING;
  };
  const hints = { ai_flags: W.AI_NUMERICHOST | [0, W.AI_PASSIVE, W.AI_CANONNAME, W.AI_V4MAPPED | W.AI_ALL][f.flags % 4], ai_family: [0, W.AF_INET, W.AF_INET6, 99][f.fam % 4] };
  const result = materialize(f.result) as { 0?: unknown };
  r.irpCall(a, here, 'WskGetAddressInfo', null, (irp) => {
    const use = r.w.current.get(irp as IRP);
    if (use) {
      use.result = result;
      r.w.resolutions.push(use);
    }
    return D.WskGetAddressInfo(r.w.npi.Client, us(nodes[f.node % nodes.length]), us(services[f.svc % services.length]), W.NS_ALL, null, hints, result as { 0: null }, null, null, irp as IRP);
  });
}

export function freeAddressInfo(r: ApiRunner, i: number): void {
  const D = r.w.npi.Dispatch;
  const use = pick(r.w.resolutions, i);
  if (!D || !use || !use.result || typeof use.result !== 'object') return;
  const list = use.result[0];
  if (list && typeof list === 'object') r.w.freedLists.add(list);
  r.w.call('WskFreeAddressInfo', () => D.WskFreeAddressInfo(r.w.npi.Client, list as W.ADDRINFOEXW));
}

export function getNameInfo(r: ApiRunner, a: Act, here: Here): void {
  const f = A(a);
  const D = r.w.npi.Dispatch;
  if (!D) return;
  const node = { Length: 0, MaximumLength: 128, Buffer: new Uint16Array(64) };
  const service = { Length: 0, MaximumLength: 64, Buffer: new Uint16Array(32) };
  // NI_NUMERICHOST | NI_NUMERICSERV always: no reverse lookup leaves the machine.
  const flags = f.flags | W.NI_NUMERICHOST | W.NI_NUMERICSERV;
  const sa = sockaddr(r.w, f.addr);
  r.irpCall(a, here, 'WskGetNameInfo', null, (irp) => D.WskGetNameInfo(r.w.npi.Client, sa as W.PSOCKADDR, 28, node, service, flags, null, null, irp as IRP));
}
