// One scale run (npm run test:scale runs four): a WSK server takes --conns connections from a
// peer process (scale-peer.ts, node:net), through WskAccept IRPs (--mode=accept; requests read
// with WskReceive IRPs) or WskAcceptEvent (--mode=event; requests come in WskReceiveEvent).
// Each connection does one round trip; every connection stays open until the server has seen
// all of them, then the peer closes and the server disconnects and closes its side. Prints one
// JSON line: RSS and JS heap per open connection, descriptors, IRPs issued and completed.
// Exits non-zero when anything is wrong.
import { fork } from 'child_process';
import * as path from 'path';
import { parseArgs } from 'util';
import {
  NT_SUCCESS,
  STATUS_PENDING,
  STATUS_SUCCESS,
  WSK_CLIENT_CONNECTION_DISPATCH,
  WSK_CLIENT_LISTEN_DISPATCH,
  WSK_EVENT_ACCEPT,
  WSK_EVENT_DISCONNECT,
  WSK_EVENT_RECEIVE,
  WSK_PROVIDER_LISTEN_DISPATCH,
  WSK_SOCKET,
  ntStatusName,
  socketPoller,
} from '../lib';
import { report, wskClose, wskOpen } from '../bench/common';
import { CountedIrp } from './ledger';
import { fdCount, Memory, openFilesLimit, settledMemory } from './proc';
import { ScaleConn, ScaleRun } from './scale-conn';
import { enableEvents, listenLoopback } from './wsk-setup';

const { values: opt } = parseArgs({
  options: {
    mode: { type: 'string', default: 'accept' },
    conns: { type: 'string', default: '10000' },
    posted: { type: 'string', default: '64' },
    'timeout-s': { type: 'string', default: '300' },
  },
});
const mode = opt.mode as 'accept' | 'event';
const conns = Number(opt.conns);
const posted = Number(opt.posted);

function fail(message: string): never {
  console.error(`scale (${mode}): ${message}`);
  process.exit(1);
}

/** Keeps `posted` WskAccept IRPs pending until `conns` connections have been asked for. */
function postAccepts(run: ScaleRun, listener: WSK_SOCKET): void {
  const d = listener.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;
  let asked = 0;
  for (let k = 0; k < posted; k++) {
    const io: CountedIrp = new CountedIrp(run.ledger, (irp) => {
      if (!NT_SUCCESS(irp.IoStatus.Status)) {
        run.failure(`WskAccept: ${ntStatusName(irp.IoStatus.Status)}`);
        return;
      }
      run.accepted(irp.IoStatus.Information as WSK_SOCKET, null).receiveRequest();
      // Inline completions are taken by the loop below; a pended one restarts it.
      if (irp.PendingReturned) post();
    });
    const post = (): void => {
      while (asked < conns) {
        asked++;
        if (io.start((irp) => d.WskAccept(listener, 0, null, null, null, null, irp)) === STATUS_PENDING) return;
      }
    };
    post();
  }
}

/** WskAcceptEvent: every connection is kept, with receive and disconnect events (inherited from the listener). */
function acceptEvents(run: ScaleRun): WSK_CLIENT_LISTEN_DISPATCH {
  return {
    WskAcceptEvent: (_ctx, _flags, _local, _remote, socket, outContext, outDispatch) => {
      outContext[0] = run.accepted(socket!, CONN_EVENTS);
      outDispatch[0] = CONN_EVENTS;
      return STATUS_SUCCESS;
    },
    WskInspectEvent: null,
    WskAbortEvent: null,
  };
}

const CONN_EVENTS: WSK_CLIENT_CONNECTION_DISPATCH = {
  WskReceiveEvent: (ctx, _flags, ind) => (ctx as ScaleConn).indicated(ind),
  WskDisconnectEvent: (ctx, flags) => (ctx as ScaleConn).peerDisconnected(flags),
  WskSendBacklogEvent: null,
};

interface PeerReport {
  roundTrips: number;
  bad: number;
  closed?: number;
  errors?: number;
  connectSeconds?: number;
}

/**
 * The peer process, started before anything is counted: its IPC channel (and the descriptors
 * Node keeps once it has a child) are there from the first count to the last.
 */
