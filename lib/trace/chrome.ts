// Records -> the Chrome trace event format (the JSON "Trace Event Format" that Perfetto's UI and
// chrome://tracing open). One process and one thread per track (the client, each socket), named
// with 'M' events. Per IRP call:
//   - an 'X' slice on the track from the call to its return: to STATUS_PENDING, or through the
//     inline completion and its routine (cat wsk.call; args: the call's arguments, the outcome);
//   - for a call that pended, an async 'b'/'e' span from STATUS_PENDING to the completion (cat
//     wsk.pending, id = the call's number), and a flow 's' -> 'f' from the call to its completion;
//   - an 'X' slice for the completion: IoStatus, then the routine's run (cat wsk.complete);
//   - 'i' instants for IoCancelIrp and for a WskVerifierError.
// Event callbacks are 'X' slices from the call to the return (cat wsk.event).
//
// Perfetto's importer (src/trace_processor/importers/json in google/perfetto) nests 'X' slices
// of a thread by their times and pops a slice once an event starts at or after its end; a flow
// 's' binds to the slice open on its thread when it is read, an 'f' with bp "e" to the slice
// enclosing it. So the events are written sorted by start (a parent before a child that starts
// at the same time), each flow event right after its slice, and every time is rounded to 1/8 µs:
// times in binary fractions survive the importer's "µs * 1000" to integer nanoseconds exactly,
// and rounding times (not durations) keeps nested slices nested.
import * as fs from 'node:fs';
import { ntStatusName } from '../kernel/ntstatus';
import type { WskTraceRecord } from '../kernel/trace';

/** One event of the Chrome trace event format (the fields this writer uses). */
export interface ChromeEvent {
  ph: 'X' | 'b' | 'e' | 's' | 'f' | 'i' | 'M';
  name: string;
  cat?: string;
  ts?: number;
  dur?: number;
  pid: number;
  tid?: number;
  id?: number;
  bp?: 'e';
  s?: 't';
  args?: Record<string, unknown>;
}

/** What the file says about the recording (the format's "otherData"). */
export interface TraceMetadata {
  producer: string;
  records: number;
  /** Records the ring dropped (the oldest), NODE_WSK_TRACE_MAX being what it kept at most. */
  dropped: number;
  maxRecords: number;
}

const q = (us: number): number => Math.round(us * 8) / 8;

/** What happened to one call, gathered from its records. */
interface Call {
  call: WskTraceRecord | null;
  pending: WskTraceRecord | null;
  complete: WskTraceRecord | null;
  routine: WskTraceRecord | null;
  violation: WskTraceRecord | null;
  marks: WskTraceRecord[];
}

/** A slice or instant to write, and the flow events that must follow it. */
interface Item {
  start: number;
  end: number;
  seq: number;
  events: ChromeEvent[];
}

function gather(records: readonly WskTraceRecord[]): Map<number, Call> {
  const calls = new Map<number, Call>();
  for (const r of records) {
    if (r.op === 0) continue;
    let c = calls.get(r.op);
    if (c === undefined) calls.set(r.op, (c = { call: null, pending: null, complete: null, routine: null, violation: null, marks: [] }));
    if (r.kind === 'call') c.call = r;
    else if (r.kind === 'pending') c.pending = r;
    else if (r.kind === 'complete') c.complete = r;
    else if (r.kind === 'routine') c.routine = r;
    else if (r.kind === 'violation') {
      c.violation = r;
      c.marks.push(r);
    } else if (r.kind === 'cancel') c.marks.push(r);
  }
  return calls;
}

function statusText(status: number | undefined): string | undefined {
  return status === undefined ? undefined : ntStatusName(status);
}

/** The call's own slice: its arguments, and how it ended. */
function callItem(c: Call, r: WskTraceRecord, lastTs: number): Item {
  const ended = c.pending ?? (c.complete ? (c.routine ?? c.complete) : c.violation);
  const start = q(r.ts);
  const end = q(ended ? ended.ts : lastTs);
  const args: Record<string, unknown> = { op: r.op, irp: r.irp, ...r.args };
  if (c.pending) args.returned = 'STATUS_PENDING';
  else if (c.complete) args.returned = statusText(c.complete.status);
  else if (c.violation) args.returned = 'WskVerifierError';
  else args.returned = 'still running when the trace was written';
  if (c.complete) {
    args.status = statusText(c.complete.status);
    args.Information = c.complete.info;
    if (c.pending) args.pending_us = q(c.complete.ts) - q(c.pending.ts);
  } else if (c.pending) {
    args.status = 'still pending when the trace was written';
  }
  if (c.violation) args.violation = c.violation.detail;
  const events: ChromeEvent[] = [{ ph: 'X', cat: 'wsk.call', name: r.name, ts: start, dur: end - start, pid: r.track, tid: r.track, args }];
  if (c.pending && c.complete) events.push({ ph: 's', cat: 'wsk.flow', name: 'completion', id: r.op, ts: start, pid: r.track, tid: r.track });
  return { start, end, seq: r.seq, events };
}

/** The completion: IoStatus set, then the routine's run (if it was called). */
function completionItem(c: Call, r: WskTraceRecord): Item {
  const start = q(r.ts);
  const end = q((c.routine ?? r).ts);
  const args: Record<string, unknown> = { op: r.op, irp: r.irp, status: statusText(r.status), Information: r.info };
  args.routine = c.routine === null ? 'not called' : c.routine.detail ?? statusText(c.routine.status);
  const events: ChromeEvent[] = [{ ph: 'X', cat: 'wsk.complete', name: `${r.name} completion`, ts: start, dur: end - start, pid: r.track, tid: r.track, args }];
  if (c.pending && c.call) events.push({ ph: 'f', bp: 'e', cat: 'wsk.flow', name: 'completion', id: r.op, ts: start, pid: r.track, tid: r.track });
  return { start, end, seq: r.seq, events };
}

