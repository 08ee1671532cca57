// The world the fault tests run in, as test/faults/run.sh made it: this process runs inside
// namespace A; the peer, the forwarder's counters and namespace B are reached from here.
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as readline from 'readline';

export interface NetfaultConfig {
  nsA: string;
  nsB: string;
  dev: string;
  seed: number;
  a4: string;
  b4: string;
  a6: string;
  b6: string;
  /** No route to it in A: connect fails locally. */
  noRoute4: string;
  /** B answers a SYN for it with ICMP host unreachable. */
  hostUnreachable4: string;
  /** B has no route to it: ICMP net unreachable. */
  netUnreachable4: string;
  /** B drops everything for it in silence. */
  blackHole4: string;
  impairment: { loss: number; delayMs: number; jitterMs: number; reorder: number; duplicate: number };
  forwarderPid: number;
  stats: string;
  report: string;
  peer: string;
}

function loadConfig(): NetfaultConfig | null {
  if (process.env.NETFAULT_SKIP) return null;
  const file = process.env.NETFAULT_CONFIG;
  if (!file) throw new Error('the fault tests need the namespaces test/faults/run.sh makes: run `npm run test:faults`');
  return JSON.parse(fs.readFileSync(file, 'utf8')) as NetfaultConfig;
}

const loaded = loadConfig();
/** Valid inside tests (they are skipped when there is no config). */
export const config = loaded as NetfaultConfig;

/** `test`, or `test.skip` with the reason printed once where the capability is missing. */
export const faultTest: jest.It = loaded ? test : test.skip;
/** A test of a known bug: it passes while the bug is there, and fails once it is fixed. */
if (!loaded) console.warn(`skipped: ${process.env.NETFAULT_SKIP}`);

/** Appends a line to the figures run.sh prints at the end. */
export function report(line: string): void {
  fs.appendFileSync(config.report, line + '\n');
}

/** Runs a command in namespace B (or A); returns its stdout. */
export function inNamespace(ns: 'A' | 'B', command: string[]): string {
  const name = ns === 'A' ? config.nsA : config.nsB;
  return execFileSync('ip', ['netns', 'exec', name, ...command], { encoding: 'utf8', timeout: 20000 });
}

/** A sysctl of namespace A (ours: /proc/sys/net shows the namespace of the process). */
export function sysctlA(name: string, value?: number): number {
  const path = `/proc/sys/${name.replace(/\./g, '/')}`;
  if (value !== undefined) fs.writeFileSync(path, `${value}\n`);
  return Number(fs.readFileSync(path, 'utf8'));
}

/** Rejects with `what` if `p` has not settled within `ms`: a hang fails with a clear message. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer!: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `condition` every 10 ms for up to 30 s. */
export async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 3000 && !condition(); i++) await sleep(10);
  if (!condition()) throw new Error(`${what}: not within 30 s`);
}

export interface Counters {
  received: number;
  forwarded: number;
  dropped: number;
  delayed: number;
  reordered: number;
  duplicated: number;
  overflowed: number;
  write_errors: number;
}
export interface ForwarderStats {
  a_to_b: Counters;
  b_to_a: Counters;
}

/** The forwarder's counters now (it writes them on SIGUSR1). */
export async function forwarderStats(): Promise<ForwarderStats> {
  fs.rmSync(config.stats, { force: true });
  process.kill(config.forwarderPid, 'SIGUSR1');
  for (let i = 0; i < 250 && !fs.existsSync(config.stats); i++) await sleep(20);
  return JSON.parse(fs.readFileSync(config.stats, 'utf8')) as ForwarderStats;
}

/** What the forwarder did between two readings, both directions added: one line of figures. */
export function impairmentSince(before: ForwarderStats, after: ForwarderStats): string {
  const sum = (k: keyof Counters): number =>
    after.a_to_b[k] - before.a_to_b[k] + after.b_to_a[k] - before.b_to_a[k];
  return (
    `forwarder: ${sum('received')} packets, dropped ${sum('dropped')}, delayed ${sum('delayed')}, ` +
    `reordered ${sum('reordered')}, duplicated ${sum('duplicated')}` +
    (sum('overflowed') + sum('write_errors') ? `, overflowed ${sum('overflowed')}, write errors ${sum('write_errors')}` : '')
  );
}

export interface PeerConnection {
  port: number;
  bytes: number;
  sha256: string;
  error: string | null;
}

/** test/faults/peer.ts running in namespace B: an echo server on B's IPv4 and IPv6 address. */
export class Peer {
  port4 = 0;
  port6 = 0;
  private readonly closed = new Map<number, PeerConnection>();
  private readonly waiters = new Map<number, (c: PeerConnection) => void>();

  private constructor(private readonly child: ChildProcess) {}

  static async start(): Promise<Peer> {
    const child = spawn('ip', ['netns', 'exec', config.nsB, process.execPath, config.peer, config.b4, config.b6], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const peer = new Peer(child);
    const listening = new Promise<void>((resolve) => {
      readline.createInterface({ input: child.stdout! }).on('line', (line) => {
        peer.onEvent(JSON.parse(line));
        if (peer.port4 && peer.port6) resolve();
      });
    });
    await within(listening, 20000, 'the peer listening in namespace B');
    return peer;
  }

  private onEvent(e: { event: string; host?: string } & PeerConnection): void {
    if (e.event === 'listening') {
      if (e.host === config.b4) this.port4 = e.port;
      else this.port6 = e.port;
      return;
    }
    this.closed.set(e.port, e);
    this.waiters.get(e.port)?.(e);
  }

  /** What the peer saw on the connection from client port `port`, once it has closed. */
  connection(port: number, ms = 30000): Promise<PeerConnection> {
    const known = this.closed.get(port);
    if (known) return Promise.resolve(known);
    return within(new Promise((r) => this.waiters.set(port, r)), ms, `the peer closing the connection from port ${port}`);
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await within(exited, 10000, 'the peer exiting');
  }
}
