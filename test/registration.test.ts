import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  IPPROTO_ICMP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  MAKE_WSK_VERSION,
  SOCK_DGRAM,
  SOCK_RAW,
  SOCK_STREAM,
  STATUS_DEVICE_NOT_READY,
  STATUS_INVALID_PARAMETER,
  STATUS_NOINTERFACE,
  STATUS_NOT_IMPLEMENTED,
  STATUS_NOT_SUPPORTED,
  STATUS_SUCCESS,
  WSK_FLAG_BASIC_SOCKET,
  WSK_FLAG_CONNECTION_SOCKET,
  WSK_FLAG_DATAGRAM_SOCKET,
  WSK_FLAG_LISTEN_SOCKET,
  WSK_FLAG_STREAM_SOCKET,
  WSK_INFINITE_WAIT,
  WSK_NO_WAIT,
  WSK_PROVIDER_CHARACTERISTICS,
  WSK_PROVIDER_CONNECTION_DISPATCH,
  WSK_PROVIDER_DATAGRAM_DISPATCH,
  WSK_PROVIDER_NPI,
  WSK_REGISTRATION,
  WskCaptureProviderNPI,
  WskDeregister,
  WskQueryProviderCharacteristics,
  WskRegister,
  WskReleaseProviderNPI,
  IoAllocateIrp,
  sockaddrFromString,
} from '../lib';
import { call, expectStatus, register, tick, unregister, wskClose, wskSocket } from './helpers';

describe('registration and the provider NPI', () => {
  test('register, capture (no wait, infinite, a timeout), release, deregister', async () => {
    const registration: WSK_REGISTRATION = {};
    const dispatch = { Version: MAKE_WSK_VERSION(1, 0), Reserved: 0, WskClientEvent: null };
    expectStatus(WskRegister({ ClientContext: null, Dispatch: dispatch }, registration), STATUS_SUCCESS);
    for (const wait of [WSK_NO_WAIT, WSK_INFINITE_WAIT, 1000]) {
      const npi = {} as WSK_PROVIDER_NPI;
      expectStatus(WskCaptureProviderNPI(registration, wait, npi), STATUS_SUCCESS);
      expect(npi.Dispatch.Version).toBe(MAKE_WSK_VERSION(1, 0));
      expect(Object.keys(npi.Dispatch)).toEqual([
        'Version', 'Reserved', 'WskSocket', 'WskSocketConnect', 'WskControlClient',
        'WskGetAddressInfo', 'WskFreeAddressInfo', 'WskGetNameInfo',
      ]);
    }
    for (let i = 0; i < 3; i++) WskReleaseProviderNPI(registration);
    await WskDeregister(registration);
  });

  test('a major version other than 1 gets STATUS_NOINTERFACE; characteristics say 1.0', async () => {
    const registration: WSK_REGISTRATION = {};
    const dispatch = { Version: MAKE_WSK_VERSION(2, 0), Reserved: 0, WskClientEvent: null };
    expectStatus(WskRegister({ ClientContext: null, Dispatch: dispatch }, registration), STATUS_SUCCESS);
    expectStatus(WskCaptureProviderNPI(registration, WSK_NO_WAIT, {}), STATUS_NOINTERFACE);
    const chars = {} as WSK_PROVIDER_CHARACTERISTICS;
    expectStatus(WskQueryProviderCharacteristics(registration, chars), STATUS_SUCCESS);
    expect(chars).toEqual({ HighestVersion: 0x0100, LowestVersion: 0x0100 });
    await WskDeregister(registration);
  });

  test('a higher minor version is accepted', async () => {
    const registration: WSK_REGISTRATION = {};
    WskRegister({ ClientContext: null, Dispatch: { Version: MAKE_WSK_VERSION(1, 7), Reserved: 0, WskClientEvent: null } }, registration);
    expectStatus(WskCaptureProviderNPI(registration, WSK_NO_WAIT, {}), STATUS_SUCCESS);
    WskReleaseProviderNPI(registration);
    await WskDeregister(registration);
  });

  test('WskRegister with a null client NPI returns STATUS_INVALID_PARAMETER', () => {
    expectStatus(WskRegister(null as never, {}), STATUS_INVALID_PARAMETER);
  });

  test('WskDeregister waits for the release and for every socket to close', async () => {
    const p = register();
    const s = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET);
    let done = false;
    WskReleaseProviderNPI(p.registration);
    const deregistered = WskDeregister(p.registration).then(() => (done = true));
    await tick();
    expect(done).toBe(false);
    // After WskDeregister a capture fails with STATUS_DEVICE_NOT_READY.
    expectStatus(WskCaptureProviderNPI(p.registration, WSK_NO_WAIT, {}), STATUS_DEVICE_NOT_READY);
    await wskClose(s);
    await deregistered;
    expect(done).toBe(true);
  });

  test('WskDeregister waits for a capture to be released', async () => {
    const p = register();
    let done = false;
    const deregistered = WskDeregister(p.registration).then(() => (done = true));
    await tick();
    expect(done).toBe(false);
    WskReleaseProviderNPI(p.registration);
    await deregistered;
    expect(done).toBe(true);
  });
});

