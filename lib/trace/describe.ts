// The short forms of the IRP timeline: a call's or an event's arguments as a few numbers and
// texts (a WSK_BUF's Length, flags in hex, an address as '127.0.0.1:80'), a socket as its track.
// Never whole objects: a record must stay small, and must not keep the caller's objects alive.
//
// Reading an argument must not run the caller's code: a getter on a WSK_BUF may close the
// socket (test/close-reentry.test.ts does), and a trace must not change what the program does.
// So only own data properties are read; anything else shows as '?'.
import { types } from 'node:util';
import { setTraceDescriber, traceTrackOf, WskTraceValue } from '../kernel/trace';
import { sockaddrToString } from '../net/sockaddr';
import { AF_INET, AF_INET6, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM } from '../net/ws2def';
import { CATEGORY_NAMES, SocketObject } from '../socket/socket';
import { WskGetOption, WskInspectAccept, WskInspectPend, WskInspectReject, WskIoctl, WskSetOption } from '../wsk/wsk-base';

/** The bound on walking a caller's chain (a WSK_BUF_LIST that loops back on itself). */
const MAX_CHAIN = 4096;

/** An own data property of `o`, or undefined (a getter, a Proxy, not an object). */
function own(o: unknown, key: string): unknown {
  if (o === null || typeof o !== 'object' || types.isProxy(o)) return undefined;
  const d = Object.getOwnPropertyDescriptor(o, key);
  return d !== undefined && 'value' in d ? d.value : undefined;
}

function num(v: unknown): WskTraceValue {
  return typeof v === 'number' ? v : '?';
}

function hex(v: unknown): WskTraceValue {
  return typeof v === 'number' ? `0x${(v >>> 0).toString(16)}` : '?';
}

function named(names: Record<number, string>): (v: unknown) => WskTraceValue {
  return (v) => (typeof v === 'number' ? (names[v] ?? v) : '?');
}

/** A SOCKADDR as text, from a copy of its data properties. */
function address(sa: unknown): WskTraceValue {
  if (sa === null || sa === undefined) return 'null';
  const copy = {
    sin_family: own(sa, 'sin_family'),
    sin_port: own(sa, 'sin_port'),
    sin_addr: { s_addr: own(own(sa, 'sin_addr'), 's_addr') },
    sin6_family: own(sa, 'sin6_family'),
    sin6_port: own(sa, 'sin6_port'),
    sin6_addr: { u: { Byte: own(own(own(sa, 'sin6_addr'), 'u'), 'Byte') } },
    sin6_scope_id: own(sa, 'sin6_scope_id'),
  };
  try {
    return sockaddrToString(copy as never);
  } catch {
    return '?';
  }
}

/** UNICODE_STRING text (Length is in bytes, as in C). */
function unicode(s: unknown): WskTraceValue {
  if (s === null || s === undefined) return 'null';
  const buffer = own(s, 'Buffer');
  const length = own(s, 'Length');
  if (!(buffer instanceof Uint16Array) || typeof length !== 'number') return '?';
  return String.fromCharCode(...buffer.subarray(0, Math.min(buffer.length, length >>> 1, 256)));
}

/** A chain through Next (WSK_DATA_INDICATION, WSK_DATAGRAM_INDICATION, WSK_BUF_LIST): its elements and bytes. */
function chain(head: unknown, out: Record<string, WskTraceValue>): void {
  let elements = 0;
  let bytes = 0;
  for (let e = head; e !== null && e !== undefined && elements < MAX_CHAIN; e = own(e, 'Next')) {
    elements++;
    const length = own(own(e, 'Buffer'), 'Length');
    if (typeof length === 'number') bytes += length;
  }
  out.elements = elements;
  out.bytes = bytes;
}

function socket(v: unknown): WskTraceValue {
  return v instanceof SocketObject ? `socket ${traceTrackOf(v)}` : v === null ? 'null' : '?';
}

type Shorten = (v: unknown, out: Record<string, WskTraceValue>, name: string) => void;

/** One argument: under its C name, through `f`. */
function as(f: (v: unknown) => WskTraceValue): Shorten {
  return (v, out, name) => {
    out[name] = f(v);
  };
}

const buffer: Shorten = (v, out) => {
  out.Length = v === null || v === undefined ? 0 : num(own(v, 'Length'));
};
const list: Shorten = (v, out) => chain(v, out);

