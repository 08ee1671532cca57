// The harness of the msquic kernel datapath port (msquic-datapath.ts): a datapath and its UDP
// bindings on loopback against node:dgram peers. Assertions are about bytes, addresses, the
// datapath's own state (features, pending bytes) and completions, never timing; the workload is
// bounded (a few datagrams, one 60,000-byte segmented send).
import * as dgram from 'dgram';
import {
  PSOCKADDR, STATUS_NOT_FOUND, STATUS_SUCCESS, sockaddrAddressString, sockaddrFromString, sockaddrPort,
} from '../../lib';
import { expectStatus } from '../helpers';
import { randomBytes } from '../conn-helpers';
import * as Q from './msquic-datapath';

const addr = (a: Q.QUIC_ADDR) => `${sockaddrAddressString(a as PSOCKADDR)}:${sockaddrPort(a as PSOCKADDR)}`;
const v4 = (port: number) => sockaddrFromString('127.0.0.1', port) as Q.QUIC_ADDR;
/** The app's CxPlatSendDataAlloc, whose NULL (NODE_WSK_VERIFIER's lowres) ends the test plainly. */
function sendData(...args: Parameters<typeof Q.SendDataAlloc>): NonNullable<ReturnType<typeof Q.SendDataAlloc>> {
  const data = Q.SendDataAlloc(...args);
  if (data === null) throw new Error('CxPlatSendDataAlloc returned NULL (out of resources)');
  return data;
}

