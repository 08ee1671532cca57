// ICMP errors on datagram sockets: IP_RECVERR / IPV6_RECVERR deliver each one as a datagram
// with an IN_RECVERR control message (what msquic's receive path reads to learn a peer is
// unreachable); SIO_UDP_CONNRESET turns a port unreachable into STATUS_PORT_UNREACHABLE for the
// next WskReceiveFrom; without either, nothing is reported. The errors are real: a datagram to a
// closed port on loopback brings back an ICMP (or ICMPv6) port unreachable.
import {
  AF_INET6,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_UDP,
  IP_RECVERR,
  IPV6_RECVERR,
  IPV6_V6ONLY,
  MmGetSystemAddressForMdlSafe,
  NormalPagePriority,
  NTSTATUS,
  PSOCKADDR,
  PWSK_DATAGRAM_INDICATION,
  SIO_UDP_CONNRESET,
  SOCK_DGRAM,
  STATUS_NOT_SUPPORTED,
  STATUS_PORT_UNREACHABLE,
  STATUS_SUCCESS,
  WSK_CLIENT_DATAGRAM_DISPATCH,
  WSK_FLAG_DATAGRAM_SOCKET,
  WSK_SOCKET,
  sockaddrAddressString,
  sockaddrFromString,
  sockaddrPort,
} from '../lib';
import { call, expectStatus, Provider, register, unregister, wskClose, wskSocket } from './helpers';
import { controlMap, int32, ioctl, receiveFrom, sendTo, setOption } from './option-helpers';
import { dg, enableReceiveFrom, Family, LOOPBACK, peer, udpSocket } from './udp-helpers';

let p: Provider;
beforeEach(() => {
  p = register();
});
afterEach(async () => {
  await unregister(p);
});

/** A loopback port nothing listens on (a node:dgram socket's, closed). */
async function closedPort(family: Family): Promise<number> {
  const q = await peer(family);
  const port = q.port;
  await q.close();
  return port;
}

/** IN_RECVERR { IPPROTO protocol; ULONG info; UINT8 type; UINT8 code }. */
function recvErr(data: Uint8Array | undefined): { protocol: number; type: number; code: number } | undefined {
  if (!data) return undefined;
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return { protocol: dv.getInt32(0, true), type: data[8], code: data[9] };
}

const UNREACHABLE = { 4: { protocol: IPPROTO_ICMP, type: 3, code: 3 }, 6: { protocol: IPPROTO_ICMPV6, type: 1, code: 4 } };

