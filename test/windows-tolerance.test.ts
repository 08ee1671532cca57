// Windows' tolerance and exact results (issue 16, section 1), as Wine's Windows-checked netio test
// (dlls/ntoskrnl.exe/tests/driver_netio.c) and shipped drivers record them: a NULL Client, a UDP
// socket created as a listening socket, WskGetAddressInfo's results, WskSocketConnect's reserved
// Flags, and calls that throw leaving nothing behind.
import {
  AF_INET,
  AI_NUMERICHOST,
  IRP,
  IoAllocateIrp,
  IoFreeIrp,
  IoReuseIrp,
  IoSetCompletionRoutine,
  IPPROTO_TCP,
  IPPROTO_UDP,
  NS_ALL,
  PADDRINFOEXW,
  PWSK_DATA_INDICATION,
  RtlInitUnicodeString,
  SOCK_DGRAM,
  SOCK_STREAM,
  STATUS_INVALID_HANDLE,
  STATUS_INVALID_PARAMETER,
  STATUS_MORE_PROCESSING_REQUIRED,
  STATUS_NOT_FOUND,
  STATUS_NOT_IMPLEMENTED,
  STATUS_PENDING,
  STATUS_SUCCESS,
  UNICODE_STRING,
  WSK_CLIENT_CONNECTION_DISPATCH,
  WSK_EVENT_RECEIVE,
  WSK_FLAG_CONNECTION_SOCKET,
  WSK_FLAG_LISTEN_SOCKET,
  WSK_PROVIDER_LISTEN_DISPATCH,
  WSK_SOCKET,
  WskDeregister,
  WskReleaseProviderNPI,
  WskSetOption,
  WskVerifierError,
  NPI_WSK_INTERFACE_ID,
  SO_WSK_EVENT_CALLBACK,
  SOL_SOCKET,
  openSocketCount,
  sockaddrFromString,
  sockaddrAddressString,
  sockaddrPort,
} from '../lib';
import { call, expectStatus, newOp, register, unregister, wskClose, wskSocket } from './helpers';
import { conn, netServer, wskBuf, connectedPair } from './conn-helpers';

/** An IRP whose routine must not run, with its IoStatus set to what must stay. */
function untouchedIrp(): { irp: IRP; ran: () => boolean } {
  const irp = IoAllocateIrp(1, false)!;
  let ran = false;
  IoSetCompletionRoutine(irp, () => ((ran = true), STATUS_MORE_PROCESSING_REQUIRED), null, true, true, true);
  irp.IoStatus.Status = 0xdeadbeef;
  irp.IoStatus.Information = 0xdeadbeef;
  return { irp, ran: () => ran };
}

function us(text: string): UNICODE_STRING {
  const s = {} as UNICODE_STRING;
  RtlInitUnicodeString(s, text);
  return s;
}

describe('a NULL Client', () => {
  test('every client-level function returns STATUS_INVALID_PARAMETER without an IRP, STATUS_INVALID_HANDLE with one, the IRP untouched', () => {
    const p = register();
    const d = p.npi.Dispatch;
    const sa = sockaddrFromString('127.0.0.1', 0);
    const calls: Array<(irp: IRP | null) => number> = [
      (irp) => d.WskSocket(null as never, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET, null, null, null, null, null, irp),
      (irp) => d.WskSocketConnect(null as never, SOCK_STREAM, IPPROTO_TCP, sa, sa, 0, null, null, null, null, null, irp),
      (irp) => d.WskControlClient(null as never, 2, 0, null, 0, null, null, irp),
      (irp) => d.WskGetAddressInfo(null as never, us('127.0.0.1'), null, NS_ALL, null, null, { 0: null }, null, null, irp),
      (irp) => d.WskGetNameInfo(null as never, sa, 16, us(''), null, 0, null, null, irp),
    ];
    for (const fn of calls) {
      expectStatus(fn(null), STATUS_INVALID_PARAMETER);
      const { irp, ran } = untouchedIrp();
      expectStatus(fn(irp), STATUS_INVALID_HANDLE);
      expect([ran(), irp.IoStatus.Status, irp.IoStatus.Information, irp.PendingReturned]).toEqual([false, 0xdeadbeef, 0xdeadbeef, false]);
      IoFreeIrp(irp); // never taken: the caller frees it
    }
    expect(() => d.WskFreeAddressInfo(null as never, null)).not.toThrow();
    return unregister(p);
  });
});

