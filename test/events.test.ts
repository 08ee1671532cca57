// Event callbacks on listening and connection sockets: accept, receive (with retention and real
// TCP back-pressure), disconnect, send backlog; enabling, disabling, inheritance, static events,
// conditional accept.
import * as net from 'net';
import {

  NPI_WSK_INTERFACE_ID,
  NTSTATUS,
  PSOCKADDR,
  PWSK_DATA_INDICATION,
  SIO_WSK_QUERY_IDEAL_SEND_BACKLOG,
  SO_CONDITIONAL_ACCEPT,
  SO_WSK_EVENT_CALLBACK,
  SO_RCVBUF,
  SOL_SOCKET,
  STATUS_DATA_NOT_ACCEPTED,
  STATUS_EVENT_PENDING,
  STATUS_INVALID_DEVICE_STATE,
  STATUS_INVALID_PARAMETER,
  STATUS_PENDING,
  STATUS_REQUEST_NOT_ACCEPTED,
  STATUS_SUCCESS,
  WSK_CLIENT_CONNECTION_DISPATCH,
  WSK_CLIENT_LISTEN_DISPATCH,
  WSK_EVENT_ACCEPT,
  WSK_EVENT_CALLBACK_CONTROL,
  WSK_EVENT_DISABLE,
  WSK_EVENT_DISCONNECT,
  WSK_EVENT_RECEIVE,
  WSK_EVENT_SEND_BACKLOG,
  WSK_FLAG_ABORTIVE,
  WSK_FLAG_LISTEN_SOCKET,
  WSK_FLAG_WAITALL,
  WSK_INSPECT_ID,
  WSK_PROVIDER_LISTEN_DISPATCH,
  WSK_SOCKET,
  WskInspectAccept,
  WskInspectPend,
  WskInspectReject,
  WskIoctl,
  WskSetOption,
  WskVerifierError,
  MmGetSystemAddressForMdlSafe,
  NormalPagePriority,
  AF_INET,
  SOCK_STREAM,
  IPPROTO_TCP,
  sockaddrPort,
  IoAllocateIrp,
  IoFreeIrp,
  IoSetCompletionRoutine,
  STATUS_MORE_PROCESSING_REQUIRED,
  SOCKADDR_STORAGE,
} from '../lib';
import type { ClientState } from '../lib/wsk/client';
import { call, expectStatus, netClosed, netConnect, newOp, Provider, register, tick, unregister, wskClose, wskSocket } from './helpers';
import { conn, randomBytes, sockaddr, wskBuf, wskConnect, netServer } from './conn-helpers';

const listenTable = (s: WSK_SOCKET) => s.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;

function eventControl(s: WSK_SOCKET, mask: number, withIrp = false): Promise<NTSTATUS> | NTSTATUS {
  const ctl: WSK_EVENT_CALLBACK_CONTROL = { NpiId: NPI_WSK_INTERFACE_ID, EventMask: mask };
  if (!withIrp) return s.Dispatch.WskControlSocket(s, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, ctl, 0, null, null, null);
  return call((irp) => s.Dispatch.WskControlSocket(s, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, ctl, 0, null, null, irp)).then(
    (irp) => irp.IoStatus.Status,
  );
}

/** A listener on 127.0.0.1:0 with the given client listen dispatch. */
async function listener(p: Provider, dispatch: WSK_CLIENT_LISTEN_DISPATCH | null, context: unknown = null, before?: (s: WSK_SOCKET) => Promise<void>) {
  const s = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET, context, dispatch);
  if (before) await before(s);
  expectStatus((await call((irp) => listenTable(s).WskBind(s, sockaddr('127.0.0.1', 0), 0, irp))).IoStatus.Status, STATUS_SUCCESS);
  const local = {};
  await call((irp) => listenTable(s).WskGetLocalAddress(s, local, irp));
  return { socket: s, port: sockaddrPort(local as PSOCKADDR) };
}

