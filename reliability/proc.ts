// What the scale and soak runs read about their own process: resident memory, JS heap and open
// descriptors, the way an operator would see them (/proc), after a GC where a figure must not
// depend on when V8 last collected.
import { readdirSync, readFileSync } from 'fs';
import { gcNow } from '../bench/common';

/** Open descriptors of this process. readdir holds one more while it lists: not counted. */
export function fdCount(): number {
  return readdirSync('/proc/self/fd').length - 1;
}

export interface Memory {
  rss: number;
  heapUsed: number;
  /** Memory outside the JS heap that V8 knows of (ArrayBuffers' bytes among it). */
  external: number;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** True when `work` settles within `ms`; the timer does not outlive it. */
export async function within(ms: number, work: Promise<unknown>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
  try {
    return await Promise.race([work.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * RSS and heap after two full GCs with a pause between them (finalizers and the native frees
 * they trigger run in between). Needs node --expose-gc; without it the figures include garbage.
 */
export async function settledMemory(): Promise<Memory> {
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') throw new Error('run node with --expose-gc');
  gcNow();
  await sleep(200);
  gcNow();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external };
}

export const MiB = 1024 * 1024;

/** The soft limit on open files of this process (/proc/self/limits), or Infinity. */
export function openFilesLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.split(/\s{2,}/)[1];
  return soft === undefined || soft === 'unlimited' ? Infinity : Number(soft);
}
