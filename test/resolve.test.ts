// Name resolution. The machine's DNS server is never queried: numeric hosts, localhost and
// names from /etc/hosts only (and only for IPv4 where /etc/hosts has no IPv6 entry), and the
// not-found paths go through AI_NUMERICHOST / NI_NAMEREQD|NI_NUMERICHOST / unknown services.
import * as fs from 'fs';
import {
  ADDRINFOEXW,
  AF_INET,
  AF_INET6,
  AI_CANONNAME,
  AI_NUMERICHOST,
  IoCancelIrp,
  IPPROTO_TCP,
  IRP,
  NI_DGRAM,
  NI_NAMEREQD,
  NI_NUMERICHOST,
  NI_NUMERICSERV,
  NS_ALL,
  NS_NETBT,
  NTSTATUS,
  PADDRINFOEXW,
  RtlInitUnicodeString,
  SOCK_STREAM,
  STATUS_BUFFER_TOO_SMALL,
  STATUS_CANCELLED,
  STATUS_INVALID_PARAMETER,
  STATUS_NO_MATCH,
  STATUS_NOT_FOUND,
  STATUS_NOT_SUPPORTED,
  STATUS_PENDING,
  STATUS_SUCCESS,
  UNICODE_STRING,
  WskDeregister,
  WskReleaseProviderNPI,
  sockaddrAddressString,
  sockaddrFromString,
  sockaddrPort,
  unicodeStringToString,
} from '../lib';
import { native } from '../lib/transport/native';
import { call, expectStatus, newOp, Provider, register, unregister } from './helpers';

let p: Provider;
beforeEach(() => {
  p = register();
});
afterEach(async () => {
  await unregister(p);
});

const us = (text: string | null): UNICODE_STRING => {
  const s = {} as UNICODE_STRING;
  RtlInitUnicodeString(s, text);
  return s;
};
const outString = (chars: number): UNICODE_STRING => ({ Length: 0, MaximumLength: chars * 2, Buffer: new Uint16Array(chars) });

async function getAddrInfo(node: string | null, service: string | null, hints: Partial<ADDRINFOEXW> | null = null, ns = NS_ALL) {
  const Result: { 0: PADDRINFOEXW | null } = { 0: null };
  const irp = await call((irp) => p.npi.Dispatch.WskGetAddressInfo(p.npi.Client, node === null ? null : us(node), service === null ? null : us(service), ns, null, hints, Result, null, null, irp));
  const list: ADDRINFOEXW[] = [];
  for (let e = Result[0]; e; e = e.ai_next) list.push(e);
  return { irp, status: irp.IoStatus.Status, head: Result[0], list };
}

async function getNameInfo(addr: string, port: number, flags: number, node: UNICODE_STRING | null = outString(1025), service: UNICODE_STRING | null = outString(32)) {
  const sa = sockaddrFromString(addr, port);
  const irp = await call((irp) => p.npi.Dispatch.WskGetNameInfo(p.npi.Client, sa, addr.includes(':') ? 28 : 16, node, service, flags, null, null, irp));
  return { status: irp.IoStatus.Status as NTSTATUS, node: node && unicodeStringToString(node), service: service && unicodeStringToString(service) };
}

