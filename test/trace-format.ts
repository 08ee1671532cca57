// What a trace file written by NODE_WSK_TRACE must be, checked without Perfetto (no network
// here to load its UI): the fields the Trace Event Format documents for each phase, and the way
// Perfetto's JSON importer (google/perfetto src/trace_processor/importers/json) reads them —
// only the keys displayTimeUnit, otherData and traceEvents at the top (it stops at a key it does
// not know), 'X' slices of a thread strictly nested in file order, a flow 's' bound to the slice
// open on its thread when it is read and an 'f' (bp "e") to the one enclosing it, 'b'/'e' pairs
// matched by cat, id and name, every thread named by an 'M' thread_name event.

interface Event {
  ph: string;
  name: string;
  cat?: string;
  ts?: number;
  dur?: number;
  pid?: number;
  tid?: number;
  id?: number;
  bp?: string;
  s?: string;
  args?: Record<string, unknown>;
}

const PHASES = new Set(['X', 'b', 'e', 's', 'f', 'i', 'M']);
const TOP_KEYS = new Set(['displayTimeUnit', 'otherData', 'traceEvents']);

function fieldProblems(e: Event, i: number): string[] {
  const p: string[] = [];
  const at = `event ${i} (${e.ph} ${e.name})`;
  if (!PHASES.has(e.ph)) p.push(`${at}: phase ${e.ph} is not one this writer uses`);
  if (typeof e.name !== 'string' || e.name === '') p.push(`${at}: no name`);
  if (!Number.isInteger(e.pid) || e.pid! < 1) p.push(`${at}: pid must be a positive integer`);
  if (e.ph === 'M') {
    if (typeof e.args?.name !== 'string' && typeof e.args?.sort_index !== 'number') p.push(`${at}: metadata without args.name or args.sort_index`);
    return p;
  }
  if (!Number.isInteger(e.tid) || e.tid! < 1) p.push(`${at}: tid must be a positive integer`);
  if (typeof e.ts !== 'number' || !Number.isFinite(e.ts) || e.ts < 0) p.push(`${at}: ts must be a finite number of µs`);
  // Binary fractions of a µs survive the importer's µs * 1000 -> integer ns exactly.
  else if (!Number.isInteger(e.ts * 8)) p.push(`${at}: ts ${e.ts} is not a multiple of 1/8 µs`);
  if (typeof e.cat !== 'string' || !e.cat.startsWith('wsk.')) p.push(`${at}: cat must be wsk.*`);
  if (e.ph === 'X' && (typeof e.dur !== 'number' || e.dur < 0 || !Number.isInteger(e.dur * 8))) p.push(`${at}: dur must be a number >= 0 (1/8 µs)`);
  if ('bsfe'.includes(e.ph) && !Number.isInteger(e.id)) p.push(`${at}: id must be an integer`);
  if (e.ph === 'f' && e.bp !== 'e') p.push(`${at}: a flow end binds to its enclosing slice (bp "e")`);
  if (e.ph === 'i' && e.s !== 't') p.push(`${at}: instant without scope "t"`);
  return p;
}

/** Replays the file in order the way the importer nests slices and binds flows. */
function nestingProblems(events: Event[]): string[] {
  const p: string[] = [];
  const stacks = new Map<number, Event[]>();
  let lastTs = -Infinity;
  events.forEach((e, i) => {
    if (e.ph === 'M') return;
    if (e.ts! < lastTs) p.push(`event ${i} (${e.ph} ${e.name}) at ${e.ts} comes after one at ${lastTs}: not sorted`);
    lastTs = Math.max(lastTs, e.ts!);
    if (e.ph === 'b' || e.ph === 'e') return;
    const stack = stacks.get(e.tid!) ?? [];
    stacks.set(e.tid!, stack);
    const top = stack[stack.length - 1];
    if (e.ph === 's' && !(top && top.cat === 'wsk.call' && top.args?.op === e.id)) p.push(`flow start ${e.id} is not bound to its call's slice`);
    if (e.ph === 'f' && !(top && top.cat === 'wsk.complete' && top.args?.op === e.id)) p.push(`flow end ${e.id} is not bound to its completion's slice`);
    if (e.ph !== 'X') return;
    while (stack.length > 0 && stack[stack.length - 1].ts! + stack[stack.length - 1].dur! <= e.ts!) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent && e.ts! + e.dur! > parent.ts! + parent.dur!) {
      p.push(`slice ${e.name} [${e.ts}, ${e.ts! + e.dur!}] overlaps the end of ${parent.name} [${parent.ts}, ${parent.ts! + parent.dur!}] on thread ${e.tid}`);
    }
    stack.push(e);
  });
  return p;
}

function pairProblems(events: Event[]): string[] {
  const p: string[] = [];
  const count = (ph: string, key: (e: Event) => string) => {
    const m = new Map<string, Event[]>();
    for (const e of events) if (e.ph === ph) m.set(key(e), [...(m.get(key(e)) ?? []), e]);
    return m;
  };
  const asyncKey = (e: Event) => `${e.cat} ${e.id} ${e.name} ${e.pid}`;
  const begins = count('b', asyncKey);
  const ends = count('e', asyncKey);
  for (const [k, b] of begins) {
    const e = ends.get(k) ?? [];
    if (b.length !== 1 || e.length !== 1) p.push(`async span ${k}: ${b.length} begin(s), ${e.length} end(s)`);
    else if (e[0].ts! < b[0].ts!) p.push(`async span ${k} ends before it begins`);
  }
  for (const k of ends.keys()) if (!begins.has(k)) p.push(`async span ${k}: an end without a begin`);
  const flowKey = (e: Event) => `${e.cat} ${e.id} ${e.name}`;
  const starts = count('s', flowKey);
  const finishes = count('f', flowKey);
  for (const [k, s] of starts) {
    const f = finishes.get(k) ?? [];
    if (s.length !== 1 || f.length !== 1) p.push(`flow ${k}: ${s.length} start(s), ${f.length} end(s)`);
    else if (f[0].ts! < s[0].ts!) p.push(`flow ${k} ends before it starts`);
  }
  for (const k of finishes.keys()) if (!starts.has(k)) p.push(`flow ${k}: an end without a start`);
  return p;
}

function nameProblems(events: Event[]): string[] {
  const threads = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name').map((e) => e.tid));
  const processes = new Set(events.filter((e) => e.ph === 'M' && e.name === 'process_name').map((e) => e.pid));
  const p: string[] = [];
  for (const e of events) {
    if (e.ph === 'M') continue;
    if (!threads.has(e.tid)) p.push(`thread ${e.tid} has no thread_name`);
    if (!processes.has(e.pid)) p.push(`process ${e.pid} has no process_name`);
  }
  return [...new Set(p)];
}

/** Every way `trace` (a parsed file) is not what Perfetto's importer reads correctly; [] if none. */
export function chromeTraceProblems(trace: unknown): string[] {
  if (trace === null || typeof trace !== 'object') return ['not a JSON object'];
  const t = trace as Record<string, unknown>;
  const p = Object.keys(t).filter((k) => !TOP_KEYS.has(k)).map((k) => `top-level key ${k}: the importer stops reading there`);
  if (t.displayTimeUnit !== 'ns' && t.displayTimeUnit !== 'ms') p.push('displayTimeUnit must be "ms" or "ns"');
  if (!Array.isArray(t.traceEvents)) return [...p, 'no traceEvents array'];
  const events = t.traceEvents as Event[];
  events.forEach((e, i) => p.push(...fieldProblems(e, i)));
  return [...p, ...nestingProblems(events), ...pairProblems(events), ...nameProblems(events)];
}
