// Request/response over TCP, for cases B (one connection, latency) and C (many connections):
// each client sends `size` bytes and waits for `size` bytes back, `rounds` times. The parent
// process runs the clients and measures; the server runs beside them or in a child process.
import * as net from 'net';
import { parseArgs } from 'util';
import { createHistogram, type RecordableHistogram } from 'perf_hooks';
import { WSK_SOCKET } from '../lib';
import { COMMON_OPTIONS, forkPeer, now, num, report, wskAccept, wskClose, wskCloseSocket, wskConnect, wskListen, wskOpen } from './common';
import { promiseClients, promiseServer } from './rr-promises';
import { RecvStyle, WskConn, wskBuf } from './wsk-conn';

const host = '127.0.0.1';

export interface Opts {
  impl: string;
  conns: number;
  rounds: number;
  size: number;
  /** How node-wsk receives: WskReceive IRPs, WskReceiveEvent, or node-wsk/promises throughout. */
  style: RecvStyle | 'promises';
  latency: boolean;
}

function caseOptions(defaults: Partial<Opts>) {
  const options = {
    ...COMMON_OPTIONS,
    conns: { type: 'string', default: String(defaults.conns ?? 1) },
    rounds: { type: 'string' },
    count: { type: 'string' }, // the same as --rounds
    size: { type: 'string', default: String(defaults.size ?? 100) },
    recv: { type: 'string', default: 'irp' },
    server: { type: 'string' }, // wsk|net: mix the two sides (for diagnosis; the table uses --impl)
    client: { type: 'string' },
  } as const;
  return parseArgs({ strict: true, options }).values;
}

function opts(args: ReturnType<typeof caseOptions>, defaults: Partial<Opts>): Opts {
  const style = args.recv;
  if (style !== 'irp' && style !== 'event' && style !== 'promises') throw new Error(`--recv must be irp, event or promises, got ${style}`);
  return {
    impl: args.impl,
    conns: num(args.conns, 'conns'),
    rounds: num(args.rounds ?? args.count ?? String(defaults.rounds ?? 1000), 'rounds'),
    size: num(args.size, 'size'),
    style,
    latency: defaults.latency ?? false,
  };
}

/** Round-trip latencies in nanoseconds (HDR histogram: p50 and p99 within 0.1%). */
export function latencyHistogram(): RecordableHistogram {
  return createHistogram({ lowest: 1, highest: 60e9, figures: 3 });
}

/** Records one round trip that started at `startMs` (performance.now()). */
export function recordSince(h: RecordableHistogram, startMs: number): void {
  h.record(Math.max(1, Math.round((now() - startMs) * 1e6)));
}

// ---- servers: echo `size` bytes for every `size` bytes received; resolve when all closed ----

function netServer(o: Opts, listening: (port: number) => void): Promise<void> {
  const pong = Buffer.alloc(o.size, 0x50);
  return new Promise((resolve) => {
    let open = 0;
    let seen = 0;
    const server = net.createServer((s) => {
      open++;
      seen++;
      let pending = 0;
      s.setNoDelay(true);
      s.on('data', (d) => {
        pending += d.length;
        while (pending >= o.size) {
          pending -= o.size;
          s.write(pong);
        }
      });
      s.on('error', () => {});
      s.on('close', () => {
        if (--open === 0 && seen === o.conns) {
          server.close();
          resolve();
        }
      });
    });
    server.listen(0, host, 4096, () => listening((server.address() as net.AddressInfo).port));
  });
}

async function wskServer(o: Opts, listening: (port: number) => void): Promise<void> {
  const w = wskOpen();
  const { socket: listener, port } = await wskListen(w, host);
  listening(port);
  const pong = wskBuf(new Uint8Array(o.size).fill(0x50));
  const closed: Promise<WSK_SOCKET>[] = [];
  for (let i = 0; i < o.conns; i++) {
    let pending = 0;
    let end!: () => void;
    const ended = new Promise<void>((r) => (end = r));
    const conn: WskConn = new WskConn(o.style as RecvStyle, wskBuf(new Uint8Array(Math.max(o.size, 16384))), pong, (n) => {
      pending += n;
      while (pending >= o.size) {
        pending -= o.size;
        conn.write();
      }
    }, () => end());
    const s = await wskAccept(listener, conn, conn.dispatch);
    conn.start(s);
    closed.push(ended.then(() => s));
  }
  for (const s of await Promise.all(closed)) await wskCloseSocket(s);
  await wskCloseSocket(listener);
  await wskClose(w);
}

// ---- clients: run every connection's rounds concurrently; resolve with the result ----

