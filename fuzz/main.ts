// npm run fuzz -- --seconds=N --seed=S [--target=api|addon|both] [--jobs=J] [--slice=T] [--by-call]
//                 [--replay=TARGET:SEED:PATH] [--replay-file=FILE]
// The parent: keeps J children busy (one per core by default) until the time is up, each for
// T-second slices; watches them from outside (a signal is a crash, silence a hang), minimizes
// what they find, prints a summary with the figures.
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import fc from 'fast-check';
import { Finding, FindingKind, signature } from './findings';
import { formatCase } from './print';
import { runChild } from './spawn';
import { caseArb, Target } from './targets';

const OUT_DIR = path.resolve('fuzz-findings');

interface Report {
  target: Target;
  seed: number;
  path: string;
  findings: Finding[];
  value: unknown;
  /** When it was reported (ms since the epoch): the campaign prints how long it took to find. */
  at: number;
}

/** Per target: what its children did, and for how long (child-seconds: the per-core rate). */
interface TargetTotals {
  calls: number;
  cases: number;
  children: number;
  childMs: number;
  shrinkMs: number;
  byName: Record<string, number>;
}

interface Totals {
  byTarget: Partial<Record<Target, TargetTotals>>;
  seeds: [number, number];
  reports: Report[];
}

/** Minimizes a crash, hang or early exit: fast-check replays the run and shrinks it, each try in a fresh child. */
async function minimizeInChildren(target: Target, seed: number, run: number, kind: FindingKind, budgetMs: number): Promise<Report | null> {
  let last: Finding[] = [];
  const property = fc.asyncProperty(caseArb(target), async (value) => {
    const result = await runChild(target, { value });
    const same = result.findings.filter((f) => f.kind === kind);
    if (same.length === 0) return true;
    last = same;
    return false;
  });
  const out = await fc.check(property, { seed, path: String(run), interruptAfterTimeLimit: budgetMs });
  if (!out.failed || !out.counterexample) return null;
  return { target, seed, path: out.counterexamplePath ?? String(run), findings: last, value: out.counterexample[0], at: Date.now() };
}

interface Plan {
  targets: Target[];
  seconds: number;
  seed: number;
  slice: number;
  jobs: number;
  /** Print the calls made by function. */
  byCall: boolean;
}

async function campaign(plan: Plan): Promise<Totals> {
  const totals: Totals = { byTarget: {}, seeds: [plan.seed, plan.seed], reports: [] };
  const deadline = Date.now() + plan.seconds * 1000;
  const knownFile = path.join(OUT_DIR, `known-${process.pid}.txt`);
  fs.mkdirSync(OUT_DIR, { recursive: true });
  fs.writeFileSync(knownFile, '');
  let children = 0;
  // Job j runs seeds seed+j, seed+j+jobs, ...: no two children ever run the same seed.
  const job = async (j: number): Promise<void> => {
    let seed = plan.seed + j;
    while (Date.now() < deadline) {
      // The API target gets two slices in three: it has more to explore.
      const i = children++;
      const target = plan.targets[plan.targets.length === 1 ? 0 : i % 3 === 2 ? 1 : 0];
      const slice = Math.max(1, Math.min(plan.slice, Math.ceil((deadline - Date.now()) / 1000)));
      const started = Date.now();
      const result = await runChild(target, { seed, step: plan.jobs, seconds: slice, known: knownFile });
      const t = (totals.byTarget[target] ??= { calls: 0, cases: 0, children: 0, childMs: 0, shrinkMs: 0, byName: {} });
      for (const [name, n] of Object.entries(result.byName)) t.byName[name] = (t.byName[name] ?? 0) + n;
      t.children++;
      t.calls += result.calls;
      t.cases += result.cases;
      t.childMs += Date.now() - started;
      t.shrinkMs += result.shrinkMs;
      for (const r of result.reports) totals.reports.push({ ...r, target });
      const died = result.findings.find((f) => f.kind === 'crash' || f.kind === 'hang' || f.kind === 'exit');
      if (died && result.lastRun) {
        console.log(`[fuzz] ${died.kind} in ${target} child (seed ${result.lastRun.seed}, run ${result.lastRun.run}): ${died.detail}; minimizing`);
        const min = await minimizeInChildren(target, result.lastRun.seed, result.lastRun.run, died.kind, 120_000);
        // Not reproduced in a fresh child (timing): report the original case as it was generated.
        const original = valueAt(target, result.lastRun.seed, String(result.lastRun.run));
        totals.reports.push(min ?? { target, seed: result.lastRun.seed, path: String(result.lastRun.run), findings: [died], value: original, at: Date.now() });
      }
      fs.writeFileSync(knownFile, totals.reports.flatMap((r) => r.findings.map((f) => `${signature(f)}\n`)).join(''));
      const last = result.lastRun?.seed ?? seed;
      totals.seeds[1] = Math.max(totals.seeds[1], last);
      seed = last + plan.jobs;
    }
  };
  await Promise.all(Array.from({ length: plan.jobs }, (_, j) => job(j)));
  fs.rmSync(knownFile, { force: true });
  return totals;
}

