// NODE_WSK_VERIFIER (issue 17, part 1): each fault, switched on from code with setWskFaults, does
// what Windows may do — and no more: every IRP still completes once, no byte is lost or
// reordered, a datagram is never cut. Real sockets on loopback, real bytes checked.
import * as net from 'net';
import {
  IoAllocateIrp,
  IoAllocateMdl,
  MmGetSystemAddressForMdlSafe,
  NormalPagePriority,
  NPI_WSK_INTERFACE_ID,
  parseWskFaults,
  PWSK_DATA_INDICATION,
  PWSK_DATAGRAM_INDICATION,
  setWskFaults,
  SO_WSK_EVENT_CALLBACK,
  SOCK_STREAM,
  SOL_SOCKET,
  STATUS_CONNECTION_RESET,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_PENDING,
  STATUS_SUCCESS,
  AF_INET,
  IPPROTO_TCP,
  WSK_CLIENT_CONNECTION_DISPATCH,
  WSK_CLIENT_DATAGRAM_DISPATCH,
  WSK_EVENT_RECEIVE,
  WSK_EVENT_DISCONNECT,
  WSK_FLAG_ABORTIVE,
  WSK_FLAG_CONNECTION_SOCKET,
  WskSetOption,
  WskVerifierError,
  wskFaults,
  IoFreeIrp,
} from '../lib';
import { conn, netServer, readBytes, wskBuf, wskConnect, randomBytes } from './conn-helpers';
import { call, expectStatus, newOp, register, unregister, wskClose } from './helpers';
import { runScenario } from './child';
import { NtStatusError, wskBuf as promisesWskBuf } from '../lib/promises';
import { dg, enableReceiveFrom, peer, udpSocket, wskBuf as dgBuf } from './udp-helpers';

afterEach(() => {
  setWskFaults(null);
});

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2500 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

function bytesOf(b: { Mdl: unknown; Offset: number; Length: number }): Buffer {
  const v = MmGetSystemAddressForMdlSafe(b.Mdl as never, NormalPagePriority)!;
  return Buffer.from(v.subarray(b.Offset, b.Offset + b.Length));
}

/** A WSK connection with a receive-event dispatch, and the node:net peer it talks to. */
async function pair(dispatch: WSK_CLIENT_CONNECTION_DISPATCH | null = null) {
  const p = register();
  let resolvePeer!: (c: net.Socket) => void;
  const peerReady = new Promise<net.Socket>((r) => (resolvePeer = r));
  const srv = await netServer('127.0.0.1', resolvePeer);
  const s = await wskConnect(p, '127.0.0.1', srv.port, null, dispatch);
  const peerSocket = await peerReady;
  const close = async () => {
    await wskClose(s);
    peerSocket.destroy();
    await srv.close();
    await unregister(p);
  };
  return { p, s, peer: peerSocket, close };
}

describe('settings', () => {
  test('NODE_WSK_VERIFIER text: every fault, its value, and the errors named', () => {
    expect(parseWskFaults('pending,partial,reorder,lowres=0.01,reset=0.001,delay=5,seed=42')).toEqual({
      pending: 1,
      partial: 1,
      reorder: true,
      lowres: 0.01,
      reset: 0.001,
      delay: 5,
      seed: 42,
    });
    expect(() => parseWskFaults('pendng')).toThrow(/unknown fault 'pendng'/);
    expect(() => parseWskFaults('lowres')).toThrow(/lowres needs a probability/);
    expect(() => parseWskFaults('reset=2')).toThrow(/not a probability/);
    expect(() => parseWskFaults('seed=-1')).toThrow(/seed must be an integer/);
    expect(() => parseWskFaults('delay=x')).toThrow(/delay needs a number/);
  });

  test('setWskFaults: the spec to replay names the seed; one is chosen when none is given; null turns it off', () => {
    expect(setWskFaults({ pending: true, lowres: 0.5, seed: 7 })!.spec).toBe('pending,lowres=0.5,seed=7');
    const chosen = setWskFaults('partial')!;
    expect(Number.isInteger(chosen.seed)).toBe(true);
    expect(chosen.spec).toBe(`partial,seed=${chosen.seed}`);
    expect(setWskFaults(null)).toBeNull();
    expect(wskFaults()).toBeNull();
  });

  test('the same seed gives the same faults in the same places; another seed others', () => {
    const run = (seed: number): boolean[] => {
      setWskFaults({ lowres: 0.5, seed });
      return Array.from({ length: 64 }, () => {
        const irp = IoAllocateIrp(1, false);
        if (irp) IoFreeIrp(irp);
        return irp === null;
      });
    };
    const a = run(42);
    expect(run(42)).toEqual(a);
    const b = run(43);
    expect(b).not.toEqual(a);
    expect(wskFaults()!.counts.lowres).toBe(b.filter(Boolean).length);
  });

  test('a WskVerifierError names the seed', () => {
    setWskFaults({ pending: true, seed: 1234 });
    const irp = IoAllocateIrp(1, false)!;
    IoFreeIrp(irp);
    expect(() => IoFreeIrp(irp)).toThrow(WskVerifierError);
    expect(() => IoFreeIrp(irp)).toThrow(/NODE_WSK_VERIFIER seed=1234/);
  });

  test('from the environment: the chosen seed is printed, and at exit the seed and a count per fault', async () => {
    const r = await runScenario('fault-report.ts', [], [], { NODE_WSK_VERIFIER: 'pending' });
    expect(r.stderr).toMatch(/^node-wsk: NODE_WSK_VERIFIER seed=(\d+) \(chosen; add seed=\1 to repeat this run\)$/m);
    expect(r.stderr).toMatch(/^node-wsk: NODE_WSK_VERIFIER=pending,seed=\d+: injected pending \d+$/m);
    const again = await runScenario('fault-report.ts', [], [], { NODE_WSK_VERIFIER: 'pending,seed=5' });
    expect(again.stderr).not.toMatch(/chosen/);
    expect(again.stderr).toMatch(/^node-wsk: NODE_WSK_VERIFIER=pending,seed=5: injected pending \d+$/m);
  });
});

