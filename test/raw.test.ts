// Raw datagram sockets: ICMP echo to 127.0.0.1 and ICMPv6 echo to ::1. IPv4 raw receives include
// the IP header (as on Windows and Linux alike); IPv6 raw receives do not.
import { spawnSync } from 'child_process';
import * as path from 'path';
import {
  AF_INET,
  AF_INET6,
  IPPROTO_ICMP,
  IPPROTO_ICMPV6,
  PSOCKADDR,
  SOCK_RAW,
  SOCKADDR_STORAGE,
  STATUS_ACCESS_DENIED,
  STATUS_SUCCESS,
  WSK_FLAG_DATAGRAM_SOCKET,
  WSK_SOCKET,
  ntStatusFromErrno,
  sockaddrAddressString,
  sockaddrFromString,
} from '../lib';
import { call, expectStatus, Provider, register, unregister, wskClose } from './helpers';
import { dg, wskBuf } from './udp-helpers';

function checksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i + 1 < b.length; i += 2) sum += (b[i] << 8) | b[i + 1];
  if (b.length % 2) sum += b[b.length - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return ~sum & 0xffff;
}

function echoRequest(type: number, id: number): Uint8Array {
  const b = new Uint8Array(16);
  b[0] = type;
  b[4] = id >> 8;
  b[5] = id & 0xff;
  b[7] = 1;
  b.set([0x77, 0x73, 0x6b, 0x21], 8);
  if (type === 8) {
    const c = checksum(b);
    b[2] = c >> 8;
    b[3] = c & 0xff;
  }
  return b;
}

let p: Provider;
beforeEach(() => {
  p = register();
});
afterEach(async () => {
  await unregister(p);
});

async function rawSocket(family: number, protocol: number): Promise<WSK_SOCKET | null> {
  const irp = await call((irp) => p.npi.Dispatch.WskSocket(p.npi.Client, family, SOCK_RAW, protocol, WSK_FLAG_DATAGRAM_SOCKET, null, null, null, null, null, irp));
  if (irp.IoStatus.Status === STATUS_ACCESS_DENIED) {
    console.warn('skipped: this process may not open raw sockets (STATUS_ACCESS_DENIED)');
    return null;
  }
  expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
  return irp.IoStatus.Information as WSK_SOCKET;
}

test.each([
  ['127.0.0.1', AF_INET, IPPROTO_ICMP, 8, 0],
  ['::1', AF_INET6, IPPROTO_ICMPV6, 128, 129],
])('an ICMP echo request to %s gets its reply', async (host, family, protocol, request, reply) => {
  const s = await rawSocket(family, protocol);
  if (!s) return;
  expectStatus((await call((irp) => dg(s).WskBind(s, sockaddrFromString(host, 0), 0, irp))).IoStatus.Status, STATUS_SUCCESS);
  const id = process.pid & 0xffff;
  const sent = await call((irp) => dg(s).WskSendTo(s, wskBuf(echoRequest(request, id)), 0, sockaddrFromString(host, 0), 0, null, irp));
  expectStatus(sent.IoStatus.Status, STATUS_SUCCESS);
  // The raw socket also sees our own request on loopback: read until the reply.
  for (let i = 0; i < 10; i++) {
    const buf = new Uint8Array(256);
    const from: SOCKADDR_STORAGE = {};
    const irp = await call((irp) => dg(s).WskReceiveFrom(s, wskBuf(buf), 0, from, null, null, null, irp));
    expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
    const icmp = family === AF_INET ? buf.subarray((buf[0] & 0x0f) * 4) : buf;
    if (icmp[0] !== reply) continue;
    expect(sockaddrAddressString(from as PSOCKADDR)).toBe(host);
    expect((icmp[4] << 8) | icmp[5]).toBe(id);
    expect([...icmp.subarray(8, 12)]).toEqual([0x77, 0x73, 0x6b, 0x21]);
    if (family === AF_INET) expect(buf[0] >> 4).toBe(4); // the IPv4 header comes first
    await wskClose(s);
    return;
  }
  await wskClose(s);
  throw new Error('no echo reply among the first 10 datagrams');
});

test('without CAP_NET_RAW, a raw socket is refused: EPERM, which WskSocket reports as STATUS_ACCESS_DENIED', () => {
  const root = path.resolve(__dirname, '..');
  const code =
    `const n = require(${JSON.stringify(require.resolve('node-gyp-build'))})(${JSON.stringify(root)});` +
    `const s = n.socket(n.constants.AF_INET, n.constants.SOCK_RAW, n.constants.IPPROTO_ICMP);` +
    `console.log(typeof s === 'number' ? s : 'opened');`;
  const r = spawnSync('capsh', ['--drop=cap_net_raw', '--', '-c', `exec ${JSON.stringify(process.execPath)} -e ${JSON.stringify(code)}`], { encoding: 'utf8', timeout: 20000 });
  if (r.error || r.status !== 0) {
    console.warn(`skipped: cannot drop CAP_NET_RAW with capsh here (${r.error?.message ?? r.stderr.trim()})`);
    return;
  }
  const out = r.stdout.trim();
  if (out === 'opened') {
    console.warn('skipped: raw sockets open even without CAP_NET_RAW on this host');
    return;
  }
  const errno = Number(out);
  expect([-1, -13]).toContain(errno); // -EPERM or -EACCES on Linux
  expectStatus(ntStatusFromErrno(errno), STATUS_ACCESS_DENIED);
});
