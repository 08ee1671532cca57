// Socket options on connection and listening sockets, and Windows' address-sharing rules.
import {
  AF_INET,
  AF_INET6,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPV6_UNICAST_HOPS,
  IPV6_V6ONLY,
  IP_TTL,
  NTSTATUS,
  PSOCKADDR,
  SOCKADDR_STORAGE,
  SOCK_STREAM,
  SOL_SOCKET,
  SO_EXCLUSIVEADDRUSE,
  SO_KEEPALIVE,
  SO_RCVBUF,
  SO_REUSEADDR,
  SO_SNDBUF,
  STATUS_ACCESS_DENIED,
  STATUS_ADDRESS_ALREADY_EXISTS,
  STATUS_INVALID_PARAMETER,
  STATUS_PENDING,
  STATUS_SUCCESS,
  TCP_NODELAY,
  WSK_FLAG_CONNECTION_SOCKET,
  WSK_FLAG_LISTEN_SOCKET,
  WSK_PROVIDER_LISTEN_DISPATCH,
  WSK_SOCKET,
  WskGetOption,
  WskSetOption,
  sockaddrAddressString,
  sockaddrPort,
} from '../lib';
import { call, expectStatus, netClosed, netConnect, newOp, Provider, register, unregister, wskClose, wskSocket } from './helpers';
import { conn, netServer, sockaddr } from './conn-helpers';

async function setOpt(s: WSK_SOCKET, level: number, name: number, value: number): Promise<NTSTATUS> {
  const irp = await call((i) => s.Dispatch.WskControlSocket(s, WskSetOption, name, level, 4, new Uint32Array([value]), 0, null, null, i));
  return irp.IoStatus.Status;
}

async function getOpt(s: WSK_SOCKET, level: number, name: number): Promise<number> {
  const out = new Uint32Array(1);
  const irp = await call((i) => s.Dispatch.WskControlSocket(s, WskGetOption, name, level, 0, null, 4, out, null, i));
  expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
  expect(irp.IoStatus.Information).toBe(4);
  return out[0];
}

/** A connection socket (bound, never listening: a wildcard bind accepts nothing). */
async function bindWith(p: Provider, host: string, port: number, option?: number): Promise<{ s: WSK_SOCKET; status: NTSTATUS }> {
  const s = await wskSocket(p, host.includes(':') ? AF_INET6 : AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_CONNECTION_SOCKET);
  if (option !== undefined) expectStatus(await setOpt(s, SOL_SOCKET, option, 1), STATUS_SUCCESS);
  const irp = await call((i) => conn(s).WskBind(s, sockaddr(host, port), 0, i));
  return { s, status: irp.IoStatus.Status };
}

async function portOf(s: WSK_SOCKET): Promise<number> {
  const local: SOCKADDR_STORAGE = {};
  await call((i) => conn(s).WskGetLocalAddress(s, local, i));
  return sockaddrPort(local as PSOCKADDR);
}

describe('address sharing (reference §9)', () => {
  // [first option, first host, second option, second host, expected status]
  const cells: Array<[string, number | undefined, string, number | undefined, string, NTSTATUS]> = [
    ['none/specific', undefined, '127.0.0.1', undefined, '127.0.0.1', STATUS_ADDRESS_ALREADY_EXISTS],
    ['none/specific then none/wildcard', undefined, '127.0.0.1', undefined, '0.0.0.0', STATUS_SUCCESS],
    ['none/wildcard then none/wildcard', undefined, '0.0.0.0', undefined, '0.0.0.0', STATUS_ADDRESS_ALREADY_EXISTS],
    ['none/specific then REUSEADDR/specific', undefined, '127.0.0.1', SO_REUSEADDR, '127.0.0.1', STATUS_ACCESS_DENIED],
    ['REUSEADDR/specific twice', SO_REUSEADDR, '127.0.0.1', SO_REUSEADDR, '127.0.0.1', STATUS_SUCCESS],
    ['REUSEADDR/wildcard then none/specific (CHECK: same process)', SO_REUSEADDR, '0.0.0.0', undefined, '127.0.0.1', STATUS_SUCCESS],
    ['EXCLUSIVE/wildcard then none/specific', SO_EXCLUSIVEADDRUSE, '0.0.0.0', undefined, '127.0.0.1', STATUS_ACCESS_DENIED],
    ['EXCLUSIVE/specific then REUSEADDR/specific', SO_EXCLUSIVEADDRUSE, '127.0.0.1', SO_REUSEADDR, '127.0.0.1', STATUS_ACCESS_DENIED],
    ['none/specific then EXCLUSIVE/wildcard', undefined, '127.0.0.1', SO_EXCLUSIVEADDRUSE, '0.0.0.0', STATUS_ADDRESS_ALREADY_EXISTS],
  ];
  test.each(cells)('%s', async (_name, firstOpt, firstHost, secondOpt, secondHost, expected) => {
    const p = register();
    const first = await bindWith(p, firstHost, 0, firstOpt);
    expectStatus(first.status, STATUS_SUCCESS);
    const port = await portOf(first.s);
    const second = await bindWith(p, secondHost, port, secondOpt);
    expectStatus(second.status, expected);
    await wskClose(second.s);
    await wskClose(first.s);
    await unregister(p);
  });

  test('two different specific addresses never conflict; closing the first frees its address', async () => {
    const p = register();
    const a = await bindWith(p, '127.0.0.1', 0);
    const port = await portOf(a.s);
    const b = await bindWith(p, '127.0.0.2', port);
    expectStatus(b.status, STATUS_SUCCESS);
    await wskClose(a.s);
    const c = await bindWith(p, '127.0.0.1', port);
    expectStatus(c.status, STATUS_SUCCESS);
    await wskClose(b.s);
    await wskClose(c.s);
    await unregister(p);
  });

  test('SO_EXCLUSIVEADDRUSE / SO_REUSEADDR: get what was set; before bind only; not both', async () => {
    const p = register();
    const s = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_CONNECTION_SOCKET);
    expect(await getOpt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE)).toBe(0);
    expectStatus(await setOpt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1), STATUS_SUCCESS);
    expect(await getOpt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE)).toBe(1);
    expectStatus(await setOpt(s, SOL_SOCKET, SO_REUSEADDR, 1), STATUS_INVALID_PARAMETER);
    expectStatus(s.Dispatch.WskControlSocket(s, WskSetOption, SO_REUSEADDR, SOL_SOCKET, 4, new Uint32Array([0]), 0, null, null, null), STATUS_INVALID_PARAMETER);
    await call((i) => conn(s).WskBind(s, sockaddr('127.0.0.1', 0), 0, i));
    expectStatus(await setOpt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 0), STATUS_INVALID_PARAMETER);
    await wskClose(s);
    await unregister(p);
  });
});

