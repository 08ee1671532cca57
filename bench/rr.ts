// Request/response over TCP, for cases B (one connection, latency) and C (many connections):
// each client sends `size` bytes and waits for `size` bytes back, `rounds` times. The parent
// process runs the clients and measures; the server runs beside them or in a child process.
import * as net from 'net';
import { WSK_SOCKET } from '../lib';
import { Args, forkPeer, now, num, percentile, report, wskAccept, wskClose, wskCloseSocket, wskConnect, wskListen, wskOpen } from './common';
import { RecvStyle, WskConn, wskBuf } from './wsk-conn';

const host = '127.0.0.1';

interface Opts {
  impl: string;
  conns: number;
  rounds: number;
  size: number;
  style: RecvStyle;
  latency: boolean;
}

function opts(args: Args, defaults: Partial<Opts>): Opts {
  return {
    impl: args.impl ?? 'net',
    conns: num(args, 'conns', defaults.conns ?? 1),
    rounds: num(args, 'rounds', num(args, 'count', defaults.rounds ?? 1000)),
    size: num(args, 'size', defaults.size ?? 100),
    style: (args.recv as RecvStyle) ?? 'irp',
    latency: defaults.latency ?? false,
  };
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
    const conn: WskConn = new WskConn(o.style, wskBuf(new Uint8Array(Math.max(o.size, 16384))), pong, (n) => {
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

interface ClientResult {
  seconds: number;
  /** process.cpuUsage() over the measured phase (both sides in one-process mode). */
  cpu: NodeJS.CpuUsage;
  latenciesUs: Float64Array;
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
  const lat = new Float64Array(o.latency ? o.rounds : 0);
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
        if (o.latency) lat[round] = (now() - sentAt) * 1000;
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
  return { seconds, cpu, latenciesUs: lat };
}

async function wskClients(o: Opts, port: number): Promise<ClientResult> {
  const w = wskOpen();
  const ping = wskBuf(new Uint8Array(o.size).fill(0x51));
  const lat = new Float64Array(o.latency ? o.rounds : 0);
  const finished: Array<Promise<void>> = [];
  const starters: Array<() => void> = [];
  const sockets: WSK_SOCKET[] = [];
  for (let i = 0; i < o.conns; i++) {
    let round = 0;
    let got = 0;
    let sentAt = 0;
    let done!: () => void;
    finished.push(new Promise<void>((r) => (done = r)));
    const conn: WskConn = new WskConn(o.style, wskBuf(new Uint8Array(Math.max(o.size, 16384))), ping, (n) => {
      got += n;
      while (got >= o.size) {
        got -= o.size;
        if (o.latency) lat[round] = (now() - sentAt) * 1000;
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
  return { seconds, cpu, latenciesUs: lat };
}

export async function runRR(args: Args, defaults: Partial<Opts>, script: string): Promise<void> {
  const o = opts(args, defaults);
  // --server=wsk|net / --client=wsk|net mix the two sides (for diagnosis; the table uses --impl).
  const server = (args.server ?? o.impl) === 'wsk' ? wskServer : netServer;
  const clients = (args.client ?? o.impl) === 'wsk' ? wskClients : netClients;
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
  if (o.latency) {
    const sorted = r.latenciesUs.sort();
    result.p50us = percentile(sorted, 50);
    result.p99us = percentile(sorted, 99);
  }
  // CPU time per round trip over the measured phase (this process: both sides in one-process
  // mode, the clients only in two-process mode): steadier than throughput on a shared machine.
  const rts = o.conns * o.rounds;
  result.userUsPerRt = r.cpu.user / rts;
  result.sysUsPerRt = r.cpu.system / rts;
  result.peakRssMB = process.resourceUsage().maxRSS / 1024;
  report(result);
}
