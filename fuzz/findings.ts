// What counts as a finding, and the bookkeeping every case shares: calls made, exceptions
// classified, descriptors counted.
import * as fs from 'fs';
import { isOwnThrow } from './values';

export type FindingKind =
  | 'crash' // the child died by a signal (abort, segfault)
  | 'hang' // the child stopped reporting progress: killed after the timeout
  | 'exit' // the child exited before reporting the case's end
  | 'exception' // a call threw something outside the documented set
  | 'uncaught' // an exception reached the event loop that the fuzzer did not throw on purpose
  | 'irp-never-completed' // an IRP that pended and never completed (its routine never ran, or it is still in flight) after everything was closed
  | 'irp-double-completion' // a completion routine ran twice for one use of an IRP
  | 'deregister-hang' // WskDeregister did not settle after everything was closed and released
  | 'socket-leak' // openSockets() above the baseline after the case closed everything
  | 'fd-leak' // /proc/self/fd above the baseline after the case closed everything
  | 'early-timeout' // KeWaitForSingleObject returned STATUS_TIMEOUT before its timeout
  | 'callback-count'; // an addon resolution callback that ran twice, or never

export interface Finding {
  kind: FindingKind;
  detail: string;
}

/** Exceptions that reached the event loop (the child's process handlers put them here). */
export const loopErrors: unknown[] = [];

/** Counts every call the fuzzer makes into the API or the addon (the campaign's figure), by name too. */
export const counter = { calls: 0, byName: new Map<string, number>() };

export function countCall(name: string): void {
  counter.calls++;
  counter.byName.set(name, (counter.byName.get(name) ?? 0) + 1);
}

export function describeError(e: unknown): string {
  if (e instanceof Error) {
    const frame = (e.stack ?? '').split('\n').find((l) => l.includes(' at ')) ?? '';
    return `${e.name}: ${e.message}${frame ? ` (${frame.trim()})` : ''}`;
  }
  return `non-Error thrown: ${typeof e === 'symbol' ? 'Symbol' : String(e)}`;
}

/** From lib: a WskVerifierError (by name, so that it survives a redesign of lib/), or our own throw. */
export function libErrorAllowed(e: unknown): boolean {
  return isOwnThrow(e) || (e instanceof Error && e.name === 'WskVerifierError');
}

// The addon's own argument checks (native/*.cc): TypeError or RangeError with these words.
const ADDON_CHECK =
  /must be|is too long|is too short|exceeds|holds more than|holds a bad|does not add up|is shorter than|must contain only|must hold/;

export function addonErrorAllowed(e: unknown): boolean {
  if (isOwnThrow(e)) return true;
  return (e instanceof TypeError || e instanceof RangeError) && ADDON_CHECK.test(e.message);
}

/** The descriptors open now, by number; null without procfs (no descriptor check then). */
export function openFds(): Set<string> | null {
  try {
    return new Set(fs.readdirSync('/proc/self/fd'));
  } catch {
    return null;
  }
}

/**
 * The descriptors opened since `before` that stay open, each named by what it is (readlink:
 * `socket:[inode]`, a path), once transient ones had up to `ms` to close: a worker the case
 * terminated may still be tearing its env down (its ring, its sockets) on its own thread. A bare
 * count once made a finding that no replay reproduced (fuzz seed 50261415). (Not the resolver:
 * with AI_NUMERICHOST / NI_NUMERICHOST, as the fuzzer always asks, glibc opens nothing.)
 */
export async function leakedFds(before: Set<string> | null, ms = 1000): Promise<string[]> {
  if (before === null) return [];
  const deadline = Date.now() + ms;
  for (;;) {
    const now = openFds() ?? new Set<string>();
    const added = [...now].filter((fd) => !before.has(fd));
    // Fewer or as many as before (another descriptor of the process closed meanwhile) is no leak.
    if (now.size <= before.size || added.length === 0) return [];
    if (Date.now() >= deadline) return added.map((fd) => `${fd} -> ${fdTarget(fd)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function fdTarget(fd: string): string {
  try {
    return fs.readlinkSync(`/proc/self/fd/${fd}`);
  } catch {
    return '(closed)';
  }
}

/**
 * What makes two findings "the same bug": the kind and the detail without its numbers; for an
 * exception, where it was thrown from and its class, not the value in its message.
 */
export function signature(f: Finding): string {
  const m = /^([^:]*): (\w+): .*?(\(at .*\))?$/.exec(f.detail);
  if ((f.kind === 'exception' || f.kind === 'uncaught') && m) return `${f.kind}: ${m[1]}: ${m[2]} ${(m[3] ?? '').replace(/:[0-9]+/g, '')}`;
  // Without the parenthesized context (where the fuzzer last passed the IRP...) and numbers.
  return `${f.kind}: ${f.detail.replace(/\([^)]*\)/g, '').replace(/[0-9]+(\.[0-9]+)?/g, 'N')}`;
}
