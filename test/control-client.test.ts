// WskControlClient, SO_WSK_SECURITY, static event callbacks, and basic sockets.
import {
  AF_INET,
  AF_INET6,
  CachedSecurityDescriptor,
  IoCancelIrp,
  IPPROTO_TCP,
  IPPROTO_UDP,
  NPI_WSK_INTERFACE_ID,
  PWSK_DATAGRAM_INDICATION,
  SIO_WSK_REGISTER_EXTENSION,
  SIO_WSK_SET_REMOTE_ADDRESS,
  SIZEOF_WSK_TRANSPORT,
  SOCK_DGRAM,
  SOCK_STREAM,
  SOL_SOCKET,
  SO_RCVBUF,
  SO_WSK_SECURITY,
  STATUS_BUFFER_OVERFLOW,
  STATUS_CANCELLED,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_INVALID_DEVICE_STATE,
  STATUS_INVALID_PARAMETER,
  STATUS_NOT_SUPPORTED,
  STATUS_PENDING,
  STATUS_SUCCESS,
  WSK_CACHE_SD,
  WSK_CLIENT_DATAGRAM_DISPATCH,
  WSK_EVENT_DISABLE,
  WSK_EVENT_RECEIVE_FROM,
  WSK_FLAG_BASIC_SOCKET,
  WSK_FLAG_DATAGRAM_SOCKET,
  WSK_RELEASE_SD,
  WSK_SET_STATIC_EVENT_CALLBACKS,
  WSK_SOCKET,
  WSK_TDI_BEHAVIOR,
  WSK_TDI_BEHAVIOR_BYPASS_TDI,
  WSK_TDI_DEVICENAME_MAPPING,
  WSK_TRANSPORT,
  WSK_TRANSPORT_LIST_CHANGE,
  WSK_TRANSPORT_LIST_QUERY,
  WskDeregister,
  WskGetOption,
  WskIoctl,
  WskReleaseProviderNPI,
  WskSetOption,
  sockaddrFromString,
  sockaddrPort,
} from '../lib';
import { call, expectStatus, newOp, Provider, register, unregister, wskClose, wskSocket } from './helpers';
import { dg, eventControl, peer, udpSocket } from './udp-helpers';

let p: Provider;
const ctl = (code: number, inSize: number, inBuf: unknown, outSize: number, outBuf: unknown, ret: { 0: number } | null = null) =>
  p.npi.Dispatch.WskControlClient(p.npi.Client, code, inSize, inBuf as object, outSize, outBuf as object, ret, null);

