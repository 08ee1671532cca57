// node-wsk/promises: IRP calls as promises (a copy of IoStatus, the synchronous return checked,
// AbortSignal -> IoCancelIrp, the IRP pool) and NTSTATUS failures as NtStatusError, on real
// loopback sockets.
import {
  IRP,
  PWSK_SOCKET,
  STATUS_CANCELLED,
  STATUS_CONNECTION_REFUSED,
  STATUS_CONNECTION_RESET,
  STATUS_INVALID_PARAMETER,
  STATUS_SUCCESS,
  WSK_BUF,
} from '../lib';
import { IrpPool, NtStatusError, WskClient, registerClient, wskBuf, wskCall } from '../lib/promises';
import { conn, listenTable, netConnect, netPeer, pattern, readToEnd, turn, wskAccept, wskClose, wskConnect, wskListen } from './promises-helpers';

let client: WskClient;
beforeAll(() => {
  client = registerClient();
});
afterAll(() => client.close());

/** A WSK connection to a node:net peer. */
async function connected(): Promise<{ s: PWSK_SOCKET; peer: import('net').Socket; close: () => Promise<void> }> {
  const server = await netPeer('127.0.0.1');
  const s = await wskConnect(client.Npi, '127.0.0.1', server.port);
  return { s, peer: await server.peer, close: server.close };
}

describe('wskCall / IrpPool.call', () => {
  test('resolves a copy of IoStatus: reusing the IRP for the next call leaves the first result as it was', async () => {
    const { s, peer, close } = await connected();
    const pool = new IrpPool();
    const irps = new Set<IRP>();
    const send = (bytes: Buffer) => pool.call((Irp) => (irps.add(Irp), conn(s).WskSend(s, wskBuf(bytes), 0, Irp)));
    const first = await send(Buffer.from('hello'));
    const second = await send(Buffer.from('WSK world'));
    expect(irps.size).toBe(1); // the same IRP, reused with IoReuseIrp (which zeroes IoStatus in place)
    expect(first).toEqual({ Status: STATUS_SUCCESS, Information: 5 });
    expect(second).toEqual({ Status: STATUS_SUCCESS, Information: 9 });
    const received = readToEnd(peer);
    await wskCall((Irp) => conn(s).WskDisconnect(s, null, 0, Irp));
    expect((await received).toString()).toBe('helloWSK world');
    await wskClose(s);
    pool.close();
    await close();
  });

  test('a call that returns a failure without taking the IRP rejects with that status; the IRP goes back to the pool', async () => {
    const { s, close } = await connected();
    const pool = new IrpPool();
    const bad = pool.call(() => conn(s).WskSend(s, wskBuf(Buffer.from('x')), 0, null as unknown as IRP));
    await expect(bad).rejects.toMatchObject({ name: 'NtStatusError', code: 'STATUS_INVALID_PARAMETER', status: STATUS_INVALID_PARAMETER });
    expect({ allocated: pool.allocated, idle: pool.idle }).toEqual({ allocated: 1, idle: 1 });
    await wskClose(s);
    await close();
  });

  test('a call that throws a WskVerifierError rejects with it; the next call through the pool works', async () => {
    const { s, peer, close } = await connected();
    const pool = new IrpPool();
    const outside: WSK_BUF = { ...wskBuf(new Uint8Array(4)), Length: 8 }; // past the end of its MDL
    await expect(pool.call((Irp) => conn(s).WskSend(s, outside, 0, Irp))).rejects.toMatchObject({ name: 'WskVerifierError', code: 'MDL_RANGE' });
    const ok = await pool.call((Irp) => conn(s).WskSend(s, wskBuf(Buffer.from('after')), 0, Irp));
    expect(ok.Information).toBe(5);
    // Every IRP the pool kept is idle and reusable (an IRP the provider still held would not be kept).
    expect(pool.idle).toBe(pool.allocated);
    const received = readToEnd(peer);
    await wskCall((Irp) => conn(s).WskDisconnect(s, null, 0, Irp));
    expect((await received).toString()).toBe('after');
    await wskClose(s);
    await close();
  });

  test('a start function that returns no NTSTATUS and takes no IRP rejects with a TypeError', async () => {
    await expect(wskCall((() => undefined) as unknown as () => number)).rejects.toBeInstanceOf(TypeError);
  });

  test('failures are NtStatusError with the status name as code: a refused connect', async () => {
    const { listener, port } = await wskListen(client.Npi, '127.0.0.1');
    await wskClose(listener); // nothing listens on `port` now
    const error = await wskConnect(client.Npi, '127.0.0.1', port).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NtStatusError);
    expect(error).toMatchObject({ code: 'STATUS_CONNECTION_REFUSED', status: STATUS_CONNECTION_REFUSED, information: 0 });
    expect((error as Error).message).toBe('STATUS_CONNECTION_REFUSED (0xC0000236)');
  });

  test('a pending receive whose peer resets rejects STATUS_CONNECTION_RESET', async () => {
    const { s, peer, close } = await connected();
    const receiving = wskCall((Irp) => conn(s).WskReceive(s, wskBuf(new Uint8Array(16)), 0, Irp));
    await turn();
    peer.resetAndDestroy();
    await expect(receiving).rejects.toMatchObject({ code: 'STATUS_CONNECTION_RESET', status: STATUS_CONNECTION_RESET });
    await wskClose(s);
    await close();
  });
});