/** A node:net connection that may be reset before or after it connects; resolves at its close. */
function connectUntilClosed(port: number): Promise<{ error?: NodeJS.ErrnoException }> {
  return new Promise((resolve) => {
    let error: NodeJS.ErrnoException | undefined;
    const c = net.connect(port, '127.0.0.1');
    c.on('error', (e) => (error = e));
    c.on('data', () => {});
    c.on('close', () => resolve({ error }));
  });
}

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

/** The bytes a WSK_DATA_INDICATION chain holds. */
function chainBytes(d: PWSK_DATA_INDICATION | null): Buffer {
  const parts: Buffer[] = [];
  for (let e = d; e; e = e.Next) {
    const view = MmGetSystemAddressForMdlSafe(e.Buffer.Mdl!, NormalPagePriority)!;
    parts.push(Buffer.from(view.subarray(e.Buffer.Offset, e.Buffer.Offset + e.Buffer.Length)));
  }
  return Buffer.concat(parts);
}

describe('accept events', () => {
  test('WskAcceptEvent delivers a connection; the socket takes the context and dispatch it returns', async () => {
    const p = register();
    const accepted: WSK_SOCKET[] = [];
    const ctx = { accepted: 'ctx' };
    const received: Buffer[] = [];
    const connDispatch: WSK_CLIENT_CONNECTION_DISPATCH = {
      WskReceiveEvent: (c, _f, d, n) => {
        expect(c).toBe(ctx);
        received.push(chainBytes(d));
        expect(received[received.length - 1].length).toBe(n);
        return STATUS_SUCCESS;
      },
      WskDisconnectEvent: null,
      WskSendBacklogEvent: null,
    };
    const { socket, port } = await listener(p, {
      WskAcceptEvent: (_ctx, _flags, local, remote, s, outCtx, outDispatch) => {
        expect(sockaddrPort(local!)).toBe(port);
        expect(sockaddrPort(remote!)).toBeGreaterThan(0);
        accepted.push(s!);
        outCtx[0] = ctx;
        outDispatch[0] = connDispatch;
        return STATUS_SUCCESS;
      },
      WskInspectEvent: null,
      WskAbortEvent: null,
    });
    expectStatus(await eventControl(socket, WSK_EVENT_ACCEPT | WSK_EVENT_RECEIVE), STATUS_SUCCESS);
    const client = await netConnect('127.0.0.1', port);
    client.write('inherited');
    await until(() => received.join('') === 'inherited', 'the inherited receive event');
    expect(accepted.length).toBe(1);
    const closed = netClosed(client);
    await wskClose(accepted[0]);
    await closed;
    await wskClose(socket);
    await unregister(p);
  });

  test('STATUS_REQUEST_NOT_ACCEPTED closes the new socket; the peer sees the connection end', async () => {
    const p = register();
    let calls = 0;
    const { socket, port } = await listener(p, {
      WskAcceptEvent: () => {
        calls++;
        return STATUS_REQUEST_NOT_ACCEPTED;
      },
      WskInspectEvent: null,
      WskAbortEvent: null,
    });
    expectStatus(await eventControl(socket, WSK_EVENT_ACCEPT), STATUS_SUCCESS);
    const closed = await connectUntilClosed(port);
    expect(calls).toBe(1);
    expect(closed.error?.code).toBe('ECONNRESET');
    expect((p.npi.Client as unknown as ClientState).sockets.size).toBe(1); // only the listener
    await wskClose(socket);
    await unregister(p);
  });

  test('a pending WskAccept takes precedence over WskAcceptEvent; sockets from it inherit nothing', async () => {
    const p = register();
    let events = 0;
    const { socket, port } = await listener(p, {
      WskAcceptEvent: () => {
        events++;
        return STATUS_REQUEST_NOT_ACCEPTED;
      },
      WskInspectEvent: null,
      WskAbortEvent: null,
    });
    expectStatus(await eventControl(socket, WSK_EVENT_ACCEPT | WSK_EVENT_RECEIVE), STATUS_SUCCESS);
    let indications = 0;
    const d: WSK_CLIENT_CONNECTION_DISPATCH = { WskReceiveEvent: () => (indications++, STATUS_SUCCESS), WskDisconnectEvent: null, WskSendBacklogEvent: null };
    const op = newOp();
    expectStatus(listenTable(socket).WskAccept(socket, 0, null, d, null, null, op.irp), STATUS_PENDING);
    const client = await netConnect('127.0.0.1', port);
    const a = (await op.done).IoStatus.Information as WSK_SOCKET;
    client.write('x');
    const mem = new Uint8Array(1);
    const r = await call((i) => conn(a).WskReceive(a, wskBuf(mem), 0, i));
    expect(r.IoStatus.Information).toBe(1);
    expect(events).toBe(0);
    expect(indications).toBe(0);
    const closed = netClosed(client);
    await wskClose(a);
    await closed;
    await wskClose(socket);
    await unregister(p);
  });

  test('enabling with an IRP (win-net-test, windrbd) completes it STATUS_SUCCESS inline, and the event then runs', async () => {
    const p = register();
    let accepted = 0;
    const dispatch: WSK_CLIENT_LISTEN_DISPATCH = { WskAcceptEvent: () => (accepted++, STATUS_REQUEST_NOT_ACCEPTED), WskInspectEvent: null, WskAbortEvent: null };
    const s = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET, null, dispatch);
    await call((irp) => listenTable(s).WskBind(s, sockaddr('127.0.0.1', 0), 0, irp));
    const irp = IoAllocateIrp(1, false)!;
    let routineRan = false;
    IoSetCompletionRoutine(irp, () => ((routineRan = true), STATUS_MORE_PROCESSING_REQUIRED), null, true, true, true);
    const ctl: WSK_EVENT_CALLBACK_CONTROL = { NpiId: NPI_WSK_INTERFACE_ID, EventMask: WSK_EVENT_ACCEPT };
    expectStatus(s.Dispatch.WskControlSocket(s, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, ctl, 0, null, null, irp), STATUS_SUCCESS);
    expect([routineRan, irp.PendingReturned, irp.IoStatus.Status]).toEqual([true, false, STATUS_SUCCESS]);
    IoFreeIrp(irp);
    const addr: SOCKADDR_STORAGE = {};
    await call((i) => listenTable(s).WskGetLocalAddress(s, addr, i));
    const closed = await connectUntilClosed(sockaddrPort(addr));
    expect(closed.error?.code).toBe('ECONNRESET');
    expect(accepted).toBe(1);
    await wskClose(s);
    await unregister(p);
  });

  test('enable rules: after bind; connection events cannot be disabled on a listener', async () => {
    const p = register();
    const dispatch: WSK_CLIENT_LISTEN_DISPATCH = { WskAcceptEvent: () => STATUS_REQUEST_NOT_ACCEPTED, WskInspectEvent: null, WskAbortEvent: null };
    const s = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET, null, dispatch);
    expectStatus(await eventControl(s, WSK_EVENT_ACCEPT), STATUS_INVALID_DEVICE_STATE);
    await call((irp) => listenTable(s).WskBind(s, sockaddr('127.0.0.1', 0), 0, irp));
    expectStatus(await eventControl(s, WSK_EVENT_ACCEPT | WSK_EVENT_DISCONNECT), STATUS_SUCCESS);
    expectStatus(await eventControl(s, WSK_EVENT_DISCONNECT | WSK_EVENT_DISABLE), STATUS_INVALID_PARAMETER);
    expectStatus(await eventControl(s, WSK_EVENT_ACCEPT | WSK_EVENT_DISABLE, true), STATUS_SUCCESS);
    expectStatus(await eventControl(s, WSK_EVENT_ACCEPT | WSK_EVENT_RECEIVE | WSK_EVENT_DISABLE), STATUS_INVALID_PARAMETER);
    await wskClose(s);
    await unregister(p);
  });

  test('static events (WSK_SET_STATIC_EVENT_CALLBACKS) are on from creation and cannot be disabled', async () => {
    const p = register();
    (p.npi.Client as unknown as ClientState).staticEventMask = WSK_EVENT_ACCEPT;
    let accepted: WSK_SOCKET | null = null;
    const { socket, port } = await listener(p, {
      WskAcceptEvent: (_c, _f, _l, _r, s) => ((accepted = s), STATUS_SUCCESS),
      WskInspectEvent: null,
      WskAbortEvent: null,
    });
    const client = await netConnect('127.0.0.1', port);
    await until(() => accepted !== null, 'the static accept event');
    expectStatus(await eventControl(socket, WSK_EVENT_ACCEPT | WSK_EVENT_DISABLE), STATUS_INVALID_PARAMETER);
    const closed = netClosed(client);
    await wskClose(accepted!);
    await closed;
    await wskClose(socket);
    await unregister(p);
  });

  test('disabling the accept event from inside its callback: STATUS_EVENT_PENDING', async () => {
    const p = register();
    let result: NTSTATUS = 0;
    let listen!: WSK_SOCKET;
    const { socket, port } = await listener(p, {
      WskAcceptEvent: () => {
        result = eventControl(listen, WSK_EVENT_ACCEPT | WSK_EVENT_DISABLE) as NTSTATUS;
        return STATUS_REQUEST_NOT_ACCEPTED;
      },
      WskInspectEvent: null,
      WskAbortEvent: null,
    });
    listen = socket;
    expectStatus(await eventControl(socket, WSK_EVENT_ACCEPT), STATUS_SUCCESS);
    await connectUntilClosed(port);
    expectStatus(result, STATUS_EVENT_PENDING);
    await wskClose(socket);
    await unregister(p);
  });
});

