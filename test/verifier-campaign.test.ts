// Every example, run as a user runs it (npx node-wsk-example, from dist/), under
// NODE_WSK_VERIFIER over several seeds (issue 17, part 3). Two modes:
//   - FAITHFUL: the faults a correct program survives with the same result (pending, partial,
//     reorder, delay): its output must be what it is without injection;
//   - ALL: every fault together, low resources and resets included: a call may fail, and a
//     correct program then says so and ends; it must not crash, hang, leak or misuse an IRP
//     (no WskVerifierError, no exit report of objects left open). When the run injected no
//     lowres or reset (its exit report says), its output must be the faithful one.
// `npm test` runs SEEDS seeds (2: a few seconds); `npm run test:verifier` runs 20.
import { ChildProcess, spawn } from 'child_process';
import * as dgram from 'dgram';
import * as path from 'path';
import { socketPoller } from '../lib';
import { ensureDist } from './helpers';

const SEEDS = Number(process.env.NODE_WSK_VERIFIER_SEEDS ?? 2);
const FAITHFUL = 'pending,partial,reorder,delay=5';
const ALL = 'pending,partial,reorder,lowres=0.01,reset=0.01,delay=5';
const CLI = path.join(__dirname, '..', 'dist', 'examples', 'cli.js');
const LIMIT_MS = 20_000;

interface Run {
  child: ChildProcess;
  /** The first line of stdout matching `ready` ('' if the program ended first). */
  line: Promise<string>;
  exit: Promise<{ code: number | null; signal: string | null; out: string; err: string }>;
}

function start(args: string[], verifier: string, ready = /^$/): Run {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_WSK_VERIFIER: verifier };
  if (socketPoller().poller === 'uv') env.NODE_WSK_POLLER = 'uv';
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  let found!: (line: string) => void;
  const line = new Promise<string>((r) => (found = r));
  child.stdout!.on('data', (d) => {
    out += d;
    const m = out.split('\n').find((l) => ready.test(l) && l !== '');
    if (m !== undefined) found(m);
  });
  child.stderr!.on('data', (d) => (err += d));
  // A hung program is a finding, not a hung test run.
  const watchdog = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
  const exit = new Promise<{ code: number | null; signal: string | null; out: string; err: string }>((r) =>
    child.on('exit', (code, signal) => {
      clearTimeout(watchdog);
      found('');
      r({ code, signal, out, err });
    }),
  );
  return { child, line, exit };
}

/** Whether the run's exit report says it injected low resources or resets (its output may then differ). */
function injectedFailures(err: string): boolean {
  return /injected .*\b(lowres|reset) \d+/.test(err);
}

/** What no run may show, whatever was injected: a crash, a hang, a verifier error, a leak. */
function expectClean(r: { code: number | null; signal: string | null; out: string; err: string }, what: string): void {
  const context = `${what}\n--- stdout\n${r.out}--- stderr\n${r.err}`;
  if (r.signal !== null) throw new Error(`killed by ${r.signal} (hung past ${LIMIT_MS} ms): ${context}`);
  if (/NODE_WSK_VERIFIER seed=\d+\]/.test(r.err + r.out)) throw new Error(`a WskVerifierError: ${context}`);
  if (/still open|never completed/.test(r.err)) throw new Error(`objects left open at exit: ${context}`);
  if (r.code !== 0 && r.code !== 1) throw new Error(`exit code ${r.code}: ${context}`);
}

type Program = (verifier: string) => Promise<void>;

/** A program that runs to its end by itself; `expected` is its faithful stdout. */
function selfContained(args: string[], expected: RegExp): Program {
  return async (verifier) => {
    const r = await start(args, verifier).exit;
    const what = `${args.join(' ')} under ${verifier}`;
    expectClean(r, what);
    if (verifier.startsWith(FAITHFUL) || !injectedFailures(r.err)) {
      if (r.code !== 0 || !expected.test(r.out)) throw new Error(`unexpected result: ${what}\n${r.out}${r.err}`);
    }
  };
}

