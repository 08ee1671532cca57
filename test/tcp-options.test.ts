// TCP options and IOCTLs with their Windows forms: SIO_KEEPALIVE_VALS, TCP_MAXRT(MS), SO_LINGER,
// SO_DONTLINGER, TCP_NOSYNRETRIES, TCP_FAIL_CONNECT_ON_ICMP_ERROR, SO_REUSE_UNICASTPORT,
// SIO_LOOPBACK_FAST_PATH, and SIO_TCP_INFO filled from the host's TCP_INFO while real bytes move.
import {
  AF_INET,
  AF_INET6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  PSOCKADDR,
  SIO_KEEPALIVE_VALS,
  SIO_LOOPBACK_FAST_PATH,
  SIO_TCP_INFO,
  SIZEOF_TCP_INFO_v0,
  SIZEOF_TCP_INFO_v1,
  SIZEOF_TCP_INFO_v2,
  SOCK_DGRAM,
  SOCK_STREAM,
  SOCKADDR_STORAGE,
  SOL_SOCKET,
  SO_DONTLINGER,
  SO_KEEPALIVE,
  SO_LINGER,
  SO_PORT_SCALABILITY,
  SO_RANDOMIZE_PORT,
  SO_REUSE_UNICASTPORT,
  STATUS_BUFFER_TOO_SMALL,
  STATUS_INVALID_BUFFER_SIZE,
  STATUS_INVALID_PARAMETER,
  STATUS_NOT_SUPPORTED,
  STATUS_SUCCESS,
  TCP_FAIL_CONNECT_ON_ICMP_ERROR,
  TCP_INFO_v1,
  TCP_KEEPALIVE,
  TCP_KEEPCNT,
  TCP_KEEPINTVL,
  TCP_MAXRT,
  TCP_MAXRTMS,
  TCP_NOSYNRETRIES,
  TCPSTATE_ESTABLISHED,
  TCPSTATE_LISTEN,
  WSK_FLAG_BASIC_SOCKET,
  WSK_FLAG_CONNECTION_SOCKET,
  WSK_FLAG_DATAGRAM_SOCKET,
  WSK_SOCKET,
  WskGetOption,
  WskIoctl,
  sockaddrPort,
} from '../lib';
import { call, expectStatus, listenOn, Provider, register, unregister, wskClose, wskSocket } from './helpers';
import { conn, connectedPair, readBytes, sockaddr, wskBuf } from './conn-helpers';
import { getOption, int32, ioctl, setOption } from './option-helpers';

let p: Provider;
beforeEach(() => {
  p = register();
});
afterEach(async () => {
  await unregister(p);
});

const tcpSocket = (family = AF_INET, flags = WSK_FLAG_CONNECTION_SOCKET): Promise<WSK_SOCKET> => wskSocket(p, family, SOCK_STREAM, IPPROTO_TCP, flags);
const udpBasic = (): Promise<WSK_SOCKET> => wskSocket(p, AF_INET, SOCK_DGRAM, IPPROTO_UDP, WSK_FLAG_BASIC_SOCKET);