describe('a UDP socket created with WSK_FLAG_LISTEN_SOCKET', () => {
  test('is created; its WskBind completes STATUS_NOT_IMPLEMENTED; it closes normally', async () => {
    const p = register();
    const before = openSocketCount();
    const s = await wskSocket(p, AF_INET, SOCK_DGRAM, IPPROTO_UDP, WSK_FLAG_LISTEN_SOCKET);
    expect(openSocketCount()).toBe(before + 1);
    const d = s.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;
    const bound = await call((irp) => d.WskBind(s, sockaddrFromString('127.0.0.1', 0), 0, irp));
    expect([bound.IoStatus.Status, bound.IoStatus.Information]).toEqual([STATUS_NOT_IMPLEMENTED, 0]);
    await wskClose(s);
    expect(openSocketCount()).toBe(before);
    await unregister(p);
  });
});

describe('WskGetAddressInfo results', () => {
  async function lookup(p: ReturnType<typeof register>, node: string) {
    const Result: { 0: PADDRINFOEXW | null } = { 0: null };
    const op = newOp();
    op.irp.IoStatus.Information = 0xdeadbeef;
    expectStatus(p.npi.Dispatch.WskGetAddressInfo(p.npi.Client, us(node), us('12345'), NS_ALL, null, { ai_flags: AI_NUMERICHOST }, Result, null, null, op.irp), STATUS_PENDING);
    const irp = await op.done;
    return { status: irp.IoStatus.Status, information: irp.IoStatus.Information, head: Result[0] };
  }

  test('an unknown host completes STATUS_NOT_FOUND; a success leaves Information 0 and the list in *Result', async () => {
    const p = register();
    const missing = await lookup(p, 'dead.beef');
    expect([missing.status, missing.information, missing.head]).toEqual([STATUS_NOT_FOUND, 0, null]);
    const found = await lookup(p, '127.0.0.1');
    expect([found.status, found.information]).toEqual([STATUS_SUCCESS, 0]);
    expect(sockaddrAddressString(found.head!.ai_addr!)).toBe('127.0.0.1');
    expect(sockaddrPort(found.head!.ai_addr!)).toBe(12345);
    p.npi.Dispatch.WskFreeAddressInfo(p.npi.Client, found.head);
    await unregister(p);
  });
});

describe('WskSocketConnect', () => {
  test('ignores its reserved Flags (a shipped driver passes WSK_FLAG_CONNECTION_SOCKET)', async () => {
    const p = register();
    const srv = await netServer('127.0.0.1');
    const irp = await call((i) =>
      p.npi.Dispatch.WskSocketConnect(p.npi.Client, SOCK_STREAM, IPPROTO_TCP, sockaddrFromString('127.0.0.1', 0), sockaddrFromString('127.0.0.1', srv.port), WSK_FLAG_CONNECTION_SOCKET, null, null, null, null, null, i),
    );
    expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
    await wskClose(irp.IoStatus.Information as WSK_SOCKET);
    await srv.close();
    await unregister(p);
  });

  test('a malformed RemoteAddress leaves no native socket, and WskDeregister settles', async () => {
    const p = register();
    const before = openSocketCount();
    const local = sockaddrFromString('127.0.0.1', 0);
    const bad = { ...sockaddrFromString('127.0.0.1', 1), sin_port: 'x' };
    const r = await call((i) => p.npi.Dispatch.WskSocketConnect(p.npi.Client, SOCK_STREAM, IPPROTO_TCP, local, bad as never, 0, null, null, null, null, null, i));
    expectStatus(r.IoStatus.Status, STATUS_INVALID_PARAMETER);
    expect(openSocketCount()).toBe(before);
    // An address whose getter throws: the exception comes out, the IRP was never taken, no socket.
    const throwing = Object.defineProperty({ sin_family: AF_INET, sin_addr: { s_addr: 0x0100007f } }, 'sin_port', {
      get() {
        throw new Error('getter');
      },
    });
    const irp = IoAllocateIrp(1, false)!;
    expect(() => p.npi.Dispatch.WskSocketConnect(p.npi.Client, SOCK_STREAM, IPPROTO_TCP, local, throwing as never, 0, null, null, null, null, null, irp)).toThrow('getter');
    expect(openSocketCount()).toBe(before);
    IoFreeIrp(irp);
    WskReleaseProviderNPI(p.registration);
    await WskDeregister(p.registration);
  });
});

