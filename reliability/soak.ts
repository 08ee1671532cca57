// npm run soak -- --minutes=N: a mixed WSK workload in one process for N minutes — TCP
// request/response with IRPs and with receive events (connections opened and closed all the
// time), UDP with WskSendTo / WskReceiveFrom against a WskReceiveFromEvent server — sampling
// RSS, JS heap and descriptors every few seconds. After the warm-up (the first 20%): the
// descriptors that are not sockets stay exactly the same, sockets stay within what the workload
// holds, RSS grows less than 5%; at the end every IRP issued has completed exactly once, every
// byte was right and every descriptor is back. Prints a table; exits 1 when any of that fails.
import { parseArgs } from 'util';
import { wskClose, wskOpen, Wsk } from '../bench/common';
import { renderTable } from '../bench/harness';
import { native } from '../lib/transport/native';
import { Ledger } from './ledger';
import { fdCount, MiB, settledMemory, sleep, within } from './proc';
import { Lane } from './soak-lane';
import { TcpClient } from './soak-tcp-client';
import { eventServer, irpServer, Server } from './soak-tcp-server';
import { UdpClient, udpServer } from './soak-udp';
import { Rng } from './wire';

const { values: opt } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    'sample-s': { type: 'string' },
    warmup: { type: 'string', default: '0.2' },
    'tcp-conns': { type: 'string', default: '8' },
    'udp-clients': { type: 'string', default: '4' },
    seed: { type: 'string', default: '1' },
  },
});
const durationMs = Number(opt.minutes) * 60_000;
// About a hundred samples for a 10-minute run, one a second for a short one.
const sampleMs = opt['sample-s'] !== undefined ? Number(opt['sample-s']) * 1000 : Math.min(5000, Math.max(1000, durationMs / 120));
const warmupMs = durationMs * Number(opt.warmup);
const tcpConns = Number(opt['tcp-conns']);
const udpClients = Number(opt['udp-clients']);
const RSS_GROWTH_LIMIT = 0.05;

interface Sample {
  t: number;
  rss: number;
  heapUsed: number;
  external: number;
  fds: number;
  /** Native sockets open (the addon's count, as test/setup.ts uses), and every other descriptor. */
  sockets: number;
  others: number;
  irpsOutstanding: number;
  roundTrips: number[];
}

interface Workload {
  w: Wsk;
  ledger: Ledger;
  lanes: Lane[];
  servers: Server[];
}

async function start(): Promise<Workload> {
  const ledger = new Ledger();
  const seed = Number(opt.seed);
  const lanes = ['TCP, IRPs', 'TCP, events', 'UDP'].map((name, i) => new Lane(name, ledger, new Rng(seed * 7919 + i)));
  const [tcpIrp, tcpEvent, udp] = lanes;
  const w = wskOpen();
  const servers = [await irpServer(w, tcpIrp), await eventServer(w, tcpEvent), await udpServer(w, udp)];
  tcpIrp.keep(tcpConns, (done) => new TcpClient(tcpIrp, false, done).connect(w, servers[0].port));
  tcpEvent.keep(tcpConns, (done) => new TcpClient(tcpEvent, true, done).connect(w, servers[1].port));
  udp.keep(udpClients, (done) => {
    new UdpClient(udp, servers[2].port, done).open(w).catch((e: Error) => {
      udp.failure(`UDP client socket: ${e.message}`);
      udp.ended();
      done();
    });
  });
  return { w, ledger, lanes, servers };
}

/**
 * Lets every connection and socket finish, closes the servers and deregisters (WskDeregister
 * resolves once every socket is closed): bounded, so that a socket left open fails the run
 * rather than hanging it.
 */
async function stop(load: Workload): Promise<string[]> {
  for (const lane of load.lanes) lane.stopping = true;
  const windDown = async (): Promise<void> => {
    await Promise.all(load.lanes.map((l) => l.idle()));
    for (const s of load.servers) await s.close();
    await wskClose(load.w);
  };
  const done = await within(30_000, windDown());
  return done ? [] : ['the workload did not wind down (every socket closed, WskDeregister done) within 30 s'];
}

