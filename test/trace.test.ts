// The IRP timeline (issue 17, part 2): NODE_WSK_TRACE records every IRP's life and every event
// callback, keeps the last N records, writes a Chrome trace event file and publishes the same
// records on diagnostics_channel; node-wsk-trace draws the file as a page. The page in a real
// browser is test/timeline/ (npm run test:trace).
import * as dc from 'diagnostics_channel';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import {
  AF_INET,
  IoAllocateIrp,
  IoCancelIrp,
  IoSetCompletionRoutine,
  IPPROTO_UDP,
  NPI_WSK_INTERFACE_ID,
  SO_WSK_EVENT_CALLBACK,
  SOCK_DGRAM,
  SOL_SOCKET,
  STATUS_CANCELLED,
  STATUS_MORE_PROCESSING_REQUIRED,
  STATUS_PENDING,
  STATUS_SUCCESS,
  WSK_CLIENT_CONNECTION_DISPATCH,
  WSK_CLIENT_DATAGRAM_DISPATCH,
  WSK_EVENT_DISCONNECT,
  WSK_EVENT_RECEIVE,
  WSK_FLAG_DATAGRAM_SOCKET,
  WSK_SOCKET,
  WSK_TRACE_EVENT_CHANNEL,
  WSK_TRACE_IRP_CHANNEL,
  WskSetOption,
  WskTraceRecord,
  startWskTrace,
  stopWskTrace,
  writeWskTrace,
  wskTraceRecords,
  ntStatusName,
} from '../lib';
import { eventChannel, irpChannel, traceWorkCount } from '../lib/kernel/trace';
import { writeTimeline } from '../lib/trace/timeline';
import { main as cli } from '../lib/trace/cli';
import { main as echoSelfTest } from '../examples/echosrv';
import { runScenario } from './child';
import { call, expectStatus, newOp, register, tick, unregister, wskClose, wskSocket } from './helpers';
import { conn, connectedPair, netServer, readBytes, wskBuf, wskConnect } from './conn-helpers';
import { chromeTraceProblems } from './trace-format';
import { enableReceiveFrom, peer, udpSocket } from './udp-helpers';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'node-wsk-trace-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The records of each call, by its number. */
function byOp(records: WskTraceRecord[]): Map<number, WskTraceRecord[]> {
  const ops = new Map<number, WskTraceRecord[]>();
  for (const r of records) if (r.op !== 0) ops.set(r.op, [...(ops.get(r.op) ?? []), r]);
  return ops;
}

const kinds = (rs: WskTraceRecord[]) => rs.map((r) => r.kind);

/** Records everything published on both channels while `fn` runs (`fn` sees the list grow). */
async function subscribed(fn: (seen: readonly WskTraceRecord[]) => Promise<void>): Promise<WskTraceRecord[]> {
  const seen: WskTraceRecord[] = [];
  const onRecord = (r: unknown) => seen.push(r as WskTraceRecord);
  dc.subscribe(WSK_TRACE_IRP_CHANNEL, onRecord);
  dc.subscribe(WSK_TRACE_EVENT_CHANNEL, onRecord);
  try {
    await fn(seen);
  } finally {
    dc.unsubscribe(WSK_TRACE_IRP_CHANNEL, onRecord);
    dc.unsubscribe(WSK_TRACE_EVENT_CHANNEL, onRecord);
  }
  return seen;
}

