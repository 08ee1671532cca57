// Retention as on Windows (issue 16): a client holding indicated data (STATUS_PENDING) keeps
// getting new indications while what it holds is within the budget; WskRelease takes any
// element or sublist of a retained chain, in any order, also from inside the callback that
// indicated it; a chain's memory returns with its last element. msquic releases datagrams one
// by one, from inside WskReceiveFromEvent, and then returns STATUS_PENDING.
import {
  MmGetSystemAddressForMdlSafe,
  NormalPagePriority,
  NPI_WSK_INTERFACE_ID,
  NTSTATUS,
  PWSK_DATA_INDICATION,
  PWSK_DATAGRAM_INDICATION,
  SO_WSK_EVENT_CALLBACK,
  SOL_SOCKET,
  STATUS_INVALID_PARAMETER,
  STATUS_PENDING,
  STATUS_SUCCESS,
  WSK_CLIENT_CONNECTION_DISPATCH,
  WSK_CLIENT_DATAGRAM_DISPATCH,
  WSK_EVENT_RECEIVE,
  WSK_SOCKET,
  WskSetOption,
} from '../lib';
import * as net from 'net';
import { conn, netServer, randomBytes, wskConnect } from './conn-helpers';
import { expectStatus, register, unregister, wskClose } from './helpers';
import { dg, enableReceiveFrom, peer, udpSocket } from './udp-helpers';

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2000 && !cond(); i++) await new Promise((r) => setTimeout(r, 2));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

function bytesOf(e: { Buffer: { Mdl: unknown; Offset: number; Length: number } }): Buffer {
  const view = MmGetSystemAddressForMdlSafe(e.Buffer.Mdl as never, NormalPagePriority)!;
  return Buffer.from(view.subarray(e.Buffer.Offset, e.Buffer.Offset + e.Buffer.Length));
}

function elements<T extends { Next: T | null }>(head: T | null): T[] {
  const out: T[] = [];
  for (let e = head; e; e = e.Next) out.push(e);
  return out;
}

function enableReceive(s: WSK_SOCKET): NTSTATUS {
  return s.Dispatch.WskControlSocket(s, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, { NpiId: NPI_WSK_INTERFACE_ID, EventMask: WSK_EVENT_RECEIVE }, 0, null, null, null);
}

/** A WSK connection whose WskReceiveEvent is `onReceive`, to a node:net peer. */
async function eventConnection(onReceive: WSK_CLIENT_CONNECTION_DISPATCH['WskReceiveEvent']) {
  const p = register();
  const dispatch: WSK_CLIENT_CONNECTION_DISPATCH = { WskReceiveEvent: onReceive, WskDisconnectEvent: null, WskSendBacklogEvent: null };
  let resolvePeer!: (c: net.Socket) => void;
  const peerReady = new Promise<net.Socket>((r) => (resolvePeer = r));
  const srv = await netServer('127.0.0.1', resolvePeer);
  const s = await wskConnect(p, '127.0.0.1', srv.port, null, dispatch);
  return { p, s, peer: await peerReady, close: srv.close };
}

