// What would bugcheck in the kernel is a named WskVerifierError here, thrown by the call that
// made the mistake. One behaviour per test.
import {
  AF_INET,
  IoAllocateIrp,
  IoCancelIrp,
  IoFreeIrp,
  IoReuseIrp,
  IoSetCompletionRoutine,
  IPPROTO_TCP,
  MAKE_WSK_VERSION,
  SOCK_STREAM,
  STATUS_PENDING,
  STATUS_SUCCESS,
  STATUS_UNSUCCESSFUL,
  WSK_FLAG_CONNECTION_SOCKET,
  WSK_FLAG_LISTEN_SOCKET,
  WSK_PROVIDER_LISTEN_DISPATCH,
  WSK_REGISTRATION,
  WSK_SOCKET,
  WskDeregister,
  WskRegister,
  WskReleaseProviderNPI,
  WskVerifierError,
  setWskVerifierHandler,
  sockaddrFromString,
} from '../lib';
import { WSK_PROVIDER_LISTEN_DISPATCH_TABLE } from '../lib/listen/listen-socket';
import { expectStatus, listenOn, newOp, register, unregister, wskClose, wskSocket } from './helpers';

const named = (code: string) => expect.objectContaining({ name: 'WskVerifierError', code });
const listenTable = (s: WSK_SOCKET) => s.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;