describe('a traced session of the echo server (examples/echosrv.ts --self-test)', () => {
  let records: WskTraceRecord[];
  let file: string;

  beforeAll(async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});
    startWskTrace();
    try {
      expect(await echoSelfTest(['--self-test'])).toBe(0);
    } finally {
      stopWskTrace();
      log.mockRestore();
    }
    records = wskTraceRecords().records;
    file = path.join(tmp, 'echo.json');
    writeWskTrace(file);
  });

  test('every call completes exactly once, a pended one after its STATUS_PENDING, and its routine runs after', () => {
    const ops = byOp(records);
    expect(ops.size).toBeGreaterThan(10);
    for (const [op, rs] of ops) {
      const k = kinds(rs);
      expect([op, k[0]]).toEqual([op, 'call']);
      // The echo server's IRPs all have routines that return STATUS_MORE_PROCESSING_REQUIRED.
      expect([op, k.filter((x) => x !== 'pending')]).toEqual([op, ['call', 'complete', 'routine']]);
      expect(k.filter((x) => x === 'pending').length).toBeLessThanOrEqual(1);
      if (k.includes('pending')) expect([op, k]).toEqual([op, ['call', 'pending', 'complete', 'routine']]);
      expect(rs[rs.length - 1].status).toBe(STATUS_MORE_PROCESSING_REQUIRED);
      expect(new Set(rs.map((r) => r.track)).size).toBe(1);
    }
  });

  test('arguments and results in short form: each echoed payload is a receive of its length and a send of the same', () => {
    const ops = [...byOp(records).values()];
    for (const payload of ['echo over 127.0.0.1', 'echo over ::1']) {
      const n = Buffer.byteLength(payload);
      const receive = ops.find((rs) => rs[0].name === 'WskReceive' && rs.find((r) => r.kind === 'complete')!.info === n)!;
      expect(receive).toBeDefined();
      expect(receive[0].args).toEqual({ Length: 2048, Flags: '0x0' });
      expect(kinds(receive)).toContain('pending');
      const send = ops.find((rs) => rs[0].name === 'WskSend' && rs[0].track === receive[0].track)!;
      expect(send[0].args).toEqual({ Length: n, Flags: '0x0' });
      expect(send.find((r) => r.kind === 'complete')!.info).toBe(n);
    }
    const bind = ops.find((rs) => rs[0].name === 'WskBind')!;
    expect(bind[0].args).toEqual({ LocalAddress: '[::]:0', Flags: '0x0' });
    const socket = ops.find((rs) => rs[0].name === 'WskSocket')!;
    expect(socket[0].args).toEqual({ AddressFamily: 'AF_INET6', SocketType: 'SOCK_STREAM', Flags: '0x1' });
    expect(socket[0].track).toBe(1);
    expect(socket.find((r) => r.kind === 'complete')!.info).toMatch(/^socket \d+$/);
  });

  test('one track per socket, named: the client, the listener, one per accepted connection; accept events name them', () => {
    const names = new Map(records.map((r) => [r.track, r.trackName]));
    expect(names.get(1)).toBe('client');
    const listening = [...names].filter(([, n]) => /\(listening\)$/.test(n));
    const connections = [...names].filter(([, n]) => /\(connection-oriented\)$/.test(n));
    expect(listening).toHaveLength(1);
    expect(connections).toHaveLength(2);
    const accepts = records.filter((r) => r.kind === 'event' && r.name === 'WskAcceptEvent');
    expect(accepts.map((r) => r.track)).toEqual([listening[0][0], listening[0][0]]);
    expect(accepts.map((r) => r.args!.AcceptSocket).sort()).toEqual(connections.map(([id]) => `socket ${id}`).sort());
    expect(accepts.map((r) => String(r.args!.RemoteAddress).replace(/:\d+$/, '')).sort()).toEqual(['[::1]', '[::ffff:127.0.0.1]']);
    // Each callback's end follows it on the same track.
    for (const a of accepts) expect(records.find((r) => r.seq > a.seq && r.kind === 'event-end' && r.track === a.track)?.name).toBe('WskAcceptEvent');
  });

  test('records are numbered without a gap and stamped in µs, in order', () => {
    for (let i = 1; i < records.length; i++) {
      expect(records[i].seq).toBe(records[i - 1].seq + 1);
      expect(records[i].ts).toBeGreaterThanOrEqual(records[i - 1].ts);
    }
    // The session lasts milliseconds: µs since the process started, not ms.
    expect(records[records.length - 1].ts - records[0].ts).toBeGreaterThan(100);
  });

  test('the file is a Chrome trace event file as Perfetto reads it: fields, named tracks, nesting, spans and flows paired', () => {
    const trace = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(chromeTraceProblems(trace)).toEqual([]);
    expect(trace.otherData).toEqual({ producer: 'node-wsk', records: records.length, dropped: 0, maxRecords: 1_000_000 });
    const events = trace.traceEvents as Array<{ ph: string; cat?: string; id?: number; args?: { op?: number } }>;
    const pended = [...byOp(records).values()].filter((rs) => kinds(rs).includes('pending')).map((rs) => rs[0].op);
    expect(pended.length).toBeGreaterThan(2);
    expect(events.filter((e) => e.ph === 's').map((e) => e.id).sort()).toEqual([...pended].sort());
    expect(events.filter((e) => e.ph === 'b').map((e) => e.id).sort()).toEqual([...pended].sort());
    expect(events.filter((e) => e.ph === 'X' && e.cat === 'wsk.call')).toHaveLength(byOp(records).size);
    expect(events.filter((e) => e.ph === 'X' && e.cat === 'wsk.event')).toHaveLength(2);
  });

  test('node-wsk-trace draws it: one IRP per call, pending spans with their end, lanes named, nothing to fetch', () => {
    const out = path.join(tmp, 'echo.html');
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(cli([file, '-o', out, '--title', 'echo <server>'])).toBe(0);
    } finally {
      write.mockRestore();
    }
    const html = fs.readFileSync(out, 'utf8');
    const model = writeTimeline(file, path.join(tmp, 'again.html'));
    expect(model.irps).toHaveLength(byOp(records).size);
    expect(model.lanes.map((l) => l.name)).toEqual([...new Map(records.map((r) => [r.track, r.trackName]))].sort((a, b) => a[0] - b[0]).map(([, n]) => n));
    const pending = model.irps.filter((i) => i.pending);
    expect(pending.length).toBeGreaterThan(2);
    for (const i of pending) expect(i.end).toBeGreaterThanOrEqual(i.returned);
    expect(model.irps.filter((i) => i.failed)).toEqual([]);
    // Self-contained: no attribute or rule that loads anything, the title escaped, the data inline.
    // (Booleans, so that a failure does not print the whole page.)
    expect(/\s(src|href)\s*=|@import|url\(|fetch\(|XMLHttpRequest|<link/i.exec(html)?.[0]).toBeUndefined();
    expect(html.match(/echo &lt;server&gt;/g)).toHaveLength(2);
    expect(html.includes('{{')).toBe(false);
    expect(html.includes('"name":"WskReceive"')).toBe(true);
  });
});

