// Runs one child process and watches it: its messages, its exit, its silence.
import { fork } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ChildMessage } from './child';
import type { Finding } from './findings';
import type { Target } from './targets';

/** No message for this long is a hang (a case's own waits are bounded far below it). */
const SILENCE_MS = 20_000;

export interface ChildResult {
  calls: number;
  cases: number;
  /** Time the child spent shrinking what it found. */
  shrinkMs: number;
  /** Calls by function (addon functions as addon.NAME). */
  byName: Record<string, number>;
  /** Findings the child reported and minimized itself. */
  reports: { seed: number; path: string; findings: Finding[]; value: unknown; at: number }[];
  /** A one-case run's findings, or the crash / hang / early exit seen from outside. */
  findings: Finding[];
  /** The last run started: where a crash or hang happened. */
  lastRun: { seed: number; run: number } | null;
}

/** A campaign slice (seeds seed, seed + step, ...) or one case (replay, minimization). */
export type ChildJob = { seed: number; step: number; seconds: number; known: string } | { value: unknown };

let caseFiles = 0;

export function runChild(target: Target, job: ChildJob): Promise<ChildResult> {
  const args = [`--target=${target}`];
  let caseFile: string | null = null;
  if ('value' in job) {
    caseFile = path.join(os.tmpdir(), `node-wsk-fuzz-${process.pid}-${Date.now()}-${++caseFiles}.json`);
    fs.writeFileSync(caseFile, JSON.stringify(job.value));
    args.push(`--case=${caseFile}`);
  } else {
    args.push(`--seed=${job.seed}`, `--seed-step=${job.step}`, `--seconds=${job.seconds}`, `--known=${job.known}`);
  }
  const result: ChildResult = { calls: 0, cases: 0, shrinkMs: 0, byName: {}, reports: [], findings: [], lastRun: null };
  return new Promise((resolve) => {
    const child = fork(path.join(__dirname, 'child.js'), args, { stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    let finished = false;
    let timer = setTimeout(onSilence, SILENCE_MS);
    function onSilence(): void {
      result.findings.push({ kind: 'hang', detail: `no progress for ${SILENCE_MS / 1000} s (killed)` });
      finished = true;
      child.kill('SIGKILL');
    }
    child.on('message', (m: ChildMessage) => {
      clearTimeout(timer);
      timer = setTimeout(onSilence, SILENCE_MS);
      if ('calls' in m) result.calls = m.calls;
      if (m.t === 'run') result.lastRun = { seed: m.seed, run: m.run };
      else if (m.t === 'finding') result.reports.push({ seed: m.seed, path: m.path, findings: m.findings, value: m.value, at: Date.now() });
      else if (m.t === 'case') (result.findings.push(...m.findings), (finished = true));
      else if (m.t === 'done') (result.cases = m.cases, (result.shrinkMs = m.shrinkMs), (result.byName = m.byName), (finished = true));
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (caseFile) fs.rmSync(caseFile, { force: true });
      const tail = stderr.trim().split('\n').slice(-3).join(' | ');
      if (signal && !finished) result.findings.push({ kind: 'crash', detail: `child killed by ${signal}${tail ? `: ${tail}` : ''}` });
      else if (code === 70 && !finished) result.findings.push({ kind: 'exit', detail: `the fuzzer's own child failed (a fuzzer bug, not lib's): ${tail}` });
      else if (!finished) result.findings.push({ kind: 'exit', detail: `child exited with code ${code} before the end of its case${tail ? `: ${tail}` : ''}` });
      resolve(result);
    });
  });
}
