// SO_REUSEADDR and SO_EXCLUSIVEADDRUSE on datagram sockets: Windows' second-bind matrix
// (reference §9), as for the other categories (test/options.test.ts), and what sharing then
// means for UDP: a multicast datagram reaches every socket sharing the port.
import {
  AF_INET,
  IPPROTO_IP,
  IPPROTO_UDP,
  IP_ADD_MEMBERSHIP,
  NTSTATUS,
  PSOCKADDR,
  SOCK_DGRAM,
  SOCKADDR_STORAGE,
  SOL_SOCKET,
  SO_EXCLUSIVEADDRUSE,
  SO_REUSEADDR,
  STATUS_ACCESS_DENIED,
  STATUS_ADDRESS_ALREADY_EXISTS,
  STATUS_INVALID_PARAMETER,
  STATUS_SUCCESS,
  WSK_FLAG_DATAGRAM_SOCKET,
  WSK_SOCKET,
  WskSetOption,
  sockaddrFromString,
  sockaddrPort,
} from '../lib';
import { call, expectStatus, Provider, register, unregister, wskClose, wskSocket } from './helpers';
import { getOption, receiveFrom, setOption } from './option-helpers';
import { dg, peer } from './udp-helpers';

let p: Provider;
beforeEach(() => {
  p = register();
});
afterEach(async () => {
  await unregister(p);
});

async function bindWith(host: string, port: number, option?: number): Promise<{ s: WSK_SOCKET; status: NTSTATUS; port: number }> {
  const s = await wskSocket(p, AF_INET, SOCK_DGRAM, IPPROTO_UDP, WSK_FLAG_DATAGRAM_SOCKET);
  if (option !== undefined) expectStatus(await setOption(s, SOL_SOCKET, option, 1), STATUS_SUCCESS);
  const status = (await call((i) => dg(s).WskBind(s, sockaddrFromString(host, port), 0, i))).IoStatus.Status;
  const local: SOCKADDR_STORAGE = {};
  if (status === STATUS_SUCCESS) await call((i) => dg(s).WskGetLocalAddress(s, local, i));
  return { s, status, port: status === STATUS_SUCCESS ? sockaddrPort(local as PSOCKADDR) : 0 };
}

describe('the second-bind matrix on UDP', () => {
  // [name, first option, first host, second option, second host, expected status]
  const cells: Array<[string, number | undefined, string, number | undefined, string, NTSTATUS]> = [
    ['none/specific twice', undefined, '127.0.0.1', undefined, '127.0.0.1', STATUS_ADDRESS_ALREADY_EXISTS],
    ['none/specific then none/wildcard', undefined, '127.0.0.1', undefined, '0.0.0.0', STATUS_SUCCESS],
    ['none/wildcard twice', undefined, '0.0.0.0', undefined, '0.0.0.0', STATUS_ADDRESS_ALREADY_EXISTS],
    ['none/specific then REUSEADDR/specific', undefined, '127.0.0.1', SO_REUSEADDR, '127.0.0.1', STATUS_ACCESS_DENIED],
    ['REUSEADDR/specific twice', SO_REUSEADDR, '127.0.0.1', SO_REUSEADDR, '127.0.0.1', STATUS_SUCCESS],
    ['REUSEADDR/wildcard twice', SO_REUSEADDR, '0.0.0.0', SO_REUSEADDR, '0.0.0.0', STATUS_SUCCESS],
    ['EXCLUSIVE/wildcard then none/specific', SO_EXCLUSIVEADDRUSE, '0.0.0.0', undefined, '127.0.0.1', STATUS_ACCESS_DENIED],
    ['EXCLUSIVE/specific then REUSEADDR/specific', SO_EXCLUSIVEADDRUSE, '127.0.0.1', SO_REUSEADDR, '127.0.0.1', STATUS_ACCESS_DENIED],
  ];
  test.each(cells)('%s', async (_name, firstOpt, firstHost, secondOpt, secondHost, expected) => {
    const first = await bindWith(firstHost, 0, firstOpt);
    expectStatus(first.status, STATUS_SUCCESS);
    const second = await bindWith(secondHost, first.port, secondOpt);
    expectStatus(second.status, expected);
    await wskClose(second.s);
    await wskClose(first.s);
  });

  test('the options read back, must come before bind, and not both; closing frees the port', async () => {
    const s = await wskSocket(p, AF_INET, SOCK_DGRAM, IPPROTO_UDP, WSK_FLAG_DATAGRAM_SOCKET);
    expectStatus(await setOption(s, SOL_SOCKET, SO_REUSEADDR, 1), STATUS_SUCCESS);
    expect(await getOption(s, SOL_SOCKET, SO_REUSEADDR)).toBe(1);
    expectStatus(await setOption(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, 1), STATUS_INVALID_PARAMETER);
    expectStatus(s.Dispatch.WskControlSocket(s, WskSetOption, SO_REUSEADDR, SOL_SOCKET, 4, new Uint32Array([0]), 0, null, null, null), STATUS_INVALID_PARAMETER);
    await call((i) => dg(s).WskBind(s, sockaddrFromString('127.0.0.1', 0), 0, i));
    expectStatus(await setOption(s, SOL_SOCKET, SO_REUSEADDR, 0), STATUS_INVALID_PARAMETER);
    const local: SOCKADDR_STORAGE = {};
    await call((i) => dg(s).WskGetLocalAddress(s, local, i));
    const port = sockaddrPort(local as PSOCKADDR);
    await wskClose(s);
    const again = await bindWith('127.0.0.1', port);
    expectStatus(again.status, STATUS_SUCCESS);
    await wskClose(again.s);
  });

  test('two sockets sharing a port with SO_REUSEADDR both receive a multicast datagram sent to it', async () => {
    const a = await bindWith('0.0.0.0', 0, SO_REUSEADDR);
    const b = await bindWith('0.0.0.0', a.port, SO_REUSEADDR);
    expectStatus(b.status, STATUS_SUCCESS);
    // ip_mreq { imr_multiaddr 239.1.2.3; imr_interface 127.0.0.1 }, network order bytes.
    const mreq = new Uint8Array([239, 1, 2, 3, 127, 0, 0, 1]);
    for (const s of [a.s, b.s]) expectStatus(await setOption(s, IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq), STATUS_SUCCESS);
    const from = await peer(4);
    from.sock.setMulticastInterface('127.0.0.1');
    const receiving = [receiveFrom(a.s), receiveFrom(b.s)];
    await from.send(Buffer.from('to the group'), a.port, '239.1.2.3');
    expect((await Promise.all(receiving)).map((r) => r.data.toString())).toEqual(['to the group', 'to the group']);
    await from.close();
    await wskClose(a.s);
    await wskClose(b.s);
  });
});