describe('IP_RECVERR and IPV6_RECVERR', () => {
  test.each([4, 6] as Family[])('IPv%i: WskReceiveFrom gets the datagram that failed, its destination and IN_RECVERR', async (family) => {
    const s = await udpSocket(p, family);
    const level = family === 4 ? IPPROTO_IP : IPPROTO_IPV6;
    const type = family === 4 ? IP_RECVERR : IPV6_RECVERR;
    expectStatus(await setOption(s.s, level, type, 1), STATUS_SUCCESS);
    const port = await closedPort(family);
    expectStatus(await sendTo(s.s, Buffer.from('lost datagram'), sockaddrFromString(LOOPBACK[family], port)), STATUS_SUCCESS);
    const r = await receiveFrom(s.s);
    expectStatus(r.status, STATUS_SUCCESS);
    expect(r.data.toString()).toBe('lost datagram');
    expect([sockaddrAddressString(r.from as PSOCKADDR), sockaddrPort(r.from as PSOCKADDR)]).toEqual([LOOPBACK[family], port]);
    expect(recvErr(r.control.get(`${level}:${type}`))).toEqual(UNREACHABLE[family]);
    await wskClose(s.s);
  });

  test("a dual-stack socket reports an IPv4 error as IP_RECVERR through WskReceiveFromEvent (msquic's unreachable path)", async () => {
    const got: Array<{ data: string; from: string; control: Map<string, Uint8Array> }> = [];
    const dispatch: WSK_CLIENT_DATAGRAM_DISPATCH = {
      WskReceiveFromEvent: (_c: unknown, _f: number, ind: PWSK_DATAGRAM_INDICATION | null): NTSTATUS => {
        for (let d = ind; d; d = d.Next) {
          const va = MmGetSystemAddressForMdlSafe(d.Buffer.Mdl!, NormalPagePriority)!;
          got.push({
            data: Buffer.from(va.subarray(d.Buffer.Offset, d.Buffer.Offset + d.Buffer.Length)).toString(),
            from: sockaddrAddressString(d.RemoteAddress),
            control: controlMap(d.ControlInfo, d.ControlInfoLength),
          });
        }
        return STATUS_SUCCESS;
      },
    };
    const s = await wskSocket(p, AF_INET6, SOCK_DGRAM, IPPROTO_UDP, WSK_FLAG_DATAGRAM_SOCKET, null, dispatch);
    expectStatus(await setOption(s, IPPROTO_IPV6, IPV6_V6ONLY, 0), STATUS_SUCCESS);
    expectStatus(await setOption(s, IPPROTO_IP, IP_RECVERR, 1), STATUS_SUCCESS);
    expectStatus(await setOption(s, IPPROTO_IPV6, IPV6_RECVERR, 1), STATUS_SUCCESS);
    expectStatus((await call((i) => dg(s).WskBind(s, sockaddrFromString('::', 0), 0, i))).IoStatus.Status, STATUS_SUCCESS);
    expectStatus(enableReceiveFrom(s), STATUS_SUCCESS);
    const port = await closedPort(4);
    expectStatus(await sendTo(s, Buffer.from('to v4'), sockaddrFromString('::ffff:127.0.0.1', port)), STATUS_SUCCESS);
    for (let i = 0; i < 400 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(got.map((g) => [g.data, g.from, recvErr(g.control.get(`${IPPROTO_IP}:${IP_RECVERR}`))])).toEqual([['to v4', '::ffff:127.0.0.1', UNREACHABLE[4]]]);
    await wskClose(s);
  });

  test('without it, the error is not reported: the next datagram is', async () => {
    const s = await udpSocket(p, 4);
    const from = await peer(4);
    expectStatus(await sendTo(s.s, Buffer.from('x'), sockaddrFromString('127.0.0.1', await closedPort(4))), STATUS_SUCCESS);
    const receiving = receiveFrom(s.s);
    await new Promise((r) => setTimeout(r, 20));
    await from.send(Buffer.from('real'), s.port);
    const r = await receiving;
    expect([r.data.toString(), [...r.control.keys()]]).toEqual(['real', []]);
    await from.close();
    await wskClose(s.s);
  });
});

describe('SIO_UDP_CONNRESET', () => {
  test.each([4, 6] as Family[])('IPv%i: on, a port unreachable completes the next WskReceiveFrom STATUS_PORT_UNREACHABLE with the address; off again, it does not', async (family) => {
    const s = await udpSocket(p, family);
    expectStatus((await ioctl(s.s, SIO_UDP_CONNRESET, int32(1))).status, STATUS_SUCCESS);
    const port = await closedPort(family);
    const receiving = receiveFrom(s.s);
    expectStatus(await sendTo(s.s, Buffer.from('x'), sockaddrFromString(LOOPBACK[family], port)), STATUS_SUCCESS);
    const r = await receiving;
    expectStatus(r.status, STATUS_PORT_UNREACHABLE);
    expect([r.data.byteLength, sockaddrPort(r.from as PSOCKADDR)]).toEqual([0, port]);

    expectStatus((await ioctl(s.s, SIO_UDP_CONNRESET, new Uint8Array([0]))).status, STATUS_SUCCESS);
    const from = await peer(family);
    expectStatus(await sendTo(s.s, Buffer.from('x'), sockaddrFromString(LOOPBACK[family], port)), STATUS_SUCCESS);
    const next = receiveFrom(s.s);
    await new Promise((r2) => setTimeout(r2, 20));
    await from.send(Buffer.from('after'), s.port, LOOPBACK[family]);
    expect((await next).data.toString()).toBe('after');
    await from.close();
    await wskClose(s.s);
  });

  test('on a TCP socket it is not supported', async () => {
    const s: WSK_SOCKET = await wskSocket(p, 2, 1, 6, 1);
    expectStatus((await ioctl(s, SIO_UDP_CONNRESET, int32(1))).status, STATUS_NOT_SUPPORTED);
    await wskClose(s);
  });
});