describe('WskSocket', () => {
  const cases: Array<[string, number, number, number, number]> = [
    ['basic TCP', AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_BASIC_SOCKET],
    ['basic UDP v6', AF_INET6, SOCK_DGRAM, IPPROTO_UDP, WSK_FLAG_BASIC_SOCKET],
    ['listen v4', AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET],
    ['listen v6', AF_INET6, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET],
    ['connection', AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_CONNECTION_SOCKET],
    ['datagram UDP', AF_INET, SOCK_DGRAM, IPPROTO_UDP, WSK_FLAG_DATAGRAM_SOCKET],
    ['stream', AF_INET6, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_STREAM_SOCKET],
  ];
  test.each(cases)('creates a %s socket', async (_name, af, type, proto, flags) => {
    const p = register();
    const s = await wskSocket(p, af, type, proto, flags);
    expect(typeof s.Dispatch.WskCloseSocket).toBe('function');
    await wskClose(s);
    await unregister(p);
  });

  const rejected: Array<[string, number, number, number, number, number]> = [
    // (A listening socket over UDP is created, as on Windows: windows-tolerance.test.ts.)
    ['listen over raw', AF_INET, SOCK_RAW, IPPROTO_ICMP, WSK_FLAG_LISTEN_SOCKET, STATUS_NOT_SUPPORTED],
    ['connection over raw', AF_INET, SOCK_RAW, IPPROTO_ICMP, WSK_FLAG_CONNECTION_SOCKET, STATUS_NOT_SUPPORTED],
    ['datagram over TCP', AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_DATAGRAM_SOCKET, STATUS_NOT_SUPPORTED],
    ['stream with protocol 0', AF_INET, SOCK_STREAM, 0, WSK_FLAG_LISTEN_SOCKET, STATUS_NOT_SUPPORTED],
    ['SOCK_STREAM with UDP', AF_INET, SOCK_STREAM, IPPROTO_UDP, WSK_FLAG_BASIC_SOCKET, STATUS_NOT_SUPPORTED],
    ['AF_UNSPEC', AF_UNSPEC, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET, STATUS_NOT_SUPPORTED],
    ['Linux AF_INET6 value', 10, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET, STATUS_NOT_SUPPORTED],
    ['two category flags', AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET | WSK_FLAG_CONNECTION_SOCKET, STATUS_INVALID_PARAMETER],
    ['unknown flag', AF_INET, SOCK_STREAM, IPPROTO_TCP, 0x40, STATUS_INVALID_PARAMETER],
  ];
  test.each(rejected)('rejects %s and completes the IRP with that status', async (_n, af, type, proto, flags, status) => {
    const p = register();
    const irp = await call((irp) => {
      const returned = p.npi.Dispatch.WskSocket(p.npi.Client, af, type, proto, flags, null, null, null, null, null, irp);
      expectStatus(returned, status);
      return returned;
    });
    expectStatus(irp.IoStatus.Status, status);
    await unregister(p);
  });

  test('a missing IRP returns STATUS_INVALID_PARAMETER', async () => {
    const p = register();
    expectStatus(p.npi.Dispatch.WskSocket(p.npi.Client, AF_INET, SOCK_STREAM, IPPROTO_TCP, 1, null, null, null, null, null, null), STATUS_INVALID_PARAMETER);
    await unregister(p);
  });

  test('each category carries its own provider table, members in C order', async () => {
    const p = register();
    const expected: Record<number, string[]> = {
      [WSK_FLAG_BASIC_SOCKET]: ['WskControlSocket', 'WskCloseSocket'],
      [WSK_FLAG_LISTEN_SOCKET]: ['Basic', 'WskControlSocket', 'WskCloseSocket', 'WskBind', 'WskAccept', 'WskInspectComplete', 'WskGetLocalAddress'],
      [WSK_FLAG_DATAGRAM_SOCKET]: ['Basic', 'WskControlSocket', 'WskCloseSocket', 'WskBind', 'WskSendTo', 'WskReceiveFrom', 'WskRelease', 'WskGetLocalAddress', 'WskSendMessages'],
      [WSK_FLAG_CONNECTION_SOCKET]: ['Basic', 'WskControlSocket', 'WskCloseSocket', 'WskBind', 'WskConnect', 'WskGetLocalAddress', 'WskGetRemoteAddress', 'WskSend', 'WskReceive', 'WskDisconnect', 'WskRelease', 'WskConnectEx', 'WskSendEx', 'WskReceiveEx'],
      [WSK_FLAG_STREAM_SOCKET]: ['Basic', 'WskControlSocket', 'WskCloseSocket', 'WskBind', 'WskAccept', 'WskConnect', 'WskListen', 'WskSend', 'WskReceive', 'WskDisconnect', 'WskRelease', 'WskGetLocalAddress', 'WskGetRemoteAddress', 'WskConnectEx', 'WskSendEx', 'WskReceiveEx'],
    };
    for (const [flags, members] of Object.entries(expected)) {
      const type = Number(flags) === WSK_FLAG_DATAGRAM_SOCKET ? SOCK_DGRAM : SOCK_STREAM;
      const proto = type === SOCK_DGRAM ? IPPROTO_UDP : IPPROTO_TCP;
      const s = await wskSocket(p, AF_INET, type, proto, Number(flags));
      expect(Object.keys(s.Dispatch)).toEqual(members);
      expect(Object.isFrozen(s.Dispatch)).toBe(true);
      await wskClose(s);
    }
    await unregister(p);
  });
});