const echoServerAndClient: Program = async (verifier) => {
  const server = start(['echo-server', '--port', '0'], verifier, /^echo server on /);
  const up = await server.line;
  const message = ['hello', 'from', 'a', 'client', 'x'.repeat(3000)];
  // The client under the same faults with a seed of its own.
  const clientVerifier = verifier.replace(/seed=(\d+)/, (_, s: string) => `seed=${Number(s) + 1000}`);
  let client: Awaited<Run['exit']> | null = null;
  if (up !== '') {
    const port = /:(\d+);/.exec(up)![1]!;
    client = await start(['echo-client', '--port', port, ...message], clientVerifier).exit;
    expectClean(client, `echo-client under ${clientVerifier}`);
    server.child.kill('SIGINT');
  }
  const r = await server.exit;
  expectClean(r, `echo-server under ${verifier}`);
  const failuresInjected = injectedFailures(r.err) || (client !== null && injectedFailures(client.err));
  if (verifier.startsWith(FAITHFUL) || !failuresInjected) {
    const ok = client !== null && client.out.includes(`echoed: ${message.join(' ')}\n`) && r.code === 0 && /stopped\n$/.test(r.out);
    if (!ok) throw new Error(`echo-server / echo-client under ${verifier}:\n${r.out}${r.err}\n${client?.out ?? ''}${client?.err ?? ''}`);
  }
};

const udpEcho: Program = async (verifier) => {
  const server = start(['udp-echo', '--port', '0'], verifier, /^UDP echo server on /);
  const up = await server.line;
  if (up !== '') {
    const port = Number(/:(\d+);/.exec(up)![1]);
    const sock = dgram.createSocket('udp4');
    const replies: string[] = [];
    sock.on('message', (m) => replies.push(m.toString()));
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) {
      sent.push(`datagram ${i} ${'d'.repeat(i * 50)}`);
      sock.send(sent[i], port, '127.0.0.1');
      for (let t = 0; t < 100 && replies.length <= i; t++) await new Promise((r) => setTimeout(r, 5));
    }
    sock.close();
    server.child.kill('SIGINT');
    const r = await server.exit;
    expectClean(r, `udp-echo under ${verifier}`);
    // UDP may drop, but not on loopback at this pace: every datagram comes back whole, once.
    if (verifier.startsWith(FAITHFUL) && [...replies].sort().join('|') !== [...sent].sort().join('|')) {
      throw new Error(`udp-echo under ${verifier}: ${replies.length} of ${sent.length} echoed\n${r.out}${r.err}`);
    }
    return;
  }
  expectClean(await server.exit, `udp-echo under ${verifier}`);
};

const PROGRAMS: Record<string, Program> = {
  'create-listening-socket': selfContained(['create-listening-socket'], /closed and deregistered\n$/),
  'listen-demo --self-test': selfContained(['listen-demo', '--self-test'], /deregistered after 1 connection\(s\)\n$/),
  'echosrv --self-test (the C-style port)': selfContained(['echosrv', '--self-test'], /127\.0\.0\.1: echoed\n::1: echoed\nunloaded\n$/),
  'echo-server with echo-client': echoServerAndClient,
  'udp-echo with a node:dgram client': udpEcho,
};

/** Runs `jobs` two at a time (the machine's cores); rethrows every failure, joined. */
async function inParallel(jobs: Array<() => Promise<void>>): Promise<void> {
  const failures: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      await job().catch((e: Error) => failures.push(e.message));
    }
  };
  await Promise.all([worker(), worker()]);
  if (failures.length > 0) throw new Error(`${failures.length} failing run(s):\n\n${failures.join('\n\n')}`);
}

beforeAll(ensureDist, 120_000);

describe.each(Object.entries(PROGRAMS))('%s', (_name, program) => {
  const seeds = Array.from({ length: SEEDS }, (_, i) => i + 1);
  test(`${FAITHFUL}: the same result over ${SEEDS} seeds`, () => inParallel(seeds.map((seed) => () => program(`${FAITHFUL},seed=${seed}`))), 40_000 + SEEDS * 8000);
  test(`${ALL}: no crash, hang, leak or verifier error over ${SEEDS} seeds`, () => inParallel(seeds.map((seed) => () => program(`${ALL},seed=${seed}`))), 40_000 + SEEDS * 8000);
});