describe('options', () => {
  test('IPV6_V6ONLY off: an IPv6 listener serves IPv4 clients as v4-mapped addresses', async () => {
    const p = register();
    const s = await wskSocket(p, AF_INET6, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET);
    const d = s.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;
    expect(await getOpt(s, IPPROTO_IPV6, IPV6_V6ONLY)).toBe(1);
    expectStatus(await setOpt(s, IPPROTO_IPV6, IPV6_V6ONLY, 0), STATUS_SUCCESS);
    expectStatus((await call((i) => d.WskBind(s, sockaddr('::ffff:127.0.0.1', 0), 0, i))).IoStatus.Status, STATUS_SUCCESS);
    const local: SOCKADDR_STORAGE = {};
    await call((i) => d.WskGetLocalAddress(s, local, i));
    const op = newOp();
    const remote: SOCKADDR_STORAGE = {};
    expectStatus(d.WskAccept(s, 0, null, null, null, remote, op.irp), STATUS_PENDING);
    const client = await netConnect('127.0.0.1', sockaddrPort(local as PSOCKADDR));
    const a = (await op.done).IoStatus.Information as WSK_SOCKET;
    expect(sockaddrAddressString(remote as PSOCKADDR)).toBe('::ffff:127.0.0.1');
    expect(sockaddrPort(remote as PSOCKADDR)).toBe(client.localPort);
    const closed = netClosed(client);
    await wskClose(a);
    await closed;
    await wskClose(s);
    await unregister(p);
  });

  test('SO_KEEPALIVE, TCP_NODELAY, IP_TTL round-trip; SO_RCVBUF / SO_SNDBUF read back what was set', async () => {
    const p = register();
    const srv = await netServer('127.0.0.1');
    const s = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_CONNECTION_SOCKET);
    expectStatus(await setOpt(s, SOL_SOCKET, SO_KEEPALIVE, 1), STATUS_SUCCESS);
    expect(await getOpt(s, SOL_SOCKET, SO_KEEPALIVE)).toBe(1);
    expectStatus(await setOpt(s, IPPROTO_TCP, TCP_NODELAY, 1), STATUS_SUCCESS);
    expect(await getOpt(s, IPPROTO_TCP, TCP_NODELAY)).toBe(1);
    expectStatus(await setOpt(s, IPPROTO_IP, IP_TTL, 33), STATUS_SUCCESS);
    expect(await getOpt(s, IPPROTO_IP, IP_TTL)).toBe(33);
    expectStatus(await setOpt(s, SOL_SOCKET, SO_RCVBUF, 65536), STATUS_SUCCESS);
    expect(await getOpt(s, SOL_SOCKET, SO_RCVBUF)).toBe(65536);
    expectStatus(await setOpt(s, SOL_SOCKET, SO_SNDBUF, 32768), STATUS_SUCCESS);
    expect(await getOpt(s, SOL_SOCKET, SO_SNDBUF)).toBe(32768);
    await call((i) => conn(s).WskBind(s, sockaddr('127.0.0.1', 0), 0, i));
    await call((i) => conn(s).WskConnect(s, sockaddr('127.0.0.1', srv.port), 0, i));
    expect(await getOpt(s, SOL_SOCKET, SO_RCVBUF)).toBe(65536);
    await wskClose(s);
    await srv.close();
    await unregister(p);
  });

  test('IPV6_UNICAST_HOPS round-trips on an IPv6 socket', async () => {
    const p = register();
    const s = await wskSocket(p, AF_INET6, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_CONNECTION_SOCKET);
    expectStatus(await setOpt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 9), STATUS_SUCCESS);
    expect(await getOpt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS)).toBe(9);
    await wskClose(s);
    await unregister(p);
  });

  test('an unknown option: STATUS_INVALID_PARAMETER', async () => {
    const p = register();
    const s = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_CONNECTION_SOCKET);
    expectStatus(await setOpt(s, IPPROTO_TCP, 0x7777, 1), STATUS_INVALID_PARAMETER);
    await wskClose(s);
    await unregister(p);
  });
});