describe('WskControlClient', () => {
  beforeEach(() => {
    p = register();
  });
  afterEach(async () => {
    await unregister(p);
  });

  test('WSK_TRANSPORT_LIST_QUERY: a size query gives STATUS_BUFFER_OVERFLOW and the bytes needed', () => {
    const ret = { 0: 0 };
    expectStatus(ctl(WSK_TRANSPORT_LIST_QUERY, 0, null, 0, null, ret), STATUS_BUFFER_OVERFLOW);
    expect(ret[0] % SIZEOF_WSK_TRANSPORT).toBe(0);
    expect(ret[0]).toBeGreaterThanOrEqual(4 * SIZEOF_WSK_TRANSPORT);
  });

  test('WSK_TRANSPORT_LIST_QUERY lists TCP and UDP over IPv4 and IPv6 (and raw where allowed)', () => {
    const ret = { 0: 0 };
    ctl(WSK_TRANSPORT_LIST_QUERY, 0, null, 0, null, ret);
    const out: WSK_TRANSPORT[] = [];
    expectStatus(ctl(WSK_TRANSPORT_LIST_QUERY, 0, null, ret[0], out, ret), STATUS_SUCCESS);
    expect(out.length * SIZEOF_WSK_TRANSPORT).toBe(ret[0]);
    const triples = out.map((t) => `${t.AddressFamily}/${t.SocketType}/${t.Protocol}`);
    for (const t of [`${AF_INET}/1/6`, `${AF_INET}/2/17`, `${AF_INET6}/1/6`, `${AF_INET6}/2/17`]) expect(triples).toContain(t);
    expect(out[0].ProviderId.Data1).toBe(0xe70f1aa0);
  });

  test('WSK_TRANSPORT_LIST_QUERY with an IRP completes it STATUS_INVALID_PARAMETER', async () => {
    const irp = await call((irp) => p.npi.Dispatch.WskControlClient(p.npi.Client, WSK_TRANSPORT_LIST_QUERY, 0, null, 0, null, null, irp));
    expectStatus(irp.IoStatus.Status, STATUS_INVALID_PARAMETER);
  });

  test('WSK_TRANSPORT_LIST_CHANGE needs an IRP, pends, and IoCancelIrp completes it STATUS_CANCELLED', async () => {
    expectStatus(ctl(WSK_TRANSPORT_LIST_CHANGE, 0, null, 0, null), STATUS_INVALID_PARAMETER);
    const op = newOp();
    expectStatus(p.npi.Dispatch.WskControlClient(p.npi.Client, WSK_TRANSPORT_LIST_CHANGE, 0, null, 0, null, null, op.irp), STATUS_PENDING);
    expect(IoCancelIrp(op.irp)).toBe(true);
    expectStatus((await op.done).IoStatus.Status, STATUS_CANCELLED);
  });

  test('unknown codes return STATUS_INVALID_PARAMETER', () => {
    expectStatus(ctl(99, 0, null, 0, null), STATUS_INVALID_PARAMETER);
  });

  test('the TDI codes are accepted no-ops before the first socket, refused after it', async () => {
    expectStatus(ctl(WSK_TDI_BEHAVIOR, 4, [WSK_TDI_BEHAVIOR_BYPASS_TDI], 0, null), STATUS_SUCCESS);
    expectStatus(ctl(WSK_TDI_BEHAVIOR, 4, [0x10], 0, null), STATUS_INVALID_PARAMETER);
    expectStatus(ctl(WSK_TDI_DEVICENAME_MAPPING, 16, { ElementCount: 0, Map: null }, 0, null), STATUS_SUCCESS);
    const s = await wskSocket(p, AF_INET, SOCK_DGRAM, IPPROTO_UDP, WSK_FLAG_BASIC_SOCKET);
    expectStatus(ctl(WSK_TDI_BEHAVIOR, 4, [WSK_TDI_BEHAVIOR_BYPASS_TDI], 0, null), STATUS_INVALID_DEVICE_STATE);
    await wskClose(s);
  });
});

test('WskDeregister cancels a pending WSK_TRANSPORT_LIST_CHANGE and then resolves', async () => {
  p = register();
  const op = newOp();
  expectStatus(p.npi.Dispatch.WskControlClient(p.npi.Client, WSK_TRANSPORT_LIST_CHANGE, 0, null, 0, null, null, op.irp), STATUS_PENDING);
  WskReleaseProviderNPI(p.registration);
  await WskDeregister(p.registration);
  expectStatus(op.irp.IoStatus.Status, STATUS_CANCELLED);
});

