// The harness of the win-net-test wskclient port (win-net-test-wskclient.ts): the ported helpers
// drive real loopback sockets against each other and against node:net / node:dgram peers. The
// assertions are about bytes, statuses and the helpers' own out-parameters, never timing; the
// workload is bounded (a few KiB, a few datagrams), so that it can run under fault injection.
import * as dgram from 'dgram';
import * as net from 'net';
import {
  AF_INET, IPPROTO_TCP, IPPROTO_UDP, MmGetSystemAddressForMdlSafe, NormalPagePriority, PSOCKADDR, PWSK_SOCKET,
  PWSK_DATAGRAM_INDICATION, SOCKADDR_STORAGE, SOCK_DGRAM, SOCK_STREAM, STATUS_CANCELLED, STATUS_PENDING, STATUS_SUCCESS, STATUS_TIMEOUT,
  WSK_CLIENT_DATAGRAM_DISPATCH, WSK_EVENT_RECEIVE_FROM, WSK_FLAG_ABORTIVE, WSK_FLAG_CONNECTION_SOCKET, WSK_FLAG_DATAGRAM_SOCKET,
  WSK_FLAG_LISTEN_SOCKET, WSK_FLAG_STREAM_SOCKET, sockaddrFromString, sockaddrPort,
} from '../../lib';
import { expectStatus } from '../helpers';
import { randomBytes, readBytes } from '../conn-helpers';
import * as W from './win-net-test-wskclient-io';

const LOOPBACK = '127.0.0.1';
const TIMEOUT_MS = 10000; // the helpers' TimeoutMs: only a bound, never reached when the test passes
const sa = (port: number) => sockaddrFromString(LOOPBACK, port) as PSOCKADDR;
const out = <T>(v: T): W.Out<T> => ({ 0: v });

// Sockets still open when a test fails half-way are closed before WskClientDereg, which waits for them.
const open = new Set<PWSK_SOCKET>();
const track = (s: PWSK_SOCKET): PWSK_SOCKET => (open.add(s), s);

async function socketOf(WskSockType: number, SockType: number, Protocol: number, Context: unknown = null, Dispatch: unknown = null): Promise<PWSK_SOCKET> {
  const Sock = out<PWSK_SOCKET | null>(null);
  expectStatus(await W.WskSocketSync(WskSockType, AF_INET, SockType, Protocol, Sock, Context, Dispatch), STATUS_SUCCESS);
  expect(Sock[0]).not.toBeNull();
  return track(Sock[0]!);
}

async function boundPort(Sock: PWSK_SOCKET, SockType: number): Promise<number> {
  const local: SOCKADDR_STORAGE = {};
  expectStatus(await W.WskGetLocalAddrSync(Sock, SockType, local as PSOCKADDR), STATUS_SUCCESS);
  return sockaddrPort(local as PSOCKADDR);
}

/** A socket bound to 127.0.0.1:0 through WskBindSync, and the port it got. */
async function bound(WskSockType: number, SockType: number, Protocol: number, Context: unknown = null, Dispatch: unknown = null) {
  const Sock = await socketOf(WskSockType, SockType, Protocol, Context, Dispatch);
  expectStatus(await W.WskBindSync(Sock, WskSockType, sa(0)), STATUS_SUCCESS);
  return { Sock, port: await boundPort(Sock, WskSockType) };
}

async function closeAll(...socks: (PWSK_SOCKET | null)[]): Promise<void> {
  for (const s of socks) {
    if (s === null) continue;
    open.delete(s);
    expectStatus(await W.WskCloseSocketSync(s), STATUS_SUCCESS);
  }
}

/** WskReceiveSync into a fresh buffer of `n` bytes; returns what arrived. */
async function receiveExactly(Sock: PWSK_SOCKET, SockType: number, n: number): Promise<Uint8Array> {
  const buf = new Uint8Array(n);
  const got = out(0);
  expectStatus(await W.WskReceiveSync(Sock, SockType, buf, n, false, n, TIMEOUT_MS, got), STATUS_SUCCESS);
  return buf.subarray(0, got[0]);
}

beforeEach(() => expectStatus(W.WskClientReg(), STATUS_SUCCESS));
afterEach(async () => {
  for (const s of open) await W.WskCloseSocketSync(s);
  open.clear();
  await W.WskClientDereg();
});

