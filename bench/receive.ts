// npm run bench:receive [-- --runs=5 --scale=1 --before=DIR]: what one crossing per readiness event
// saves. bench/floor/raw-addon.ts (the request/response workload on the bare addon, no WSK
// layer) two ways, alternated run by run, with both pollers, medians:
//   call   each readiness report, then a recvById call into the addon: two crossings per event
//   auto   POLL_RECEIVE: the addon reads into the registered area and the report carries the
//          bytes: one crossing per event
// --before=DIR adds "call" with the addon of DIR/build/Release (NODE_WSK_PREBUILD), for
// instance a build of the commit before, to see that the two-crossing path did not get slower.
// --scale=N multiplies the rounds (on a busy machine, longer runs steady the figures).
// Per readiness event (two per round trip): wall µs, and user and system CPU ns.
// --callgrind: instead, user-space instructions per event under valgrind's callgrind (B only,
// 5,000 and 25,000 round trips, the difference over 40,000 events: start-up cancels out). Not
// timing, so steady on a busy machine; ±5% between runs (JIT and GC).
import { spawnSync } from 'child_process';
import * as path from 'path';
import { median, renderTable, runForResult } from './harness';

const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const runs = Number(opt('runs') ?? 5);
const before = opt('before');
const scale = Number(opt('scale') ?? 1);
const callgrind = argv.includes('--callgrind');

const WORKLOADS = [
  { id: 'B', conns: 1, rounds: 20000 * scale, size: 100 },
  { id: 'C', conns: 100, rounds: 200 * scale, size: 64 },
];
type Workload = (typeof WORKLOADS)[number];

interface Way {
  name: string;
  cmd: (w: Workload) => string[];
}

function ways(): Way[] {
  const script = path.join(__dirname, 'floor', 'raw-addon.js');
  const list: Way[] = [];
  for (const poller of ['io_uring', 'uv']) {
    const env = ['env', `NODE_WSK_POLLER=${poller === 'uv' ? 'uv' : ''}`];
    const args = (w: Workload, recv: string) => [process.execPath, script, `--conns=${w.conns}`, `--rounds=${w.rounds}`, `--size=${w.size}`, `--recv=${recv}`];
    if (before) list.push({ name: `before: call, ${poller}`, cmd: (w) => [...env, `NODE_WSK_PREBUILD=${path.resolve(before)}`, ...args(w, 'call')] });
    list.push({ name: `call, ${poller}`, cmd: (w) => [...env, ...args(w, 'call')] });
    list.push({ name: `auto, ${poller}`, cmd: (w) => [...env, ...args(w, 'auto')] });
  }
  return list;
}

/** Instructions callgrind counted for `cmd` (env assignments first, as ways() makes them). */
function instructions(cmd: string[]): number {
  const env = { ...process.env };
  const at = cmd.findIndex((c) => !c.includes('=') && c !== 'env');
  for (const kv of cmd.slice(1, at)) env[kv.slice(0, kv.indexOf('='))] = kv.slice(kv.indexOf('=') + 1);
  const out = '/dev/null';
  const r = spawnSync('valgrind', ['--tool=callgrind', `--callgrind-out-file=${out}`, ...cmd.slice(at)], { encoding: 'utf8', env });
  const m = /Collected : (\d+)/.exec(r.stderr ?? '');
  if (r.status !== 0 || !m) throw new Error(`valgrind ${cmd.slice(at).join(' ')}: ${r.error?.message ?? r.stderr}`);
  return Number(m[1]);
}

function countInstructions(list: Way[]): void {
  if (spawnSync('valgrind', ['--version']).status !== 0) {
    console.log('--callgrind: valgrind is not installed here (apt-get install valgrind); nothing measured');
    return;
  }
  const lines = list.map((x) => {
    const at = (rounds: number) => instructions(x.cmd({ id: 'B', conns: 1, rounds, size: 100 }));
    const perEvent = (at(25000) - at(5000)) / (2 * 20000);
    return [x.name, Math.round(perEvent).toLocaleString('en-US')];
  });
  console.log('\nUser-space instructions per readiness event (callgrind; B: 1 connection, 100-byte messages)\n');
  console.log(renderTable(['way', 'instructions/event'], lines));
}

async function main(): Promise<void> {
  const list = ways();
  if (callgrind) return countInstructions(list);
  const header = ['workload', 'way', 'rt/s', 'wall µs/event', 'user ns/event', 'sys ns/event', 'reports/event', 'reads/event'];
  const lines: string[][] = [];
  for (const w of WORKLOADS) {
    const results = new Map<string, Record<string, number>[]>(list.map((x) => [x.name, []]));
    for (let i = 0; i <= runs; i++) {
      for (const x of list) {
        const r = await runForResult(x.cmd(w), 120_000);
        if (i > 0) results.get(x.name)!.push(r); // run 0 warms up
      }
    }
    for (const x of list) {
      const rs = results.get(x.name)!;
      const m = (f: (r: Record<string, number>) => number) => median(rs.map(f));
      lines.push([
        `${w.id}: ${w.conns} x ${w.rounds} x ${w.size} B`,
        x.name,
        Math.round(m((r) => r.value)).toLocaleString('en-US'),
        m((r) => r.usPerEvent).toFixed(2),
        Math.round(m((r) => (r.userUsPerRt * 1000) / 2)).toString(),
        Math.round(m((r) => (r.sysUsPerRt * 1000) / 2)).toString(),
        String(m((r) => r.reportsPerEvent ?? NaN).toFixed(2)),
        String(m((r) => r.readsPerEvent ?? NaN).toFixed(2)),
      ]);
    }
  }
  console.log(`\nOne crossing per readiness event (medians of ${runs} alternated runs after a warm-up)\n`);
  console.log(renderTable(header, lines));
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