describe('AbortSignal', () => {
  test('aborting cancels the pending IRP (IoCancelIrp): STATUS_CANCELLED with the reason as cause; the socket still receives', async () => {
    const { s, peer, close } = await connected();
    const pool = new IrpPool();
    const controller = new AbortController();
    const buf = new Uint8Array(16);
    const receiving = pool.call((Irp) => conn(s).WskReceive(s, wskBuf(buf), 0, Irp), { signal: controller.signal });
    await turn();
    const reason = new Error('no longer wanted');
    controller.abort(reason);
    const error = await receiving.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NtStatusError);
    expect(error).toMatchObject({ code: 'STATUS_CANCELLED', status: STATUS_CANCELLED, information: 0, cause: reason });
    expect({ allocated: pool.allocated, idle: pool.idle }).toEqual({ allocated: 1, idle: 1 }); // completed once, back in the pool
    peer.write('still here');
    const io = await pool.call((Irp) => conn(s).WskReceive(s, wskBuf(buf), 0, Irp));
    expect(Buffer.from(buf.subarray(0, io.Information as number)).toString()).toBe('still here');
    await wskClose(s);
    await close();
  });

  test('an already aborted signal starts no call', async () => {
    const controller = new AbortController();
    controller.abort('stop');
    let started = false;
    const error = await wskCall(() => ((started = true), STATUS_SUCCESS), { signal: controller.signal }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'NtStatusError', code: 'STATUS_CANCELLED', cause: 'stop' });
    expect(started).toBe(false);
  });

  test('an abort after the IRP completed changes nothing: the data is not lost', async () => {
    const { s, peer, close } = await connected();
    const controller = new AbortController();
    const buf = new Uint8Array(16);
    const receiving = wskCall((Irp) => conn(s).WskReceive(s, wskBuf(buf), 0, Irp), { signal: controller.signal });
    peer.write('raced');
    const io = await receiving;
    controller.abort();
    expect(Buffer.from(buf.subarray(0, io.Information as number)).toString()).toBe('raced');
    await wskClose(s);
    await close();
  });

  test('closing the socket cancels a pending call: STATUS_CANCELLED without a cause', async () => {
    const { s, close } = await connected();
    const receiving = wskCall((Irp) => conn(s).WskReceive(s, wskBuf(new Uint8Array(4)), 0, Irp));
    await wskClose(s);
    const error = await receiving.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'STATUS_CANCELLED' });
    expect((error as Error).cause).toBeUndefined();
    await close();
  });
});

describe('IrpPool', () => {
  test('sequential calls reuse one IRP; concurrent calls take one each; idle IRPs past max are freed', async () => {
    const { listener, port } = await wskListen(client.Npi, '127.0.0.1');
    const pool = new IrpPool({ max: 2 });
    const irps = new Set<IRP>();
    const accepts = Array.from({ length: 5 }, () => pool.call((Irp) => (irps.add(Irp), listenTable(listener).WskAccept(listener, 0, null, null, null, null, Irp))));
    expect({ irps: irps.size, allocated: pool.allocated, idle: pool.idle }).toEqual({ irps: 5, allocated: 5, idle: 0 });
    const peers = await Promise.all(Array.from({ length: 5 }, () => wskConnect(client.Npi, '127.0.0.1', port)));
    const accepted = (await Promise.all(accepts)).map((io) => io.Information as PWSK_SOCKET);
    expect({ allocated: pool.allocated, idle: pool.idle }).toEqual({ allocated: 2, idle: 2 });
    irps.clear();
    for (const s of accepted) await pool.call((Irp) => (irps.add(Irp), s.Dispatch.WskCloseSocket(s, Irp)));
    expect(irps.size).toBe(1);
    pool.close();
    expect({ allocated: pool.allocated, idle: pool.idle }).toEqual({ allocated: 0, idle: 0 });
    await expect(pool.call(() => STATUS_SUCCESS)).rejects.toThrow('closed');
    for (const s of [...peers, listener]) await wskClose(s);
  });

  test('10,000 sends through the shared pool: every byte arrives in order', async () => {
    const { s, peer, close } = await connected();
    const data = pattern(10_000 * 7, 3);
    const received = readToEnd(peer);
    for (let i = 0; i < 10_000; i++) {
      const io = await wskCall((Irp) => conn(s).WskSend(s, wskBuf(data.subarray(i * 7, i * 7 + 7)), 0, Irp));
      if (io.Information !== 7) throw new Error(`send ${i} sent ${String(io.Information)} bytes`);
    }
    await wskCall((Irp) => conn(s).WskDisconnect(s, null, 0, Irp));
    expect((await received).equals(data)).toBe(true);
    await wskClose(s);
    await close();
  });
});

test('an accepted connection echoes through wskCall', async () => {
  const { listener, port } = await wskListen(client.Npi, '::1');
  const accepting = wskAccept(listener);
  const peer = await netConnect('::1', port);
  const s = await accepting;
  const buf = new Uint8Array(64);
  peer.write('ping over IPv6');
  const io = await wskCall((Irp) => conn(s).WskReceive(s, wskBuf(buf), 0, Irp));
  const back = readToEnd(peer);
  await wskCall((Irp) => conn(s).WskSend(s, wskBuf(buf.subarray(0, io.Information as number)), 0, Irp));
  await wskCall((Irp) => conn(s).WskDisconnect(s, null, 0, Irp));
  peer.end();
  expect((await back).toString()).toBe('ping over IPv6');
  await wskClose(s);
  await wskClose(listener);
});