describe('misuse is caught and named', () => {
  test('an IRP passed again while pending: IRP_REUSED_WHILE_PENDING', async () => {
    const p = register();
    const { socket } = await listenOn(p, '127.0.0.1');
    const op = newOp();
    expectStatus(listenTable(socket).WskAccept(socket, 0, null, null, null, null, op.irp), STATUS_PENDING);
    expect(() => listenTable(socket).WskAccept(socket, 0, null, null, null, null, op.irp)).toThrow(named('IRP_REUSED_WHILE_PENDING'));
    expect(() => IoReuseIrp(op.irp, STATUS_UNSUCCESSFUL)).toThrow(named('IRP_REUSED_WHILE_PENDING'));
    IoCancelIrp(op.irp);
    await wskClose(socket);
    await unregister(p);
  });

  test('a completed IRP passed again without IoReuseIrp: IRP_NOT_REUSED', async () => {
    const p = register();
    const { socket } = await listenOn(p, '127.0.0.1');
    const op = newOp();
    expectStatus(listenTable(socket).WskGetLocalAddress(socket, {}, op.irp), STATUS_SUCCESS);
    expect(() => listenTable(socket).WskGetLocalAddress(socket, {}, op.irp)).toThrow(named('IRP_NOT_REUSED'));
    await wskClose(socket);
    await unregister(p);
  });

  test('an IRP freed while pending: IRP_FREED_WHILE_PENDING', async () => {
    const p = register();
    const { socket } = await listenOn(p, '127.0.0.1');
    const op = newOp();
    listenTable(socket).WskAccept(socket, 0, null, null, null, null, op.irp);
    expect(() => IoFreeIrp(op.irp)).toThrow(named('IRP_FREED_WHILE_PENDING'));
    await wskClose(socket);
    expect(op.completions).toBe(1);
    await unregister(p);
  });

  test('an IRP freed twice: IRP_DOUBLE_FREE; used after free: IRP_USED_AFTER_FREE', async () => {
    const p = register();
    const irp = IoAllocateIrp(1, false)!;
    IoFreeIrp(irp);
    expect(() => IoFreeIrp(irp)).toThrow(named('IRP_DOUBLE_FREE'));
    expect(() => p.npi.Dispatch.WskSocket(p.npi.Client, AF_INET, SOCK_STREAM, IPPROTO_TCP, 1, null, null, null, null, null, irp)).toThrow(
      named('IRP_USED_AFTER_FREE'),
    );
    await unregister(p);
  });

  test('a completion routine that does not return STATUS_MORE_PROCESSING_REQUIRED: COMPLETION_ROUTINE_BAD_RETURN', async () => {
    const p = register();
    const irp = IoAllocateIrp(1, false)!;
    IoSetCompletionRoutine(irp, () => STATUS_SUCCESS, null, true, true, true);
    expect(() =>
      p.npi.Dispatch.WskSocket(p.npi.Client, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET, null, null, null, null, null, irp),
    ).toThrow(/COMPLETION_ROUTINE_BAD_RETURN in completion of WskSocket/);
    // The socket was created before the routine ran; it is still the caller's to close.
    await wskClose(irp.IoStatus.Information as WSK_SOCKET);
    await unregister(p);
  });

  test('a call on a closed socket: SOCKET_CLOSED', async () => {
    const p = register();
    const { socket } = await listenOn(p, '127.0.0.1');
    await wskClose(socket);
    const op = newOp();
    expect(() => listenTable(socket).WskAccept(socket, 0, null, null, null, null, op.irp)).toThrow(named('SOCKET_CLOSED'));
    expect(() => socket.Dispatch.WskCloseSocket(socket, op.irp)).toThrow(/SOCKET_CLOSED in WskCloseSocket/);
    await unregister(p);
  });

  test('a function of another category: WRONG_SOCKET_CATEGORY', async () => {
    const p = register();
    const conn = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_CONNECTION_SOCKET);
    const op = newOp();
    expect(() => WSK_PROVIDER_LISTEN_DISPATCH_TABLE.WskAccept(conn, 0, null, null, null, null, op.irp)).toThrow(
      named('WRONG_SOCKET_CATEGORY'),
    );
    await wskClose(conn);
    await unregister(p);
  });

  test('a wrong-typed IRP: INVALID_ARGUMENT (a missing one is STATUS_INVALID_PARAMETER)', async () => {
    const p = register();
    const { socket } = await listenOn(p, '127.0.0.1');
    expect(() => listenTable(socket).WskBind(socket, sockaddrFromString('127.0.0.1'), 0, 5 as never)).toThrow(named('INVALID_ARGUMENT'));
    await wskClose(socket);
    await unregister(p);
  });

  test('a socket argument that is not a WSK_SOCKET: INVALID_ARGUMENT', () => {
    expect(() => WSK_PROVIDER_LISTEN_DISPATCH_TABLE.WskAccept({} as never, 0, null, null, null, null, null)).toThrow(named('INVALID_ARGUMENT'));
  });

  test('a Client that is not one: INVALID_ARGUMENT', async () => {
    const p = register();
    expect(() => p.npi.Dispatch.WskSocket({} as never, AF_INET, SOCK_STREAM, IPPROTO_TCP, 1, null, null, null, null, null, null)).toThrow(
      named('INVALID_ARGUMENT'),
    );
    await unregister(p);
  });

  test('IoAllocateIrp with StackSize 0: INVALID_ARGUMENT', () => {
    expect(() => IoAllocateIrp(0, false)).toThrow(named('INVALID_ARGUMENT'));
  });

  test('a provider call after WskReleaseProviderNPI: PROVIDER_NOT_CAPTURED', async () => {
    const p = register();
    WskReleaseProviderNPI(p.registration);
    const op = newOp();
    expect(() => p.npi.Dispatch.WskSocket(p.npi.Client, AF_INET, SOCK_STREAM, IPPROTO_TCP, 1, null, null, null, null, null, op.irp)).toThrow(
      named('PROVIDER_NOT_CAPTURED'),
    );
    await WskDeregister(p.registration);
  });

  test('one WSK_REGISTRATION registered twice: REGISTRATION_MISUSE', async () => {
    const registration: WSK_REGISTRATION = {};
    const npi = { ClientContext: null, Dispatch: { Version: MAKE_WSK_VERSION(1, 0), Reserved: 0, WskClientEvent: null } };
    expectStatus(WskRegister(npi, registration), STATUS_SUCCESS);
    expect(() => WskRegister(npi, registration)).toThrow(named('REGISTRATION_MISUSE'));
    expect(() => WskReleaseProviderNPI(registration)).toThrow(/more releases than successful captures/);
    await WskDeregister(registration);
  });

  test('a verifier handler observes each violation before it is thrown', () => {
    const seen: WskVerifierError[] = [];
    setWskVerifierHandler((e) => seen.push(e));
    try {
      const irp = IoAllocateIrp(1, false)!;
      IoFreeIrp(irp);
      expect(() => IoFreeIrp(irp)).toThrow(WskVerifierError);
    } finally {
      setWskVerifierHandler(null);
    }
    expect(seen.map((e) => [e.code, e.where])).toEqual([['IRP_DOUBLE_FREE', 'IoFreeIrp']]);
  });
});
