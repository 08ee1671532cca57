// Runs in a network namespace of its own (`unshare -n`, test/netns-options.test.ts), where it may
// change the host's addresses and MTU without touching anyone else's:
//   address-list  SIO_ADDRESS_LIST_QUERY / SIO_ADDRESS_LIST_CHANGE while `ip addr add` changes
//                 the list, and SIO_ROUTING_INTERFACE_QUERY against the namespace's routes;
//   dontfrag      IP_DONTFRAGMENT / IPV6_DONTFRAG with loopback's MTU lowered to 1280: a larger
//                 datagram is refused instead of fragmented.
import { execFileSync } from 'child_process';
import * as dgram from 'dgram';
import {
  AF_INET,
  AF_INET6,
  IoCancelIrp,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_UDP,
  IP_DONTFRAGMENT,
  IPV6_DONTFRAG,
  ntStatusName,
  PSOCKADDR,
  SIO_ADDRESS_LIST_CHANGE,
  SIO_ADDRESS_LIST_QUERY,
  SIO_ROUTING_INTERFACE_QUERY,
  SOCK_DGRAM,
  SOCKADDR_STORAGE,
  SOCKET_ADDRESS_LIST,
  sockaddrAddressString,
  sockaddrFromString,
  WSK_FLAG_BASIC_SOCKET,
  WSK_FLAG_DATAGRAM_SOCKET,
  WSK_SOCKET,
  WskIoctl,
  WskSetOption,
} from '../../lib';
import { counted, dg, inline, register, report, until, wskBuf, Client, turns } from './plain';

const name = (status: number): string => ntStatusName(status).split(' ')[0];
// `ip` is not ours to sanitize: under npm run test:asan it must not inherit the preloaded libasan.
const plainEnv = { ...process.env, LD_PRELOAD: '' };
const ip = (...args: string[]): void => void execFileSync('ip', args, { stdio: 'pipe', env: plainEnv });

function socket(c: Client, family: number, flags: number): WSK_SOCKET {
  return inline((irp) => c.npi.Dispatch.WskSocket(c.npi.Client, family, SOCK_DGRAM, IPPROTO_UDP, flags, null, null, null, null, null, irp)).IoStatus.Information as WSK_SOCKET;
}

/** SIO_ADDRESS_LIST_QUERY without an IRP, sized by a first call: the addresses as text. */
function addressList(s: WSK_SOCKET): string[] {
  const needed = { 0: 0 };
  const status = s.Dispatch.WskControlSocket(s, WskIoctl, SIO_ADDRESS_LIST_QUERY, 0, 0, null, 0, {}, needed, null);
  if (name(status) !== 'STATUS_BUFFER_OVERFLOW') throw new Error(`size query: ${name(status)}`);
  const list = {} as SOCKET_ADDRESS_LIST;
  const returned = { 0: 0 };
  const again = s.Dispatch.WskControlSocket(s, WskIoctl, SIO_ADDRESS_LIST_QUERY, 0, 0, null, needed[0], list, returned, null);
  if (name(again) !== 'STATUS_SUCCESS' || returned[0] !== needed[0]) throw new Error(`query: ${name(again)} ${returned[0]}/${needed[0]}`);
  return list.Address.map((a) => sockaddrAddressString(a.lpSockaddr)).sort();
}

function routingInterface(s: WSK_SOCKET, to: string): string {
  const out: SOCKADDR_STORAGE = {};
  const size = to.includes(':') ? 28 : 16;
  const irp = inline((i) => s.Dispatch.WskControlSocket(s, WskIoctl, SIO_ROUTING_INTERFACE_QUERY, 0, size, sockaddrFromString(to, 0), size, out, null, i));
  return irp.IoStatus.Status === 0 ? sockaddrAddressString(out as PSOCKADDR) : name(irp.IoStatus.Status);
}