test('connection sockets: WskConnectExSync carries the first bytes; WskSendExSync / WskReceiveExSync; Async + Await; disconnect with data; abort', async () => {
  const L = await bound(WSK_FLAG_LISTEN_SOCKET, SOCK_STREAM, IPPROTO_TCP);
  const AcceptCompletion = out<W.WSKACCEPT_COMPLETION | null>(null);
  expectStatus(W.WskAcceptAsync(L.Sock, WSK_FLAG_LISTEN_SOCKET, AcceptCompletion), STATUS_SUCCESS);

  const C = await bound(WSK_FLAG_CONNECTION_SOCKET, SOCK_STREAM, IPPROTO_TCP);
  const first = randomBytes(1000, 3);
  expectStatus(await W.WskConnectExSync(C.Sock, WSK_FLAG_CONNECTION_SOCKET, sa(L.port), first, first.byteLength, false), STATUS_SUCCESS);
  const A = out<PWSK_SOCKET | null>(null);
  expectStatus(await W.WskAcceptAwait(AcceptCompletion[0]!, TIMEOUT_MS, A), STATUS_SUCCESS);
  const Acc = track(A[0]!);

  // The accepted socket sees the connecting socket's address, and the bytes WskConnectEx sent.
  const remote: SOCKADDR_STORAGE = {};
  expectStatus(await W.WskGetRemoteAddrSync(Acc, WSK_FLAG_CONNECTION_SOCKET, remote as PSOCKADDR), STATUS_SUCCESS);
  expect(sockaddrPort(remote as PSOCKADDR)).toBe(C.port);
  expect(Buffer.from(await receiveExactly(Acc, WSK_FLAG_CONNECTION_SOCKET, first.byteLength))).toEqual(Buffer.from(first));

  // WskSendEx without control information, WskReceiveEx with room for some: TCP has none to give.
  const second = randomBytes(4000, 5);
  const sent = out(0);
  expectStatus(await W.WskSendExSync(C.Sock, WSK_FLAG_CONNECTION_SOCKET, second, second.byteLength, false, null, 0, second.byteLength, 0, sent), STATUS_SUCCESS);
  expect(sent[0]).toBe(second.byteLength);
  const into = new Uint8Array(second.byteLength);
  const control = new Uint8Array(64);
  const ControlLen = out(control.byteLength);
  const got = out(0);
  expectStatus(
    await W.WskReceiveExSync(Acc, WSK_FLAG_CONNECTION_SOCKET, into, into.byteLength, false, control, ControlLen, into.byteLength, TIMEOUT_MS, got),
    STATUS_SUCCESS,
  );
  expect([got[0], ControlLen[0]]).toEqual([second.byteLength, 0]);
  expect(Buffer.from(into)).toEqual(Buffer.from(second));

  // The other way round with the Async helpers: the receive is posted first, then the send.
  const back = randomBytes(2500, 9);
  const backInto = new Uint8Array(back.byteLength);
  const Rc = out<W.WSKIOREQUEST_COMPLETION | null>(null);
  const Sc = out<W.WSKIOREQUEST_COMPLETION | null>(null);
  expectStatus(W.WskReceiveAsync(C.Sock, WSK_FLAG_CONNECTION_SOCKET, backInto, backInto.byteLength, false, Rc), STATUS_SUCCESS);
  expectStatus(W.WskSendAsync(Acc, WSK_FLAG_CONNECTION_SOCKET, back, back.byteLength, false, 0, Sc), STATUS_SUCCESS);
  const n = out(0);
  expectStatus(await W.WskSendAwait(Sc[0]!, TIMEOUT_MS, back.byteLength, n), STATUS_SUCCESS);
  expectStatus(await W.WskReceiveAwait(Rc[0]!, TIMEOUT_MS, back.byteLength, n), STATUS_SUCCESS);
  expect(Buffer.from(backInto)).toEqual(Buffer.from(back));

  // A graceful disconnect with a last buffer: the bytes arrive before the FIN.
  const bye = new TextEncoder().encode('bye');
  expectStatus(await W.WskDisconnectSync(C.Sock, WSK_FLAG_CONNECTION_SOCKET, bye, bye.byteLength, false), STATUS_SUCCESS);
  expect(new TextDecoder().decode(await receiveExactly(Acc, WSK_FLAG_CONNECTION_SOCKET, bye.byteLength))).toBe('bye');
  expectStatus(await W.WskAbortSync(Acc, WSK_FLAG_CONNECTION_SOCKET), STATUS_SUCCESS);
  await closeAll(Acc, C.Sock, L.Sock);
});

