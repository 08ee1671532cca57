// A Chrome trace written by NODE_WSK_TRACE -> timeline.html: one self-contained page (its
// script, style and data inline; nothing fetched) that draws one lane per socket, each IRP's
// call, its pending span, failures in red, and a tooltip per IRP. The drawing is the page's own
// script (page/timeline.js); this file only reduces the trace to what the page draws.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ChromeEvent, TraceMetadata } from './chrome';

type Args = Record<string, unknown>;

/** One IRP call as the page draws it. Times in µs. */
export interface TimelineIrp {
  lane: number;
  op: number;
  name: string;
  /** The call. */
  start: number;
  /** Its return: STATUS_PENDING, or the end of its inline completion. */
  returned: number;
  /** The completion of a call that pended; null for an inline one, or one still pending. */
  end: number | null;
  pending: boolean;
  status: string;
  failed: boolean;
  /** The arguments and Information, as "Name=value" lines for the tooltip. */
  detail: string[];
}

export interface TimelineEvent {
  lane: number;
  name: string;
  start: number;
  end: number;
  detail: string[];
}

export interface TimelineMark {
  lane: number;
  kind: 'cancel' | 'violation';
  t: number;
  text: string;
}

export interface TimelineModel {
  title: string;
  meta: Partial<TraceMetadata>;
  lanes: Array<{ id: number; name: string }>;
  t0: number;
  t1: number;
  irps: TimelineIrp[];
  events: TimelineEvent[];
  marks: TimelineMark[];
}

/** The hex of an NTSTATUS in ntStatusName's text; failure is the top bit (NT_SUCCESS is false). */
function failed(status: unknown): boolean {
  const m = /0x([0-9A-Fa-f]{8})/.exec(String(status));
  return m !== null && (parseInt(m[1], 16) & 0x80000000) !== 0;
}

const SHOWN_ELSEWHERE = new Set(['op', 'irp', 'returned', 'status', 'pending_us']);

function detailLines(args: Args): string[] {
  return Object.entries(args)
    .filter(([k]) => !SHOWN_ELSEWHERE.has(k))
    .map(([k, v]) => `${k}=${String(v)}`);
}

function irpOf(e: ChromeEvent, lane: number): TimelineIrp {
  const a = e.args ?? {};
  const returned = e.ts! + e.dur!;
  const pending = a.returned === 'STATUS_PENDING';
  const pendingUs = typeof a.pending_us === 'number' ? a.pending_us : null;
  const status = String(a.status ?? a.returned ?? '');
  return {
    lane,
    op: Number(a.op),
    name: e.name,
    start: e.ts!,
    returned,
    end: pending && pendingUs !== null ? returned + pendingUs : null,
    pending,
    status,
    failed: failed(status) || a.returned === 'WskVerifierError',
    detail: detailLines(a),
  };
}

/** What the page draws, from the events of a trace file. */
export function timelineModel(trace: { traceEvents: ChromeEvent[]; otherData?: Partial<TraceMetadata> }, title: string): TimelineModel {
  const lanes = new Map<number, string>();
  for (const e of trace.traceEvents) if (e.ph === 'M' && e.name === 'thread_name') lanes.set(e.tid!, String((e.args as Args).name));
  const ids = [...lanes.keys()].sort((a, b) => a - b);
  const laneOf = new Map(ids.map((id, i) => [id, i]));
  const model: TimelineModel = {
    title,
    meta: trace.otherData ?? {},
    lanes: ids.map((id) => ({ id, name: lanes.get(id)! })),
    t0: Infinity,
    t1: -Infinity,
    irps: [],
    events: [],
    marks: [],
  };
  for (const e of trace.traceEvents) {
    const lane = laneOf.get(e.tid ?? -1);
    if (lane === undefined || e.ts === undefined) continue;
    model.t0 = Math.min(model.t0, e.ts);
    model.t1 = Math.max(model.t1, e.ts + (e.dur ?? 0));
    if (e.ph === 'X' && e.cat === 'wsk.call') model.irps.push(irpOf(e, lane));
    else if (e.cat === 'wsk.event') model.events.push({ lane, name: e.name, start: e.ts, end: e.ts + (e.dur ?? 0), detail: detailLines(e.args ?? {}) });
    else if (e.ph === 'i' && (e.cat === 'wsk.cancel' || e.cat === 'wsk.violation')) {
      const a = e.args ?? {};
      model.marks.push({ lane, kind: e.cat === 'wsk.cancel' ? 'cancel' : 'violation', t: e.ts, text: `${e.name} ${String(a.call ?? '')}: ${String(a.detail ?? '')}` });
    }
  }
  for (const irp of model.irps) if (irp.end !== null) model.t1 = Math.max(model.t1, irp.end);
  if (model.t0 > model.t1) model.t0 = model.t1 = 0;
  return model;
}

/** The page's files: beside this module in lib/, or in lib/ when this runs from dist/. */
function pageFile(name: string): string {
  const candidates = [path.join(__dirname, 'page', name), path.join(__dirname, '..', '..', '..', 'lib', 'trace', 'page', name)];
  const found = candidates.find((p) => fs.existsSync(p));
  if (found === undefined) throw new Error(`node-wsk-trace: ${name} not found (looked in ${candidates.join(', ')})`);
  return fs.readFileSync(found, 'utf8');
}

/** JSON that is safe inside <script>: no "</script", no "<!--". */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** The whole page for this model. */
export function timelineHtml(model: TimelineModel): string {
  return pageFile('timeline.html')
    .replaceAll('{{TITLE}}', () => escapeHtml(model.title))
    .replace('/*{{STYLE}}*/', () => pageFile('timeline.css'))
    .replace('{{DATA}}', () => scriptJson(model))
    .replace('/*{{SCRIPT}}*/', () => pageFile('timeline.js'));
}

/** Reads a trace file, writes the page; returns what it drew. */
export function writeTimeline(traceFile: string, outFile: string, title = path.basename(traceFile)): TimelineModel {
  const trace = JSON.parse(fs.readFileSync(traceFile, 'utf8')) as { traceEvents?: ChromeEvent[]; otherData?: Partial<TraceMetadata> };
  if (!Array.isArray(trace.traceEvents)) throw new Error(`${traceFile}: not a Chrome trace event file (no traceEvents array)`);
  const model = timelineModel({ traceEvents: trace.traceEvents, otherData: trace.otherData }, title);
  fs.writeFileSync(outFile, timelineHtml(model));
  return model;
}