function printReport(r: Report, n: number, started: number): void {
  const file = path.join(OUT_DIR, `${r.target}-${r.seed}-${r.findings[0].kind}.json`);
  fs.mkdirSync(OUT_DIR, { recursive: true });
  if (r.value !== null) fs.writeFileSync(file, JSON.stringify(r.value, null, 1) + '\n');
  console.log(`\n#${n} ${r.findings.map((f) => `[${f.kind}] ${f.detail}`).join('\n   ')}`);
  console.log(`   target ${r.target}, seed ${r.seed}, path ${r.path}; reported ${((r.at - started) / 1000).toFixed(0)} s into the campaign`);
  if (r.value !== null) {
    console.log('   minimized case:');
    console.log(formatCase(r.value as unknown[], '     '));
    console.log(`   replay: npm run fuzz -- --replay=${r.target}:${r.seed}:${r.path}   (or --replay-file=${path.relative(process.cwd(), file)} --target=${r.target})`);
  }
}

function printFigures(t: Totals, elapsedS: number, jobs: number, byCall: boolean): void {
  let calls = 0;
  let cases = 0;
  let children = 0;
  for (const [target, s] of Object.entries(t.byTarget)) {
    calls += s.calls;
    cases += s.cases;
    children += s.children;
    const perChild = Math.round(s.calls / (s.childMs / 1000));
    const shrink = s.shrinkMs > 0 ? `, ${(s.shrinkMs / 1000).toFixed(0)} s of it shrinking` : '';
    console.log(`[fuzz] ${target}: ${s.calls} calls in ${s.cases} cases, ${s.children} children, ${(s.childMs / 1000).toFixed(0)} child-seconds${shrink}: ${perChild} calls/s per child`);
    if (byCall) {
      const names = Object.entries(s.byName).sort((a, b) => b[1] - a[1]);
      console.log(`[fuzz] ${target} calls by function (${names.length}): ${names.map(([n, c]) => `${n} ${c}`).join(', ')}`);
    }
  }
  console.log(`[fuzz] ${calls} calls in ${cases} cases, ${children} children (${jobs} at a time), seeds ${t.seeds[0]}..${t.seeds[1]}, ${elapsedS.toFixed(0)} s: ${Math.round(calls / elapsedS)} calls/s`);
}

async function replay(target: Target, value: unknown): Promise<number> {
  console.log(formatCase(value as unknown[], '  '));
  const result = await runChild(target, { value });
  for (const f of result.findings) console.log(`[${f.kind}] ${f.detail}`);
  console.log(result.findings.length === 0 ? 'replay: no finding' : `replay: ${result.findings.length} finding(s)`);
  return result.findings.length === 0 ? 0 : 1;
}

/** --replay=TARGET:SEED:PATH: the value fast-check generates (and shrinks) along that path. */
function valueAt(target: Target, seed: number, pathText: string): unknown {
  // Given a path, fast-check evaluates the property first on the value at the path's end.
  let value: unknown = null;
  let first = true;
  fc.check(fc.property(caseArb(target), (v) => (first && (value = v), (first = false), true)), { seed, path: pathText });
  return value;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      seed: { type: 'string', default: String(Date.now() % 1_000_000_000) },
      target: { type: 'string', default: 'both' },
      jobs: { type: 'string', default: String(os.availableParallelism()) },
      slice: { type: 'string', default: '20' },
      'by-call': { type: 'boolean', default: false },
      replay: { type: 'string' },
      'replay-file': { type: 'string' },
    },
  });
  if (values.replay) {
    const [target, seed, ...rest] = values.replay.split(':');
    return replay(target as Target, valueAt(target as Target, Number(seed), rest.join(':')));
  }
  if (values['replay-file']) {
    return replay((values.target === 'both' ? 'api' : values.target) as Target, JSON.parse(fs.readFileSync(values['replay-file'], 'utf8')));
  }
  const plan: Plan = {
    targets: values.target === 'both' ? ['api', 'addon'] : [values.target as Target],
    seconds: Number(values.seconds),
    seed: Number(values.seed),
    slice: Number(values.slice),
    jobs: Math.max(1, Number(values.jobs)),
    byCall: values['by-call'] === true,
  };
  console.log(`[fuzz] ${plan.seconds} s, seed ${plan.seed}, targets ${plan.targets.join(' + ')}, ${plan.jobs} children at a time`);
  const started = Date.now();
  const t = await campaign(plan);
  const elapsed = (Date.now() - started) / 1000;
  t.reports.forEach((r, i) => printReport(r, i + 1, started));
  const byKind: Record<string, number> = {};
  for (const r of t.reports) for (const f of r.findings) byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
  console.log('');
  printFigures(t, elapsed, plan.jobs, plan.byCall);
  console.log(`[fuzz] findings by kind: ${Object.keys(byKind).length === 0 ? 'none' : JSON.stringify(byKind)}`);
  return t.reports.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error('fuzz failed:', e);
    process.exit(70);
  },
);