async function sample(load: Workload, t0: number): Promise<Sample> {
  const m = await settledMemory();
  const fds = fdCount();
  const sockets = native.openSockets();
  return {
    t: (performance.now() - t0) / 1000,
    rss: m.rss,
    heapUsed: m.heapUsed,
    external: m.external,
    fds,
    sockets,
    others: fds - sockets,
    irpsOutstanding: load.ledger.outstanding,
    roundTrips: load.lanes.map((l) => l.roundTrips),
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** What the samples after the warm-up must show. */
function steadyProblems(steady: Sample[], lanes: Lane[]): string[] {
  if (steady.length < 6) return [`only ${steady.length} samples after the warm-up: run longer`];
  const out: string[] = [];
  const others = new Set(steady.map((s) => s.others));
  if (others.size !== 1) out.push(`descriptors other than sockets moved after the warm-up: ${[...others].join(', ')}`);
  // Per TCP slot: a client and the server's end, and the next client before the last server end closes.
  const socketBound = 2 * tcpConns * 3 + udpClients + 3;
  const maxSockets = Math.max(...steady.map((s) => s.sockets));
  if (maxSockets > socketBound) out.push(`${maxSockets} sockets open at once, more than the workload holds (${socketBound})`);
  const growth = rssGrowth(steady);
  if (growth >= RSS_GROWTH_LIMIT) out.push(`RSS grew ${(growth * 100).toFixed(1)}% after the warm-up (limit ${RSS_GROWTH_LIMIT * 100}%)`);
  const first = steady[0].roundTrips;
  const last = steady[steady.length - 1].roundTrips;
  lanes.forEach((l, i) => last[i] === first[i] && out.push(`${l.name}: no round trip after the warm-up`));
  return out;
}

/** Median of the last three samples against the median of the first three after the warm-up. */
function rssGrowth(steady: Sample[]): number {
  const base = median(steady.slice(0, 3).map((s) => s.rss));
  return (median(steady.slice(-3).map((s) => s.rss)) - base) / base;
}

function printSamples(samples: Sample[], lanes: Lane[]): void {
  const every = Math.max(1, Math.ceil(samples.length / 20));
  const shown = samples.filter((_, i) => i % every === 0 || i === samples.length - 1);
  const rows = shown.map((s, i) => {
    const prev = shown[i - 1];
    const rate = (k: number) => (prev ? ((s.roundTrips[k] - prev.roundTrips[k]) / (s.t - prev.t)).toFixed(0) : '');
    return [s.t.toFixed(0), (s.rss / MiB).toFixed(1), (s.heapUsed / MiB).toFixed(1), (s.external / MiB).toFixed(1), String(s.fds), String(s.sockets), String(s.others), String(s.irpsOutstanding), ...lanes.map((_, k) => rate(k))];
  });
  const header = ['t (s)', 'RSS MB', 'heap MB', 'external MB', 'fds', 'sockets', 'other fds', 'IRPs pending', ...lanes.map((l) => `${l.name} /s`)];
  console.log(renderTable(header, rows));
}

function printLanes(lanes: Lane[]): void {
  const rows = lanes.map((l) => [l.name, `${l.opened} / ${l.closed}`, String(l.roundTrips), (l.bytes / MiB).toFixed(0), `${l.lost} / ${l.late}`, String(l.failures.length)]);
  console.log(renderTable(['lane', 'sockets opened / closed', 'round trips checked', 'MB checked', 'lost / late', 'failures'], rows));
}

/**
 * V8 grows its young generation (8 -> 16 -> 32 MB of new space, measured here) when the
 * allocation rate asks for it, at moments of its choosing, which would read as RSS growth; the
 * npm script fixes it at V8's largest default size, so that RSS growth means memory kept.
 */
function checkFlags(): void {
  const fixed = process.execArgv.some((a) => a.startsWith('--min-semi-space-size'));
  if (!fixed) console.log('soak: without --min-semi-space-size=16 --max-semi-space-size=16, V8 growing its new space shows as RSS growth');
}

async function main(): Promise<void> {
  checkFlags();
  console.log(`soak: ${opt.minutes} min, a sample every ${sampleMs / 1000} s, warm-up ${warmupMs / 1000} s`);
  const t0 = performance.now();
  const load = await start();
  const samples: Sample[] = [];
  while (performance.now() - t0 < durationMs) {
    await sleep(sampleMs);
    samples.push(await sample(load, t0));
  }
  const steady = samples.filter((s) => s.t * 1000 >= warmupMs);
  const problems = [...steadyProblems(steady, load.lanes), ...(await stop(load))];
  const fdsEnd = fdCount();
  const socketsEnd = native.openSockets();
  if (socketsEnd !== 0) problems.push(`${socketsEnd} native sockets open at the end`);
  if (steady.length && fdsEnd !== steady[0].others) problems.push(`${fdsEnd} descriptors at the end, ${steady[0].others} besides sockets during the run`);
  if (!load.ledger.balanced) problems.push(load.ledger.summary());
  for (const l of load.lanes) problems.push(...l.failures.map((f) => `${l.name}: ${f}`));

  printSamples(samples, load.lanes);
  console.log();
  printLanes(load.lanes);
  console.log(`\n${load.ledger.summary()}`);
  if (steady.length) console.log(`RSS growth after the warm-up: ${(rssGrowth(steady) * 100).toFixed(2)}%; descriptors at the end: ${fdsEnd}`);
  for (const p of problems) console.log(`FAILED: ${p}`);
  console.log(`soak: ${problems.length ? 'FAILED' : 'passed'}`);
  process.exitCode = problems.length ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
