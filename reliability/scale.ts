// npm run test:scale [-- --conns=N]: 10,000 concurrent connections to a WSK server, taken
// through WskAccept IRPs and through WskAcceptEvent, with each readiness mechanism (io_uring
// where the kernel has it, and NODE_WSK_POLLER=uv, as npm test does); each run is its own
// server process (scale-server.ts) with its peers in a child process (10,000 descriptors on each
// side). Prints a table (RSS and JS heap per connection on the server) and exits non-zero when
// a run failed. Launched through reliability/nofile.sh, which raises the open-files limit the
// runs inherit.
import * as path from 'path';
import { parseArgs } from 'util';
import { renderTable, runForResult } from '../bench/harness';

const { values: opt } = parseArgs({ options: { conns: { type: 'string', default: '10000' } } });

const MODES = [
  { mode: 'accept', how: 'WskAccept IRPs (64 posted), WskReceive IRPs' },
  { mode: 'event', how: 'WskAcceptEvent, WskReceiveEvent' },
];
// /usr/bin/env arguments: the addon's own choice (io_uring here), then the fallback.
const RUNS = MODES.flatMap((m) => [
  { ...m, poller: 'default', env: ['-u', 'NODE_WSK_POLLER'] },
  { ...m, poller: 'uv', env: ['NODE_WSK_POLLER=uv'] },
]);

const n = (x: number, digits = 0): string => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const t0 = performance.now();
  const rows: string[][] = [];
  let failed = 0;
  for (const { mode, how, poller, env } of RUNS) {
    const cmd = ['/usr/bin/env', ...env, process.execPath, '--expose-gc', path.join(__dirname, 'scale-server.js'), `--mode=${mode}`, `--conns=${opt.conns}`];
    try {
      const r = await runForResult(cmd, 360_000);
      rows.push([
        how,
        String(r.poller),
        n(r.openAtOnce),
        n(r.roundTrips),
        n(r.openSeconds, 1),
        n(r.value),
        n(r.heapB),
        n(r.rssPeakMB, 1),
        `${r.fdsStart} / ${r.fdsPeak} / ${r.fdsEnd}`,
        `${r.irpsIssued} / ${r.irpsCompleted}`,
      ]);
    } catch (e) {
      failed++;
      // The run printed what went wrong on stderr, above the table.
      rows.push([how, poller, 'FAILED', '', '', '', '', '', '', '']);
    }
  }
  const header = ['accepted through', 'poller', 'open at once', 'round trips', 'all open (s)', 'RSS B/conn', 'heap B/conn', 'peak RSS MB', 'fds start/peak/end', 'IRPs issued/completed'];
  console.log(renderTable(header, rows));
  console.log(`\nscale: ${failed === 0 ? 'passed' : `${failed} of ${RUNS.length} runs FAILED`} in ${n((performance.now() - t0) / 1000, 0)} s`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
