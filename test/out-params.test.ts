// Regressions (issue 14, items 5 and 8): arguments of the wrong shape are caught where the call
// starts, never by the engine later on (a TypeError from `BigInt(undefined)`, from a write to a
// number or a frozen object, from `>>> 0` on a Symbol): the call throws a named WskVerifierError
// and leaves its IRP usable, or completes it with the status WSK documents (or this package
// already gives that parameter). Out-parameters written on completion are checked up front, so
// that nothing fails later on the event loop, where the IRP would be lost.
import {
  AF_INET,
  AF_INET6,
  AI_NUMERICHOST,
  IoAllocateMdl,
  IoFreeIrp,
  IoReuseIrp,
  IPPROTO_IP,
  IPPROTO_TCP,
  IP_TTL,
  IRP,
  KEVENT,
  KeInitializeEvent,
  KeWaitForSingleObject,
  Executive,
  KernelMode,
  LARGE_INTEGER,
  NotificationEvent,
  NS_ALL,
  NTSTATUS,
  RtlInitUnicodeString,
  SIO_WSK_QUERY_IDEAL_SEND_BACKLOG,
  SO_RCVBUF,
  SO_WSK_SECURITY,
  SOCK_STREAM,
  SOL_SOCKET,
  STATUS_INVALID_PARAMETER,
  STATUS_NOT_SUPPORTED,
  STATUS_SUCCESS,
  UNICODE_STRING,
  WSK_CACHE_SD,
  WSK_FLAG_CONNECTION_SOCKET,
  WSK_INFINITE_WAIT,
  WSK_PROVIDER_LISTEN_DISPATCH,
  WSK_PROVIDER_NPI,
  WSK_SOCKET,
  WSK_TRANSPORT_LIST_QUERY,
  WskCaptureProviderNPI,
  WskGetOption,
  WskIoctl,
  WskSetOption,
  sockaddrFromString,
} from '../lib';
import { conn, connectedPair, wskBuf as connBuf } from './conn-helpers';
import { expectStatus, listenOn, newOp, Provider, register, tick, unregister, wskClose, wskSocket } from './helpers';
import { dg, udpSocket, wskBuf } from './udp-helpers';

const named = (code: string) => expect.objectContaining({ name: 'WskVerifierError', code });

/** Runs an IRP-taking call that must refuse its arguments with `status`, completing the IRP once. */
function completes(status: NTSTATUS, fn: (irp: IRP) => NTSTATUS): void {
  const op = newOp();
  expectStatus(fn(op.irp), status);
  expect(op.completions).toBe(1);
  expectStatus(op.irp.IoStatus.Status, status);
}

/** Runs an IRP-taking call that must throw INVALID_ARGUMENT and leave its IRP as it was. */
function refuses(fn: (irp: IRP) => NTSTATUS): void {
  const op = newOp();
  expect(() => fn(op.irp)).toThrow(named('INVALID_ARGUMENT'));
  expect(op.completions).toBe(0);
  expect(() => IoReuseIrp(op.irp, STATUS_SUCCESS)).not.toThrow();
}

const frozen = <T extends object>(o: T): T => Object.freeze(o);

describe('WskReceiveFrom out-parameters (item 5)', () => {
  let p: Provider;
  let s: WSK_SOCKET;
  beforeAll(async () => {
    p = register();
    s = (await udpSocket(p, 4)).s;
  });
  afterAll(async () => {
    await wskClose(s);
    await unregister(p);
  });
  const receiveFrom = (irp: IRP, ControlLength: unknown, ControlFlags: unknown, RemoteAddress: unknown = null, ControlInfo: Uint8Array | null = null) =>
    dg(s).WskReceiveFrom(s, wskBuf(new Uint8Array(8)), 0, RemoteAddress as never, ControlLength as never, ControlInfo as never, ControlFlags as never, irp);

  test('a number as ControlLength or ControlFlags completes STATUS_INVALID_PARAMETER at once', () => {
    completes(STATUS_INVALID_PARAMETER, (irp) => receiveFrom(irp, 16, null));
    completes(STATUS_INVALID_PARAMETER, (irp) => receiveFrom(irp, { 0: 0 }, 7));
  });

  test('a frozen ControlLength, ControlFlags or RemoteAddress completes STATUS_INVALID_PARAMETER at once', () => {
    completes(STATUS_INVALID_PARAMETER, (irp) => receiveFrom(irp, frozen({ 0: 0 }), null));
    completes(STATUS_INVALID_PARAMETER, (irp) => receiveFrom(irp, { 0: 0 }, frozen({ 0: 0 })));
    completes(STATUS_INVALID_PARAMETER, (irp) => receiveFrom(irp, null, null, frozen({})));
  });

  test('a ControlLength whose value is not a number, with a ControlInfo buffer, completes STATUS_INVALID_PARAMETER at once', () => {
    completes(STATUS_INVALID_PARAMETER, (irp) => receiveFrom(irp, { 0: Symbol('size') }, null, null, new Uint8Array(64)));
    completes(STATUS_INVALID_PARAMETER, (irp) => receiveFrom(irp, { 0: 64n }, null, null, new Uint8Array(64)));
  });
});

