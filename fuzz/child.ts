// The child process: runs cases and reports to the parent over IPC, so that a crash, an abort
// or a hang is seen from outside. Two modes:
//   --target=api|addon --seed=S --seed-step=K --seconds=T   batches of fast-check runs (seeds S, S+K, ...)
//   --target=api|addon --case=FILE                          one case from a JSON file (replay, minimization)
import * as fs from 'fs';
import { parseArgs } from 'util';
import fc from 'fast-check';
import { counter, Finding, loopErrors, signature } from './findings';
import { caseArb, runCase, Target } from './targets';

export type ChildMessage =
  | { t: 'run'; seed: number; run: number; calls: number }
  | { t: 'alive'; calls: number }
  | { t: 'finding'; seed: number; path: string; findings: Finding[]; value: unknown; calls: number }
  | { t: 'case'; findings: Finding[]; calls: number }
  | { t: 'done'; calls: number; cases: number; shrinkMs: number; byName: Record<string, number> };

function send(m: ChildMessage): Promise<void> {
  return new Promise((resolve) => (process.send ? process.send(m, () => resolve()) : (console.log(JSON.stringify(m)), resolve())));
}

/** What shrinking one finding may take at most (then the smallest case so far is reported). */
const SHRINK_MS = 30_000;

/** Signatures already reported in this campaign: finding them again does not stop the search. */
const known = new Set<string>();

function fresh(findings: Finding[]): Finding[] {
  return findings.filter((f) => !known.has(signature(f)));
}

/**
 * Makes what a process opens once and keeps (the io_uring of the readiness poller, libuv's
 * thread pool, a worker's first start) before any case counts descriptors.
 */
async function warmUp(target: Target): Promise<void> {
  const plain = { invoke: 7, cb: { ret: 0, do: [] } };
  const warm = target === 'api'
    ? [{ op: 'socket', fam: 4, kind: 2, flags: null, ev: null, sd: 0, irp: 'new', fresh: true, rt: plain },
       { op: 'bind', s: 0, addr: { a: 'lo4' }, flags: 0, irp: 'new', fresh: true, rt: plain },
       { op: 'receiveFrom', s: 0, buf: { m: 0, off: 0, len: 8 }, flags: 0, from: null, ctlLen: null, ctlFlags: null, irp: 'new', fresh: true, rt: plain },
       { op: 'getAddressInfo', node: 0, svc: 0, flags: 0, fam: 0, result: { $: 'obj' }, irp: 'new', fresh: true, rt: plain },
       { op: 'worker', acts: [], ms: 0 },
       { op: 'tick', ms: 5 }]
    : [{ op: 'socket', kind: 1 }, { op: 'call', fn: 'poll', id: 0, args: [{ k: 'events', n: 1, g: null }] }, { op: 'getaddrinfo', node: 0, svc: 0, flags: 0, family: 0, cbDo: [], bad: null },
       { op: 'worker', calls: [{ op: 'call', fn: 'fd', id: 0, args: [] }], ms: 5 }];
  await runCase(target, warm);
  loopErrors.length = 0;
}

async function campaign(target: Target, seed0: number, step: number, seconds: number, runsPerBatch: number): Promise<void> {
  await warmUp(target);
  const deadline = Date.now() + seconds * 1000;
  let cases = 0;
  let shrinkMs = 0;
  for (let seed = seed0; Date.now() < deadline; seed += step) {
    let run = 0;
    let failedAt = 0;
    let last: Finding[] = [];
    const property = fc.asyncProperty(caseArb(target), async (value) => {
      if (!failedAt) await send({ t: 'run', seed, run: run++, calls: counter.calls });
      else await send({ t: 'alive', calls: counter.calls });
      cases++;
      const found = fresh(await runCase(target, value));
      if (found.length === 0) return true;
      failedAt ||= Date.now();
      last = found;
      return false;
    });
    // Shrinking re-runs the case many times; it is bounded so that the campaign goes on.
    const out = await fc.check(property, { seed, numRuns: runsPerBatch, interruptAfterTimeLimit: Math.max(SHRINK_MS, deadline - Date.now() + SHRINK_MS) });
    if (failedAt) shrinkMs += Date.now() - failedAt;
    if (out.failed && out.counterexample) {
      await send({ t: 'finding', seed, path: out.counterexamplePath ?? '', findings: last, value: out.counterexample[0], calls: counter.calls });
      for (const f of last) known.add(signature(f));
    }
  }
  await send({ t: 'done', calls: counter.calls, cases, shrinkMs, byName: Object.fromEntries(counter.byName) });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      target: { type: 'string', default: 'api' },
      seed: { type: 'string', default: '1' },
      'seed-step': { type: 'string', default: '1' },
      seconds: { type: 'string', default: '10' },
      runs: { type: 'string', default: '100' },
      case: { type: 'string' },
      known: { type: 'string' },
    },
  });
  const target = values.target as Target;
  process.on('uncaughtException', (e) => loopErrors.push(e));
  process.on('unhandledRejection', (e) => loopErrors.push(e));
  if (values.known && fs.existsSync(values.known)) {
    for (const line of fs.readFileSync(values.known, 'utf8').split('\n')) if (line) known.add(line);
  }
  if (values.case) {
    const value = JSON.parse(fs.readFileSync(values.case, 'utf8'));
    await warmUp(target);
    const findings = await runCase(target, value);
    await send({ t: 'case', findings, calls: counter.calls });
  } else {
    await campaign(target, Number(values.seed), Number(values['seed-step']), Number(values.seconds), Number(values.runs));
  }
  process.exit(0);
}

main().catch((e) => {
  // The fuzzer's own failure, not a finding: say so and exit with a code the parent tells apart.
  console.error('fuzz child failed:', e);
  process.exit(70);
});
