// IOCTLs about the host rather than one connection, in this process's namespace:
// SIO_ADDRESS_LIST_QUERY (sizes as in C, the loopback addresses there), SIO_ADDRESS_LIST_CHANGE
// (pends; cancel and close complete it), SIO_ROUTING_INTERFACE_QUERY, and the calls msquic's
// datapath makes on basic sockets before any binding (SIO_QUERY_RSS_SCALABILITY_INFO, the UDP
// offload and traffic class probes of CxPlatDataPathQuerySockoptSupport). A change of the list
// itself needs a namespace of its own: test/netns-options.test.ts.
import {
  AF_INET,
  AF_INET6,
  IoCancelIrp,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IPV6_TCLASS,
  PSOCKADDR,
  RSS_SCALABILITY_INFO,
  SIO_ADDRESS_LIST_CHANGE,
  SIO_ADDRESS_LIST_QUERY,
  SIO_QUERY_RSS_SCALABILITY_INFO,
  SIO_ROUTING_INTERFACE_QUERY,
  SOCK_DGRAM,
  SOCK_STREAM,
  SOCKADDR_STORAGE,
  SOCKET_ADDRESS_LIST,
  SOL_SOCKET,
  STATUS_BUFFER_OVERFLOW,
  STATUS_CANCELLED,
  STATUS_INVALID_PARAMETER,
  STATUS_PENDING,
  STATUS_SUCCESS,
  UDP_RECV_MAX_COALESCED_SIZE,
  UDP_SEND_MSG_SIZE,
  WSK_FLAG_BASIC_SOCKET,
  WSK_SOCKET,
  WskGetOption,
  WskIoctl,
  sockaddrAddressString,
  sockaddrFromString,
  openSocketCount,
} from '../lib';
import { call, expectStatus, newOp, Provider, register, unregister, wskClose, wskSocket } from './helpers';
import { setOption } from './option-helpers';

let p: Provider;
beforeEach(() => {
  p = register();
});
afterEach(async () => {
  await unregister(p);
});

const basic = (family: number, type = SOCK_DGRAM, protocol = IPPROTO_UDP): Promise<WSK_SOCKET> => wskSocket(p, family, type, protocol, WSK_FLAG_BASIC_SOCKET);

describe('SIO_ADDRESS_LIST_QUERY', () => {
  test.each([
    [AF_INET, '127.0.0.1', 16],
    [AF_INET6, '::1', 28],
  ])('family %i: a size query (STATUS_BUFFER_OVERFLOW, the size in OutputSizeReturned), then the list, %s in it', async (family, loopback, sockaddrSize) => {
    const s = await basic(family);
    const needed = { 0: 0 };
    expectStatus(s.Dispatch.WskControlSocket(s, WskIoctl, SIO_ADDRESS_LIST_QUERY, 0, 0, null, 0, {}, needed, null), STATUS_BUFFER_OVERFLOW);
    const list = {} as SOCKET_ADDRESS_LIST;
    const returned = { 0: 0 };
    expectStatus(s.Dispatch.WskControlSocket(s, WskIoctl, SIO_ADDRESS_LIST_QUERY, 0, 0, null, needed[0], list, returned, null), STATUS_SUCCESS);
    // SOCKET_ADDRESS_LIST's header, one SOCKET_ADDRESS and one SOCKADDR per address.
    expect(returned[0]).toBe(8 + list.iAddressCount * (16 + sockaddrSize));
    expect(list.Address.length).toBe(list.iAddressCount);
    expect(list.Address.every((a) => a.iSockaddrLength === sockaddrSize && a.lpSockaddr && (a.lpSockaddr as { sin_family?: number; sin6_family?: number })[family === AF_INET ? 'sin_family' : 'sin6_family'] === family)).toBe(true);
    expect(list.Address.map((a) => sockaddrAddressString(a.lpSockaddr))).toContain(loopback);
    // With an IRP, the size goes to Information.
    const irp = await call((i) => s.Dispatch.WskControlSocket(s, WskIoctl, SIO_ADDRESS_LIST_QUERY, 0, 0, null, 8, {}, null, i));
    expectStatus(irp.IoStatus.Status, STATUS_BUFFER_OVERFLOW);
    expect(irp.IoStatus.Information).toBe(needed[0]);
    await wskClose(s);
  });
});