describe('pending', () => {
  test('calls that would complete inline return STATUS_PENDING and complete once from the loop, in order per socket', async () => {
    const { s, peer: client, close } = await pair();
    setWskFaults({ pending: true, seed: 1 });
    const order: number[] = [];
    const ops = [0, 1, 2].map(() => newOp());
    const data = [Buffer.from('one;'), Buffer.from('two;'), Buffer.from('three;')];
    ops.forEach((op, i) => {
      op.done.then(() => order.push(i));
      expectStatus(conn(s).WskSend(s, wskBuf(data[i]), 0, op.irp), STATUS_PENDING);
      expect(op.completions).toBe(0);
    });
    const irps = await Promise.all(ops.map((op) => op.done));
    irps.forEach((irp, i) => {
      expect(irp.PendingReturned).toBe(true);
      expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
      expect(irp.IoStatus.Information).toBe(data[i].length);
      expect(ops[i].completions).toBe(1);
    });
    expect(order).toEqual([0, 1, 2]);
    expect((await readBytes(client, 14)).toString()).toBe('one;two;three;');
    expect(wskFaults()!.counts.pending).toBeGreaterThanOrEqual(3);
    setWskFaults(null);
    await close();
  });
});

test('pending: a WskReceiveFrom with a datagram already there returns STATUS_PENDING with its buffer untouched, then gets it', async () => {
  const p = register();
  const { s, port } = await udpSocket(p, 4);
  const sender = await peer(4);
  await sender.send(Buffer.from('already here'), port);
  await new Promise((r) => setTimeout(r, 20));
  setWskFaults({ pending: true, seed: 9 });
  const room = new Uint8Array(32);
  const op = newOp();
  expectStatus(dg(s).WskReceiveFrom(s, dgBuf(room), 0, null, null, null, null, op.irp), STATUS_PENDING);
  expect(room.every((b) => b === 0)).toBe(true);
  const irp = await op.done;
  expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
  expect(Buffer.from(room.subarray(0, irp.IoStatus.Information as number)).toString()).toBe('already here');
  setWskFaults(null);
  await sender.close();
  await wskClose(s);
  await unregister(p);
});