describe('WskCloseSocket that throws a verifier error leaves nothing behind', () => {
  test('retained indications: the close IRP is not taken, and after WskRelease the same IRP closes the socket', async () => {
    const p = register();
    let held: PWSK_DATA_INDICATION | null = null;
    const dispatch: WSK_CLIENT_CONNECTION_DISPATCH = {
      WskReceiveEvent: (_c, _f, ind) => ((held ??= ind), STATUS_PENDING),
      WskDisconnectEvent: null,
      WskSendBacklogEvent: null,
    };
    const pair = await connectedPair(p);
    const s = pair.s;
    (s as unknown as { clientDispatch: unknown }).clientDispatch = dispatch;
    const ctl = { NpiId: NPI_WSK_INTERFACE_ID, EventMask: WSK_EVENT_RECEIVE };
    expectStatus(s.Dispatch.WskControlSocket(s, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, ctl, 0, null, null, null), STATUS_SUCCESS);
    pair.peer.write('held');
    for (let i = 0; i < 200 && held === null; i++) await new Promise((r) => setTimeout(r, 5));
    expect(held).not.toBeNull();
    const { irp, ran } = untouchedIrp();
    expect(() => s.Dispatch.WskCloseSocket(s, irp)).toThrow(/RETAINED_INDICATIONS_AT_CLOSE/);
    expect([ran(), irp.IoStatus.Status]).toEqual([false, 0xdeadbeef]);
    expectStatus(conn(s).WskRelease(s, held!), STATUS_SUCCESS);
    IoReuseIrp(irp, STATUS_SUCCESS);
    IoSetCompletionRoutine(irp, () => STATUS_MORE_PROCESSING_REQUIRED, null, true, true, true);
    expectStatus(s.Dispatch.WskCloseSocket(s, irp), STATUS_SUCCESS);
    IoFreeIrp(irp);
    pair.peer.destroy();
    await pair.close();
    await unregister(p);
  });

  test("a cancelled IRP's routine returning the wrong status: the close still completes its IRP, which can be reused and freed", async () => {
    const p = register();
    const pair = await connectedPair(p);
    const s = pair.s;
    const recv = IoAllocateIrp(1, false)!;
    IoSetCompletionRoutine(recv, () => STATUS_SUCCESS, null, true, true, true); // wrong: must be MORE_PROCESSING_REQUIRED
    expectStatus(conn(s).WskReceive(s, wskBuf(new Uint8Array(8)), 0, recv), STATUS_PENDING);
    const before = openSocketCount();
    const closeIrp = IoAllocateIrp(1, false)!;
    let closed = 0;
    IoSetCompletionRoutine(closeIrp, () => (closed++, STATUS_MORE_PROCESSING_REQUIRED), null, true, true, true);
    expect(() => s.Dispatch.WskCloseSocket(s, closeIrp)).toThrow(WskVerifierError);
    expect([closed, closeIrp.IoStatus.Status, openSocketCount()]).toEqual([1, STATUS_SUCCESS, before - 1]);
    IoReuseIrp(closeIrp, STATUS_SUCCESS);
    IoFreeIrp(closeIrp);
    IoReuseIrp(recv, STATUS_SUCCESS);
    IoFreeIrp(recv);
    pair.peer.destroy();
    await pair.close();
    await unregister(p);
  });
});
