// NODE_WSK_TRACE=trace.json: the IRP timeline recorded for a whole program. The recorder is a
// subscriber of the two channels (lib/kernel/trace.ts) that keeps the last N records in a ring
// and writes them in the Chrome trace event format at exit, or when writeWskTrace() is called.
import * as path from 'node:path';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { isMainThread, threadId } from 'node:worker_threads';
import { WSK_TRACE_EVENT_CHANNEL, WSK_TRACE_IRP_CHANNEL, WskTraceRecord } from '../kernel/trace';
import { writeChromeTrace } from './chrome';
import { installDescriber } from './describe';

/** Records kept by default: about 150 MB of memory at most (README, "Timeline"). */
export const WSK_TRACE_DEFAULT_MAX = 1_000_000;

/** Options of `startWskTrace`: where to write the trace and how many records to keep. */
export interface WskTraceOptions {
  /** Where writeWskTrace() and process exit write the trace; null (the default) keeps it in memory only. */
  file?: string | null;
  /** How many records to keep, the last ones; default NODE_WSK_TRACE_MAX, else 1,000,000. */
  max?: number;
}

/** The last `max` records, and how many older ones were dropped to keep it so. */
class Ring {
  private readonly buf: WskTraceRecord[] = [];
  /** Once full: the oldest record, which the next one replaces. */
  private next = 0;
  dropped = 0;

  constructor(readonly max: number) {}

  push(r: WskTraceRecord): void {
    if (this.buf.length < this.max) {
      this.buf.push(r);
      return;
    }
    this.buf[this.next] = r;
    this.next = this.next + 1 === this.max ? 0 : this.next + 1;
    this.dropped++;
  }

  /** Oldest first. */
  toArray(): WskTraceRecord[] {
    return [...this.buf.slice(this.next), ...this.buf.slice(0, this.next)];
  }
}

let ring: Ring | null = null;
let file: string | null = null;
let recording = false;
let exitHook = false;

const onRecord = (r: unknown): void => {
  ring!.push(r as WskTraceRecord);
};

function maxFromEnv(): number {
  const text = process.env.NODE_WSK_TRACE_MAX;
  if (text === undefined || text === '') return WSK_TRACE_DEFAULT_MAX;
  const n = Number(text);
  if (Number.isInteger(n) && n > 0) return n;
  process.emitWarning(`NODE_WSK_TRACE_MAX=${text} is not a positive integer; keeping ${WSK_TRACE_DEFAULT_MAX}`, 'NodeWskTrace');
  return WSK_TRACE_DEFAULT_MAX;
}

/**
 * Starts recording the IRP timeline (what NODE_WSK_TRACE does at load), dropping what an earlier
 * recording kept. With a file, the trace is written there at exit.
 */
export function startWskTrace(options: WskTraceOptions = {}): void {
  const max = options.max ?? maxFromEnv();
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`max must be a positive integer, got ${String(max)}`);
  ring = new Ring(max);
  file = options.file ? path.resolve(options.file) : null;
  if (!recording) {
    subscribe(WSK_TRACE_IRP_CHANNEL, onRecord);
    subscribe(WSK_TRACE_EVENT_CHANNEL, onRecord);
    recording = true;
  }
  if (file !== null && !exitHook) {
    exitHook = true;
    process.on('exit', writeAtExit);
  }
}

/** Stops recording; what was kept stays for writeWskTrace() and wskTraceRecords(). */
export function stopWskTrace(): void {
  if (!recording) return;
  unsubscribe(WSK_TRACE_IRP_CHANNEL, onRecord);
  unsubscribe(WSK_TRACE_EVENT_CHANNEL, onRecord);
  recording = false;
}

/** The records kept, oldest first, and how many older ones were dropped. */
export function wskTraceRecords(): { records: WskTraceRecord[]; dropped: number; max: number } {
  return { records: ring?.toArray() ?? [], dropped: ring?.dropped ?? 0, max: ring?.max ?? 0 };
}

/**
 * Writes what is kept now as a Chrome trace event file (to `to`, or the file the recording was
 * started with), and says what it wrote. Recording goes on.
 */
export function writeWskTrace(to?: string): { file: string; records: number; dropped: number } {
  const target = to !== undefined ? path.resolve(to) : file;
  if (target === null) throw new Error('writeWskTrace: no file given, and the recording was started without one');
  const { records, dropped, max } = wskTraceRecords();
  writeChromeTrace(target, records, { producer: 'node-wsk', records: records.length, dropped, maxRecords: max });
  return { file: target, records: records.length, dropped };
}

function writeAtExit(): void {
  if (file === null || ring === null) return;
  try {
    const w = writeWskTrace();
    const dropped = w.dropped > 0 ? `the oldest ${w.dropped} dropped (NODE_WSK_TRACE_MAX=${ring.max})` : 'none dropped';
    process.stderr.write(`node-wsk: IRP timeline written to ${w.file}: ${w.records} records, ${dropped}\n`);
  } catch (error) {
    process.stderr.write(`node-wsk: could not write the IRP timeline to ${file}: ${(error as Error).message}\n`);
  }
}

/**
 * NODE_WSK_TRACE's file for this thread: a worker (which inherits the variable, and has its own
 * channels and sockets) writes beside the main thread's file, trace.worker-3.json for thread 3.
 */
function envFile(file: string): string {
  if (isMainThread) return file;
  const ext = path.extname(file);
  return `${file.slice(0, file.length - ext.length)}.worker-${threadId}${ext}`;
}

installDescriber();
const fromEnv = process.env.NODE_WSK_TRACE;
if (fromEnv) startWskTrace({ file: envFile(fromEnv) });