describe('partial', () => {
  test('WskReceive completes with part of what is there; the parts make up the bytes sent, in order', async () => {
    const { s, peer: client, close } = await pair();
    setWskFaults({ partial: true, seed: 3 });
    const sent = randomBytes(4000, 9);
    client.write(sent);
    const got: Buffer[] = [];
    let total = 0;
    let short = 0;
    for (let i = 0; i < 4000 && total < sent.length; i++) {
      const buf = new Uint8Array(2000);
      const irp = await call((irp) => conn(s).WskReceive(s, wskBuf(buf), 0, irp));
      expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
      const n = irp.IoStatus.Information as number;
      expect(n).toBeGreaterThanOrEqual(1);
      if (n < Math.min(2000, sent.length - total)) short++;
      got.push(Buffer.from(buf.subarray(0, n)));
      total += n;
    }
    expect(Buffer.concat(got)).toEqual(Buffer.from(sent));
    expect(short).toBeGreaterThan(0);
    expect(wskFaults()!.counts.partial).toBeGreaterThan(0);
    setWskFaults(null);
    await close();
  });

  test('receive indications come split, over several callbacks and as chains of several elements, BytesIndicated consistent', async () => {
    const got: Buffer[] = [];
    let callbacks = 0;
    let chains = 0;
    const dispatch: WSK_CLIENT_CONNECTION_DISPATCH = {
      WskReceiveEvent: (_c, _f, d: PWSK_DATA_INDICATION | null, indicated) => {
        if (d === null) return STATUS_SUCCESS;
        callbacks++;
        let sum = 0;
        let elems = 0;
        for (let e: PWSK_DATA_INDICATION | null = d; e; e = e.Next) {
          got.push(bytesOf(e.Buffer));
          sum += e.Buffer.Length;
          elems++;
        }
        if (elems > 1) chains++;
        expect(sum).toBe(indicated);
        return STATUS_SUCCESS;
      },
      WskDisconnectEvent: null,
      WskSendBacklogEvent: null,
    };
    const { s, peer: client, close } = await pair(dispatch);
    setWskFaults({ partial: true, seed: 11 });
    const ctl = { NpiId: NPI_WSK_INTERFACE_ID, EventMask: WSK_EVENT_RECEIVE };
    expectStatus(s.Dispatch.WskControlSocket(s, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, ctl, 0, null, null, null), STATUS_SUCCESS);
    const sent = Buffer.from(randomBytes(30000, 5));
    for (let i = 0; i < 10; i++) {
      client.write(sent.subarray(i * 3000, (i + 1) * 3000));
      await until(() => got.reduce((n, b) => n + b.length, 0) >= (i + 1) * 3000, `message ${i}`);
    }
    expect(Buffer.concat(got)).toEqual(sent);
    expect(callbacks).toBeGreaterThan(10);
    expect(chains).toBeGreaterThan(0);
    setWskFaults(null);
    await close();
  });

  test('a burst of datagrams arrives over several callbacks, each datagram whole, none lost or reordered', async () => {
    const p = register();
    const got: string[] = [];
    let callbacks = 0;
    const dispatch: WSK_CLIENT_DATAGRAM_DISPATCH = {
      WskReceiveFromEvent: (_c, _f, d: PWSK_DATAGRAM_INDICATION | null) => {
        callbacks++;
        for (let e = d; e; e = e.Next) got.push(bytesOf(e.Buffer).toString());
        return STATUS_SUCCESS;
      },
    };
    const { s, port } = await udpSocket(p, 4, null, dispatch);
    const sender = await peer(4);
    setWskFaults({ partial: true, seed: 21 });
    expectStatus(enableReceiveFrom(s), STATUS_SUCCESS);
    const msgs = Array.from({ length: 40 }, (_, i) => `datagram-${i}-${'x'.repeat(i * 7)}`);
    for (const m of msgs) await sender.send(Buffer.from(m), port);
    await until(() => got.length >= msgs.length, 'the datagrams');
    expect(got).toEqual(msgs);
    expect(callbacks).toBeGreaterThan(1);
    setWskFaults(null);
    await sender.close();
    await wskClose(s);
    await unregister(p);
  });
});

describe('lowres', () => {
  test('IoAllocateIrp and IoAllocateMdl return null; WskSocket and WskSend fail STATUS_INSUFFICIENT_RESOURCES', async () => {
    const { p, s, close } = await pair();
    // IRPs for the calls are allocated before the pool "runs out".
    const ops = [newOp(), newOp()];
    setWskFaults({ lowres: 1, seed: 2 });
    expect(IoAllocateIrp(1, false)).toBeNull();
    expect(IoAllocateMdl(new Uint8Array(8), 8, false, false, null)).toBeNull();
    p.npi.Dispatch.WskSocket(p.npi.Client, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_CONNECTION_SOCKET, null, null, null, null, null, ops[0].irp);
    expectStatus((await ops[0].done).IoStatus.Status, STATUS_INSUFFICIENT_RESOURCES);
    conn(s).WskSend(s, { Mdl: null, Offset: 0, Length: 0 }, 0, ops[1].irp);
    expectStatus((await ops[1].done).IoStatus.Status, STATUS_INSUFFICIENT_RESOURCES);
    expect(wskFaults()!.counts.lowres).toBe(4);
    setWskFaults(null);
    await close();
  });

  test('node-wsk/promises wskBuf: no MDL to be had is an NtStatusError STATUS_INSUFFICIENT_RESOURCES, not a verifier error', () => {
    // Found by the examples' campaign: echo-server died of MmBuildMdlForNonPagedPool(null).
    setWskFaults({ lowres: 1, seed: 3 });
    expect(() => promisesWskBuf(new Uint8Array(4))).toThrow(NtStatusError);
    expect(() => promisesWskBuf(new Uint8Array(4))).toThrow(expect.objectContaining({ code: 'STATUS_INSUFFICIENT_RESOURCES' }));
  });
});