describe('bounded', () => {
  test('keeps the last N records and counts the ones it dropped; the file says so', async () => {
    let seen: WskTraceRecord[] = [];
    startWskTrace({ max: 25 });
    try {
      seen = await subscribed(async () => {
        const p = register();
        for (let i = 0; i < 6; i++) await wskClose(await wskSocket(p, AF_INET, SOCK_DGRAM, IPPROTO_UDP, WSK_FLAG_DATAGRAM_SOCKET));
        await unregister(p);
      });
    } finally {
      stopWskTrace();
    }
    const { records, dropped, max } = wskTraceRecords();
    expect(max).toBe(25);
    expect(seen.length).toBeGreaterThan(25);
    expect(records.map((r) => r.seq)).toEqual(seen.slice(-25).map((r) => r.seq));
    expect(dropped).toBe(seen.length - 25);
    const out = path.join(tmp, 'bounded.json');
    expect(writeWskTrace(out)).toEqual({ file: out, records: 25, dropped });
    const trace = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(trace.otherData).toMatchObject({ records: 25, dropped, maxRecords: 25 });
    // Calls whose first records were dropped still make a valid file.
    expect(chromeTraceProblems(trace)).toEqual([]);
  });

  test('NODE_WSK_TRACE writes the file at exit and prints what it kept and dropped (NODE_WSK_TRACE_MAX)', async () => {
    const full = path.join(tmp, 'child-full.json');
    const capped = path.join(tmp, 'child-capped.json');
    const a = await runScenario('traced-echo.ts', [], [], { NODE_WSK_TRACE: full });
    const b = await runScenario('traced-echo.ts', [], [], { NODE_WSK_TRACE: capped, NODE_WSK_TRACE_MAX: '10' });
    expect([a.code, b.code]).toEqual([0, 0]);
    const kept = Number(/IRP timeline written to .*child-full\.json: (\d+) records, none dropped\n/.exec(a.stderr)?.[1]);
    expect(kept).toBeGreaterThan(40);
    const m = /IRP timeline written to .*child-capped\.json: 10 records, the oldest (\d+) dropped \(NODE_WSK_TRACE_MAX=10\)\n/.exec(b.stderr);
    expect(m).not.toBeNull();
    const fullTrace = JSON.parse(fs.readFileSync(full, 'utf8'));
    const cappedTrace = JSON.parse(fs.readFileSync(capped, 'utf8'));
    expect(fullTrace.otherData).toMatchObject({ records: kept, dropped: 0 });
    expect(cappedTrace.otherData).toMatchObject({ records: 10, dropped: Number(m![1]), maxRecords: 10 });
    expect(chromeTraceProblems(fullTrace)).toEqual([]);
    expect(chromeTraceProblems(cappedTrace)).toEqual([]);
  });

  test('in a worker thread NODE_WSK_TRACE records that thread, into a file of its own beside the main one', async () => {
    const main = path.join(tmp, 'threads.json');
    const r = await runScenario('traced-worker.ts', [], [], { NODE_WSK_TRACE: main });
    const { code, threadId } = JSON.parse(r.stdout.trim().split('\n').pop()!);
    expect(code).toBe(0);
    const workerFile = path.join(tmp, `threads.worker-${threadId}.json`);
    const [mainTrace, workerTrace] = [main, workerFile].map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
    expect(mainTrace.otherData.records).toBe(0);
    expect(workerTrace.otherData.records).toBeGreaterThan(8);
    const calls = workerTrace.traceEvents.filter((e: { cat?: string }) => e.cat === 'wsk.call').map((e: { name: string }) => e.name);
    expect(calls).toEqual(['WskSocket', 'WskBind', 'WskGetLocalAddress', 'WskCloseSocket']);
    expect(chromeTraceProblems(workerTrace)).toEqual([]);
    expect(r.stderr.match(/IRP timeline written to/g)).toHaveLength(2);
  });
});