describe('keep-alive and timeouts', () => {
  test('SIO_KEEPALIVE_VALS (bytes or an object): SO_KEEPALIVE, the idle time and interval in whole seconds, 10 probes as on Windows', async () => {
    const s = await tcpSocket();
    const vals = new Uint8Array(new Uint32Array([1, 2500, 1500]).buffer);
    expectStatus((await ioctl(s, SIO_KEEPALIVE_VALS, vals)).status, STATUS_SUCCESS);
    expect([await getOption(s, SOL_SOCKET, SO_KEEPALIVE), await getOption(s, IPPROTO_TCP, TCP_KEEPALIVE), await getOption(s, IPPROTO_TCP, TCP_KEEPINTVL), await getOption(s, IPPROTO_TCP, TCP_KEEPCNT)]).toEqual([1, 3, 2, 10]);
    expectStatus((await ioctl(s, SIO_KEEPALIVE_VALS, { onoff: 1, keepalivetime: 60000, keepaliveinterval: 200 }, null, [12, 0])).status, STATUS_SUCCESS);
    expect([await getOption(s, IPPROTO_TCP, TCP_KEEPALIVE), await getOption(s, IPPROTO_TCP, TCP_KEEPINTVL)]).toEqual([60, 1]);
    expectStatus((await ioctl(s, SIO_KEEPALIVE_VALS, { onoff: 0, keepalivetime: 0, keepaliveinterval: 0 }, null, [12, 0])).status, STATUS_SUCCESS);
    expect(await getOption(s, SOL_SOCKET, SO_KEEPALIVE)).toBe(0);
    expectStatus((await ioctl(s, SIO_KEEPALIVE_VALS, new Uint8Array(8))).status, STATUS_INVALID_PARAMETER);
    await wskClose(s);
    const u = await udpBasic();
    expectStatus((await ioctl(u, SIO_KEEPALIVE_VALS, vals)).status, STATUS_NOT_SUPPORTED);
    await wskClose(u);
  });

  test('TCP_MAXRT (seconds) and TCP_MAXRTMS (ms) are the host user timeout; TCP_NOSYNRETRIES and TCP_FAIL_CONNECT_ON_ICMP_ERROR read back', async () => {
    const s = await tcpSocket(AF_INET6);
    expectStatus(await setOption(s, IPPROTO_TCP, TCP_MAXRT, 7), STATUS_SUCCESS);
    expect([await getOption(s, IPPROTO_TCP, TCP_MAXRT), await getOption(s, IPPROTO_TCP, TCP_MAXRTMS)]).toEqual([7, 7000]);
    expectStatus(await setOption(s, IPPROTO_TCP, TCP_MAXRTMS, 1500), STATUS_SUCCESS);
    expect(await getOption(s, IPPROTO_TCP, TCP_MAXRT)).toBe(2);
    expectStatus(await setOption(s, IPPROTO_TCP, TCP_MAXRT, 0xffffffff), STATUS_SUCCESS);
    expect(await getOption(s, IPPROTO_TCP, TCP_MAXRTMS)).toBe(0x7fffffff);
    expectStatus(await setOption(s, IPPROTO_TCP, TCP_NOSYNRETRIES, new Uint8Array([1])), STATUS_SUCCESS);
    expect(await getOption(s, IPPROTO_TCP, TCP_NOSYNRETRIES)).toBe(1);
    expectStatus(await setOption(s, IPPROTO_TCP, TCP_NOSYNRETRIES, 0), STATUS_SUCCESS);
    expect(await getOption(s, IPPROTO_TCP, TCP_NOSYNRETRIES)).toBe(0);
    expectStatus(await setOption(s, IPPROTO_TCP, TCP_FAIL_CONNECT_ON_ICMP_ERROR, 1), STATUS_SUCCESS);
    expect(await getOption(s, IPPROTO_TCP, TCP_FAIL_CONNECT_ON_ICMP_ERROR)).toBe(1);
    await wskClose(s);
  });
});

describe('linger', () => {
  test('SO_LINGER is struct linger { u_short l_onoff; u_short l_linger } (bytes or an object); SO_DONTLINGER is its negation; not on UDP', async () => {
    const s = await tcpSocket();
    const lingerBytes = async (): Promise<number[]> => {
      const out = new Uint8Array(4);
      const irp = await call((i) => s.Dispatch.WskControlSocket(s, WskGetOption, SO_LINGER, SOL_SOCKET, 0, null, 4, out, null, i));
      expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
      return [...new Uint16Array(out.buffer)];
    };
    expect(await lingerBytes()).toEqual([0, 0]);
    expect(await getOption(s, SOL_SOCKET, SO_DONTLINGER)).toBe(1);
    expectStatus(await setOption(s, SOL_SOCKET, SO_LINGER, new Uint8Array(new Uint16Array([1, 5]).buffer)), STATUS_SUCCESS);
    expect(await lingerBytes()).toEqual([1, 5]);
    expect(await getOption(s, SOL_SOCKET, SO_DONTLINGER)).toBe(0);
    expectStatus(await setOption(s, SOL_SOCKET, SO_DONTLINGER, 1), STATUS_SUCCESS);
    expect(await lingerBytes()).toEqual([0, 5]);
    const asObject: Record<string, number> = {};
    const irp = await call((i) => s.Dispatch.WskControlSocket(s, WskGetOption, SO_LINGER, SOL_SOCKET, 0, null, 4, asObject, null, i));
    expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
    expect(asObject).toEqual({ l_onoff: 0, l_linger: 5 });
    expectStatus(await setOption(s, SOL_SOCKET, SO_LINGER, new Uint8Array(2)), STATUS_INVALID_PARAMETER);
    await wskClose(s);
    const u = await udpBasic();
    expectStatus(await setOption(u, SOL_SOCKET, SO_LINGER, new Uint8Array(4)), STATUS_INVALID_PARAMETER);
    await wskClose(u);
  });
});

