// node-wsk/promises: the receive iterators over WskReceiveEvent and WskReceiveFromEvent, on real
// loopback sockets: echoes, back-pressure that reaches the peer, return() (break) and abort
// giving back what is held, and a reset thrown as NtStatusError.
import * as fs from 'fs';
import { setTimeout as sleep } from 'timers/promises';
import {
  AF_INET,
  IPPROTO_TCP,
  PWSK_SOCKET,
  SOCK_STREAM,
  SOL_SOCKET,
  SO_RCVBUF,
  STATUS_CANCELLED,
  STATUS_CONNECTION_RESET,
  STATUS_SUCCESS,
  WSK_FLAG_CONNECTION_SOCKET,
  WskSetOption,
  sockaddrFromString,
  sockaddrToString,
} from '../lib';
import { NtStatusError, ReceiveEvents, ReceiveFromEvents, WskClient, registerClient, wskBuf, wskCall } from '../lib/promises';
import {
  conn,
  dgramPeer,
  dgramTable,
  netConnect,
  netPeer,
  pattern,
  readToEnd,
  wskAccept,
  wskClose,
  wskConnect,
  wskListen,
  wskUdp,
} from './promises-helpers';

let client: WskClient;
beforeAll(() => {
  client = registerClient();
});
afterAll(() => client.close());

/** WSK's indication chains hold at most this much (four 16 KiB MDLs from one recvmsg). */
const CHAIN_BYTES = 64 * 1024;
/** The receive buffer the back-pressure test sets, and so WSK's retention budget there. */
const RCVBUF = 64 * 1024;
/**
 * What WSK may hold for a consumer that does not pull: one chain where retention is strict, or
 * chains up to a budget of about SO_RCVBUF where it follows Windows (plus the chain that
 * crosses it). Either way a bound far below what the peer has to send.
 */
const RETAINED_BOUND = RCVBUF + CHAIN_BYTES;

/** Echoes every view back with WskSend straight from WSK's memory, then disconnects gracefully. */
async function echo(s: PWSK_SOCKET, rx: ReceiveEvents): Promise<void> {
  for await (const data of rx) await wskCall((Irp) => conn(s).WskSend(s, wskBuf(data), 0, Irp));
  await wskCall((Irp) => conn(s).WskDisconnect(s, null, 0, Irp));
}

/** A WSK connection to a node:net server whose receive buffer is `rcvbuf` (set before connect). */
async function connectWithRcvbuf(port: number, rx: ReceiveEvents, rcvbuf: number): Promise<PWSK_SOCKET> {
  const io = await wskCall((Irp) =>
    client.Npi.Dispatch.WskSocket(client.Npi.Client, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_CONNECTION_SOCKET, rx, rx.Dispatch, null, null, null, Irp),
  );
  const s = io.Information as PWSK_SOCKET;
  await wskCall((Irp) => s.Dispatch.WskControlSocket(s, WskSetOption, SO_RCVBUF, SOL_SOCKET, 4, new Uint32Array([rcvbuf]), 0, null, null, Irp));
  await wskCall((Irp) => conn(s).WskBind(s, sockaddrFromString('127.0.0.1', 0), 0, Irp));
  await wskCall((Irp) => conn(s).WskConnect(s, sockaddrFromString('127.0.0.1', port), 0, Irp));
  return s;
}

