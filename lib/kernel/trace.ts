// The IRP timeline's recording side (issue 17): what happened to each IRP — the call, its
// STATUS_PENDING, its completion, the completion routine's run, IoCancelIrp — and which event
// callbacks ran, as records published on two diagnostics_channel channels. NODE_WSK_TRACE's
// file (lib/trace/) is one subscriber; any tool may be another.
//
// Every hook in lib/ is one line, `if (irpChannel.hasSubscribers) traceX(...)` (or
// eventChannel): with nobody subscribed it costs one read of a getter V8 inlines, and nothing
// here runs. This file knows nothing of sockets: a provider call names the object it works on
// (traceOwner, from socketArg and clientArg) before it claims its IRP, and what an object or an
// argument looks like in short form comes from above (setTraceDescriber, lib/trace/describe.ts).
import { channel } from 'node:diagnostics_channel';
import { performance } from 'node:perf_hooks';

/** The channel of IRP records (call, pending, complete, routine, cancel, violation). */
export const WSK_TRACE_IRP_CHANNEL = 'node-wsk:irp';
/** The channel of event-callback records (event, event-end). */
export const WSK_TRACE_EVENT_CHANNEL = 'node-wsk:event';
// @internal: the package's declarations must not need @types/node (test/package-names.test.ts).
/** @internal The hooks' guard: true while anyone subscribes. */
export const irpChannel = channel(WSK_TRACE_IRP_CHANNEL);
/** @internal */
export const eventChannel = channel(WSK_TRACE_EVENT_CHANNEL);

/**
 * The kinds of IRP timeline record (NODE_WSK_TRACE): a call, its pending, completion, completion
 * routine, cancel, a verifier violation, and an event callback's start and end.
 */
export type WskTraceKind = 'call' | 'pending' | 'complete' | 'routine' | 'cancel' | 'violation' | 'event' | 'event-end';

/** An argument, a piece of Information, in short form: a number or a short text. */
export type WskTraceValue = string | number;

/** One record, as published on the channels and kept by NODE_WSK_TRACE. Treat it as read-only. */
export interface WskTraceRecord {
  /** The record's number in this process, from 1 (a gap in a kept trace is what was dropped). */
  seq: number;
  /** Microseconds since the process started (performance.now()). */
  ts: number;
  kind: WskTraceKind;
  /** 1 is the client (registration-level calls: WskSocket, resolution, WskControlClient); each socket has its own, from 2. */
  track: number;
  trackName: string;
  /** The WSK function (WskSend, WskAcceptEvent...). */
  name: string;
  /** The call this record belongs to, from 1; 0 for event records. */
  op: number;
  /** Which IRP object (the same number across IoReuseIrp); 0 for event records. */
  irp: number;
  /** complete: IoStatus.Status; routine: what the routine returned (undefined if it threw). */
  status: number | undefined;
  /** complete: IoStatus.Information in short form (bytes, or 'socket 3'). */
  info: WskTraceValue | undefined;
  /** call and event: the arguments in short form. */
  args: Record<string, WskTraceValue> | undefined;
  /** violation: the WskVerifierError message; cancel: whether a cancel routine ran; routine: 'threw'. */
  detail: string | undefined;
}

/** What names objects and arguments (installed by lib/trace/describe.ts). */
export interface TraceDescriber {
  /** A track's name, given the object (a socket) and its number. */
  trackName(owner: object, id: number): string;
  /** A call's or an event's arguments in short form (a, b, c as the hook passed them). */
  args(name: string, a: unknown, b: unknown, c: unknown): Record<string, WskTraceValue> | undefined;
  /** IoStatus.Information in short form. */
  value(v: unknown): WskTraceValue;
}

const fallback: TraceDescriber = {
  trackName: (_owner, id) => `object ${id}`,
  args: () => undefined,
  value: (v) => (typeof v === 'number' || typeof v === 'string' ? v : typeof v),
};
let describer = fallback;

/** @internal Installs what names objects and arguments. */
export function setTraceDescriber(d: TraceDescriber): void {
  describer = d;
}

interface Track {
  id: number;
  name: string;
}

/** The call an IRP is in (or was in last). */
interface Op {
  op: number;
  irp: number;
  track: Track;
  name: string;
}

const CLIENT: Track = { id: 1, name: 'client' };
const tracks = new WeakMap<object, Track>();
let lastTrack = 1;
const irpIds = new WeakMap<object, number>();
let lastIrp = 0;
const ops = new WeakMap<object, Op>();
let lastOp = 0;
let lastSeq = 0;
/** The track of the provider call in progress, until it claims its IRP. */
let owner: Track = CLIENT;
/** Hook calls that did work: test/trace.test.ts checks that none runs with tracing off. */
let work = 0;