describe('WskGetAddressInfo', () => {
  test('a numeric IPv6 host and port, pending on the thread pool, complete with the list in Result (Information 0, as Windows)', async () => {
    const op = newOp();
    const Result: { 0: PADDRINFOEXW | null } = { 0: null };
    const status = p.npi.Dispatch.WskGetAddressInfo(p.npi.Client, us('::1'), us('8080'), NS_ALL, null, { ai_flags: AI_NUMERICHOST, ai_family: AF_INET6, ai_socktype: SOCK_STREAM }, Result, null, null, op.irp);
    expectStatus(status, STATUS_PENDING);
    const irp = await op.done;
    expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
    expect(irp.IoStatus.Information).toBe(0);
    const e = Result[0]!;
    expect([e.ai_family, e.ai_socktype, e.ai_protocol, e.ai_addrlen]).toEqual([AF_INET6, SOCK_STREAM, IPPROTO_TCP, 28]);
    expect(sockaddrAddressString(e.ai_addr!)).toBe('::1');
    expect(sockaddrPort(e.ai_addr!)).toBe(8080);
    expect(e.ai_next).toBeNull();
    p.npi.Dispatch.WskFreeAddressInfo(p.npi.Client, e);
  });

  test('localhost (from /etc/hosts) over IPv4 with a service name', async () => {
    const r = await getAddrInfo('localhost', 'http', { ai_family: AF_INET, ai_socktype: SOCK_STREAM });
    expectStatus(r.status, STATUS_SUCCESS);
    expect(r.list.map((e) => sockaddrAddressString(e.ai_addr!))).toContain('127.0.0.1');
    expect(r.list.every((e) => sockaddrPort(e.ai_addr!) === 80 && e.ai_family === AF_INET)).toBe(true);
    p.npi.Dispatch.WskFreeAddressInfo(p.npi.Client, r.head);
  });

  test('another name from /etc/hosts, with AI_CANONNAME', async () => {
    const hosts = fs.readFileSync('/etc/hosts', 'utf8');
    const line = hosts.split('\n').find((l) => /^127\.0\.0\.1\s+\S+/.test(l) && !/\slocalhost(\s|$)/.test(l));
    if (!line) {
      console.warn('skipped: /etc/hosts has no other 127.0.0.1 name');
      return;
    }
    const name = line.split(/\s+/)[1];
    const r = await getAddrInfo(name, null, { ai_flags: AI_CANONNAME, ai_family: AF_INET, ai_socktype: SOCK_STREAM });
    expectStatus(r.status, STATUS_SUCCESS);
    expect(sockaddrAddressString(r.list[0].ai_addr!)).toBe('127.0.0.1');
    expect(r.list[0].ai_canonname).toBe(name);
    p.npi.Dispatch.WskFreeAddressInfo(p.npi.Client, r.head);
  });

  test('a name that is not numeric under AI_NUMERICHOST: STATUS_NOT_FOUND (Windows 8 and later)', async () => {
    const r = await getAddrInfo('no-such-host.invalid', '80', { ai_flags: AI_NUMERICHOST });
    expectStatus(r.status, STATUS_NOT_FOUND);
    expect(r.head).toBeNull();
  });

  test('an unknown service name: STATUS_NOT_FOUND', async () => {
    const r = await getAddrInfo('127.0.0.1', 'no-such-service-xyz', { ai_flags: AI_NUMERICHOST, ai_socktype: SOCK_STREAM });
    expectStatus(r.status, STATUS_NOT_FOUND);
  });

  test('parameter errors: no names, a namespace other than DNS, unknown flags, no IRP', async () => {
    expectStatus((await getAddrInfo(null, null)).status, STATUS_INVALID_PARAMETER);
    expectStatus((await getAddrInfo('', '')).status, STATUS_INVALID_PARAMETER);
    expectStatus((await getAddrInfo('127.0.0.1', null, null, NS_NETBT)).status, STATUS_NOT_SUPPORTED);
    expectStatus((await getAddrInfo('127.0.0.1', null, { ai_flags: 0x40000000 })).status, STATUS_INVALID_PARAMETER);
    expectStatus(p.npi.Dispatch.WskGetAddressInfo(p.npi.Client, us('::1'), null, NS_ALL, null, null, { 0: null }, null, null, null), STATUS_INVALID_PARAMETER);
  });

  test('IoCancelIrp completes a pending lookup STATUS_CANCELLED at once; the late answer is dropped', async () => {
    const op = newOp();
    const Result: { 0: PADDRINFOEXW | null } = { 0: null };
    expectStatus(p.npi.Dispatch.WskGetAddressInfo(p.npi.Client, us('127.0.0.1'), null, NS_ALL, null, { ai_flags: AI_NUMERICHOST }, Result, null, null, op.irp), STATUS_PENDING);
    expect(IoCancelIrp(op.irp)).toBe(true);
    expect(op.completions).toBe(1);
    expectStatus(op.irp.IoStatus.Status, STATUS_CANCELLED);
    for (let i = 0; i < 200 && native.pendingResolutions() > 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(op.completions).toBe(1);
    expect(Result[0]).toBeNull();
  });

  test('WskDeregister waits for a pending lookup', async () => {
    const q = register();
    const op = newOp();
    const order: string[] = [];
    op.done.then(() => order.push('lookup'));
    const Result: { 0: PADDRINFOEXW | null } = { 0: null };
    expectStatus(q.npi.Dispatch.WskGetAddressInfo(q.npi.Client, us('127.0.0.1'), null, NS_ALL, null, { ai_flags: AI_NUMERICHOST }, Result, null, null, op.irp), STATUS_PENDING);
    WskReleaseProviderNPI(q.registration);
    await WskDeregister(q.registration).then(() => order.push('deregistered'));
    expect(order).toEqual(['lookup', 'deregistered']);
    const list = Result[0] as ADDRINFOEXW;
    expect(sockaddrAddressString(list.ai_addr!)).toBe('127.0.0.1');
  });

  test('WskFreeAddressInfo of a list it did not give, or twice, is a verifier error', async () => {
    const r = await getAddrInfo('127.0.0.1', null, { ai_flags: AI_NUMERICHOST });
    p.npi.Dispatch.WskFreeAddressInfo(p.npi.Client, r.head);
    expect(() => p.npi.Dispatch.WskFreeAddressInfo(p.npi.Client, r.head)).toThrow(/INVALID_ARGUMENT in WskFreeAddressInfo/);
  });
});

describe('WskGetNameInfo', () => {
  test('numeric host and service for IPv4 and IPv6', async () => {
    expect(await getNameInfo('127.0.0.1', 53, NI_NUMERICHOST | NI_NUMERICSERV)).toEqual({ status: STATUS_SUCCESS, node: '127.0.0.1', service: '53' });
    expect(await getNameInfo('::1', 8080, NI_NUMERICHOST | NI_NUMERICSERV)).toEqual({ status: STATUS_SUCCESS, node: '::1', service: '8080' });
  });

  test('reverse lookup of 127.0.0.1 from /etc/hosts, and service names (NI_DGRAM)', async () => {
    const r = await getNameInfo('127.0.0.1', 80, 0);
    expectStatus(r.status, STATUS_SUCCESS);
    expect(r.node).toBe('localhost');
    expect(r.service).toBe('http');
    expect((await getNameInfo('127.0.0.1', 53, NI_NUMERICHOST | NI_DGRAM, null)).service).toBe('domain');
  });

  test('NI_NAMEREQD with NI_NUMERICHOST cannot be satisfied: STATUS_NO_MATCH, without a query', async () => {
    expectStatus((await getNameInfo('127.0.0.1', 1, NI_NAMEREQD | NI_NUMERICHOST)).status, STATUS_NO_MATCH);
  });

  test('a buffer too small for the name and its NUL: STATUS_BUFFER_TOO_SMALL', async () => {
    expectStatus((await getNameInfo('127.0.0.1', 80, NI_NUMERICHOST, outString(9), null)).status, STATUS_BUFFER_TOO_SMALL);
    expect((await getNameInfo('127.0.0.1', 80, NI_NUMERICHOST, outString(10), null)).node).toBe('127.0.0.1');
  });

  test('parameter errors: no outputs, a bad length, unknown flags', async () => {
    expectStatus((await getNameInfo('127.0.0.1', 1, NI_NUMERICHOST, null, null)).status, STATUS_INVALID_PARAMETER);
    const sa = sockaddrFromString('::1', 1);
    const irp = await call((irp) => p.npi.Dispatch.WskGetNameInfo(p.npi.Client, sa, 16, outString(64), null, NI_NUMERICHOST, null, null, irp));
    expectStatus(irp.IoStatus.Status, STATUS_INVALID_PARAMETER);
    const big = await call((irp) => p.npi.Dispatch.WskGetNameInfo(p.npi.Client, sa, 129, outString(64), null, NI_NUMERICHOST, null, null, irp));
    expectStatus(big.IoStatus.Status, STATUS_INVALID_PARAMETER);
    expectStatus((await getNameInfo('127.0.0.1', 1, 0x100)).status, STATUS_INVALID_PARAMETER);
  });
});