describe('conditional accept', () => {
  async function conditionalListener(p: Provider, dispatch: WSK_CLIENT_LISTEN_DISPATCH) {
    return listener(p, dispatch, null, async (s) => {
      const one = new Uint8Array(new Uint32Array([1]).buffer);
      const irp = await call((i) => s.Dispatch.WskControlSocket(s, WskSetOption, SO_CONDITIONAL_ACCEPT, SOL_SOCKET, 4, one, 0, null, null, i));
      expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
    });
  }

  test('WskInspectEvent accepts, then the connection is delivered and carries its inspect ID', async () => {
    const p = register();
    const ids: WSK_INSPECT_ID[] = [];
    let accepted: WSK_SOCKET | null = null;
    const { socket, port } = await conditionalListener(p, {
      WskAcceptEvent: (_c, _f, _l, _r, s) => ((accepted = s), STATUS_SUCCESS),
      WskInspectEvent: (_c, _l, _r, id) => (ids.push({ ...id! }), WskInspectAccept),
      WskAbortEvent: null,
    });
    expectStatus(await eventControl(socket, WSK_EVENT_ACCEPT), STATUS_SUCCESS);
    const client = await netConnect('127.0.0.1', port);
    await until(() => accepted !== null, 'delivery after inspection');
    expect(ids.length).toBe(1);
    const id = { Key: 0, SerialNumber: 0 };
    const a = accepted!;
    expectStatus(a.Dispatch.WskControlSocket(a, WskIoctl, 0x4f000005, 0, 0, null, 16, id, null, null), STATUS_SUCCESS);
    expect(id).toEqual(ids[0]);
    const closed = netClosed(client);
    await wskClose(a);
    await closed;
    await wskClose(socket);
    await unregister(p);
  });

  test('WskInspectReject drops the connection; WskInspectPend waits for WskInspectComplete', async () => {
    const p = register();
    let n = 0;
    let held: WSK_INSPECT_ID | null = null;
    let accepted: WSK_SOCKET | null = null;
    const { socket, port } = await conditionalListener(p, {
      WskAcceptEvent: (_c, _f, _l, _r, s) => ((accepted = s), STATUS_SUCCESS),
      WskInspectEvent: (_c, _l, _r, id) => {
        if (n++ === 0) return WskInspectReject;
        held = { ...id! };
        return WskInspectPend;
      },
      WskAbortEvent: null,
    });
    expectStatus(await eventControl(socket, WSK_EVENT_ACCEPT), STATUS_SUCCESS);
    expect((await connectUntilClosed(port)).error?.code).toBe('ECONNRESET');
    const client = await netConnect('127.0.0.1', port);
    await until(() => held !== null, 'the pended inspection');
    await tick();
    expect(accepted).toBeNull();
    const done = await call((i) => listenTable(socket).WskInspectComplete(socket, held!, WskInspectAccept, i));
    expectStatus(done.IoStatus.Status, STATUS_SUCCESS);
    await until(() => accepted !== null, 'delivery after WskInspectComplete');
    const closed = netClosed(client);
    await wskClose(accepted!);
    await closed;
    await wskClose(socket);
    await unregister(p);
  });
});