/** Waits (boundedly) until `value()` stops changing over several checks; returns it. */
async function settled(value: () => number): Promise<number> {
  let last = value();
  for (let i = 0, same = 0; i < 500 && same < 5; i++) {
    await sleep(20);
    const now = value();
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}

describe('ReceiveEvents (WskReceiveEvent)', () => {
  test('an echo server on the iterator returns 4 MiB to a node:net client byte for byte; the peer\'s FIN ends the iteration', async () => {
    const { listener, port } = await wskListen(client.Npi, '127.0.0.1');
    const rx = new ReceiveEvents();
    const accepting = wskAccept(listener, rx, rx.Dispatch);
    const peer = await netConnect('127.0.0.1', port);
    const s = await accepting;
    rx.enable(s);
    const served = echo(s, rx);
    const data = pattern(4 << 20, 11);
    const back = readToEnd(peer);
    peer.end(data);
    expect((await back).equals(data)).toBe(true);
    await served;
    await wskClose(s);
    await wskClose(listener);
  });

  test('a WSK client and a WSK server over IPv6, both on iterators', async () => {
    const { listener, port } = await wskListen(client.Npi, '::1');
    const serverRx = new ReceiveEvents();
    const accepting = wskAccept(listener, serverRx, serverRx.Dispatch);
    const rx = new ReceiveEvents();
    const s = await wskConnect(client.Npi, '::1', port, rx, rx.Dispatch);
    rx.enable(s);
    const server = await accepting;
    serverRx.enable(server);
    const served = echo(server, serverRx);
    const data = pattern(1 << 20, 12);
    const chunks: Buffer[] = [];
    const reading = (async () => {
      for await (const view of rx) chunks.push(Buffer.from(view)); // a copy: the view is WSK's until the next pull
    })();
    for (let at = 0; at < data.length; at += 100_000) await wskCall((Irp) => conn(s).WskSend(s, wskBuf(data.subarray(at, at + 100_000)), 0, Irp));
    await wskCall((Irp) => conn(s).WskDisconnect(s, null, 0, Irp));
    await reading;
    await served;
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    for (const x of [s, server, listener]) await wskClose(x);
  });

  test('a slow consumer throttles the peer: WSK holds a bounded amount and reads nothing more until the consumer pulls', async () => {
    // More than the peer's kernel send buffer can ever take, so that the peer must wait for us.
    const wmemMax = Number(fs.readFileSync('/proc/sys/net/ipv4/tcp_wmem', 'utf8').trim().split(/\s+/)[2]);
    const total = 16 * 1024 * 1024 + 2 * wmemMax;
    const data = pattern(total, 13);
    const server = await netPeer('127.0.0.1');
    const rx = new ReceiveEvents();
    const s = await connectWithRcvbuf(server.port, rx, RCVBUF);
    const peer = await server.peer;
    rx.enable(s);
    // The peer writes 64 KiB at a time as node:net lets it; `flushed` counts what its kernel took.
    let flushed = 0;
    let queued = 0;
    const pump = (): void => {
      while (queued < total) {
        const chunk = data.subarray(queued, queued + 65536);
        queued += chunk.byteLength;
        const more = peer.write(chunk, () => (flushed += chunk.byteLength));
        if (!more) return void peer.once('drain', pump);
      }
      peer.end();
    };
    pump();

    let consumed = 0;
    const check = (view: Uint8Array): void => {
      if (!data.subarray(consumed, consumed + view.byteLength).equals(view)) throw new Error(`bytes differ at ${consumed}`);
      consumed += view.byteLength;
    };
    const it = rx[Symbol.asyncIterator]();
    check((await it.next()).value!);
    // The consumer stops pulling: WSK keeps what it indicated, up to its budget, and reads no
    // more, so the kernel buffers fill and the peer cannot hand over the rest.
    const stalledAt = await settled(() => flushed);
    expect(stalledAt).toBeLessThan(total);
    expect(rx.retainedBytes).toBeLessThanOrEqual(RETAINED_BOUND);

    let maxRetained = rx.retainedBytes;
    for (let r = await it.next(); !r.done; r = await it.next()) {
      maxRetained = Math.max(maxRetained, rx.retainedBytes);
      check(r.value);
    }
    expect(consumed).toBe(total);
    expect(flushed).toBe(total);
    expect(maxRetained).toBeLessThanOrEqual(RETAINED_BOUND);
    await wskClose(s);
    await server.close();
  });

  test('break (return()) gives back the chain it holds; what WSK did not indicate stays for WskReceive', async () => {
    const server = await netPeer('127.0.0.1');
    const rx = new ReceiveEvents();
    const s = await wskConnect(client.Npi, '127.0.0.1', server.port, rx, rx.Dispatch);
    const peer = await server.peer;
    rx.enable(s);
    const data = pattern(1 << 20, 14);
    peer.end(data);
    let held = 0;
    for await (const view of rx) {
      expect(Buffer.from(view).equals(data.subarray(0, view.byteLength))).toBe(true);
      held = rx.retainedBytes; // what WSK indicated so far: every byte of it is given back at once
      break;
    }
    expect(held).toBeGreaterThan(0);
    expect(rx.retainedBytes).toBe(0);
    // The released chain is gone (as a stream's buffered data is when its iteration breaks);
    // everything after it comes to WskReceive, in order, to the FIN.
    const rest: Buffer[] = [];
    const buf = new Uint8Array(64 * 1024);
    for (let n = -1; n !== 0; ) {
      const io = await wskCall((Irp) => conn(s).WskReceive(s, wskBuf(buf), 0, Irp));
      n = io.Information as number;
      rest.push(Buffer.from(buf.subarray(0, n)));
    }
    expect(Buffer.concat(rest).equals(data.subarray(held))).toBe(true);
    // Closing with a chain still retained would be a WskVerifierError (RETAINED_INDICATIONS_AT_CLOSE).
    await wskClose(s);
    await server.close();
  });

  test('a reset after data: the data first, then NtStatusError STATUS_CONNECTION_RESET', async () => {
    const server = await netPeer('127.0.0.1');
    const rx = new ReceiveEvents();
    const s = await wskConnect(client.Npi, '127.0.0.1', server.port, rx, rx.Dispatch);
    const peer = await server.peer;
    rx.enable(s);
    peer.write('last words');
    const it = rx[Symbol.asyncIterator]();
    expect(Buffer.from((await it.next()).value!).toString()).toBe('last words');
    peer.resetAndDestroy();
    const error = await it.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NtStatusError);
    expect(error).toMatchObject({ code: 'STATUS_CONNECTION_RESET', status: STATUS_CONNECTION_RESET });
    expect(await it.next()).toEqual({ done: true, value: undefined });
    await wskClose(s);
    await server.close();
  });

  test('enable() before connect throws NtStatusError STATUS_INVALID_DEVICE_STATE', async () => {
    const rx = new ReceiveEvents();
    const io = await wskCall((Irp) =>
      client.Npi.Dispatch.WskSocket(client.Npi.Client, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_CONNECTION_SOCKET, rx, rx.Dispatch, null, null, null, Irp),
    );
    const s = io.Information as PWSK_SOCKET;
    expect(() => rx.enable(s)).toThrow(expect.objectContaining({ name: 'NtStatusError', code: 'STATUS_INVALID_DEVICE_STATE' }));
    await wskClose(s);
  });

  test('pulls made before the data arrives are served in order', async () => {
    const server = await netPeer('127.0.0.1');
    const rx = new ReceiveEvents();
    const s = await wskConnect(client.Npi, '127.0.0.1', server.port, rx, rx.Dispatch);
    const peer = await server.peer;
    rx.enable(s);
    const it = rx[Symbol.asyncIterator]();
    const first = it.next();
    const second = it.next();
    peer.write('one');
    expect(Buffer.from((await first).value!).toString()).toBe('one');
    peer.end('two');
    expect(Buffer.from((await second).value!).toString()).toBe('two');
    expect(await it.next()).toEqual({ done: true, value: undefined });
    await wskClose(s);
    await server.close();
  });

  test('an aborted signal rejects the waiting pull with STATUS_CANCELLED and gives back what is held', async () => {
    const server = await netPeer('127.0.0.1');
    const controller = new AbortController();
    const rx = new ReceiveEvents({ signal: controller.signal });
    const s = await wskConnect(client.Npi, '127.0.0.1', server.port, rx, rx.Dispatch);
    const peer = await server.peer;
    rx.enable(s);
    peer.write('held');
    const it = rx[Symbol.asyncIterator]();
    expect(Buffer.from((await it.next()).value!).toString()).toBe('held');
    const waiting = it.next();
    controller.abort('shutting down');
    await expect(waiting).rejects.toMatchObject({ code: 'STATUS_CANCELLED', status: STATUS_CANCELLED, cause: 'shutting down' });
    expect(rx.retainedBytes).toBe(0);
    peer.write('for WskReceive');
    const buf = new Uint8Array(64);
    const io = await wskCall((Irp) => conn(s).WskReceive(s, wskBuf(buf), 0, Irp));
    expect(Buffer.from(buf.subarray(0, io.Information as number)).toString()).toBe('for WskReceive');
    await wskClose(s);
    await server.close();
  });
});