describe('connection retention', () => {
  test('released inside WskReceiveEvent, then STATUS_PENDING: nothing stays held, all bytes arrive, the socket closes', async () => {
    let s!: WSK_SOCKET;
    const got: Buffer[] = [];
    const c = await eventConnection((_ctx, _f, d) => {
      got.push(Buffer.concat(elements(d).map(bytesOf)));
      expectStatus(conn(s).WskRelease(s, d!), STATUS_SUCCESS);
      return STATUS_PENDING;
    });
    s = c.s;
    expectStatus(enableReceive(s), STATUS_SUCCESS);
    const data = randomBytes(1 << 20, 3);
    c.peer.write(data);
    await until(() => got.reduce((n, b) => n + b.length, 0) === data.length, 'every byte');
    expect(Buffer.compare(Buffer.concat(got), Buffer.from(data))).toBe(0);
    await wskClose(s); // no RETAINED_INDICATIONS_AT_CLOSE: nothing is held
    await c.close();
    await unregister(c.p);
  });

  test('any element or sublist, in any order: a chain returns with its last element; a second release is refused', async () => {
    const chains: PWSK_DATA_INDICATION[] = [];
    const c = await eventConnection((_ctx, _f, d) => (chains.push(d!), STATUS_PENDING));
    const s = c.s;
    // The bytes wait in the socket before the event is enabled, so that one read takes them:
    // one chain of several 16 KiB elements.
    const data = randomBytes(60 * 1024, 5);
    await new Promise<void>((r) => c.peer.write(data, () => r()));
    await new Promise((r) => setTimeout(r, 20));
    expectStatus(enableReceive(s), STATUS_SUCCESS);
    await until(() => chains.length > 0 && elements(chains[0]).length >= 3, 'a chain of three elements or more');
    const [head, second, third] = elements(chains[0]);
    // The tail-end sublist first (the second element and what follows it)...
    expectStatus(conn(s).WskRelease(s, second), STATUS_SUCCESS);
    expectStatus(conn(s).WskRelease(s, third), STATUS_INVALID_PARAMETER); // already given back with its sublist
    expectStatus(conn(s).WskRelease(s, second), STATUS_INVALID_PARAMETER);
    // ...then the head alone (its Next is given back already): the whole chain is back.
    expectStatus(conn(s).WskRelease(s, head), STATUS_SUCCESS);
    expectStatus(conn(s).WskRelease(s, head), STATUS_INVALID_PARAMETER);
    await wskClose(s);
    await c.close();
    await unregister(c.p);
  });

  test('one element given back on its own (its Next cut), the others later in reverse order', async () => {
    const chains: PWSK_DATA_INDICATION[] = [];
    const c = await eventConnection((_ctx, _f, d) => (chains.push(d!), STATUS_PENDING));
    const s = c.s;
    await new Promise<void>((r) => c.peer.write(randomBytes(60 * 1024, 6), () => r()));
    await new Promise((r) => setTimeout(r, 20));
    expectStatus(enableReceive(s), STATUS_SUCCESS);
    await until(() => chains.length > 0 && elements(chains[0]).length >= 3, 'a chain of three elements or more');
    const all = elements(chains[0]);
    for (const e of all) e.Next = null; // each on its own, as a driver that splits the list does
    for (const e of [...all].reverse()) expectStatus(conn(s).WskRelease(s, e), STATUS_SUCCESS);
    for (const e of all) expectStatus(conn(s).WskRelease(s, e), STATUS_INVALID_PARAMETER);
    await wskClose(s);
    await c.close();
    await unregister(c.p);
  });
});

describe('datagram retention', () => {
  test('msquic: each datagram cut from the chain and released inside WskReceiveFromEvent, then STATUS_PENDING; reading never stops', async () => {
    const p = register();
    let s!: WSK_SOCKET;
    const got: string[] = [];
    const dispatch: WSK_CLIENT_DATAGRAM_DISPATCH = {
      WskReceiveFromEvent: (_ctx, _flags, head) => {
        if (!head) return STATUS_SUCCESS;
        for (let d: PWSK_DATAGRAM_INDICATION | null = head; d; ) {
          const next: PWSK_DATAGRAM_INDICATION | null = d.Next;
          got.push(bytesOf(d).toString());
          d.Next = null;
          expectStatus(dg(s).WskRelease(s, d), STATUS_SUCCESS);
          d = next;
        }
        return STATUS_PENDING;
      },
    };
    const u = await udpSocket(p, 4, null, dispatch);
    s = u.s;
    expectStatus(enableReceiveFrom(s), STATUS_SUCCESS);
    const sender = await peer(4);
    const n = 300;
    for (let i = 0; i < n; i++) {
      await sender.send(Buffer.from(`datagram ${i}`), u.port);
      if (i % 20 === 19) await new Promise((r) => setTimeout(r, 2));
    }
    await until(() => got.length === n, `all ${n} datagrams`);
    expect(got).toEqual(Array.from({ length: n }, (_, i) => `datagram ${i}`));
    await sender.close();
    await wskClose(s); // nothing held
    await unregister(p);
  });

  test('retained chains keep coming past four (within the budget); released one datagram at a time, in any order', async () => {
    const p = register();
    const chains: PWSK_DATAGRAM_INDICATION[] = [];
    const dispatch: WSK_CLIENT_DATAGRAM_DISPATCH = { WskReceiveFromEvent: (_c, _f, head) => (head && chains.push(head), STATUS_PENDING) };
    const u = await udpSocket(p, 6, null, dispatch);
    const s = u.s;
    expectStatus(enableReceiveFrom(s), STATUS_SUCCESS);
    const sender = await peer(6);
    for (let i = 0; i < 8; i++) {
      await sender.send(Buffer.from(`chain ${i}`), u.port);
      await until(() => chains.length === i + 1, `chain ${i} (Windows keeps indicating while the client holds data)`);
    }
    const all = chains.flatMap((c) => elements(c));
    expect(all.map((d) => bytesOf(d).toString())).toEqual(Array.from({ length: 8 }, (_, i) => `chain ${i}`));
    // Shuffled (a fixed order), each on its own.
    for (const i of [3, 0, 7, 5, 1, 6, 2, 4]) expectStatus(dg(s).WskRelease(s, all[i]), STATUS_SUCCESS);
    expectStatus(dg(s).WskRelease(s, all[0]), STATUS_INVALID_PARAMETER);
    await sender.close();
    await wskClose(s);
    await unregister(p);
  });
});