describe('ports', () => {
  test('SO_REUSE_UNICASTPORT defers the ephemeral port to connect (IP_BIND_ADDRESS_NO_PORT); SO_RANDOMIZE_PORT and SO_PORT_SCALABILITY read back', async () => {
    const pair = await connectedPair(p);
    const port = pair.peer.localPort!;
    const localPort = async (s: WSK_SOCKET): Promise<number> => {
      const local: SOCKADDR_STORAGE = {};
      expectStatus((await call((i) => conn(s).WskGetLocalAddress(s, local, i))).IoStatus.Status, STATUS_SUCCESS);
      return sockaddrPort(local as PSOCKADDR);
    };
    const s = await tcpSocket();
    expectStatus(await setOption(s, SOL_SOCKET, SO_REUSE_UNICASTPORT, 1), STATUS_SUCCESS);
    expect(await getOption(s, SOL_SOCKET, SO_REUSE_UNICASTPORT)).toBe(1);
    await call((i) => conn(s).WskBind(s, sockaddr('127.0.0.1', 0), 0, i));
    expect(await localPort(s)).toBe(0);
    expectStatus((await call((i) => conn(s).WskConnect(s, sockaddr('127.0.0.1', port), 0, i))).IoStatus.Status, STATUS_SUCCESS);
    expect(await localPort(s)).not.toBe(0);
    for (const option of [SO_RANDOMIZE_PORT, SO_PORT_SCALABILITY]) {
      expect(await getOption(s, SOL_SOCKET, option)).toBe(0);
      expectStatus(await setOption(s, SOL_SOCKET, option, 1), STATUS_SUCCESS);
      expect(await getOption(s, SOL_SOCKET, option)).toBe(1);
    }
    await wskClose(s);
    await wskClose(pair.s);
    await pair.close();
  });
});

describe('SIO_LOOPBACK_FAST_PATH', () => {
  test('accepted on TCP sockets (with an IRP), as Windows still does; not supported on UDP; an empty input is STATUS_INVALID_BUFFER_SIZE', async () => {
    const s = await tcpSocket();
    expectStatus((await ioctl(s, SIO_LOOPBACK_FAST_PATH, int32(1))).status, STATUS_SUCCESS);
    expectStatus((await ioctl(s, SIO_LOOPBACK_FAST_PATH, new Uint8Array(0))).status, STATUS_INVALID_BUFFER_SIZE);
    expectStatus(s.Dispatch.WskControlSocket(s, WskIoctl, SIO_LOOPBACK_FAST_PATH, 0, 4, int32(1), 0, null, null, null), STATUS_INVALID_PARAMETER);
    await wskClose(s);
    const u = await wskSocket(p, AF_INET, SOCK_DGRAM, IPPROTO_UDP, WSK_FLAG_DATAGRAM_SOCKET);
    expectStatus((await ioctl(u, SIO_LOOPBACK_FAST_PATH, int32(1))).status, STATUS_NOT_SUPPORTED);
    await wskClose(u);
  });
});

