// npm run bench [-- --quick] [-- --only=A,B]: every case in its own process, node-wsk and the
// Node built-in on the identical workload in the same run, a warm-up then measured runs,
// medians and ratios; writes bench/results/latest.json and latest.svg (quick.* or partial.*
// for --quick or --only runs).
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from 'util';
import { renderChart } from './chart';
import { median, renderTable, runForResult } from './harness';

export interface CaseSpec {
  id: string;
  title: string;
  script: string;
  /** Arguments for both implementations (full run / quick run). */
  full: string[];
  quick: string[];
  /** Arguments only node-wsk gets (receive style, batching). */
  wskArgs?: string[];
  unit: string;
  higherIsBetter: boolean;
  /** Target for node-wsk / built-in in one-process mode (>= when higher is better, <= otherwise). */
  target?: number;
  modes: Array<'one' | 'two'>;
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

export const CASES: CaseSpec[] = [
  ...(['irp', 'event'] as const).flatMap((recv) => [
    {
      id: `A 64K ${recv}`,
      title: `TCP bulk, 64 KiB sends, WskReceive${recv === 'event' ? 'Event' : ''}`,
      script: 'tcp-bulk',
      full: ['--chunk=65536', `--total=${GiB}`],
      quick: ['--chunk=65536', `--total=${32 * MiB}`],
      wskArgs: [`--recv=${recv}`],
      unit: 'MB/s',
      higherIsBetter: true,
      target: 1.3,
      modes: ['one', 'two'] as Array<'one' | 'two'>,
    },
    {
      id: `A 4K ${recv}`,
      title: `TCP bulk, 4 KiB sends, WskReceive${recv === 'event' ? 'Event' : ''}`,
      script: 'tcp-bulk',
      full: ['--chunk=4096', `--total=${256 * MiB}`],
      quick: ['--chunk=4096', `--total=${8 * MiB}`],
      wskArgs: [`--recv=${recv}`],
      unit: 'MB/s',
      higherIsBetter: true,
      target: 1.3,
      modes: ['one', 'two'] as Array<'one' | 'two'>,
    },
    {
      id: `B rr ${recv}`,
      title: `TCP request/response 100 B, WskReceive${recv === 'event' ? 'Event' : ''}`,
      script: 'tcp-rr',
      full: ['--count=50000'],
      quick: ['--count=3000'],
      wskArgs: [`--recv=${recv}`],
      unit: 'rt/s',
      higherIsBetter: true,
      target: 1.3,
      modes: ['one', 'two'] as Array<'one' | 'two'>,
    },
    {
      id: `C many ${recv}`,
      title: `1,000 connections x 100 round trips of 64 B, WskReceive${recv === 'event' ? 'Event' : ''}`,
      script: 'many-conn',
      full: ['--conns=1000', '--rounds=100'],
      quick: ['--conns=100', '--rounds=10'],
      wskArgs: [`--recv=${recv}`],
      unit: 'rt/s',
      higherIsBetter: true,
      target: 1.3,
      modes: ['one', 'two'] as Array<'one' | 'two'>,
    },
  ]),
  // The same request/response written on node-wsk/promises (bench/rr-promises.ts): what the
  // idiomatic layer costs. No target: it is measured, not promised.
  ...([['B', 'tcp-rr', 'TCP request/response 100 B', ['--count=50000'], ['--count=3000']], ['C', 'many-conn', '1,000 connections x 100 round trips of 64 B', ['--conns=1000', '--rounds=100'], ['--conns=100', '--rounds=10']]] as const).map(
    ([letter, script, title, full, quick]) => ({
      id: `${letter} ${letter === 'B' ? 'rr' : 'many'} promises`,
      title: `${title}, node-wsk/promises (wskCall, ReceiveEvents)`,
      script,
      full: [...full],
      quick: [...quick],
      wskArgs: ['--recv=promises'],
      unit: 'rt/s',
      higherIsBetter: true,
      modes: ['one', 'two'] as Array<'one' | 'two'>,
    }),
  ),
  {
    id: 'C idle',
    title: 'Memory per idle connection (server side, 10,000 open)',
    script: 'idle-conn',
    full: ['--conns=10000'],
    quick: ['--conns=500'],
    unit: 'B/conn',
    higherIsBetter: false,
    target: 0.5,
    modes: ['two'],
  },
  ...(['sendto', 'batch'] as const).map((send) => ({
    id: `D udp ${send}`,
    title: send === 'batch' ? 'UDP 64 B, WskSendMessages batches, WskReceiveFromEvent' : 'UDP 64 B, one WskSendTo per datagram, WskReceiveFromEvent',
    script: 'udp',
    full: ['--seconds=2'],
    quick: ['--seconds=0.3'],
    wskArgs: [`--send=${send}`],
    unit: 'dgram/s',
    higherIsBetter: true,
    target: send === 'batch' ? 2.0 : undefined,
    modes: ['one', 'two'] as Array<'one' | 'two'>,
  })),
];

interface RunResult {
  value: number;
  extra: Record<string, number>;
}

async function runCase(script: string, args: string[]): Promise<RunResult> {
  const file = path.join(__dirname, 'cases', `${script}.js`);
  const { value, metric: _metric, ...extra } = await runForResult([process.execPath, '--expose-gc', file, ...args], 180_000);
  return { value, extra };
}

export interface Row {
  id: string;
  title: string;
  mode: 'one' | 'two';
  unit: string;
  higherIsBetter: boolean;
  target?: number;
  /** The target is judged in one-process mode (or the only mode a case has). */
  targetApplies: boolean;
  wsk: number | null;
  builtin: number | null;
  ratio: number | null;
  wskRuns: number[];
  builtinRuns: number[];
  wskExtra: Record<string, number>;
  builtinExtra: Record<string, number>;
  error?: string;
}

function medianExtra(runs: RunResult[]): Record<string, number> {
  const keys = new Set(runs.flatMap((r) => Object.keys(r.extra)));
  return Object.fromEntries([...keys].map((k) => [k, median(runs.map((r) => r.extra[k]).filter((v) => typeof v === 'number'))]));
}

async function measure(spec: CaseSpec, mode: 'one' | 'two', quick: boolean, runs: number, warmup: number): Promise<Row> {
  const base = [...(quick ? spec.quick : spec.full), `--mode=${mode}`];
  const row: Row = {
    id: spec.id, title: spec.title, mode, unit: spec.unit, higherIsBetter: spec.higherIsBetter, target: spec.target,
    targetApplies: spec.target !== undefined && (mode === 'one' || !spec.modes.includes('one')),
    wsk: null, builtin: null, ratio: null, wskRuns: [], builtinRuns: [], wskExtra: {}, builtinExtra: {},
  };
  try {
    const wsk: RunResult[] = [];
    const builtin: RunResult[] = [];
    // Alternate the two implementations so that drift in machine load hits both alike.
    for (let i = 0; i < warmup + runs; i++) {
      const w = await runCase(spec.script, [...base, '--impl=wsk', ...(spec.wskArgs ?? [])]);
      const b = await runCase(spec.script, [...base, '--impl=net']);
      if (i >= warmup) {
        wsk.push(w);
        builtin.push(b);
      }
    }
    row.wskRuns = wsk.map((r) => r.value);
    row.builtinRuns = builtin.map((r) => r.value);
    row.wsk = median(row.wskRuns);
    row.builtin = median(row.builtinRuns);
    row.ratio = row.wsk / row.builtin;
    row.wskExtra = medianExtra(wsk);
    row.builtinExtra = medianExtra(builtin);
  } catch (e) {
    row.error = (e as Error).message;
  }
  return row;
}

function fmt(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return '-';
  if (Math.abs(v) >= 100) return Math.round(v).toLocaleString('en-US');
  return v.toPrecision(3);
}

function meets(row: Row): string {
  if (row.ratio === null || row.target === undefined || !row.targetApplies) return '';
  const ok = row.higherIsBetter ? row.ratio >= row.target : row.ratio <= row.target;
  return `${row.higherIsBetter ? '>=' : '<='}${row.target} ${ok ? 'met' : 'MISSED'}`;
}

export function table(rows: Row[]): string {
  const header = ['case', 'mode', 'unit', 'node-wsk', 'built-in', 'ratio', 'target', 'notes'];
  const lines = rows.map((r) => {
    const notes = r.error
      ? `error: ${r.error}`
      : Object.entries(r.wskExtra)
          .map(([k, v]) => `${k} ${fmt(v)}/${fmt(r.builtinExtra[k] ?? null)}`)
          .join(', ');
    return [r.id, r.mode, r.unit, fmt(r.wsk), fmt(r.builtin), r.ratio === null ? '-' : r.ratio.toFixed(2), meets(r), notes];
  });
  return renderTable(header, lines);
}

async function main(): Promise<void> {
  const options = { quick: { type: 'boolean', default: false }, only: { type: 'string' }, runs: { type: 'string', default: '3' } } as const;
  const { values } = parseArgs({ strict: true, options });
  const quick = values.quick;
  const only = values.only?.split(',');
  const runs = quick ? 1 : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);
  const warmup = quick ? 0 : 1;
  const started = Date.now();
  const rows: Row[] = [];
  for (const spec of CASES) {
    if (only && !only.some((o) => spec.id.startsWith(o))) continue;
    for (const mode of spec.modes) {
      const row = await measure(spec, mode, quick, runs, warmup);
      rows.push(row);
      process.stderr.write(`${row.id} [${row.mode}] ${row.error ? 'error' : `wsk ${fmt(row.wsk)} / built-in ${fmt(row.builtin)} = ${row.ratio!.toFixed(2)}`}\n`);
    }
  }
  const text = table(rows);
  console.log(`\nnode-wsk vs Node built-ins (${quick ? 'quick' : `medians of ${runs} runs after ${warmup} warm-up`}), ratio = node-wsk / built-in\n`);
  console.log(text);
  const outDir = path.join(__dirname, '..', '..', 'bench', 'results');
  fs.mkdirSync(outDir, { recursive: true });
  const meta = { date: new Date().toISOString(), quick, runs, warmup, node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model, seconds: (Date.now() - started) / 1000 };
  // Only a full run replaces the committed results; quick and partial runs (CI's among them)
  // write files of their own, which git ignores.
  const name = quick ? 'quick' : only ? 'partial' : 'latest';
  fs.writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify({ meta, rows }, null, 2) + '\n');
  fs.writeFileSync(path.join(outDir, `${name}.svg`), renderChart(rows, meta));
  console.log(`\nwrote bench/results/${name}.json and ${name}.svg in ${meta.seconds.toFixed(1)} s`);
  if (rows.some((r) => r.error)) process.exitCode = 1;
}

if (require.main === module) void main();