describe('conditional accept: abort', () => {
  test('a held connection that the peer resets gives WskAbortEvent with its inspect ID', async () => {
    const p = register();
    let held: WSK_INSPECT_ID | null = null;
    const aborted: WSK_INSPECT_ID[] = [];
    const { socket, port } = await listener(
      p,
      {
        WskAcceptEvent: () => STATUS_REQUEST_NOT_ACCEPTED,
        WskInspectEvent: (_c, _l, _r, id) => ((held = { ...id! }), WskInspectPend),
        WskAbortEvent: (_c, id) => (aborted.push({ ...id }), STATUS_SUCCESS),
      },
      null,
      async (s) => {
        const one = new Uint8Array(new Uint32Array([1]).buffer);
        await call((i) => s.Dispatch.WskControlSocket(s, WskSetOption, SO_CONDITIONAL_ACCEPT, SOL_SOCKET, 4, one, 0, null, null, i));
      },
    );
    const client = await netConnect('127.0.0.1', port);
    await until(() => held !== null, 'the pended inspection');
    const gone = netClosed(client);
    client.resetAndDestroy();
    await gone;
    await until(() => aborted.length === 1, 'the abort event');
    expect(aborted[0]).toEqual(held);
    const late = await call((i) => listenTable(socket).WskInspectComplete(socket, held!, WskInspectAccept, i));
    expectStatus(late.IoStatus.Status, STATUS_INVALID_PARAMETER);
    await wskClose(socket);
    await unregister(p);
  });
});