export interface ClientResult {
  seconds: number;
  /** process.cpuUsage() over the measured phase (both sides in one-process mode). */
  cpu: NodeJS.CpuUsage;
  /** Round-trip latencies, when the case measures them. */
  latency: RecordableHistogram | null;
}

async function netClients(o: Opts, port: number): Promise<ClientResult> {
  const ping = Buffer.alloc(o.size, 0x51);
  const socks = await Promise.all(
    Array.from({ length: o.conns }, () => new Promise<net.Socket>((resolve) => {
      const c = net.connect(port, host, () => resolve(c));
      c.setNoDelay(true);
      // A WSK server's close after the client's FIN may be abortive (WskCloseSocket semantics).
      c.on('error', () => {});
    })),
  );
  const latency = o.latency ? latencyHistogram() : null;
  const t0 = now();
  const cpu0 = process.cpuUsage();
  await Promise.all(socks.map((c) => new Promise<void>((resolve) => {
    let round = 0;
    let got = 0;
    let sentAt = now();
    c.on('data', (d) => {
      got += d.length;
      while (got >= o.size) {
        got -= o.size;
        if (latency) recordSince(latency, sentAt);
        if (++round === o.rounds) return resolve();
        sentAt = now();
        c.write(ping);
      }
    });
    c.write(ping);
  })));
  const seconds = (now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  await Promise.all(socks.map((c) => new Promise((r) => { c.once('close', r); c.end(); })));
  return { seconds, cpu, latency };
}

async function wskClients(o: Opts, port: number): Promise<ClientResult> {
  const w = wskOpen();
  const ping = wskBuf(new Uint8Array(o.size).fill(0x51));
  const latency = o.latency ? latencyHistogram() : null;
  const finished: Array<Promise<void>> = [];
  const starters: Array<() => void> = [];
  const sockets: WSK_SOCKET[] = [];
  for (let i = 0; i < o.conns; i++) {
    let round = 0;
    let got = 0;
    let sentAt = 0;
    let done!: () => void;
    finished.push(new Promise<void>((r) => (done = r)));
    const conn: WskConn = new WskConn(o.style as RecvStyle, wskBuf(new Uint8Array(Math.max(o.size, 16384))), ping, (n) => {
      got += n;
      while (got >= o.size) {
        got -= o.size;
        if (latency) recordSince(latency, sentAt);
        if (++round === o.rounds) return done();
        sentAt = now();
        conn.write();
      }
    });
    const s = await wskConnect(w, host, port, conn, conn.dispatch);
    sockets.push(s);
    conn.start(s);
    starters.push(() => {
      sentAt = now();
      conn.write();
    });
  }
  const t0 = now();
  const cpu0 = process.cpuUsage();
  for (const start of starters) start();
  await Promise.all(finished);
  const seconds = (now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  for (const s of sockets) await wskCloseSocket(s);
  await wskClose(w);
  return { seconds, cpu, latency };
}

export async function runRR(defaults: Partial<Opts>, script: string): Promise<void> {
  const args = caseOptions(defaults);
  const o = opts(args, defaults);
  const promises = o.style === 'promises';
  const server = (args.server ?? o.impl) === 'wsk' ? (promises ? promiseServer : wskServer) : netServer;
  const clients = (args.client ?? o.impl) === 'wsk' ? (promises ? promiseClients : wskClients) : netClients;
  if (args.role === 'server') {
    await server(o, (port) => process.send!({ port }));
    process.disconnect();
    return;
  }
  let serverDone: Promise<unknown>;
  const port = await new Promise<number>((resolve) => {
    if (args.mode === 'two') {
      const peer = forkPeer(script, [...process.argv.slice(2), '--role=server']);
      peer.onMessage((m) => resolve((m as { port: number }).port));
      serverDone = peer.done;
    } else {
      serverDone = server(o, resolve);
    }
  });
  const r = await clients(o, port);
  await serverDone!;
  const result: Record<string, number | string> = { metric: 'rt/s', value: (o.conns * o.rounds) / r.seconds };
  if (r.latency) {
    result.p50us = r.latency.percentile(50) / 1000;
    result.p99us = r.latency.percentile(99) / 1000;
  }
  // CPU time per round trip over the measured phase (this process: both sides in one-process
  // mode, the clients only in two-process mode): steadier than throughput on a shared machine.
  const rts = o.conns * o.rounds;
  result.userUsPerRt = r.cpu.user / rts;
  result.sysUsPerRt = r.cpu.system / rts;
  result.peakRssMB = process.resourceUsage().maxRSS / 1024;
  report(result);
}