test('the Async forms: WskConnectExAsync + Await, WskDisconnectAsync with data + Await, an abortive one, and WskAcceptCancel', async () => {
  const L = await bound(WSK_FLAG_LISTEN_SOCKET, SOCK_STREAM, IPPROTO_TCP);
  const Ac = out<W.WSKACCEPT_COMPLETION | null>(null);
  expectStatus(W.WskAcceptAsync(L.Sock, WSK_FLAG_LISTEN_SOCKET, Ac), STATUS_SUCCESS);
  const C = await bound(WSK_FLAG_CONNECTION_SOCKET, SOCK_STREAM, IPPROTO_TCP);
  const hello = new TextEncoder().encode('hello');
  const Cc = out<W.WSKCONNECTEX_COMPLETION | null>(null);
  expectStatus(W.WskConnectExAsync(C.Sock, WSK_FLAG_CONNECTION_SOCKET, sa(L.port), hello, hello.byteLength, false, Cc), STATUS_SUCCESS);
  expectStatus(await W.WskConnectExAwait(Cc[0]!, TIMEOUT_MS), STATUS_SUCCESS);
  const A = out<PWSK_SOCKET | null>(null);
  expectStatus(await W.WskAcceptAwait(Ac[0]!, TIMEOUT_MS, A), STATUS_SUCCESS);
  const Acc = track(A[0]!);
  expect(new TextDecoder().decode(await receiveExactly(Acc, WSK_FLAG_CONNECTION_SOCKET, 5))).toBe('hello');

  const bye = new TextEncoder().encode('bye');
  const Dc = out<W.WSKDISCONNECT_COMPLETION | null>(null);
  expectStatus(W.WskDisconnectAsync(C.Sock, WSK_FLAG_CONNECTION_SOCKET, bye, bye.byteLength, false, 0, Dc), STATUS_SUCCESS);
  expectStatus(await W.WskDisconnectAwait(Dc[0]!, TIMEOUT_MS), STATUS_SUCCESS);
  expect(new TextDecoder().decode(await receiveExactly(Acc, WSK_FLAG_CONNECTION_SOCKET, 3))).toBe('bye');
  expectStatus(W.WskDisconnectAsync(Acc, WSK_FLAG_CONNECTION_SOCKET, null, 0, false, WSK_FLAG_ABORTIVE, Dc), STATUS_SUCCESS);
  expectStatus(await W.WskDisconnectAwait(Dc[0]!, TIMEOUT_MS), STATUS_SUCCESS);

  // Nobody else connects: the pending accept is cancelled and waited for.
  expectStatus(W.WskAcceptAsync(L.Sock, WSK_FLAG_LISTEN_SOCKET, Ac), STATUS_SUCCESS);
  expectStatus(Ac[0]!.Status, STATUS_PENDING);
  await W.WskAcceptCancel(Ac[0]!);
  await closeAll(Acc, C.Sock, L.Sock);
});

test('stream socket: WskListenSync, a WskAcceptSync and a WskReceiveSync that time out (their IRPs cancelled), then a node:net peer', async () => {
  const S = await bound(WSK_FLAG_STREAM_SOCKET, SOCK_STREAM, IPPROTO_TCP);
  expectStatus(await W.WskListenSync(S.Sock, WSK_FLAG_STREAM_SOCKET), STATUS_SUCCESS);
  const A = out<PWSK_SOCKET | null>(null);
  // Nobody connects: the helper's own timeout cancels the IRP. Unlike its Await and receive
  // helpers, C's WskAcceptSync does not turn STATUS_CANCELLED into STATUS_TIMEOUT.
  expectStatus(await W.WskAcceptSync(S.Sock, WSK_FLAG_STREAM_SOCKET, 20, A), STATUS_CANCELLED);
  expect(A[0]).toBeNull();

  const peer = net.connect({ host: LOOPBACK, port: S.port });
  expectStatus(await W.WskAcceptSync(S.Sock, WSK_FLAG_STREAM_SOCKET, TIMEOUT_MS, A), STATUS_SUCCESS);
  const Acc = track(A[0]!);
  const silent = new Uint8Array(16);
  expectStatus(await W.WskReceiveSync(Acc, WSK_FLAG_CONNECTION_SOCKET, silent, silent.byteLength, false, W.WSKCLIENT_UNKNOWN_BYTES, 20, null), STATUS_TIMEOUT);

  const data = randomBytes(3000, 11);
  peer.write(data);
  expect(Buffer.from(await receiveExactly(Acc, WSK_FLAG_CONNECTION_SOCKET, data.byteLength))).toEqual(Buffer.from(data));
  const echo = readBytes(peer, data.byteLength);
  expectStatus(await W.WskSendSync(Acc, WSK_FLAG_CONNECTION_SOCKET, data, data.byteLength, false, data.byteLength, 0, null), STATUS_SUCCESS);
  expect(await echo).toEqual(Buffer.from(data));
  const closed = new Promise((r) => peer.once('close', r));
  expectStatus(await W.WskAbortSync(Acc, WSK_FLAG_CONNECTION_SOCKET), STATUS_SUCCESS);
  await closed;
  await closeAll(Acc, S.Sock);
});