function startPeer(): { next: () => Promise<PeerReport>; send: (m: unknown) => void; exited: Promise<number> } {
  const child = fork(path.join(__dirname, 'scale-peer.js'), [`--conns=${conns}`], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const reports: PeerReport[] = [];
  const waiters: Array<(r: PeerReport) => void> = [];
  child.on('message', (m) => {
    const w = waiters.shift();
    if (w) w(m as PeerReport);
    else reports.push(m as PeerReport);
  });
  return {
    next: () => (reports.length ? Promise.resolve(reports.shift()!) : new Promise((r) => waiters.push(r))),
    send: (m) => child.send(m as never),
    exited: new Promise((r) => child.on('exit', (code) => r(code ?? 1))),
  };
}

interface Figures {
  openSeconds: number;
  openAtOnce: number;
  before: Memory;
  during: Memory;
  /** Descriptors with the listener open: before the first connection, all open, all closed; then the listener closed. */
  fds: { start: number; peak: number; end: number; final: number };
  peerDone: PeerReport;
  peerClosed: PeerReport;
  peerExit: number;
}

/** Opens every connection and closes them again; the figures of the two moments that matter. */
async function exercise(run: ScaleRun, peer: ReturnType<typeof startPeer>): Promise<Figures> {
  const w = wskOpen();
  const { socket: listener, port } = await listenLoopback(w, run.ledger, run, mode === 'event' ? acceptEvents(run) : null);
  if (mode === 'event') enableEvents(listener, WSK_EVENT_ACCEPT | WSK_EVENT_RECEIVE | WSK_EVENT_DISCONNECT);
  else postAccepts(run, listener);
  // Counted once the listener is armed: the poller's own descriptor (io_uring) exists from here on.
  const start = fdCount();
  const before = await settledMemory();

  const t0 = performance.now();
  run.phase = 'opening every connection';
  peer.send({ port });
  const [peerDone] = await Promise.all([peer.next(), run.allRoundTrips]);
  const openSeconds = (performance.now() - t0) / 1000;
  // Every round trip seen and nobody closed yet: every connection is open at this moment.
  const openAtOnce = run.open;
  const peak = fdCount();
  const during = await settledMemory();

  run.phase = 'closing every connection';
  peer.send('close');
  const [peerClosed] = await Promise.all([peer.next(), run.allClosed]);
  const end = fdCount();
  run.phase = 'closing the listener and deregistering (WskDeregister waits for every socket)';
  const irp = await run.ledger.call((i) => listener.Dispatch.WskCloseSocket(listener, i));
  if (irp.IoStatus.Status !== STATUS_SUCCESS) run.failure(`listener close: ${ntStatusName(irp.IoStatus.Status)}`);
  await wskClose(w);
  const final = fdCount();
  peer.send('exit');
  const peerExit = await peer.exited;
  return { openSeconds, openAtOnce, before, during, fds: { start, peak, end, final }, peerDone, peerClosed, peerExit };
}

function problems(run: ScaleRun, f: Figures): string[] {
  const out = [...run.failures];
  if (f.openAtOnce !== conns) out.push(`${f.openAtOnce} of ${conns} connections open at once`);
  if (f.fds.peak - f.fds.start < conns) out.push(`descriptors: ${f.fds.peak} at the peak, only ${f.fds.peak - f.fds.start} over the start`);
  if (f.fds.end !== f.fds.start) out.push(`descriptors: ${f.fds.start} before the connections, ${f.fds.end} after they closed`);
  if (f.fds.final !== f.fds.end - 1) out.push(`descriptors: ${f.fds.end} before the listener closed, ${f.fds.final} after`);
  if (!run.ledger.balanced) out.push(run.ledger.summary());
  if (f.peerDone.roundTrips !== conns || f.peerDone.bad !== 0) out.push(`peer: ${f.peerDone.roundTrips} replies right, ${f.peerDone.bad} wrong`);
  if (f.peerClosed.closed !== conns || f.peerClosed.errors !== 0 || f.peerExit !== 0) {
    out.push(`peer: ${f.peerClosed.closed} closed cleanly, ${f.peerClosed.errors} errors, exit code ${f.peerExit}`);
  }
  return out;
}

async function main(): Promise<void> {
  const limit = openFilesLimit();
  if (limit < conns + 100) fail(`needs ${conns + 100} open files, the soft limit is ${limit}: run through reliability/nofile.sh`);
  const run = new ScaleRun(conns);
  const timer = setTimeout(() => fail(`not finished after ${opt['timeout-s']} s: ${run.describe()}`), Number(opt['timeout-s']) * 1000);
  const f = await exercise(run, startPeer());
  clearTimeout(timer);
  const found = problems(run, f);
  for (const p of found) console.error(`scale (${mode}): ${p}`);
  report({
    metric: 'B/conn',
    poller: socketPoller().poller,
    value: (f.during.rss - f.before.rss) / conns,
    heapB: (f.during.heapUsed - f.before.heapUsed) / conns,
    conns,
    openAtOnce: f.openAtOnce,
    roundTrips: run.roundTrips,
    openSeconds: f.openSeconds,
    peerConnectSeconds: f.peerDone.connectSeconds ?? NaN,
    rssBeforeMB: f.before.rss / 2 ** 20,
    rssPeakMB: f.during.rss / 2 ** 20,
    fdsStart: f.fds.start,
    fdsPeak: f.fds.peak,
    fdsEnd: f.fds.end,
    irpsIssued: run.ledger.issued,
    irpsCompleted: run.ledger.completed,
    problems: found.length,
  });
  process.exitCode = found.length ? 1 : 0;
}

main().catch((e) => fail(String(e?.stack ?? e)));