/** What the app side (msquic's core) is given: the receive chains and the unreachable reports. */
class App {
  chains: Q.CXPLAT_RECV_DATA[][] = [];
  unreachable: string[] = [];
  #wake = (): void => undefined;
  constructor(readonly holdDatagrams: boolean) {}
  readonly callbacks: Q.CXPLAT_UDP_DATAPATH_CALLBACKS = {
    Receive: (_b, _ctx, chain) => {
      const list: Q.CXPLAT_RECV_DATA[] = [];
      for (let d: Q.CXPLAT_RECV_DATA | null = chain; d !== null; d = d.Next) list.push(d);
      // Keep a copy of the bytes for the checks: WSK's memory goes back with RecvDataReturn.
      this.chains.push(list.map((d) => ({ ...d, Buffer: Buffer.from(d.Buffer.subarray(0, d.BufferLength)) })));
      this.held.push(...list);
      if (!this.holdDatagrams) this.returnAll();
      this.#wake();
    },
    Unreachable: (_b, _ctx, remote) => {
      this.unreachable.push(addr(remote));
      this.#wake();
    },
  };
  held: Q.CXPLAT_RECV_DATA[] = [];
  get datagrams(): Q.CXPLAT_RECV_DATA[] {
    return this.chains.flat();
  }
  async until(done: () => boolean): Promise<void> {
    while (!done()) await new Promise<void>((r) => (this.#wake = r));
  }
  /** RecvDataReturn of each held datagram on its own, in the order given (msquic returns per datagram). */
  returnAll(order?: number[]): void {
    const held = this.held;
    this.held = [];
    for (const i of order ?? held.map((_, k) => k)) {
      held[i]!.Next = null;
      Q.RecvDataReturn(held[i]!);
    }
  }
}

async function datapath(app: App, pendingBufferLimit: number): Promise<Q.CXPLAT_DATAPATH> {
  const out: { 0: Q.CXPLAT_DATAPATH | null } = { 0: null };
  expectStatus(await Q.DataPathInitialize(app.callbacks, pendingBufferLimit, out), STATUS_SUCCESS);
  return out[0]!;
}

async function binding(d: Q.CXPLAT_DATAPATH, config: Partial<Q.CXPLAT_UDP_CONFIG> = {}): Promise<Q.CXPLAT_SOCKET> {
  const out: { 0: Q.CXPLAT_SOCKET | null } = { 0: null };
  const full: Q.CXPLAT_UDP_CONFIG = { LocalAddress: v4(0), RemoteAddress: null, InterfaceIndex: 0, CallbackContext: 'ctx', ...config };
  expectStatus(await Q.SocketCreateUdp(d, full, out), STATUS_SUCCESS);
  return out[0]!;
}

async function udpPeer(): Promise<{ s: dgram.Socket; port: number; got: Buffer[]; until: (n: number) => Promise<void> }> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const got: Buffer[] = [];
  let wake = (): void => undefined;
  s.on('message', (m) => (got.push(m), wake()));
  const until = async (n: number) => {
    while (got.length < n) await new Promise<void>((r) => (wake = r));
  };
  return { s, port: s.address().port, got, until };
}

const close = (s: dgram.Socket) => new Promise<void>((r) => s.close(() => r()));

test('DataPathInitialize probes the features; SocketCreateUdp sets its whole option sequence (dual-stack, DF, PKTINFO, ECN, RECVERR, HOPLIMIT, URO, UNICAST_IF) and binds', async () => {
  const app = new App(false);
  const d = await datapath(app, 0);
  // UDP_SEND_MSG_SIZE / UDP_RECV_MAX_COALESCED_SIZE gets and the IPV6_TCLASS set succeed here.
  for (const f of [Q.CXPLAT_DATAPATH_FEATURE_SEND_SEGMENTATION, Q.CXPLAT_DATAPATH_FEATURE_RECV_COALESCING, Q.CXPLAT_DATAPATH_FEATURE_SEND_DSCP, Q.CXPLAT_DATAPATH_FEATURE_TTL]) {
    expect(d.Features & f).toBe(f);
  }
  const b = await binding(d, { InterfaceIndex: 1 }); // lo is index 1: IPV6_UNICAST_IF and IP_UNICAST_IF too
  expect(sockaddrAddressString(b.LocalAddress as PSOCKADDR)).toBe('127.0.0.1'); // converted back from ::ffff:127.0.0.1
  expect(sockaddrPort(b.LocalAddress as PSOCKADDR)).toBeGreaterThan(0);
  const unbound = await binding(d, { LocalAddress: null }); // [::]:0, dual-stack
  expect(sockaddrAddressString(unbound.LocalAddress as PSOCKADDR)).toBe('::');
  await Q.SocketDelete(b);
  await Q.SocketDelete(unbound);
  await Q.DataPathUninitialize(d);
});

describe.each([
  ['PENDING_BUFFER_LIMIT 0 (shipped 2020-2025): copied, WskRelease inside the callback, STATUS_PENDING', 0, false],
  ['PENDING_BUFFER_LIMIT 256000 (2020): each datagram retained, returned one by one in any order', 256000, true],
])('receive, %s', (_name, limit, hold) => {
  test('the app gets every datagram with its bytes, local address (IP_PKTINFO), remote address and TTL; every indication goes back to WSK', async () => {
    const app = new App(hold);
    const d = await datapath(app, limit);
    const b = await binding(d);
    const port = sockaddrPort(b.LocalAddress as PSOCKADDR);
    const peer = await udpPeer();
    const sent = [randomBytes(1200, 1), randomBytes(1, 2), randomBytes(4000, 3), randomBytes(300, 4), randomBytes(1500, 5)];
    for (const p of sent) peer.s.send(p, port, '127.0.0.1');
    await app.until(() => app.datagrams.length === sent.length);
    const got = app.datagrams;
    expect(got.map((g) => Buffer.from(g.Buffer))).toEqual(sent.map((p) => Buffer.from(p)));
    for (const g of got) {
      expect(addr(g.Route.LocalAddress)).toBe(`127.0.0.1:${port}`);
      expect(addr(g.Route.RemoteAddress)).toBe(`127.0.0.1:${peer.port}`);
      expect(g.HopLimitTTL).toBe(64); // IP_HOPLIMIT: Linux's default TTL on loopback
    }
    if (hold) {
      // Retained: WSK's memory, counted, until the app gives the datagrams back.
      expect(d.OutstandingPendingBytes).toBe(sent.reduce((n, p) => n + p.byteLength, 0));
      app.returnAll([3, 0, 4, 2, 1]);
    }
    expect(d.OutstandingPendingBytes).toBe(0);
    expect(app.held.every((g) => !g.Allocated)).toBe(true);
    await close(peer.s);
    await Q.SocketDelete(b); // WskCloseSocket completes: nothing is still held
    await Q.DataPathUninitialize(d);
  });
});

test('SocketSend: one WskSendMessages of 50 segments (UDP_SEND_MSG_SIZE 1200) with IP_PKTINFO and IP_TOS arrives as 50 datagrams; unsegmented buffers one datagram each', async () => {
  const app = new App(false);
  const d = await datapath(app, 0);
  const b = await binding(d);
  const peer = await udpPeer();
  const route: Q.CXPLAT_ROUTE = { LocalAddress: b.LocalAddress, RemoteAddress: v4(peer.port) };

  const segmented = sendData({ ECN: 2 /* ECT(0) */, DSCP: 0, MaxPacketSize: 1200 }, 1200);
  const segments = Array.from({ length: 50 }, (_, i) => randomBytes(1200, 100 + i));
  for (const s of segments) Q.SendDataAllocBuffer(segmented, 1200)!.set(s);
  expect([segmented.WskBufferCount, segmented.TotalSize]).toEqual([1, 60000]);
  Q.SocketSend(b, route, segmented);
  expectStatus(await segmented.Completed, STATUS_SUCCESS);
  await peer.until(50);
  expect(peer.got).toEqual(segments.map((s) => Buffer.from(s)));

  const plain = sendData({ ECN: 0, DSCP: 0, MaxPacketSize: 1500 });
  const packets = [randomBytes(10, 7), randomBytes(1400, 8)];
  for (const p of packets) Q.SendDataAllocBuffer(plain, p.byteLength)!.set(p);
  Q.SocketSend(b, route, plain);
  expectStatus(await plain.Completed, STATUS_SUCCESS);
  await peer.until(52);
  expect(peer.got.slice(50)).toEqual(packets.map((p) => Buffer.from(p)));
  await close(peer.s);
  await Q.SocketDelete(b);
  await Q.DataPathUninitialize(d);
});

test('binding to binding: the ECN codepoint SocketSend puts in the TOS byte (IP_TOS control info) is what the receive path reads back (IP_ECN)', async () => {
  const app = new App(false);
  const d = await datapath(app, 0);
  const [a, b] = [await binding(d), await binding(d)];
  const route: Q.CXPLAT_ROUTE = { LocalAddress: a.LocalAddress, RemoteAddress: b.LocalAddress };
  for (const ECN of [2 /* ECT(0) */, 1 /* ECT(1) */, 3 /* CE */]) {
    const send = sendData({ ECN, DSCP: 0, MaxPacketSize: 1500 });
    Q.SendDataAllocBuffer(send, 10)!.fill(ECN);
    Q.SocketSend(a, route, send);
    expectStatus(await send.Completed, STATUS_SUCCESS);
  }
  await app.until(() => app.datagrams.length === 3);
  expect(app.datagrams.map((g) => [g.Buffer[0], g.TypeOfService])).toEqual([[2, 2], [1, 1], [3, 3]]);
  expect(app.datagrams.every((g) => addr(g.Route.RemoteAddress) === addr(a.LocalAddress))).toBe(true);
  await Q.SocketDelete(a);
  await Q.SocketDelete(b);
  await Q.DataPathUninitialize(d);
});

test('IPv6: a binding on ::1 receives with IPV6_PKTINFO and IPV6_HOPLIMIT, and answers with IPV6_PKTINFO and IPV6_TCLASS control info', async () => {
  const app = new App(false);
  const d = await datapath(app, 0);
  const b = await binding(d, { LocalAddress: sockaddrFromString('::1', 0) as Q.QUIC_ADDR });
  const port = sockaddrPort(b.LocalAddress as PSOCKADDR);
  const peer = dgram.createSocket('udp6');
  await new Promise<void>((r) => peer.bind(0, '::1', r));
  const answers: Buffer[] = [];
  const answered = new Promise<void>((r) => peer.on('message', (m) => (answers.push(m), r())));
  const question = randomBytes(700, 31);
  peer.send(question, port, '::1');
  await app.until(() => app.datagrams.length === 1);
  const got = app.datagrams[0]!;
  expect(Buffer.from(got.Buffer)).toEqual(Buffer.from(question));
  expect(addr(got.Route.LocalAddress)).toBe(`::1:${port}`);
  expect(addr(got.Route.RemoteAddress)).toBe(`::1:${peer.address().port}`);
  expect(got.HopLimitTTL).toBe(64);
  const reply = sendData({ ECN: 1 /* ECT(1) */, DSCP: 10, MaxPacketSize: 1500 });
  Q.SendDataAllocBuffer(reply, 700)!.set(got.Buffer.subarray(0, 700));
  Q.SocketSend(b, { LocalAddress: got.Route.LocalAddress, RemoteAddress: got.Route.RemoteAddress }, reply);
  expectStatus(await reply.Completed, STATUS_SUCCESS);
  await answered;
  expect(answers).toEqual([Buffer.from(question)]);
  await close(peer);
  await Q.SocketDelete(b);
  await Q.DataPathUninitialize(d);
});

test('a connected binding (SIO_WSK_SET_REMOTE_ADDRESS) sends without an address; a send to a closed port comes back as Unreachable (IP_RECVERR)', async () => {
  const app = new App(false);
  const d = await datapath(app, 0);
  const peer = await udpPeer();
  const connected = await binding(d, { RemoteAddress: v4(peer.port) });
  const send = sendData({ ECN: 0, DSCP: 0, MaxPacketSize: 1500 });
  Q.SendDataAllocBuffer(send, 5)!.set(Buffer.from('hello'));
  Q.SocketSend(connected, { LocalAddress: connected.LocalAddress, RemoteAddress: v4(peer.port) }, send);
  expectStatus(await send.Completed, STATUS_SUCCESS);
  await peer.until(1);
  expect(peer.got[0]!.toString()).toBe('hello');

  // A port nobody listens on: found by binding a peer and closing it.
  const gone = await udpPeer();
  await close(gone.s);
  const b = await binding(d);
  const probe = sendData({ ECN: 0, DSCP: 0, MaxPacketSize: 1500 });
  Q.SendDataAllocBuffer(probe, 3)!.set(Buffer.from('abc'));
  Q.SocketSend(b, { LocalAddress: b.LocalAddress, RemoteAddress: v4(gone.port) }, probe);
  expectStatus(await probe.Completed, STATUS_SUCCESS);
  await app.until(() => app.unreachable.length > 0);
  expect(app.unreachable).toEqual([`127.0.0.1:${gone.port}`]);
  expect(app.datagrams).toEqual([]);
  await close(peer.s);
  await Q.SocketDelete(connected);
  await Q.SocketDelete(b);
  await Q.DataPathUninitialize(d);
});

test('CxPlatDataPathResolveAddress: numeric names on the AI_NUMERICHOST try, localhost on the AI_CANONNAME one', async () => {
  const d = await datapath(new App(false), 0);
  const out: { 0: Q.QUIC_ADDR } = { 0: sockaddrFromString('0.0.0.0', 0) as Q.QUIC_ADDR };
  expectStatus(await Q.CxPlatDataPathResolveAddress(d, '127.0.0.1', out), STATUS_SUCCESS);
  expect(sockaddrAddressString(out[0] as PSOCKADDR)).toBe('127.0.0.1');
  const six: { 0: Q.QUIC_ADDR } = { 0: sockaddrFromString('::', 0) as Q.QUIC_ADDR };
  expectStatus(await Q.CxPlatDataPathResolveAddress(d, '::1', six), STATUS_SUCCESS);
  expect(sockaddrAddressString(six[0] as PSOCKADDR)).toBe('::1');
  const local: { 0: Q.QUIC_ADDR } = { 0: sockaddrFromString('0.0.0.0', 0) as Q.QUIC_ADDR };
  expectStatus(await Q.CxPlatDataPathResolveAddress(d, 'localhost', local), STATUS_SUCCESS);
  expect(sockaddrAddressString(local[0] as PSOCKADDR)).toBe('127.0.0.1');
  // An empty name is no host: both tries fail and msquic says STATUS_NOT_FOUND.
  expectStatus(await Q.CxPlatDataPathResolveAddress(d, '', local), STATUS_NOT_FOUND);
  await Q.DataPathUninitialize(d);
});