describe('engine TypeErrors become named errors or statuses (item 8)', () => {
  let p: Provider;
  beforeEach(() => {
    p = register();
  });
  afterEach(async () => {
    await unregister(p);
  });

  test('KeWaitForSingleObject with a LARGE_INTEGER whose QuadPart is missing or not an integer: INVALID_ARGUMENT', () => {
    const ev: KEVENT = {};
    KeInitializeEvent(ev, NotificationEvent, false);
    for (const Timeout of [{}, { QuadPart: 1.5 }, { QuadPart: 'soon' }, { QuadPart: Symbol('t') }]) {
      expect(() => KeWaitForSingleObject(ev, Executive, KernelMode, false, Timeout as LARGE_INTEGER)).toThrow(named('INVALID_ARGUMENT'));
    }
  });

  test('KeInitializeEvent on a frozen object: INVALID_ARGUMENT', () => {
    expect(() => KeInitializeEvent(frozen({}), NotificationEvent, false)).toThrow(named('INVALID_ARGUMENT'));
  });

  test('WskCaptureProviderNPI into a frozen WSK_PROVIDER_NPI: INVALID_ARGUMENT, and nothing captured', () => {
    expect(() => WskCaptureProviderNPI(p.registration, WSK_INFINITE_WAIT, frozen({}) as WSK_PROVIDER_NPI)).toThrow(named('INVALID_ARGUMENT'));
    // afterEach's single release and WskDeregister still balance.
  });

  test('OutputSizeReturned that cannot be written (a number, a frozen object): INVALID_ARGUMENT before anything is done', async () => {
    const { s } = await udpSocket(p, 4);
    const four = new Uint8Array(4);
    for (const ret of [5, frozen({ 0: 0 })]) {
      expect(() => dg(s).WskControlSocket(s, WskGetOption, IP_TTL, IPPROTO_IP, 0, null, 4, four, ret as never, null)).toThrow(named('INVALID_ARGUMENT'));
      expect(() => p.npi.Dispatch.WskControlClient(p.npi.Client, WSK_TRANSPORT_LIST_QUERY, 0, null, 0, null, ret as never, null)).toThrow(
        named('INVALID_ARGUMENT'),
      );
    }
    await wskClose(s);
  });

  test('a Symbol or a BigInt as ControlCode or Level: INVALID_ARGUMENT, the IRP untouched', async () => {
    const { s } = await udpSocket(p, 4);
    for (const bad of [Symbol('code'), 10n]) {
      refuses((irp) => dg(s).WskControlSocket(s, WskSetOption, bad as never, SOL_SOCKET, 0, null, 0, null, null, irp));
      refuses((irp) => dg(s).WskControlSocket(s, WskSetOption, SO_RCVBUF, bad as never, 0, null, 0, null, null, irp));
      expect(() => p.npi.Dispatch.WskControlClient(p.npi.Client, bad as never, 0, null, 0, null, null, null)).toThrow(named('INVALID_ARGUMENT'));
    }
    await wskClose(s);
  });

  test('WskSocket with a Flags value that names an Object.prototype member completes STATUS_INVALID_PARAMETER', () => {
    for (const Flags of ['toString', 'constructor', '__proto__']) {
      completes(STATUS_INVALID_PARAMETER, (irp) =>
        p.npi.Dispatch.WskSocket(p.npi.Client, AF_INET, SOCK_STREAM, IPPROTO_TCP, Flags as never, null, null, null, null, null, irp),
      );
    }
  });

  test('a frozen SOCKADDR to fill (WskGetLocalAddress, WskAccept) completes STATUS_INVALID_PARAMETER', async () => {
    const { socket } = await listenOn(p, '127.0.0.1');
    const d = socket.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;
    completes(STATUS_INVALID_PARAMETER, (irp) => d.WskGetLocalAddress(socket, frozen({}), irp));
    completes(STATUS_INVALID_PARAMETER, (irp) => d.WskAccept(socket, 0, null, null, null, frozen({}), irp));
    completes(STATUS_INVALID_PARAMETER, (irp) => d.WskAccept(socket, 0, null, null, 5 as never, null, irp));
    await wskClose(socket);
  });

  test('Flags of WskSend, WskReceive and WskDisconnect that are not numbers complete as unsupported flags do', async () => {
    const pair = await connectedPair(p);
    const { s } = pair;
    for (const Flags of [Symbol('f'), 1n]) {
      completes(STATUS_NOT_SUPPORTED, (irp) => conn(s).WskSend(s, connBuf(new Uint8Array(4)), Flags as never, irp));
      completes(STATUS_NOT_SUPPORTED, (irp) => conn(s).WskReceive(s, connBuf(new Uint8Array(4)), Flags as never, irp));
      completes(STATUS_INVALID_PARAMETER, (irp) => conn(s).WskDisconnect(s, null, Flags as never, irp));
    }
    await wskClose(s);
    await pair.close();
  });

  test('a SOCKADDR_IN6 whose sin6_flowinfo or sin6_scope_id is a Symbol completes STATUS_INVALID_PARAMETER', async () => {
    const s = await wskSocket(p, AF_INET6, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_CONNECTION_SOCKET);
    for (const field of ['sin6_flowinfo', 'sin6_scope_id']) {
      const addr = { ...sockaddrFromString('::1', 0), [field]: Symbol(field) };
      completes(STATUS_INVALID_PARAMETER, (irp) => conn(s).WskBind(s, addr as never, 0, irp));
    }
    await wskClose(s);
  });

  test('out-parameters of WskControlSocket and WskControlClient that cannot be written complete STATUS_INVALID_PARAMETER', async () => {
    const pair = await connectedPair(p);
    const { s } = pair;
    completes(STATUS_INVALID_PARAMETER, (irp) => s.Dispatch.WskControlSocket(s, WskGetOption, SO_WSK_SECURITY, SOL_SOCKET, 0, null, 8, frozen([null]), null, irp));
    completes(STATUS_INVALID_PARAMETER, (irp) =>
      s.Dispatch.WskControlSocket(s, WskIoctl, SIO_WSK_QUERY_IDEAL_SEND_BACKLOG, 0, 0, null, 8, frozen({ 0: 0 }), null, irp),
    );
    await wskClose(s);
    await pair.close();
    const ctl = (code: number, inSize: number, inBuf: unknown, outSize: number, outBuf: unknown, ret: { 0: number } | null = null) =>
      p.npi.Dispatch.WskControlClient(p.npi.Client, code, inSize, inBuf as never, outSize, outBuf as never, ret, null);
    expectStatus(ctl(WSK_CACHE_SD, 8, [{ sd: 1 }], 8, frozen([null])), STATUS_INVALID_PARAMETER);
    const size = { 0: 0 };
    ctl(WSK_TRANSPORT_LIST_QUERY, 0, null, 0, null, size);
    expectStatus(ctl(WSK_TRANSPORT_LIST_QUERY, 0, null, size[0], frozen(new Array(size[0] / 28).fill(null))), STATUS_INVALID_PARAMETER);
  });

  test('name resolution: Hints.ai_flags not a number, or a Result / NodeName that cannot be written, complete STATUS_INVALID_PARAMETER', async () => {
    const us = (text: string): UNICODE_STRING => {
      const u = {} as UNICODE_STRING;
      RtlInitUnicodeString(u, text);
      return u;
    };
    const getAddrInfo = (irp: IRP, hints: unknown, result: unknown) =>
      p.npi.Dispatch.WskGetAddressInfo(p.npi.Client, us('127.0.0.1'), null, NS_ALL, null, hints as never, result as never, null, null, irp);
    completes(STATUS_INVALID_PARAMETER, (irp) => getAddrInfo(irp, { ai_flags: Symbol('flags') }, { 0: null }));
    completes(STATUS_INVALID_PARAMETER, (irp) => getAddrInfo(irp, { ai_flags: AI_NUMERICHOST }, frozen({ 0: null })));
    const node = frozen({ Length: 0, MaximumLength: 64, Buffer: new Uint16Array(32) });
    completes(STATUS_INVALID_PARAMETER, (irp) =>
      p.npi.Dispatch.WskGetNameInfo(p.npi.Client, sockaddrFromString('127.0.0.1', 80), 16, node, null, 0, null, null, irp),
    );
    await tick();
  });
});