function trackFor(obj: object): Track {
  let t = tracks.get(obj);
  if (t === undefined) {
    const id = ++lastTrack;
    t = { id, name: describer.trackName(obj, id) };
    tracks.set(obj, t);
  }
  return t;
}

/** @internal The track number of an object (a socket), made on first sight: for short forms. */
export function traceTrackOf(obj: object): number {
  return trackFor(obj).id;
}

/** @internal How many hook calls did work since the process started. */
export function traceWorkCount(): number {
  return work;
}

function irpId(irp: object): number {
  let id = irpIds.get(irp);
  if (id === undefined) irpIds.set(irp, (id = ++lastIrp));
  return id;
}

function publish(
  ch: typeof irpChannel,
  kind: WskTraceKind,
  track: Track,
  name: string,
  op: Op | null,
  status?: number,
  info?: WskTraceValue,
  args?: Record<string, WskTraceValue>,
  detail?: string,
): void {
  work++;
  // Every field always present, in one order: one hidden class for every record.
  const r: WskTraceRecord = {
    seq: ++lastSeq,
    ts: performance.now() * 1000,
    kind,
    track: track.id,
    trackName: track.name,
    name,
    op: op === null ? 0 : op.op,
    irp: op === null ? 0 : op.irp,
    status,
    info,
    args,
    detail,
  };
  ch.publish(r);
}

/** The call an IRP is in; one made up for an IRP whose call was not seen (tracing began later). */
function opOf(irp: object, where: string): Op {
  let o = ops.get(irp);
  if (o === undefined) {
    o = { op: ++lastOp, irp: irpId(irp), track: CLIENT, name: where || 'an IRP no call has taken' };
    ops.set(irp, o);
  }
  return o;
}

// ---- the hooks ----

/** socketArg, clientArg, a close without a client call: the object the call works on (null: the client). */
export function traceOwner(obj: object | null): void {
  work++;
  owner = obj === null ? CLIENT : trackFor(obj);
}

/** irpStart: a provider call claimed its IRP. a, b, c are the arguments worth showing. */
export function traceCall(irp: object, where: string, a: unknown, b: unknown, c: unknown): void {
  const o: Op = { op: ++lastOp, irp: irpId(irp), track: owner, name: where };
  ops.set(irp, o);
  // Consumed: a later call that names no object is the client's.
  owner = CLIENT;
  publish(irpChannel, 'call', o.track, where, o, undefined, undefined, describer.args(where, a, b, c));
}

/** irpPend: the call returns STATUS_PENDING. */
export function tracePend(irp: object, where: string): void {
  const o = opOf(irp, where);
  publish(irpChannel, 'pending', o.track, o.name, o);
}

/** irpComplete, before the routine: the status and Information the IRP completes with. */
export function traceComplete(irp: object, where: string, status: number, information: unknown): void {
  const o = opOf(irp, where);
  publish(irpChannel, 'complete', o.track, o.name, o, status, describer.value(information));
}

/** irpComplete: runs the completion routine and records its return (or that it threw). */
export function traceRoutine<C>(
  routine: (DeviceObject: null, Irp: never, Context: C) => number,
  irp: object,
  where: string,
  context: C,
): number {
  const o = opOf(irp, where);
  let result: number | undefined;
  let threw = true;
  try {
    result = routine(null, irp as never, context);
    threw = false;
    return result;
  } finally {
    publish(irpChannel, 'routine', o.track, o.name, o, result, undefined, undefined, threw ? 'threw' : undefined);
  }
}

/** IoCancelIrp (or WskDeregister's cancel on the client's behalf). */
export function traceCancel(irp: object, where: string, ran: boolean): void {
  const o = opOf(irp, where);
  publish(irpChannel, 'cancel', o.track, o.name, o, undefined, undefined, undefined, ran ? 'cancel routine ran' : 'not cancellable');
}

/** A WskVerifierError about to be thrown; `claimed` is the IRP the failing call gives back, if any. */
export function traceViolation(claimed: object | null, where: string, message: string): void {
  const o = claimed === null ? null : opOf(claimed, where);
  publish(irpChannel, 'violation', o === null ? owner : o.track, o === null ? where : o.name, o, undefined, undefined, undefined, message);
}

/** An event callback is about to run on `socket`'s track. */
export function traceEvent(socket: object, name: string, a?: unknown, b?: unknown): void {
  publish(eventChannel, 'event', trackFor(socket), name, null, undefined, undefined, describer.args(name, a, b, undefined));
}

/** The event callback `name` returned (EventState.leave). */
export function traceEventEnd(socket: object, name: string): void {
  publish(eventChannel, 'event-end', trackFor(socket), name, null);
}
