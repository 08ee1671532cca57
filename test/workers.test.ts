// node-wsk in worker_threads: several workers at once, each with its own sockets; a worker
// that is terminated, or exits, closes its sockets (the descriptors are gone from the
// process and the peer sees the connection close); a process that exits while workers are
// busy exits cleanly. The workers load the compiled package (dist/lib), as a user's worker
// would: test/fixtures/wsk-worker.js.
import { execFile, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { native } from '../lib/transport/native';

const ROOT = path.resolve(__dirname, '..');
const FIXTURES = path.join(__dirname, 'fixtures');
// The readiness mechanism of this jest project ('uv' in the uv poller project), for the
// workers and child processes too: each env picks its own otherwise.
const POLLER = native.poller().poller;
const CHILD_ENV = { ...process.env, ...(POLLER === 'uv' ? { NODE_WSK_POLLER: 'uv' } : {}) };

// dist/ is built by `npm ci` (prepare); a lib/ edited since would leave the workers on
// old code, so rebuild it then.
function ensureDist(): void {
  const built = path.join(ROOT, 'dist', 'lib', 'index.js');
  const builtAt = fs.existsSync(built) ? fs.statSync(built).mtimeMs : 0;
  const lib = path.join(ROOT, 'lib');
  const sources = (fs.readdirSync(lib, { recursive: true }) as string[]).map((f) => fs.statSync(path.join(lib, f)));
  if (sources.every((s) => s.isDirectory() || s.mtimeMs <= builtAt)) return;
  console.log('workers.test: dist/lib is older than lib/, running tsc -p tsconfig.json');
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.json')], { stdio: 'inherit' });
}

beforeAll(ensureDist, 120_000);

interface Message {
  got?: Uint8Array;
  poller?: string;
  port?: number;
  holding?: boolean;
}

/** A worker running one task of wsk-worker.js, its messages queued for `next()`. */
class TaskWorker {
  readonly worker: Worker;
  readonly exited: Promise<number>;
  private readonly queue: Message[] = [];
  private waiting: ((m: Message) => void) | null = null;
  private failure: Error | null = null;

  constructor(workerData: Record<string, unknown>) {
    this.worker = new Worker(path.join(FIXTURES, 'wsk-worker.js'), { workerData: { root: ROOT, poller: POLLER, ...workerData } });
    this.worker.on('message', (m: Message) => (this.waiting ? this.waiting(m) : this.queue.push(m)));
    this.worker.on('error', (e) => (this.failure = e));
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve));
  }

  /** The next message; rejects with the worker's error if it ends first. */
  async next(): Promise<Message> {
    if (this.queue.length > 0) return this.queue.shift()!;
    const message = new Promise<Message>((resolve) => (this.waiting = resolve));
    const ended = this.exited.then((code) => {
      throw this.failure ?? new Error(`worker exited (${code}) before its message`);
    });
    try {
      return await Promise.race([message, ended]);
    } finally {
      this.waiting = null;
    }
  }

  get error(): Error | null {
    return this.failure;
  }
}

/** The inodes of this process's socket descriptors. */
function socketInodes(): Set<string> {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1]);
    } catch {
      // closed while listing (readdir's own descriptor, for one)
    }
  }
  return inodes;
}

/** Inodes of the IPv4 TCP sockets with `port` at either end, except those local on `except`. */
function tcpInodes(port: number, except = -1): string[] {
  const lines = fs.readFileSync('/proc/net/tcp', 'utf8').trim().split('\n').slice(1);
  const found: string[] = [];
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    const local = parseInt(f[1].split(':')[1], 16);
    const remote = parseInt(f[2].split(':')[1], 16);
    if ((local === port || remote === port) && local !== except && f[9] !== '0') found.push(f[9]);
  }
  return found;
}

function pattern(seed: number, size: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + seed * 101 + (i >>> 11)) & 0xff;
  return data;
}

/** Resolves when the node:net socket has closed; whether it saw the peer's FIN first. */
function peerClosed(c: net.Socket): Promise<{ ended: boolean }> {
  let ended = false;
  c.on('end', () => (ended = true));
  c.on('error', () => {});
  c.on('data', () => {});
  return new Promise((resolve) => c.once('close', () => resolve({ ended })));
}

/** A hold worker with a node:net connection from this thread, accepted, IRPs pending. */
async function holding(exitCode?: number): Promise<{ w: TaskWorker; client: net.Socket; closed: Promise<{ ended: boolean }>; inodes: string[] }> {
  const w = new TaskWorker({ task: 'hold', exitCode });
  const { port } = await w.next();
  const client = net.connect(port!, '127.0.0.1');
  const closed = peerClosed(client);
  await new Promise((resolve) => client.once('connect', resolve));
  expect(await w.next()).toEqual({ holding: true });
  // The worker's listener and accepted connection; not this thread's client.
  const inodes = tcpInodes(port!, client.localPort);
  return { w, client, closed, inodes };
}

describe('worker_threads', () => {
  test('four workers each run a WSK echo at the same time, each getting its own bytes back', async () => {
    const size = 1 << 20;
    const workers = [1, 2, 3, 4].map((seed) => ({ seed, w: new TaskWorker({ task: 'echo', seed, size }) }));
    for (const { seed, w } of workers) {
      const { got, poller } = await w.next();
      expect(poller).toBe(POLLER);
      expect(got!.byteLength).toBe(size);
      expect(Buffer.compare(Buffer.from(got!), Buffer.from(pattern(seed, size)))).toBe(0);
      expect(await w.exited).toBe(0);
      expect(w.error).toBeNull();
    }
  });

  test("terminating a worker closes its sockets (descriptors gone, the peer sees the close), IRPs pending and data flowing", async () => {
    const hold = await holding();
    const busy = new TaskWorker({ task: 'pingpong' });
    const { port } = await busy.next();
    const busyInodes = tcpInodes(port!);
    expect(hold.inodes.length).toBe(2); // listener and accepted connection
    expect(busyInodes.length).toBe(3); // listener, client, server side
    const before = socketInodes();
    for (const inode of [...hold.inodes, ...busyInodes]) expect(before.has(inode)).toBe(true);

    expect(await hold.w.worker.terminate()).toBe(1);
    expect(await busy.worker.terminate()).toBe(1);
    const after = socketInodes();
    expect([...hold.inodes, ...busyInodes].filter((inode) => after.has(inode))).toEqual([]);
    expect(await hold.closed).toEqual({ ended: true });
    hold.client.destroy();
    expect(hold.w.error).toBeNull();
    expect(busy.error).toBeNull();
  });

  test('a worker that exits with sockets open and IRPs pending closes them and exits with its code', async () => {
    const hold = await holding(3);
    expect(await hold.w.exited).toBe(3);
    const after = socketInodes();
    expect(hold.inodes.filter((inode) => after.has(inode))).toEqual([]);
    expect(await hold.closed).toEqual({ ended: true });
    hold.client.destroy();
    expect(hold.w.error).toBeNull();
  });

  test('a process that exits while its workers are busy with WSK sockets exits cleanly', async () => {
    const r = await new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [path.join(FIXTURES, 'exit-with-workers.js')], { timeout: 60_000, env: CHILD_ENV }, (err, stdout, stderr) => {
        const e = err as { code?: number | string; signal?: string } | null;
        resolve({ code: e === null ? 0 : typeof e.code === 'number' ? e.code : null, signal: e?.signal ?? null, stdout: stdout.trim(), stderr: stderr.trim() });
      });
    });
    expect(r).toEqual({ code: 0, signal: null, stdout: 'exiting with 5 workers busy', stderr: '' });
  }, 70_000);
});