describe('reset', () => {
  test('a send resets the connection for real: STATUS_CONNECTION_RESET here, a TCP RST at the peer', async () => {
    const { s, peer: client, close } = await pair();
    const peerError = new Promise<NodeJS.ErrnoException>((r) => client.once('error', r));
    setWskFaults({ reset: 1, seed: 4 });
    const irp = await call((irp) => conn(s).WskSend(s, wskBuf(Buffer.from('hello')), 0, irp));
    expectStatus(irp.IoStatus.Status, STATUS_CONNECTION_RESET);
    client.resume();
    expect((await peerError).code).toBe('ECONNRESET');
    expect(wskFaults()!.counts.reset).toBe(1);
    setWskFaults(null);
    await close();
  });
});

test('reset from a receive: STATUS_CONNECTION_RESET, and WskDisconnectEvent with WSK_FLAG_ABORTIVE', async () => {
  const flags: number[] = [];
  const dispatch: WSK_CLIENT_CONNECTION_DISPATCH = {
    WskReceiveEvent: null,
    WskDisconnectEvent: (_c, f) => {
      flags.push(f);
      return STATUS_SUCCESS;
    },
    WskSendBacklogEvent: null,
  };
  const { s, peer: client, close } = await pair(dispatch);
  client.on('error', () => {});
  const ctl = { NpiId: NPI_WSK_INTERFACE_ID, EventMask: WSK_EVENT_DISCONNECT };
  expectStatus(s.Dispatch.WskControlSocket(s, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, ctl, 0, null, null, null), STATUS_SUCCESS);
  setWskFaults({ reset: 1, seed: 6 });
  const irp = await call((irp) => conn(s).WskReceive(s, wskBuf(new Uint8Array(16)), 0, irp));
  expectStatus(irp.IoStatus.Status, STATUS_CONNECTION_RESET);
  await until(() => flags.length > 0, 'the disconnect event');
  expect(flags).toEqual([WSK_FLAG_ABORTIVE]);
  setWskFaults(null);
  await close();
});

describe('delay and reorder', () => {
  test('delay: completions from the loop wait, each still completes once', async () => {
    setWskFaults({ pending: true, delay: 5, seed: 8 });
    const { s, peer: client, close } = await pair();
    const irp = await call((irp) => conn(s).WskSend(s, wskBuf(Buffer.from('late')), 0, irp));
    expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
    expect((await readBytes(client, 4)).toString()).toBe('late');
    expect(wskFaults()!.counts.delay).toBeGreaterThan(0);
    setWskFaults(null);
    await close();
  });

  test('reorder: completions of different sockets due in the same turn run in another order, those of one socket in theirs', async () => {
    const a = await pair();
    const b = await pair();
    let reordered = false;
    for (let seed = 0; seed < 20 && !reordered; seed++) {
      setWskFaults({ pending: true, reorder: true, seed });
      const order: string[] = [];
      const ops: Promise<unknown>[] = [];
      for (let i = 0; i < 3; i++) {
        for (const [name, x] of [['a', a], ['b', b]] as const) {
          const op = newOp();
          ops.push(op.done.then(() => order.push(`${name}${i}`)));
          conn(x.s).WskSend(x.s, wskBuf(Buffer.from('.')), 0, op.irp);
        }
      }
      await Promise.all(ops);
      for (const name of ['a', 'b']) expect(order.filter((o) => o[0] === name)).toEqual([`${name}0`, `${name}1`, `${name}2`]);
      reordered = order.join() !== 'a0,b0,a1,b1,a2,b2';
      if (reordered) expect(wskFaults()!.counts.reorder).toBeGreaterThan(0);
    }
    expect(reordered).toBe(true);
    setWskFaults(null);
    await a.close();
    await b.close();
  });
});