describe('ReceiveFromEvents (WskReceiveFromEvent)', () => {
  test('a UDP echo on the iterator answers 2,000 node:dgram datagrams over IPv4 and IPv6 byte for byte', async () => {
    for (const host of ['127.0.0.1', '::1']) {
      const controller = new AbortController();
      const rx = new ReceiveFromEvents({ signal: controller.signal });
      const { s, port } = await wskUdp(client.Npi, host, rx, rx.Dispatch);
      rx.enable(s);
      const serving = (async () => {
        for await (const d of rx) await wskCall((Irp) => dgramTable(s).WskSendTo(s, wskBuf(d.data), 0, d.remoteAddress, 0, null, Irp));
      })().catch((e: unknown) => e);
      const peer = await dgramPeer(host);
      const replies: Buffer[] = [];
      let wake = (): void => {};
      peer.on('message', (m) => (replies.push(m), wake()));
      // One datagram in flight at a time: loopback never drops, and order is checked too.
      for (let i = 0; i < 1000; i++) {
        const sent = pattern(i % 1400, i + 1);
        const answered = new Promise<void>((r) => (wake = r));
        peer.send(sent, port, host);
        await answered;
        expect(replies[i]!.equals(sent)).toBe(true);
      }
      controller.abort();
      expect(await serving).toMatchObject({ code: 'STATUS_CANCELLED' });
      await new Promise<void>((r) => peer.close(r));
      await wskClose(s);
    }
  });

  test('a consumer that does not pull holds a bounded number of datagrams: WSK stops reading, the rest stays in the socket', async () => {
    const rx = new ReceiveFromEvents();
    const { s, port } = await wskUdp(client.Npi, '127.0.0.1', rx, rx.Dispatch);
    rx.enable(s);
    const peer = await dgramPeer('127.0.0.1');
    const it = rx[Symbol.asyncIterator]();
    const size = 100;
    // Bursts with the loop between (so that the OS socket never overflows), until WSK holds as
    // much as it will: past its budget it stops reading and the next burst stays in the socket.
    let held = 0;
    for (let round = 0, sent = 0; round < 200; round++) {
      for (let i = 0; i < 16; i++, sent++) peer.send(Buffer.alloc(size, sent & 0xff), port, '127.0.0.1');
      const now = await settled(() => rx.retainedBytes);
      if (now === held && now > 0) break;
      held = now;
    }
    const first = await it.next();
    expect(sockaddrToString(first.value!.remoteAddress)).toBe(`127.0.0.1:${peer.address().port}`);
    // WSK's budget: a few chains of one recvmmsg batch (32 datagrams) each, 16 at most.
    expect(held).toBeLessThanOrEqual(16 * 32 * size);
    await it.return!();
    expect(rx.retainedBytes).toBe(0);
    // What WSK did not read is still in the OS socket: WskReceiveFrom gets it. (Bounded: a
    // socket that lost them fails here, cancelled, instead of hanging the file.)
    const buf = new Uint8Array(2048);
    const received = await wskCall((Irp) => dgramTable(s).WskReceiveFrom(s, wskBuf(buf), 0, null, null, null, null, Irp), {
      signal: AbortSignal.timeout(10_000),
    }).catch((error: unknown) => error);
    expect(received).toEqual({ Status: STATUS_SUCCESS, Information: size });
    await new Promise<void>((r) => peer.close(r));
    await wskClose(s);
  });
});