/** The bytes of each datagram a WskReceiveFromEvent was given, copied out (the event returns STATUS_SUCCESS). */
function datagramSink(): { dispatch: WSK_CLIENT_DATAGRAM_DISPATCH; received: Buffer[]; arrived: (n: number) => Promise<void> } {
  const received: Buffer[] = [];
  let wake = (): void => undefined;
  const dispatch: WSK_CLIENT_DATAGRAM_DISPATCH = {
    WskReceiveFromEvent: (_ctx, _flags, Indication: PWSK_DATAGRAM_INDICATION | null) => {
      for (let d = Indication; d !== null; d = d.Next) {
        const view = MmGetSystemAddressForMdlSafe(d.Buffer.Mdl!, NormalPagePriority)!;
        received.push(Buffer.from(view.subarray(d.Buffer.Offset, d.Buffer.Offset + d.Buffer.Length)));
      }
      wake();
      return STATUS_SUCCESS;
    },
  };
  const arrived = async (n: number): Promise<void> => {
    while (received.length < n) await new Promise<void>((r) => (wake = r));
  };
  return { dispatch, received, arrived };
}

test('datagram sockets: WskEnableCallbacks through an IRP delivers WskReceiveFromEvent; WskSendToSync / WskSendToAsync; WskReceiveSync on a datagram socket', async () => {
  const sink = datagramSink();
  const D = await bound(WSK_FLAG_DATAGRAM_SOCKET, SOCK_DGRAM, IPPROTO_UDP, null, sink.dispatch);
  // SO_WSK_EVENT_CALLBACK set with an IRP, as win-net-test does: completes STATUS_SUCCESS.
  expectStatus(await W.WskEnableCallbacks(D.Sock, WSK_FLAG_DATAGRAM_SOCKET, WSK_EVENT_RECEIVE_FROM), STATUS_SUCCESS);

  const peer = dgram.createSocket('udp4');
  await new Promise<void>((r) => peer.bind(0, LOOPBACK, r));
  const peerPort = peer.address().port;
  const payloads = [randomBytes(100, 1), randomBytes(1200, 2), randomBytes(7, 3)];
  for (const p of payloads) peer.send(p, D.port, LOOPBACK);
  await sink.arrived(payloads.length);
  expect(sink.received).toEqual(payloads.map((p) => Buffer.from(p)));

  // Back to the peer: one datagram through each send helper.
  const atPeer: Buffer[] = [];
  const twoArrived = new Promise<void>((r) => peer.on('message', (m) => atPeer.push(m) === 2 && r()));
  const sent = out(0);
  expectStatus(await W.WskSendToSync(D.Sock, payloads[1]!, payloads[1]!.byteLength, false, payloads[1]!.byteLength, sa(peerPort), 0, null, sent), STATUS_SUCCESS);
  expect(sent[0]).toBe(payloads[1]!.byteLength);
  const Sc = out<W.WSKIOREQUEST_COMPLETION | null>(null);
  expectStatus(W.WskSendToAsync(D.Sock, payloads[2]!, payloads[2]!.byteLength, false, sa(peerPort), 0, null, Sc), STATUS_SUCCESS);
  expectStatus(await W.WskSendToAwait(Sc[0]!, TIMEOUT_MS, payloads[2]!.byteLength, null), STATUS_SUCCESS);
  await twoArrived;
  expect(atPeer).toEqual([Buffer.from(payloads[1]!), Buffer.from(payloads[2]!)]);

  // A datagram socket without events: WskReceiveSync goes through WskReceiveFrom.
  const P = await bound(WSK_FLAG_DATAGRAM_SOCKET, SOCK_DGRAM, IPPROTO_UDP);
  peer.send(payloads[0]!, P.port, LOOPBACK);
  expect(Buffer.from(await receiveExactly(P.Sock, WSK_FLAG_DATAGRAM_SOCKET, payloads[0]!.byteLength))).toEqual(Buffer.from(payloads[0]!));

  await new Promise<void>((r) => peer.close(r));
  await closeAll(D.Sock, P.Sock);
});
