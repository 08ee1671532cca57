// Seeded fault injection (NODE_WSK_VERIFIER, issue 17): on loopback almost every call completes
// inline, a receive returns the whole message and nothing resets, so a client's handling of
// STATUS_PENDING, partial data, resets and low resources never runs. The engine makes Windows do
// those things — each fault is something Windows may legally do, so a correct client survives
// all of them — at places chosen by a seeded PRNG, so that a failure can be replayed.
//
//   NODE_WSK_VERIFIER=pending,partial,reorder,lowres=0.01,reset=0.001,delay=5,seed=42 node app.js
//
// This file holds the decisions, the counters and the completion queue; the sites that ask are
// one guarded line each (`if (faults !== null && ...)`): with the engine off (the default) a site
// costs one load of `faults`. Where each fault is applied: kernel/irp.ts (pending, delay, reorder:
// irpComplete), kernel/mdl.ts and irp.ts (lowres: IoAllocateMdl/IoAllocateIrp), the WSK calls that
// allocate (lowres), connection/receive.ts and partial.ts (partial), connection/receive.ts reset
// (reset), datagram/datagram-events.ts (partial). README "Fault injection" is the user's page.
import { isMainThread, threadId } from 'node:worker_threads';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';

/** The faults NODE_WSK_VERIFIER injects, as its settings and the report at exit name them. */
export type WskFaultKind = 'pending' | 'partial' | 'reorder' | 'lowres' | 'reset' | 'delay';
const KINDS: readonly WskFaultKind[] = ['pending', 'partial', 'reorder', 'lowres', 'reset', 'delay'];

/** The settings, as NODE_WSK_VERIFIER spells them; setWskFaults takes this or the same text. */
export interface WskFaultOptions {
  /** Probability that a call which would complete inline pends instead (true: 1, every one). */
  pending?: boolean | number;
  /** Probability that a receive or an indication is cut short / split (true: 1). */
  partial?: boolean | number;
  /** Completions of different sockets due in the same loop turn run in a random order. */
  reorder?: boolean;
  /** Probability that an allocation (IoAllocateIrp/Mdl, a WSK call that allocates) fails. */
  lowres?: number;
  /** Probability per send or receive that the connection is reset for real. */
  reset?: number;
  /** Completions delivered from the event loop wait a random time up to this many ms. */
  delay?: number;
  /** The PRNG's seed (an unsigned 32-bit integer); chosen at random and printed when absent. */
  seed?: number;
}

/** What setWskFaults put in effect, and what it injected so far. */
export interface WskFaultState {
  seed: number;
  /** The settings in NODE_WSK_VERIFIER's form, seed included (paste it to replay). */
  spec: string;
  counts: Record<WskFaultKind, number>;
}