describe('SIO_ADDRESS_LIST_CHANGE', () => {
  test('pends until the list changes; IoCancelIrp and WskCloseSocket complete it STATUS_CANCELLED; the netlink socket closes with the last one', async () => {
    const s = await basic(AF_INET);
    const before = openSocketCount();
    const first = newOp();
    expectStatus(s.Dispatch.WskControlSocket(s, WskIoctl, SIO_ADDRESS_LIST_CHANGE, 0, 0, null, 0, null, null, first.irp), STATUS_PENDING);
    expect(openSocketCount()).toBe(before + 1);
    const second = newOp();
    expectStatus(s.Dispatch.WskControlSocket(s, WskIoctl, SIO_ADDRESS_LIST_CHANGE, 0, 0, null, 0, null, null, second.irp), STATUS_PENDING);
    IoCancelIrp(first.irp);
    expectStatus((await first.done).IoStatus.Status, STATUS_CANCELLED);
    expect(openSocketCount()).toBe(before + 1);
    await wskClose(s);
    expectStatus((await second.done).IoStatus.Status, STATUS_CANCELLED);
    expect([first.completions, second.completions]).toEqual([1, 1]);
    expect(openSocketCount()).toBe(before - 1);
  });

  test('without an IRP: STATUS_INVALID_PARAMETER', async () => {
    const s = await basic(AF_INET6);
    expectStatus(s.Dispatch.WskControlSocket(s, WskIoctl, SIO_ADDRESS_LIST_CHANGE, 0, 0, null, 0, null, null, null), STATUS_INVALID_PARAMETER);
    await wskClose(s);
  });
});

describe('SIO_ROUTING_INTERFACE_QUERY', () => {
  test.each([
    [AF_INET, '127.0.0.9', '127.0.0.1', 16],
    [AF_INET6, '::1', '::1', 28],
  ])('family %i: to %s leaves from %s', async (family, to, from, size) => {
    const s = await basic(family);
    const out: SOCKADDR_STORAGE = {};
    const irp = await call((i) => s.Dispatch.WskControlSocket(s, WskIoctl, SIO_ROUTING_INTERFACE_QUERY, 0, size, sockaddrFromString(to, 0), size, out, null, i));
    expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
    expect([sockaddrAddressString(out as PSOCKADDR), irp.IoStatus.Information]).toEqual([from, size]);
    // A destination of the other family is malformed for this socket.
    const other = sockaddrFromString(family === AF_INET ? '::1' : '127.0.0.1', 0);
    expectStatus((await call((i) => s.Dispatch.WskControlSocket(s, WskIoctl, SIO_ROUTING_INTERFACE_QUERY, 0, 28, other, 28, {}, null, i))).IoStatus.Status, STATUS_INVALID_PARAMETER);
    await wskClose(s);
  });
});

describe("msquic's probes on basic sockets (datapath_winkernel.c: CxPlatDataPathQueryRssScalabilityInfo, CxPlatDataPathQuerySockoptSupport)", () => {
  test('SIO_QUERY_RSS_SCALABILITY_INFO on a basic TCP socket (Level SOL_SOCKET): RssEnabled FALSE, one byte', async () => {
    const s = await basic(AF_INET6, SOCK_STREAM, IPPROTO_TCP);
    const info = { RssEnabled: true } as RSS_SCALABILITY_INFO;
    const returned = { 0: -1 };
    const irp = await call((i) => s.Dispatch.WskControlSocket(s, WskIoctl, SIO_QUERY_RSS_SCALABILITY_INFO, SOL_SOCKET, 0, null, 1, info, returned, i));
    expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
    expect([info.RssEnabled, irp.IoStatus.Information]).toEqual([false, 1]);
    const bytes = new Uint8Array([7]);
    expectStatus((await call((i) => s.Dispatch.WskControlSocket(s, WskIoctl, SIO_QUERY_RSS_SCALABILITY_INFO, SOL_SOCKET, 0, null, 1, bytes, null, i))).IoStatus.Status, STATUS_SUCCESS);
    expect(bytes[0]).toBe(0);
    await wskClose(s);
  });

  test('UDP_SEND_MSG_SIZE and UDP_RECV_MAX_COALESCED_SIZE gets, and an IPV6_TCLASS set, succeed on a basic UDP socket', async () => {
    const s = await basic(AF_INET6);
    for (const option of [UDP_SEND_MSG_SIZE, UDP_RECV_MAX_COALESCED_SIZE]) {
      const out = new Uint32Array([99]);
      const irp = await call((i) => s.Dispatch.WskControlSocket(s, WskGetOption, option, IPPROTO_UDP, 0, null, 4, out, { 0: 0 }, i));
      expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
      expect(out[0]).toBe(0);
    }
    expectStatus(await setOption(s, IPPROTO_IPV6, IPV6_TCLASS, 1), STATUS_SUCCESS);
    await wskClose(s);
  });
});