describe('security descriptors', () => {
  beforeEach(() => {
    p = register();
  });
  afterEach(async () => {
    await unregister(p);
  });

  const cache = (sd: object): CachedSecurityDescriptor => {
    const out: { 0: CachedSecurityDescriptor | null } = { 0: null };
    expectStatus(ctl(WSK_CACHE_SD, 8, [sd], 8, out), STATUS_SUCCESS);
    expect(out[0]).toBeInstanceOf(CachedSecurityDescriptor);
    return out[0]!;
  };

  test('WSK_CACHE_SD gives a descriptor WskSocket accepts; an uncached one is refused', async () => {
    const sd = cache({ Revision: 1 });
    const irp = await call((irp) =>
      p.npi.Dispatch.WskSocket(p.npi.Client, AF_INET, SOCK_DGRAM, IPPROTO_UDP, WSK_FLAG_DATAGRAM_SOCKET, null, null, null, null, sd, irp),
    );
    expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
    const bad = await call((irp) =>
      p.npi.Dispatch.WskSocket(p.npi.Client, AF_INET, SOCK_DGRAM, IPPROTO_UDP, WSK_FLAG_DATAGRAM_SOCKET, null, null, null, null, { Revision: 1 }, irp),
    );
    expectStatus(bad.IoStatus.Status, STATUS_INVALID_PARAMETER);
    await wskClose(irp.IoStatus.Information as WSK_SOCKET);
    expectStatus(ctl(WSK_RELEASE_SD, 8, [sd], 0, null), STATUS_SUCCESS);
  });

  test('a released descriptor is refused, and releasing it twice is a verifier error', async () => {
    const sd = cache({});
    expectStatus(ctl(WSK_RELEASE_SD, 8, [sd], 0, null), STATUS_SUCCESS);
    expect(() => ctl(WSK_RELEASE_SD, 8, [sd], 0, null)).toThrow(/INVALID_ARGUMENT in WskControlClient/);
    const irp = await call((irp) =>
      p.npi.Dispatch.WskSocket(p.npi.Client, AF_INET, SOCK_DGRAM, IPPROTO_UDP, WSK_FLAG_DATAGRAM_SOCKET, null, null, null, null, sd, irp),
    );
    expectStatus(irp.IoStatus.Status, STATUS_INVALID_PARAMETER);
  });

  test('SO_WSK_SECURITY set then get returns a reference to the same cached descriptor; both need an IRP', async () => {
    const { s } = await udpSocket(p, 4);
    const sd = cache({ owner: 'me' });
    const set = await call((irp) => dg(s).WskControlSocket(s, WskSetOption, SO_WSK_SECURITY, SOL_SOCKET, 8, [sd], 0, null, null, irp));
    expectStatus(set.IoStatus.Status, STATUS_SUCCESS);
    const out: { 0: unknown } = { 0: null };
    const got = await call((irp) => dg(s).WskControlSocket(s, WskGetOption, SO_WSK_SECURITY, SOL_SOCKET, 0, null, 8, out, null, irp));
    expectStatus(got.IoStatus.Status, STATUS_SUCCESS);
    expect(got.IoStatus.Information).toBe(8);
    expect(out[0]).toBe(sd);
    expectStatus(dg(s).WskControlSocket(s, WskSetOption, SO_WSK_SECURITY, SOL_SOCKET, 8, [sd], 0, null, null, null), STATUS_INVALID_PARAMETER);
    // Two references now (cache + get): both are released.
    expectStatus(ctl(WSK_RELEASE_SD, 8, [sd], 0, null), STATUS_SUCCESS);
    expectStatus(ctl(WSK_RELEASE_SD, 8, [sd], 0, null), STATUS_SUCCESS);
    await wskClose(s);
  });
});