/** mulberry32: small, fast, and good enough to pick places; one stream per fault kind. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
}

export class FaultEngine {
  readonly counts: Record<WskFaultKind, number> = { pending: 0, partial: 0, reorder: 0, lowres: 0, reset: 0, delay: 0 };
  // One stream per kind: a decision of one kind taken once more or less (a read that returned
  // a different size this run) does not move the places of the others.
  private readonly rng: Record<WskFaultKind, Rng>;

  constructor(
    readonly seed: number,
    readonly pending: number,
    readonly partial: number,
    readonly reorder: boolean,
    readonly lowres: number,
    readonly reset: number,
    readonly delay: number,
  ) {
    this.rng = {} as Record<WskFaultKind, Rng>;
    KINDS.forEach((k, i) => (this.rng[k] = new Rng(seed ^ Math.imul(i + 1, 0x9e3779b9))));
  }

  get spec(): string {
    const parts: string[] = [];
    if (this.pending > 0) parts.push(this.pending === 1 ? 'pending' : `pending=${this.pending}`);
    if (this.partial > 0) parts.push(this.partial === 1 ? 'partial' : `partial=${this.partial}`);
    if (this.reorder) parts.push('reorder');
    if (this.lowres > 0) parts.push(`lowres=${this.lowres}`);
    if (this.reset > 0) parts.push(`reset=${this.reset}`);
    if (this.delay > 0) parts.push(`delay=${this.delay}`);
    parts.push(`seed=${this.seed}`);
    return parts.join(',');
  }

  /** Whether an event of probability p happens now (counted under `kind` when it does). */
  private roll(kind: WskFaultKind, p: number): boolean {
    if (p <= 0) return false;
    if (p < 1 && this.rng[kind].next() >= p) return false;
    this.counts[kind]++;
    return true;
  }

  /** An inline completion pends instead. */
  pends(): boolean {
    return this.roll('pending', this.pending);
  }

  /** An allocation fails. */
  lowResources(): boolean {
    return this.roll('lowres', this.lowres);
  }

  /** This send or receive resets its connection. */
  resets(): boolean {
    return this.roll('reset', this.reset);
  }

  /**
   * partial: how many of `n` bytes (or datagrams) to hand over now, from 1 to n (n: no cut;
   * counted only when it cuts). Uniform, so a message of m bytes is cut with probability ~(m-1)/m.
   */
  cut(n: number): number {
    if (n < 2 || this.partial <= 0) return n;
    if (this.partial < 1 && this.rng.partial.next() >= this.partial) return n;
    const k = 1 + this.rng.partial.below(n);
    if (k < n) this.counts.partial++;
    return k;
  }

  /** partial: a uniform integer in [0, n) for the other choices of that fault (layouts). */
  pick(n: number): number {
    return this.rng.partial.below(n);
  }

  /** delay: how long a completion from the loop waits, in ms (0 when delay is off). */
  delayMs(): number {
    if (this.delay <= 0) return 0;
    const ms = this.rng.delay.next() * this.delay;
    this.counts.delay++;
    return ms;
  }

  /** reorder: a uniform integer in [0, n). */
  reorderPick(n: number): number {
    return this.rng.reorder.below(n);
  }

  /** Whether completions from the loop go through the queue below at all. */
  get defersLoopCompletions(): boolean {
    return this.delay > 0 || this.reorder;
  }
}

/** The engine in effect, or null (the default): every site tests this first. */
export let faults: FaultEngine | null = null;

// ---- settings ----

function probability(name: string, text: string | undefined): number {
  if (text === undefined) return 1;
  const p = Number(text);
  if (text === '' || !Number.isFinite(p) || p < 0 || p > 1) throw new RangeError(`NODE_WSK_VERIFIER: ${name}=${text} is not a probability from 0 to 1`);
  return p;
}

/** Parses NODE_WSK_VERIFIER's text into options; throws a RangeError naming what is wrong. */
export function parseWskFaults(text: string): WskFaultOptions {
  const o: WskFaultOptions = {};
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const eq = item.indexOf('=');
    const name = eq < 0 ? item : item.slice(0, eq);
    const value = eq < 0 ? undefined : item.slice(eq + 1);
    switch (name) {
      case 'pending':
      case 'partial':
        o[name] = probability(name, value);
        break;
      case 'reorder':
        if (value !== undefined) throw new RangeError('NODE_WSK_VERIFIER: reorder takes no value');
        o.reorder = true;
        break;
      case 'lowres':
      case 'reset':
        if (value === undefined) throw new RangeError(`NODE_WSK_VERIFIER: ${name} needs a probability (${name}=0.01)`);
        o[name] = probability(name, value);
        break;
      case 'delay': {
        const ms = Number(value);
        if (value === undefined || value === '' || !Number.isFinite(ms) || ms < 0) throw new RangeError(`NODE_WSK_VERIFIER: delay needs a number of ms (delay=5), got ${String(value)}`);
        o.delay = ms;
        break;
      }
      case 'seed': {
        const seed = Number(value);
        if (value === undefined || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`NODE_WSK_VERIFIER: seed must be an integer from 0 to 4294967295, got ${String(value)}`);
        o.seed = seed;
        break;
      }
      default:
        throw new RangeError(`NODE_WSK_VERIFIER: unknown fault '${name}' (known: ${KINDS.join(', ')}, seed)`);
    }
  }
  return o;
}

