// npm run bench:floor [-- --runs=5] [-- --quick]: where the limits of cases B and C are.
// The same request/response workload, seven ways, alternated run by run, medians:
//   C, epoll           bench/floor/rr-floor.c: epoll + recv/send, what the kernel allows
//   C, io_uring        the same with readiness as native/ring.cc gets it (multishot poll)
//   addon transport    bench/floor/raw-addon.ts: node-wsk's native layer, no WSK model
//   node:net           the built-in
//   node-wsk irp/event the package, as in `npm run bench`
//   node-wsk irp, uv   the same with NODE_WSK_POLLER=uv (one uv_poll_t per socket)
// with CPU time per round trip split into user and system, and each figure's ratio to node:net.
// Writes bench/results/floor.json (floor-quick.json for --quick, ignored by git).
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { median, renderTable, runForResult } from './harness';

const root = path.join(__dirname, '..', '..');
const { values } = parseArgs({ strict: true, options: { quick: { type: 'boolean', default: false }, runs: { type: 'string', default: '5' } } });
const quick = values.quick;
const runs = quick ? 1 : Number(values.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs must be a positive integer, got ${values.runs}`);

interface Workload {
  id: string;
  conns: number;
  rounds: number;
  size: number;
}
const WORKLOADS: Workload[] = quick
  ? [
      { id: 'B', conns: 1, rounds: 3000, size: 100 },
      { id: 'C', conns: 100, rounds: 10, size: 64 },
    ]
  : [
      { id: 'B', conns: 1, rounds: 50000, size: 100 },
      { id: 'C', conns: 1000, rounds: 100, size: 64 },
    ];

/** Compiles the C floor with the compiler node-gyp uses; null (and a message) without one. */
function buildFloor(): string | null {
  const out = path.join(root, 'build', 'bench', 'rr-floor');
  const src = path.join(root, 'bench', 'floor', 'rr-floor.c');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  try {
    execFileSync(process.env.CC ?? 'cc', ['-O2', '-o', out, src], { stdio: 'inherit' });
    return out;
  } catch (e) {
    process.stderr.write(`no C floor: could not compile ${src} (${(e as Error).message}); set CC to a C compiler\n`);
    return null;
  }
}

function ioUringOffered(): boolean {
  try {
    return fs.readFileSync('/proc/sys/kernel/io_uring_disabled', 'utf8').trim() === '0';
  } catch {
    return false;
  }
}

interface Way {
  name: string;
  cmd: (w: Workload) => string[];
}

function ways(floorBin: string | null): Way[] {
  const rr = path.join(__dirname, 'cases', 'tcp-rr.js');
  const args = (w: Workload) => [`--conns=${w.conns}`, `--rounds=${w.rounds}`, `--size=${w.size}`];
  const list: Way[] = [];
  if (floorBin) {
    const c = (w: Workload) => [floorBin, String(w.conns), String(w.rounds), String(w.size)];
    list.push({ name: 'C, epoll', cmd: (w) => [...c(w), 'epoll'] });
    if (ioUringOffered()) list.push({ name: 'C, io_uring', cmd: (w) => [...c(w), 'uring'] });
    else process.stderr.write('no C io_uring floor: io_uring is not offered here (kernel.io_uring_disabled)\n');
  }
  list.push(
    { name: 'addon transport', cmd: (w) => [process.execPath, path.join(__dirname, 'floor', 'raw-addon.js'), ...args(w)] },
    { name: 'node:net', cmd: (w) => [process.execPath, rr, '--impl=net', '--mode=one', ...args(w)] },
    { name: 'node-wsk irp', cmd: (w) => [process.execPath, rr, '--impl=wsk', '--recv=irp', '--mode=one', ...args(w)] },
    { name: 'node-wsk event', cmd: (w) => [process.execPath, rr, '--impl=wsk', '--recv=event', '--mode=one', ...args(w)] },
    { name: 'node-wsk irp, uv', cmd: (w) => ['env', 'NODE_WSK_POLLER=uv', process.execPath, rr, '--impl=wsk', '--recv=irp', '--mode=one', ...args(w)] },
  );
  return list;
}

/** A case's result line: value (rt/s), userUsPerRt, sysUsPerRt. */
type Result = Record<string, number>;

const run = (cmd: string[]): Promise<Result> => runForResult(cmd, 120_000);

async function main(): Promise<void> {
  const list = ways(buildFloor());
  const rows: Array<{ workload: string; way: string; rtPerS: number; userUs: number; sysUs: number; ratio: number; runs: number[] }> = [];
  for (const w of WORKLOADS) {
    const results = new Map<string, Result[]>(list.map((x) => [x.name, []]));
    // A warm-up round (not kept) unless quick, then `runs` rounds, each way once per round.
    for (let i = 0; i < runs + (quick ? 0 : 1); i++) {
      for (const x of list) {
        const r = await run(x.cmd(w));
        if (quick || i > 0) results.get(x.name)!.push(r);
      }
    }
    const net = median(results.get('node:net')!.map((r) => r.value));
    for (const x of list) {
      const rs = results.get(x.name)!;
      const rt = median(rs.map((r) => r.value));
      rows.push({
        workload: `${w.id}: ${w.conns} conn x ${w.rounds} x ${w.size} B`,
        way: x.name,
        rtPerS: rt,
        userUs: median(rs.map((r) => r.userUsPerRt)),
        sysUs: median(rs.map((r) => r.sysUsPerRt)),
        ratio: rt / net,
        runs: rs.map((r) => Math.round(r.value)),
      });
    }
  }
  const header = ['workload', 'way', 'rt/s', 'user µs/rt', 'sys µs/rt', 'vs node:net'];
  const lines = rows.map((r) => [r.workload, r.way, Math.round(r.rtPerS).toLocaleString('en-US'), r.userUs.toFixed(2), r.sysUs.toFixed(2), r.ratio.toFixed(2)]);
  console.log(`\nFloors of B and C (${quick ? 'quick' : `medians of ${runs} runs after a warm-up`}), one process\n`);
  console.log(renderTable(header, lines));
  const out = path.join(root, 'bench', 'results', quick ? 'floor-quick.json' : 'floor.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ date: new Date().toISOString(), node: process.version, runs, rows }, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(root, out)}`);
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