describe('a call that throws after claiming its IRP gives it back', () => {
  test('a WSK_BUF the MDL checks refuse (WskSendTo, WskReceiveFrom, WskSend, WskReceive): the IRP can be passed again at once', async () => {
    const p = register();
    const { s } = await udpSocket(p, 4);
    const pair = await connectedPair(p);
    const unbuilt = IoAllocateMdl(new Uint8Array(8), 8, false, false, null)!;
    const calls: Array<[string, (irp: IRP) => NTSTATUS]> = [
      ['MDL_RANGE', (irp) => dg(s).WskSendTo(s, { Mdl: null, Offset: 0, Length: 5 }, 0, sockaddrFromString('127.0.0.1', 9), 0, null, irp)],
      ['MDL_NOT_BUILT', (irp) => dg(s).WskReceiveFrom(s, { Mdl: unbuilt, Offset: 0, Length: 8 }, 0, null, null, null, null, irp)],
      ['INVALID_ARGUMENT', (irp) => conn(pair.s).WskSend(pair.s, null as never, 0, irp)],
      ['MDL_NOT_BUILT', (irp) => conn(pair.s).WskReceive(pair.s, { Mdl: unbuilt, Offset: 0, Length: 8 }, 0, irp)],
    ];
    const op = newOp();
    for (const [code, fn] of calls) {
      expect(() => fn(op.irp)).toThrow(named(code));
      expect(op.completions).toBe(0);
    }
    // Never reused in between: each call found it ready. It completes normally now, once.
    expectStatus(dg(s).WskGetLocalAddress(s, {}, op.irp), STATUS_SUCCESS);
    expect(op.completions).toBe(1);
    IoFreeIrp(op.irp);
    await wskClose(s);
    await wskClose(pair.s);
    await pair.close();
    await unregister(p);
  });
});