async function addressListScenario(): Promise<unknown> {
  ip('link', 'set', 'lo', 'up');
  const c = register();
  const v4 = socket(c, AF_INET, WSK_FLAG_BASIC_SOCKET);
  const v6 = socket(c, AF_INET6, WSK_FLAG_BASIC_SOCKET);
  const before = addressList(v4);

  const change4 = counted();
  const pended4 = name(v4.Dispatch.WskControlSocket(v4, WskIoctl, SIO_ADDRESS_LIST_CHANGE, 0, 0, null, 0, null, null, change4.irp));
  ip('addr', 'add', '198.18.7.7/32', 'dev', 'lo');
  await until(() => change4.statuses.length > 0);
  const after = addressList(v4);

  // A change of the IPv6 list completes the IPv6 socket's IRP, not the IPv4 one's.
  const change4again = counted();
  const change6 = counted();
  v4.Dispatch.WskControlSocket(v4, WskIoctl, SIO_ADDRESS_LIST_CHANGE, 0, 0, null, 0, null, null, change4again.irp);
  v6.Dispatch.WskControlSocket(v6, WskIoctl, SIO_ADDRESS_LIST_CHANGE, 0, 0, null, 0, null, null, change6.irp);
  ip('addr', 'add', '2001:2::7/128', 'dev', 'lo', 'nodad');
  await until(() => change6.statuses.length > 0);
  await turns();
  const v4StillPending = change4again.statuses.length === 0;
  IoCancelIrp(change4again.irp);

  const routes = {
    loopback: routingInterface(v4, '127.0.0.9'),
    added: routingInterface(v4, '198.18.7.7'),
    noRoute: routingInterface(v4, '198.51.100.1'),
    v6: routingInterface(v6, '2001:2::7'),
  };
  inline((i) => v4.Dispatch.WskCloseSocket(v4, i));
  inline((i) => v6.Dispatch.WskCloseSocket(v6, i));
  return {
    before,
    pended4,
    change4: change4.statuses,
    after,
    change6: change6.statuses,
    v4StillPending,
    cancelled: change4again.statuses,
    routes,
  };
}

/** A datagram of `size` bytes from a WSK socket with `dontFragment` set as asked, to a node:dgram peer. */
async function sendLarge(c: Client, family: 4 | 6, dontFragment: number, size: number): Promise<{ status: string; received: number }> {
  const host = family === 4 ? '127.0.0.1' : '::1';
  const peer = dgram.createSocket(family === 4 ? 'udp4' : 'udp6');
  let received = 0;
  peer.on('message', (m) => (received = m.byteLength));
  await new Promise<void>((r) => peer.bind(0, host, r));
  const s = socket(c, family === 4 ? AF_INET : AF_INET6, WSK_FLAG_DATAGRAM_SOCKET);
  inline((i) => dg(s).WskBind(s, sockaddrFromString(host, 0), 0, i));
  const [level, option] = family === 4 ? [IPPROTO_IP, IP_DONTFRAGMENT] : [IPPROTO_IPV6, IPV6_DONTFRAG];
  inline((i) => s.Dispatch.WskControlSocket(s, WskSetOption, option, level, 4, new Uint32Array([dontFragment]), 0, null, null, i));
  const sent = counted();
  dg(s).WskSendTo(s, wskBuf(new Uint8Array(size)), 0, sockaddrFromString(host, peer.address().port), 0, null, sent.irp);
  await sent.done;
  await until(() => received > 0, 1000);
  inline((i) => s.Dispatch.WskCloseSocket(s, i));
  await new Promise<void>((r) => peer.close(() => r()));
  return { status: name(sent.irp.IoStatus.Status), received };
}

async function dontFragmentScenario(): Promise<unknown> {
  ip('link', 'set', 'lo', 'up');
  ip('link', 'set', 'lo', 'mtu', '1280');
  const c = register();
  const result: Record<string, unknown> = {};
  for (const family of [4, 6] as const) {
    result[`v${family}on`] = await sendLarge(c, family, 1, 1400);
    result[`v${family}off`] = await sendLarge(c, family, 0, 1400);
  }
  return result;
}

const scenarios: Record<string, () => Promise<unknown>> = { 'address-list': addressListScenario, dontfrag: dontFragmentScenario };
void scenarios[process.argv[2]]().then(report, (e: Error) => report({ error: e.message }));