const FAMILIES = { [AF_INET]: 'AF_INET', [AF_INET6]: 'AF_INET6' };
const TYPES = { [SOCK_STREAM]: 'SOCK_STREAM', [SOCK_DGRAM]: 'SOCK_DGRAM', [SOCK_RAW]: 'SOCK_RAW' };
const REQUESTS = { [WskSetOption]: 'WskSetOption', [WskGetOption]: 'WskGetOption', [WskIoctl]: 'WskIoctl' };
const ACTIONS = { [WskInspectReject]: 'WskInspectReject', [WskInspectAccept]: 'WskInspectAccept', [WskInspectPend]: 'WskInspectPend' };
const inspectId = (v: unknown): WskTraceValue => `${num(own(v, 'Key'))}/${num(own(v, 'SerialNumber'))}`;

/**
 * What each call passes to irpStart, and each event hook to traceEvent, in that order, with the
 * C parameter names. A name missing here records no arguments.
 */
const ARGS: Record<string, ReadonlyArray<readonly [string, Shorten]>> = {
  WskSocket: [['AddressFamily', as(named(FAMILIES))], ['SocketType', as(named(TYPES))], ['Flags', as(hex)]],
  WskSocketConnect: [['LocalAddress', as(address)], ['RemoteAddress', as(address)]],
  WskBind: [['LocalAddress', as(address)], ['Flags', as(hex)]],
  WskConnect: [['RemoteAddress', as(address)], ['Flags', as(hex)]],
  WskAccept: [['Flags', as(hex)]],
  WskInspectComplete: [['InspectID', as(inspectId)], ['Action', as(named(ACTIONS))]],
  WskSend: [['Buffer', buffer], ['Flags', as(hex)]],
  WskReceive: [['Buffer', buffer], ['Flags', as(hex)]],
  WskDisconnect: [['Buffer', buffer], ['Flags', as(hex)]],
  WskSendTo: [['Buffer', buffer], ['Flags', as(hex)], ['RemoteAddress', as(address)]],
  WskSendMessages: [['BufferList', list], ['Flags', as(hex)], ['RemoteAddress', as(address)]],
  WskReceiveFrom: [['Buffer', buffer], ['Flags', as(hex)]],
  WskControlSocket: [['RequestType', as(named(REQUESTS))], ['ControlCode', as(hex)], ['Level', as(hex)]],
  WskControlClient: [['ControlCode', as(hex)]],
  WskGetAddressInfo: [['NodeName', as(unicode)], ['ServiceName', as(unicode)]],
  WskGetNameInfo: [['SockAddr', as(address)]],
  WskReceiveEvent: [['DataIndication', list], ['BytesIndicated', as(num)]],
  WskDisconnectEvent: [['Flags', as(hex)]],
  WskSendBacklogEvent: [['IdealBacklogSize', as(num)]],
  WskAcceptEvent: [['RemoteAddress', as(address)], ['AcceptSocket', as(socket)]],
  WskInspectEvent: [['RemoteAddress', as(address)], ['InspectID', as(inspectId)]],
  WskAbortEvent: [['InspectID', as(inspectId)]],
  WskReceiveFromEvent: [['DataIndication', list]],
  WskCloseSocket: [],
};

function args(name: string, a: unknown, b: unknown, c: unknown): Record<string, WskTraceValue> | undefined {
  const spec = ARGS[name];
  if (spec === undefined || spec.length === 0) return undefined;
  const out: Record<string, WskTraceValue> = {};
  const values = [a, b, c];
  for (let i = 0; i < spec.length; i++) spec[i][1](values[i], out, spec[i][0]);
  return out;
}

/** IoStatus.Information: a byte count, or the socket WskSocket / WskAccept / WskSocketConnect made. */
function value(v: unknown): WskTraceValue {
  if (typeof v === 'number') return v;
  if (v instanceof SocketObject) return socket(v);
  return v === null || v === undefined ? 0 : typeof v;
}

function trackName(owner: object, id: number): string {
  return owner instanceof SocketObject ? `socket ${id} (${CATEGORY_NAMES[owner.category]})` : `object ${id}`;
}

/** Installs these short forms for every record from now on (lib/trace/recorder.ts does, on load). */
export function installDescriber(): void {
  setTraceDescriber({ trackName, args, value });
}