describe('receive events', () => {
  function connDispatch(onReceive: WSK_CLIENT_CONNECTION_DISPATCH['WskReceiveEvent'], onDisconnect: WSK_CLIENT_CONNECTION_DISPATCH['WskDisconnectEvent'] = null, onBacklog: WSK_CLIENT_CONNECTION_DISPATCH['WskSendBacklogEvent'] = null): WSK_CLIENT_CONNECTION_DISPATCH {
    return { WskReceiveEvent: onReceive, WskDisconnectEvent: onDisconnect, WskSendBacklogEvent: onBacklog };
  }

  async function eventPair(p: Provider, dispatch: WSK_CLIENT_CONNECTION_DISPATCH, context: unknown = null, allowHalfOpen = false) {
    let resolvePeer!: (c: net.Socket) => void;
    const peerReady = new Promise<net.Socket>((r) => (resolvePeer = r));
    const srv = await netServer('127.0.0.1', resolvePeer, allowHalfOpen);
    const s = await wskConnect(p, '127.0.0.1', srv.port, context, dispatch);
    const peer = await peerReady;
    return { s, peer, close: srv.close };
  }

  test('enabling before connect: STATUS_INVALID_DEVICE_STATE; an event without a callback: STATUS_INVALID_PARAMETER', async () => {
    const p = register();
    const s = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, 2, null, connDispatch(() => STATUS_SUCCESS));
    expectStatus(await eventControl(s, WSK_EVENT_RECEIVE), STATUS_INVALID_DEVICE_STATE);
    await wskClose(s);
    const { s: c, close } = await eventPair(p, connDispatch(() => STATUS_SUCCESS));
    expectStatus(await eventControl(c, WSK_EVENT_DISCONNECT), STATUS_INVALID_PARAMETER);
    await wskClose(c);
    await close();
    await unregister(p);
  });

  test('WskReceiveEvent indicates the data; a full accept keeps indications coming, in order', async () => {
    const p = register();
    const got: Buffer[] = [];
    const ctx = {};
    const { s, peer, close } = await eventPair(
      p,
      connDispatch((c, _flags, d, indicated, accepted) => {
        expect(c).toBe(ctx);
        const b = chainBytes(d);
        expect(b.length).toBe(indicated);
        expect(accepted[0]).toBe(indicated);
        got.push(b);
        return STATUS_SUCCESS;
      }),
      ctx,
    );
    expectStatus(await eventControl(s, WSK_EVENT_RECEIVE), STATUS_SUCCESS);
    const data = randomBytes(300000, 5);
    peer.write(data);
    await until(() => got.reduce((n, b) => n + b.length, 0) === data.length, 'all indications');
    expect(Buffer.compare(Buffer.concat(got), Buffer.from(data))).toBe(0);
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('a partial accept stops indications until a WskReceive completes; it gets the rest first', async () => {
    const p = register();
    const got: string[] = [];
    const { s, peer, close } = await eventPair(
      p,
      connDispatch((_c, _f, d, _n, accepted) => {
        const b = chainBytes(d).toString();
        got.push(b);
        if (got.length === 1) accepted[0] = 2;
        return STATUS_SUCCESS;
      }),
    );
    expectStatus(await eventControl(s, WSK_EVENT_RECEIVE), STATUS_SUCCESS);
    peer.write('abcde');
    await until(() => got.length === 1, 'the first indication');
    peer.write('fgh');
    await new Promise((r) => setTimeout(r, 30));
    expect(got).toEqual(['abcde']);
    const mem = new Uint8Array(3);
    const r = await call((i) => conn(s).WskReceive(s, wskBuf(mem), 0, i));
    expect(Buffer.from(mem.subarray(0, r.IoStatus.Information as number)).toString()).toBe('cde');
    await until(() => got.length === 2, 'indications to resume');
    expect(got[1]).toBe('fgh');
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('STATUS_DATA_NOT_ACCEPTED: a zero-length WskReceive re-arms, and the same data is indicated again', async () => {
    const p = register();
    const got: string[] = [];
    const { s, peer, close } = await eventPair(
      p,
      connDispatch((_c, _f, d) => {
        got.push(chainBytes(d).toString());
        return got.length === 1 ? STATUS_DATA_NOT_ACCEPTED : STATUS_SUCCESS;
      }),
    );
    expectStatus(await eventControl(s, WSK_EVENT_RECEIVE), STATUS_SUCCESS);
    peer.write('hello');
    await until(() => got.length === 1, 'the refused indication');
    const r = await call((i) => conn(s).WskReceive(s, { Mdl: null, Offset: 0, Length: 0 }, 0, i));
    expectStatus(r.IoStatus.Status, STATUS_SUCCESS);
    expect(r.IoStatus.Information).toBe(0);
    await until(() => got.length === 2, 'the indication again');
    expect(got).toEqual(['hello', 'hello']);
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('a pending WskReceive takes precedence over WskReceiveEvent', async () => {
    const p = register();
    let events = 0;
    const { s, peer, close } = await eventPair(p, connDispatch(() => (events++, STATUS_SUCCESS)));
    expectStatus(await eventControl(s, WSK_EVENT_RECEIVE), STATUS_SUCCESS);
    const mem = new Uint8Array(4);
    const op = newOp();
    expectStatus(conn(s).WskReceive(s, wskBuf(mem), WSK_FLAG_WAITALL, op.irp), STATUS_PENDING);
    peer.write('wxyz');
    await op.done;
    expect(Buffer.from(mem).toString()).toBe('wxyz');
    expect(events).toBe(0);
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('flow control: retained indications go on up to the budget (about SO_RCVBUF), then reading stops and the peer stalls; WskRelease resumes; every byte in order', async () => {
    const p = register();
    const retained: PWSK_DATA_INDICATION[] = [];
    const got: Buffer[] = [];
    const { s, peer, close } = await eventPair(
      p,
      connDispatch((_c, _f, d) => {
        got.push(chainBytes(d));
        retained.push(d!);
        return STATUS_PENDING;
      }),
    );
    // The budget: SO_RCVBUF as set (Windows keeps indicating while a client holds data, up to
    // about its receive buffer).
    const budget = 256 * 1024;
    const rcvbuf = new Uint8Array(new Uint32Array([budget]).buffer);
    expectStatus((await call((irp) => s.Dispatch.WskControlSocket(s, WskSetOption, SO_RCVBUF, SOL_SOCKET, 4, rcvbuf, 0, null, null, irp))).IoStatus.Status, STATUS_SUCCESS);
    expectStatus(await eventControl(s, WSK_EVENT_RECEIVE), STATUS_SUCCESS);
    const data = randomBytes(32 << 20, 11);
    let drained = false;
    const ok = peer.write(data, () => (drained = true));
    expect(ok).toBe(false);
    const held = (): number => got.reduce((n, b) => n + b.length, 0);
    await until(() => retained.length > 1, 'more than one retained indication (Windows keeps indicating)');
    // Past the budget nothing more is read: what is held and what the peer handed over plateau.
    const handedOver = (): number => data.length - peer.writableLength;
    let last = -1;
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 10));
      if (handedOver() === last && i > 5) break;
      last = handedOver();
    }
    await new Promise((r) => setTimeout(r, 50));
    expect(handedOver()).toBe(last);
    expect(drained).toBe(false);
    expect(held()).toBeGreaterThanOrEqual(budget);
    expect(held()).toBeLessThan(budget + 64 * 1024); // one read past the budget at most
    expect(handedOver()).toBeLessThan(data.length);
    // Release each list as it comes: all bytes arrive, in order.
    const bounded = { n: 0 };
    while (held() < data.length && bounded.n++ < 100000) {
      while (retained.length > 0) expectStatus(conn(s).WskRelease(s, retained.shift()!), STATUS_SUCCESS);
      await new Promise((r) => setImmediate(r));
    }
    while (retained.length > 0) conn(s).WskRelease(s, retained.shift()!);
    expect(Buffer.compare(Buffer.concat(got), Buffer.from(data))).toBe(0);
    await until(() => drained, "the peer's drain");
    expectStatus(conn(s).WskRelease(s, { Next: null, Buffer: { Mdl: null, Offset: 0, Length: 0 } }), STATUS_INVALID_PARAMETER);
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('closing with retained indications not released: RETAINED_INDICATIONS_AT_CLOSE', async () => {
    const p = register();
    const retained: PWSK_DATA_INDICATION[] = [];
    const { s, peer, close } = await eventPair(p, connDispatch((_c, _f, d) => (retained.push(d!), STATUS_PENDING)));
    expectStatus(await eventControl(s, WSK_EVENT_RECEIVE), STATUS_SUCCESS);
    peer.write('keep');
    await until(() => retained.length === 1, 'the retained indication');
    const op = newOp();
    let error: unknown;
    try {
      s.Dispatch.WskCloseSocket(s, op.irp);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(WskVerifierError);
    expect((error as WskVerifierError).code).toBe('RETAINED_INDICATIONS_AT_CLOSE');
    conn(s).WskRelease(s, retained[0]);
    expectStatus(s.Dispatch.WskCloseSocket(s, op.irp), STATUS_SUCCESS);
    await close();
    await unregister(p);
  });

  test('WskDisconnectEvent: graceful after the data, abortive on a reset', async () => {
    const p = register();
    const flags: number[] = [];
    const order: string[] = [];
    const d = connDispatch(
      (_c, _f, ind) => (order.push(chainBytes(ind).toString()), STATUS_SUCCESS),
      (_c, f) => (flags.push(f), order.push('disconnect'), STATUS_SUCCESS),
    );
    const a = await eventPair(p, d);
    expectStatus(await eventControl(a.s, WSK_EVENT_RECEIVE | WSK_EVENT_DISCONNECT), STATUS_SUCCESS);
    a.peer.end('last');
    await until(() => flags.length === 1, 'the graceful disconnect event');
    expect(flags[0]).toBe(0);
    expect(order).toEqual(['last', 'disconnect']);
    await wskClose(a.s);
    await a.close();

    const b = await eventPair(p, connDispatch(null, (_c, f) => (flags.push(f), STATUS_SUCCESS)));
    expectStatus(await eventControl(b.s, WSK_EVENT_DISCONNECT), STATUS_SUCCESS);
    b.peer.resetAndDestroy();
    await until(() => flags.length === 2, 'the abortive disconnect event');
    expect(flags[1]).toBe(WSK_FLAG_ABORTIVE);
    await wskClose(b.s);
    await b.close();
    await unregister(p);
  });

  test('WskSendBacklogEvent and SIO_WSK_QUERY_IDEAL_SEND_BACKLOG report the same ideal backlog', async () => {
    const p = register();
    const sizes: number[] = [];
    const { s, close } = await eventPair(p, connDispatch(null, null, (_c, size) => (sizes.push(size), STATUS_SUCCESS)));
    expectStatus(await eventControl(s, WSK_EVENT_SEND_BACKLOG), STATUS_SUCCESS);
    await until(() => sizes.length === 1, 'the send backlog event');
    const out = { 0: 0 };
    const irp = await call((i) => s.Dispatch.WskControlSocket(s, WskIoctl, SIO_WSK_QUERY_IDEAL_SEND_BACKLOG, 0, 0, null, 8, out, null, i));
    expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
    expect(out[0]).toBeGreaterThan(0);
    expect(out[0]).toBe(sizes[0]);
    // A new SO_SNDBUF is a new ideal backlog: the event fires again with the value the IOCTL reads.
    const set = await call((i) => s.Dispatch.WskControlSocket(s, WskSetOption, 0x1001, SOL_SOCKET, 4, new Uint32Array([out[0] * 2]), 0, null, null, i));
    expectStatus(set.IoStatus.Status, STATUS_SUCCESS);
    await until(() => sizes.length === 2, 'the second send backlog event');
    await call((i) => s.Dispatch.WskControlSocket(s, WskIoctl, SIO_WSK_QUERY_IDEAL_SEND_BACKLOG, 0, 0, null, 8, out, null, i));
    expect(sizes[1]).toBe(out[0]);
    expect(sizes[1]).not.toBe(sizes[0]);
    await wskClose(s);
    await close();
    await unregister(p);
  });

  test('disable with an IRP while the callback runs: the IRP completes after it returns', async () => {
    const p = register();
    let s!: WSK_SOCKET;
    const disable = newOp();
    let returned: NTSTATUS = 0;
    const pair = await eventPair(
      p,
      connDispatch(() => {
        const ctl: WSK_EVENT_CALLBACK_CONTROL = { NpiId: NPI_WSK_INTERFACE_ID, EventMask: WSK_EVENT_RECEIVE | WSK_EVENT_DISABLE };
        returned = s.Dispatch.WskControlSocket(s, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, ctl, 0, null, null, disable.irp);
        expect(disable.completions).toBe(0);
        return STATUS_SUCCESS;
      }),
    );
    s = pair.s;
    expectStatus(await eventControl(s, WSK_EVENT_RECEIVE), STATUS_SUCCESS);
    pair.peer.write('x');
    const irp = await disable.done;
    expectStatus(returned, STATUS_PENDING);
    expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
    await wskClose(s);
    await pair.close();
    await unregister(p);
  });
});