function level(v: boolean | number | undefined, name: string): number {
  if (v === undefined || v === false) return 0;
  if (v === true) return 1;
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new RangeError(`${name} must be a boolean or a probability from 0 to 1, got ${String(v)}`);
  return v;
}

/** A seed nobody chose: printed so that the run can be repeated. */
function randomSeed(): number {
  return randomBytes(4).readUInt32LE(0);
}

/**
 * Turns fault injection on for this thread with `settings` (NODE_WSK_VERIFIER's text or the
 * options), replacing what was in effect and its counts; null turns it off. Returns what is now
 * in effect (with the seed, chosen at random when none was given), or null.
 */
export function setWskFaults(settings: string | WskFaultOptions | null): WskFaultState | null {
  if (settings === null) {
    faults = null;
    return null;
  }
  const o = typeof settings === 'string' ? parseWskFaults(settings) : settings;
  const delay = o.delay ?? 0;
  if (typeof delay !== 'number' || !(delay >= 0)) throw new RangeError(`delay must be a number of ms >= 0, got ${String(delay)}`);
  const seed = o.seed ?? randomSeed();
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed must be an integer from 0 to 4294967295, got ${String(seed)}`);
  faults = new FaultEngine(seed, level(o.pending, 'pending'), level(o.partial, 'partial'), o.reorder === true, level(o.lowres, 'lowres'), level(o.reset, 'reset'), delay);
  return wskFaults();
}

/** What is in effect now and what it injected, or null when fault injection is off. */
export function wskFaults(): WskFaultState | null {
  const f = faults;
  return f === null ? null : { seed: f.seed, spec: f.spec, counts: { ...f.counts } };
}

/** For WskVerifierError messages: which run this was, so that it can be replayed. */
export function faultSeedNote(): string {
  return faults === null ? '' : ` [NODE_WSK_VERIFIER seed=${faults.seed}]`;
}

// ---- which socket an IRP belongs to (reorder permutes across sockets only) ----

/** What a provider call works on (a socket), named by socketArg before the call claims its IRP. */
let currentOwner: object | null = null;
const owners = new WeakMap<object, object>();
/** The key of the client-level IRPs (WskSocket, resolution...): one sequence of their own. */
const CLIENT_KEY = {};

/** socketArg and close(): the IRP this call claims next belongs to `owner`. */
export function faultOwner(owner: object): void {
  currentOwner = owner;
}

/** irpStart: the IRP now belongs to the owner named last (or to the client). */
export function faultClaim(irp: object): void {
  owners.set(irp, currentOwner ?? CLIENT_KEY);
  currentOwner = null;
}

function ownerOf(irp: object): object {
  return owners.get(irp) ?? CLIENT_KEY;
}

// ---- the completion queue (pending, delay, reorder) ----

interface Due {
  irp: object;
  status: number;
  info: unknown;
  key: object;
  at: number;
}

let deliver: ((irp: object, status: number, info: unknown) => void) | null = null;

/** kernel/irp.ts: how a queued completion is finally made (the body of irpComplete). */
export function setCompletionSink(fn: (irp: object, status: number, info: unknown) => void): void {
  deliver = fn;
}

/** Completions waiting, in the order they become due (per socket, the order they were made). */
let queue: Due[] = [];
/** Per socket: completions still queued, and when the last of them is due. */
const queued = new WeakMap<object, { n: number; last: number }>();
let timer: ReturnType<typeof setTimeout> | null = null;
let immediate: ReturnType<typeof setImmediate> | null = null;
let timerAt = Infinity;

/** Whether completions of this IRP's socket are still queued: a later one must wait its turn. */
export function hasQueuedCompletions(irp: object): boolean {
  const q = queued.get(ownerOf(irp));
  return q !== undefined && q.n > 0;
}

/**
 * Queues the completion of `irp` (status, information) to be made from the event loop, after a
 * random delay when delay= is set, never before a completion of the same socket queued earlier.
 */
export function queueCompletion(engine: FaultEngine, irp: object, status: number, info: unknown): void {
  const key = ownerOf(irp);
  const now = performance.now();
  let q = queued.get(key);
  if (q === undefined) queued.set(key, (q = { n: 0, last: 0 }));
  const at = Math.max(now + engine.delayMs(), q.n > 0 ? q.last : 0);
  q.n++;
  q.last = at;
  const entry: Due = { irp, status, info, key, at };
  // Insert in order of `at` (stable: equal times keep their order).
  let i = queue.length;
  while (i > 0 && queue[i - 1].at > at) i--;
  queue.splice(i, 0, entry);
  arm();
}

function arm(): void {
  if (queue.length === 0) return;
  const wait = queue[0].at - performance.now();
  if (wait <= 0) {
    if (immediate === null) immediate = setImmediate(runDue);
    return;
  }
  if (timer !== null && timerAt <= queue[0].at) return;
  if (timer !== null) clearTimeout(timer);
  timerAt = queue[0].at;
  timer = setTimeout(runDue, Math.ceil(wait));
}

function runDue(): void {
  immediate = null;
  if (timer !== null) clearTimeout(timer);
  timer = null;
  timerAt = Infinity;
  const now = performance.now();
  let n = 0;
  while (n < queue.length && queue[n].at <= now) n++;
  const batch = queue.slice(0, n);
  queue = queue.slice(n);
  const engine = faults;
  const order = engine !== null && engine.reorder ? interleave(engine, batch) : batch;
  for (const d of order) {
    const q = queued.get(d.key)!;
    q.n--;
    try {
      deliver!(d.irp, d.status, d.info);
    } catch (e) {
      // A completion routine threw: an uncaught exception, as from its own Immediate; the
      // completions after it still run.
      process.nextTick(rethrow, e);
    }
  }
  arm();
}

function rethrow(e: unknown): never {
  throw e;
}

/**
 * reorder: the batch in a random interleaving of its sockets' sequences — completions of
 * different sockets in any order, those of one socket still in theirs. Each completion that
 * runs ahead of one queued before it counts once.
 */
function interleave(engine: FaultEngine, batch: Due[]): Due[] {
  if (batch.length < 2) return batch;
  const lanes = new Map<object, Due[]>();
  for (const d of batch) {
    const lane = lanes.get(d.key);
    if (lane) lane.push(d);
    else lanes.set(d.key, [d]);
  }
  if (lanes.size < 2) return batch;
  const open = [...lanes.values()];
  const out: Due[] = [];
  while (open.length > 0) {
    const i = engine.reorderPick(open.length);
    out.push(open[i].shift()!);
    if (open[i].length === 0) open.splice(i, 1);
  }
  const rank = new Map(batch.map((d, i) => [d, i]));
  let highest = -1;
  for (const d of out) {
    const r = rank.get(d)!;
    if (r < highest) engine.counts.reorder++;
    highest = Math.max(highest, r);
  }
  return out;
}

// ---- NODE_WSK_VERIFIER and the report at exit ----

/** "node-wsk: NODE_WSK_VERIFIER seed=42 (...): injected pending 12, partial 3, ..." or '' if nothing was. */
export function faultReport(): string {
  const f = faults;
  if (f === null) return '';
  const injected = KINDS.filter((k) => f.counts[k] > 0).map((k) => `${k} ${f.counts[k]}`);
  if (injected.length === 0) return '';
  const where = isMainThread ? '' : ` (worker ${threadId})`;
  return `node-wsk: NODE_WSK_VERIFIER=${f.spec}${where}: injected ${injected.join(', ')}\n`;
}

function reportAtExit(): void {
  const text = faultReport();
  if (text !== '') process.stderr.write(text);
}

const fromEnv = process.env.NODE_WSK_VERIFIER;
if (fromEnv !== undefined && fromEnv !== '') {
  const state = setWskFaults(fromEnv)!;
  if (!/(^|,)\s*seed=/.test(fromEnv)) {
    process.stderr.write(`node-wsk: NODE_WSK_VERIFIER seed=${state.seed} (chosen; add seed=${state.seed} to repeat this run)\n`);
  }
  process.on('exit', reportAtExit);
}