describe('diagnostics_channel', () => {
  test('a subscriber sees each IRP record as it happens: the completion before the routine runs', async () => {
    const p = register();
    let inRoutine: string[] = [];
    const seen = await subscribed(async (live) => {
      const irp = IoAllocateIrp(1, false)!;
      const routine = () => ((inRoutine = live.map((r) => `${r.kind} ${r.name}`)), STATUS_MORE_PROCESSING_REQUIRED);
      IoSetCompletionRoutine(irp, routine, null, true, true, true);
      expectStatus(p.npi.Dispatch.WskSocket(p.npi.Client, AF_INET, SOCK_DGRAM, IPPROTO_UDP, WSK_FLAG_DATAGRAM_SOCKET, null, null, null, null, null, irp), STATUS_SUCCESS);
      await wskClose(irp.IoStatus.Information as WSK_SOCKET);
    });
    expect(inRoutine).toEqual(['call WskSocket', 'complete WskSocket']);
    const create = seen.filter((r) => r.name === 'WskSocket');
    expect(kinds(create)).toEqual(['call', 'complete', 'routine']);
    expect(create[1].status).toBe(STATUS_SUCCESS);
    const close = seen.filter((r) => r.name === 'WskCloseSocket');
    expect(kinds(close)).toEqual(['call', 'complete', 'routine']);
    expect(close[0].track).toBe(Number(String(create[1].info).replace('socket ', '')));
    await unregister(p);
  });

  test('event records: WskReceiveEvent with the bytes indicated, published before the callback runs; its end after', async () => {
    const p = register();
    const lastEvent: Array<WskTraceRecord | undefined> = [];
    let events: readonly WskTraceRecord[] = [];
    const dispatch: WSK_CLIENT_CONNECTION_DISPATCH = {
      WskReceiveEvent: () => {
        lastEvent.push(events[events.length - 1]);
        return STATUS_SUCCESS;
      },
      WskDisconnectEvent: () => {
        lastEvent.push(events[events.length - 1]);
        return STATUS_SUCCESS;
      },
      WskSendBacklogEvent: null,
    };
    let peerConnected!: (c: net.Socket) => void;
    const peerReady = new Promise<net.Socket>((r) => (peerConnected = r));
    const srv = await netServer('127.0.0.1', peerConnected);
    const s = await wskConnect(p, '127.0.0.1', srv.port, null, dispatch);
    const peer = await peerReady;
    const all = await subscribed(async (live) => {
      events = live;
      const ctl = { NpiId: NPI_WSK_INTERFACE_ID, EventMask: WSK_EVENT_RECEIVE | WSK_EVENT_DISCONNECT };
      expectStatus(s.Dispatch.WskControlSocket(s, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, ctl, 0, null, null, null), STATUS_SUCCESS);
      peer.end(Buffer.from('hello, trace'));
      for (let i = 0; i < 2000 && lastEvent.length < 2; i++) await new Promise((r) => setTimeout(r, 2));
    });
    expect(lastEvent.map((r) => [r?.kind, r?.name])).toEqual([
      ['event', 'WskReceiveEvent'],
      ['event', 'WskDisconnectEvent'],
    ]);
    expect(lastEvent[0]!.args).toEqual({ elements: 1, bytes: 12, BytesIndicated: 12 });
    expect(lastEvent[1]!.args).toEqual({ Flags: '0x0' });
    const receive = all.filter((r) => r.name === 'WskReceiveEvent');
    expect(kinds(receive)).toEqual(['event', 'event-end']);
    await wskClose(s);
    await srv.close();
    await unregister(p);
  });

  test('WskReceiveFromEvent: its chain in short form (datagrams, bytes), on the datagram socket\'s track', async () => {
    const p = register();
    const got: number[] = [];
    const dispatch: WSK_CLIENT_DATAGRAM_DISPATCH = {
      WskReceiveFromEvent: (_ctx, _flags, head) => {
        for (let e = head; e; e = e.Next) got.push(e.Buffer.Length);
        return STATUS_SUCCESS;
      },
    };
    const { s, port } = await udpSocket(p, 4, null, dispatch);
    const sender = await peer(4);
    const seen = await subscribed(async () => {
      expectStatus(enableReceiveFrom(s), STATUS_SUCCESS);
      for (const n of [10, 20, 30]) await sender.send(new Uint8Array(n), port);
      for (let i = 0; i < 2000 && got.length < 3; i++) await new Promise((r) => setTimeout(r, 2));
    });
    const events = seen.filter((r) => r.kind === 'event');
    expect(events.every((r) => r.name === 'WskReceiveFromEvent' && /\(datagram\)$/.test(r.trackName))).toBe(true);
    expect(events.reduce((n, r) => n + Number(r.args!.elements), 0)).toBe(3);
    expect(events.reduce((n, r) => n + Number(r.args!.bytes), 0)).toBe(60);
    expect(seen.filter((r) => r.kind === 'event-end')).toHaveLength(events.length);
    await sender.close();
    await wskClose(s);
    await unregister(p);
  });

  test('IoCancelIrp and a refused call: a cancel record, then the STATUS_CANCELLED completion; a violation ends its call', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    const receive = newOp();
    const bytes = new Uint8Array(16);
    const seen = await subscribed(async () => {
      expectStatus(conn(s).WskReceive(s, wskBuf(bytes), 0, receive.irp), STATUS_PENDING);
      expect(IoCancelIrp(receive.irp)).toBe(true);
      await receive.done;
      const refused = newOp();
      // An MDL range past its buffer: a WskVerifierError after the call claimed its IRP.
      expect(() => conn(s).WskSend(s, wskBuf(bytes, 0, 64), 0, refused.irp)).toThrow(/MDL_RANGE/);
    });
    const ops = [...byOp(seen).values()];
    const cancelled = ops.find((rs) => rs[0].name === 'WskReceive')!;
    expect(kinds(cancelled)).toEqual(['call', 'pending', 'cancel', 'complete', 'routine']);
    expect(cancelled[2].detail).toBe('cancel routine ran');
    expect(cancelled[3].status).toBe(STATUS_CANCELLED);
    const send = ops.find((rs) => rs[0].name === 'WskSend')!;
    expect(kinds(send)).toEqual(['call', 'violation']);
    expect(send[1].detail).toMatch(/^MDL_RANGE in WskSend/);
    expect(send[0].args).toEqual({ Length: 64, Flags: '0x0' });
    peer.destroy();
    await wskClose(s);
    await close();
    await unregister(p);
  });
});