describe('static event callbacks', () => {
  test('WSK_SET_STATIC_EVENT_CALLBACKS enables WskReceiveFromEvent on every new datagram socket, for good', async () => {
    p = register();
    const control = { NpiId: NPI_WSK_INTERFACE_ID, EventMask: WSK_EVENT_RECEIVE_FROM };
    expectStatus(ctl(WSK_SET_STATIC_EVENT_CALLBACKS, 16, control, 0, null), STATUS_SUCCESS);
    const seen: string[] = [];
    const dispatch: WSK_CLIENT_DATAGRAM_DISPATCH = {
      WskReceiveFromEvent: (_c, _f, head: PWSK_DATAGRAM_INDICATION | null) => {
        for (let d = head; d; d = d.Next) seen.push(String(d.Buffer.Length));
        return STATUS_SUCCESS;
      },
    };
    const { s, port } = await udpSocket(p, 4, null, dispatch);
    expectStatus(eventControl(s, WSK_EVENT_RECEIVE_FROM | WSK_EVENT_DISABLE), STATUS_INVALID_PARAMETER);
    const node = await peer(4);
    await node.send(Buffer.alloc(3), port);
    for (let i = 0; i < 200 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(seen).toEqual(['3']);
    // After the first socket the mask is fixed.
    expectStatus(ctl(WSK_SET_STATIC_EVENT_CALLBACKS, 16, control, 0, null), STATUS_INVALID_DEVICE_STATE);
    await node.close();
    await wskClose(s);
    await unregister(p);
  });

  test('an invalid mask or NPI id is refused', async () => {
    p = register();
    expectStatus(ctl(WSK_SET_STATIC_EVENT_CALLBACKS, 16, { NpiId: NPI_WSK_INTERFACE_ID, EventMask: 0x1 }, 0, null), STATUS_INVALID_PARAMETER);
    expectStatus(ctl(WSK_SET_STATIC_EVENT_CALLBACKS, 16, { NpiId: { ...NPI_WSK_INTERFACE_ID, Data1: 1 }, EventMask: WSK_EVENT_RECEIVE_FROM }, 0, null), STATUS_NOT_SUPPORTED);
    await unregister(p);
  });
});

describe('basic sockets', () => {
  beforeEach(() => {
    p = register();
  });
  afterEach(async () => {
    await unregister(p);
  });

  test.each([
    [SOCK_STREAM, IPPROTO_TCP],
    [SOCK_DGRAM, IPPROTO_UDP],
  ])('type %s: options through WskControlSocket, then WskCloseSocket', async (type, proto) => {
    const s = await wskSocket(p, AF_INET6, type, proto, WSK_FLAG_BASIC_SOCKET);
    const value = new Uint8Array(new Int32Array([1 << 16]).buffer);
    const set = await call((irp) => s.Dispatch.WskControlSocket(s, WskSetOption, SO_RCVBUF, SOL_SOCKET, 4, value, 0, null, null, irp));
    expectStatus(set.IoStatus.Status, STATUS_SUCCESS);
    const out = new Uint8Array(4);
    const got = await call((irp) => s.Dispatch.WskControlSocket(s, WskGetOption, SO_RCVBUF, SOL_SOCKET, 0, null, 4, out, null, irp));
    expectStatus(got.IoStatus.Status, STATUS_SUCCESS);
    expect(new DataView(out.buffer).getInt32(0, true)).toBeGreaterThanOrEqual(1 << 16);
    expect(Object.keys(s.Dispatch)).toEqual(['WskControlSocket', 'WskCloseSocket']);
    await wskClose(s);
  });

  test('SO_WSK_EVENT_CALLBACK, SO_WSK_SECURITY and datagram IOCTLs are refused', async () => {
    const s = await wskSocket(p, AF_INET, SOCK_DGRAM, IPPROTO_UDP, WSK_FLAG_BASIC_SOCKET);
    expectStatus(eventControl(s, WSK_EVENT_RECEIVE_FROM), STATUS_INVALID_PARAMETER);
    const sec = await call((irp) => s.Dispatch.WskControlSocket(s, WskGetOption, SO_WSK_SECURITY, SOL_SOCKET, 0, null, 8, { 0: null }, null, irp));
    expectStatus(sec.IoStatus.Status, STATUS_INVALID_PARAMETER);
    const io = await call((irp) => s.Dispatch.WskControlSocket(s, WskIoctl, SIO_WSK_SET_REMOTE_ADDRESS, 0, 16, sockaddrFromString('127.0.0.1', 9), 0, null, null, irp));
    expectStatus(io.IoStatus.Status, STATUS_INVALID_DEVICE_REQUEST);
    expectStatus(s.Dispatch.WskControlSocket(s, WskIoctl, SIO_WSK_REGISTER_EXTENSION, 0, 24, {}, 16, {}, null, null), STATUS_NOT_SUPPORTED);
    await wskClose(s);
  });
});

void sockaddrPort;
