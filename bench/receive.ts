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
import * as path from 'path';
import { median, renderTable, runForResult } from './harness';

const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const runs = Number(opt('runs') ?? 5);
const before = opt('before');
const scale = Number(opt('scale') ?? 1);

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

async function main(): Promise<void> {
  const list = ways();
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