/** STATUS_PENDING to completion, an async span beside the track's slices. */
function pendingItems(c: Call, r: WskTraceRecord, lastTs: number): Item[] {
  const begin: ChromeEvent = { ph: 'b', cat: 'wsk.pending', name: r.name, id: r.op, ts: q(r.ts), pid: r.track, tid: r.track, args: { op: r.op, irp: r.irp } };
  const doneTs = q(c.complete ? c.complete.ts : lastTs);
  const status = c.complete ? statusText(c.complete.status) : 'still pending when the trace was written';
  const end: ChromeEvent = { ph: 'e', cat: 'wsk.pending', name: r.name, id: r.op, ts: doneTs, pid: r.track, tid: r.track, args: { status } };
  return [
    { start: begin.ts!, end: begin.ts!, seq: r.seq, events: [begin] },
    { start: doneTs, end: doneTs, seq: c.complete ? c.complete.seq : Infinity, events: [end] },
  ];
}

function instant(r: WskTraceRecord, cat: string, name: string, args: Record<string, unknown>): Item {
  const ts = q(r.ts);
  return { start: ts, end: ts, seq: r.seq, events: [{ ph: 'i', s: 't', cat, name, ts, pid: r.track, tid: r.track, args }] };
}

function callItems(calls: Map<number, Call>, lastTs: number): Item[] {
  const items: Item[] = [];
  for (const c of calls.values()) {
    if (c.call) items.push(callItem(c, c.call, lastTs));
    if (c.pending) items.push(...pendingItems(c, c.pending, lastTs));
    if (c.complete) items.push(completionItem(c, c.complete));
    for (const m of c.marks) {
      const name = m.kind === 'cancel' ? 'IoCancelIrp' : 'WskVerifierError';
      items.push(instant(m, `wsk.${m.kind}`, name, { op: m.op, irp: m.irp, call: m.name, detail: m.detail }));
    }
  }
  return items;
}

/** Event callbacks: from the call to the return; one that never returned (threw), an instant. */
function eventItems(records: readonly WskTraceRecord[]): Item[] {
  const items: Item[] = [];
  const open = new Map<string, WskTraceRecord[]>();
  const slice = (r: WskTraceRecord, endTs: number): Item => {
    const start = q(r.ts);
    const end = q(endTs);
    return { start, end, seq: r.seq, events: [{ ph: 'X', cat: 'wsk.event', name: r.name, ts: start, dur: end - start, pid: r.track, tid: r.track, args: { ...r.args } }] };
  };
  for (const r of records) {
    const key = `${r.track} ${r.name}`;
    if (r.kind === 'event') {
      const stack = open.get(key) ?? [];
      stack.push(r);
      open.set(key, stack);
    } else if (r.kind === 'event-end') {
      const begin = open.get(key)?.pop();
      if (begin) items.push(slice(begin, r.ts));
    } else if (r.kind === 'violation' && r.op === 0) {
      items.push(instant(r, 'wsk.violation', 'WskVerifierError', { call: r.name, detail: r.detail }));
    }
  }
  for (const stack of open.values()) for (const r of stack) items.push(instant(r, 'wsk.event', r.name, { ...r.args }));
  return items;
}

function metadataEvents(records: readonly WskTraceRecord[]): ChromeEvent[] {
  const names = new Map<number, string>();
  for (const r of records) if (!names.has(r.track)) names.set(r.track, r.trackName);
  const out: ChromeEvent[] = [];
  for (const [track, name] of [...names].sort((a, b) => a[0] - b[0])) {
    out.push({ ph: 'M', name: 'process_name', pid: track, args: { name } });
    out.push({ ph: 'M', name: 'process_sort_index', pid: track, args: { sort_index: track } });
    out.push({ ph: 'M', name: 'thread_name', pid: track, tid: track, args: { name } });
  }
  return out;
}

/** The trace events for these records (in seq order), sorted as Perfetto's importer wants them. */
export function chromeEvents(records: readonly WskTraceRecord[]): ChromeEvent[] {
  const lastTs = records.length > 0 ? records[records.length - 1].ts : 0;
  const items = [...callItems(gather(records), lastTs), ...eventItems(records)];
  items.sort((a, b) => a.start - b.start || b.end - a.end || a.seq - b.seq);
  const out = metadataEvents(records);
  for (const item of items) for (const e of item.events) out.push(e);
  return out;
}

/**
 * Writes the trace file: {"traceEvents": [...], "displayTimeUnit": "ns", "otherData": {...}}, in
 * chunks (a million records make a file past the longest string V8 can build).
 */
export function writeChromeTrace(path: string, records: readonly WskTraceRecord[], meta: TraceMetadata): void {
  const events = chromeEvents(records);
  const fd = fs.openSync(path, 'w');
  try {
    fs.writeSync(fd, `{"displayTimeUnit":"ns","otherData":${JSON.stringify(meta)},"traceEvents":[\n`);
    const CHUNK = 10_000;
    for (let i = 0; i < events.length; i += CHUNK) {
      const lines = events.slice(i, i + CHUNK).map((e) => JSON.stringify(e));
      fs.writeSync(fd, lines.join(',\n') + (i + CHUNK < events.length ? ',\n' : '\n'));
    }
    fs.writeSync(fd, ']}\n');
  } finally {
    fs.closeSync(fd);
  }
}