describe('SIO_TCP_INFO', () => {
  async function tcpInfo(s: WSK_SOCKET, version: number): Promise<TCP_INFO_v1> {
    const info = {} as TCP_INFO_v1;
    const size = [SIZEOF_TCP_INFO_v0, SIZEOF_TCP_INFO_v1, SIZEOF_TCP_INFO_v2][version];
    const r = await ioctl(s, SIO_TCP_INFO, int32(version), info, [4, size]);
    expectStatus(r.status, STATUS_SUCCESS);
    expect(r.information).toBe(size);
    return info;
  }

  test('v0, v1 and v2 from the host TCP_INFO: bytes out and in, bytes in flight going to 0 as the peer acknowledges', async () => {
    const pair = await connectedPair(p);
    const before = await tcpInfo(pair.s, 1);
    expect(before.State).toBe(TCPSTATE_ESTABLISHED);
    expect(before.Mss).toBeGreaterThan(0);
    expect(before.Cwnd).toBeGreaterThanOrEqual(before.Mss);
    expect(before.ConnectionTimeMs).toBeGreaterThanOrEqual(0);
    expect([before.BytesOut, before.BytesIn]).toEqual([0, 0]);

    const data = new Uint8Array(200000).fill(7);
    const peerRead = readBytes(pair.peer, data.byteLength);
    expectStatus((await call((i) => conn(pair.s).WskSend(pair.s, wskBuf(data), 0, i))).IoStatus.Status, STATUS_SUCCESS);
    await peerRead;
    pair.peer.write(Buffer.alloc(5000, 1));
    const received = new Uint8Array(5000);
    for (let got = 0; got < 5000; ) {
      const irp = await call((i) => conn(pair.s).WskReceive(pair.s, wskBuf(received, got), 0, i));
      got += irp.IoStatus.Information as number;
    }
    // The peer read every byte; its acknowledgements follow (bounded wait).
    let after = await tcpInfo(pair.s, 1);
    for (let i = 0; i < 200 && after.BytesInFlight > 0; i++) {
      await new Promise((r) => setTimeout(r, 5));
      after = await tcpInfo(pair.s, 1);
    }
    // BytesOut counts retransmissions too (loopback drops segments when the peer's buffer is full).
    expect([after.BytesOut - after.BytesRetrans, after.BytesIn, after.BytesInFlight]).toEqual([200000, 5000, 0]);
    expect(after.RttUs).toBeGreaterThan(0);
    expect(after.SndLimTimeCwnd + after.SndLimTimeRwin + after.SndLimTimeSnd).toBeGreaterThanOrEqual(0);
    const v2 = (await tcpInfo(pair.s, 2)) as TCP_INFO_v1 & { OutOfOrderPktsIn: number };
    expect(v2.OutOfOrderPktsIn).toBe(0);

    // The C bytes: State at 0, BytesOut at 48, BytesIn at 56.
    const bytes = new Uint8Array(SIZEOF_TCP_INFO_v0);
    expectStatus((await ioctl(pair.s, SIO_TCP_INFO, int32(0), bytes)).status, STATUS_SUCCESS);
    const dv = new DataView(bytes.buffer);
    expect([dv.getUint32(0, true), Number(dv.getBigUint64(48, true)) - dv.getUint32(68, true), Number(dv.getBigUint64(56, true))]).toEqual([TCPSTATE_ESTABLISHED, 200000, 5000]);
    expectStatus((await ioctl(pair.s, SIO_TCP_INFO, int32(1), new Uint8Array(SIZEOF_TCP_INFO_v0))).status, STATUS_BUFFER_TOO_SMALL);
    expectStatus((await ioctl(pair.s, SIO_TCP_INFO, int32(3), new Uint8Array(200))).status, STATUS_NOT_SUPPORTED);
    await wskClose(pair.s);
    await pair.close();
  });

  test('a listener reports TCPSTATE_LISTEN; a UDP socket is not supported', async () => {
    const { socket } = await listenOn(p, '127.0.0.1');
    expect((await tcpInfo(socket, 0)).State).toBe(TCPSTATE_LISTEN);
    await wskClose(socket);
    const u = await udpBasic();
    expectStatus((await ioctl(u, SIO_TCP_INFO, int32(0), new Uint8Array(SIZEOF_TCP_INFO_v0))).status, STATUS_NOT_SUPPORTED);
    await wskClose(u);
  });
});