describe('tracing off', () => {
  test('with nothing subscribed no hook does any work, across calls, pending IRPs, events and a close', async () => {
    expect([irpChannel.hasSubscribers, eventChannel.hasSubscribers]).toEqual([false, false]);
    const before = traceWorkCount();
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    const receive = newOp();
    const bytes = new Uint8Array(64);
    expectStatus(conn(s).WskReceive(s, wskBuf(bytes), 0, receive.irp), STATUS_PENDING);
    peer.write('ping');
    expect((await receive.done).IoStatus.Information).toBe(4);
    await call((irp) => conn(s).WskSend(s, wskBuf(Buffer.from('pong')), 0, irp));
    expect((await readBytes(peer, 4)).toString()).toBe('pong');
    const pendingAtClose = newOp();
    conn(s).WskReceive(s, wskBuf(bytes), 0, pendingAtClose.irp);
    await wskClose(s);
    expect(ntStatusName((await pendingAtClose.done).IoStatus.Status)).toBe(ntStatusName(STATUS_CANCELLED));
    await close();
    await tick();
    await unregister(p);
    expect(traceWorkCount()).toBe(before);
  });

  test('a trace reads no getter: a WSK_BUF whose Length is a getter is read as often traced as not, and shown as ?', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    const sendWithGetter = async (): Promise<number> => {
      const plain = wskBuf(Buffer.from('abc'));
      let reads = 0;
      const buffer = { Mdl: plain.Mdl, Offset: 0, get Length() { return (reads++, 3); } };
      await call((irp) => conn(s).WskSend(s, buffer, 0, irp));
      return reads;
    };
    const untraced = await sendWithGetter();
    let traced = 0;
    const seen = await subscribed(async () => {
      traced = await sendWithGetter();
    });
    expect(traced).toBe(untraced);
    expect(seen.find((r) => r.kind === 'call')!.args).toEqual({ Length: '?', Flags: '0x0' });
    expect((await readBytes(peer, 6)).toString()).toBe('abcabc');
    await wskClose(s);
    await close();
    await unregister(p);
  });
});
