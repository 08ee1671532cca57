// The IRP state machine (reference §7) without sockets where possible.
import {
  IoAllocateIrp,
  IoCancelIrp,
  IoFreeIrp,
  IoReuseIrp,
  IoSetCompletionRoutine,
  STATUS_CANCELLED,
  STATUS_MORE_PROCESSING_REQUIRED,
  STATUS_NOT_SUPPORTED,
  STATUS_PENDING,
  STATUS_SUCCESS,
  STATUS_UNSUCCESSFUL,
  WSK_FLAG_LISTEN_SOCKET,
  WSK_PROVIDER_LISTEN_DISPATCH,
  AF_INET,
  SOCK_STREAM,
  IPPROTO_TCP,
  SOCK_DGRAM,
  IPPROTO_UDP,
  WSK_SOCKET,
  WskVerifierError,
} from '../lib';
import { expectStatus, listenOn, newOp, register, unregister, wskClose } from './helpers';

describe('IRP', () => {
  test('IoAllocateIrp gives a fresh IRP with empty status', () => {
    const irp = IoAllocateIrp(1, false)!;
    expect(irp.PendingReturned).toBe(false);
    expect(irp.Cancel).toBe(false);
    expect(irp.IoStatus.Status).toBe(STATUS_SUCCESS);
    expect(irp.MdlAddress).toBeNull();
    IoFreeIrp(irp);
  });

  test('inline completion runs the routine before the call returns, PendingReturned false', async () => {
    const p = register();
    const order: string[] = [];
    const irp = IoAllocateIrp(1, false)!;
    IoSetCompletionRoutine(irp, () => (order.push('routine'), STATUS_MORE_PROCESSING_REQUIRED), null, true, true, true);
    const status = p.npi.Dispatch.WskSocket(p.npi.Client, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET, null, null, null, null, null, irp);
    order.push('returned');
    expect(order).toEqual(['routine', 'returned']);
    expectStatus(status, STATUS_SUCCESS);
    expect(irp.PendingReturned).toBe(false);
    await wskClose(irp.IoStatus.Information as WSK_SOCKET);
    IoFreeIrp(irp);
    await unregister(p);
  });

  test('the routine sees the same status the call returns for an inline failure', async () => {
    const p = register();
    const op = newOp();
    const status = p.npi.Dispatch.WskSocket(p.npi.Client, 12345 /* no such family */, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET, null, null, null, null, null, op.irp);
    expectStatus(status, STATUS_NOT_SUPPORTED);
    expect(op.completions).toBe(1);
    expectStatus(op.irp.IoStatus.Status, STATUS_NOT_SUPPORTED);
    await unregister(p);
  });

  test('InvokeOnSuccess false: the routine does not run on success', async () => {
    const p = register();
    let ran = 0;
    const irp = IoAllocateIrp(1, false)!;
    IoSetCompletionRoutine(irp, () => (ran++, STATUS_MORE_PROCESSING_REQUIRED), null, false, true, true);
    expectStatus(p.npi.Dispatch.WskSocket(p.npi.Client, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET, null, null, null, null, null, irp), STATUS_SUCCESS);
    expect(ran).toBe(0);
    await wskClose(irp.IoStatus.Information as WSK_SOCKET);
    await unregister(p);
  });

  test('InvokeOnError false: the routine does not run on failure', async () => {
    const p = register();
    let ran = 0;
    const irp = IoAllocateIrp(1, false)!;
    IoSetCompletionRoutine(irp, () => (ran++, STATUS_MORE_PROCESSING_REQUIRED), null, true, false, false);
    expectStatus(p.npi.Dispatch.WskSocket(p.npi.Client, 12345 /* no such family */, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET, null, null, null, null, null, irp), STATUS_NOT_SUPPORTED);
    expect(ran).toBe(0);
    await unregister(p);
  });

  test('InvokeOnCancel alone runs the routine for a cancelled IRP', async () => {
    const p = register();
    const { socket } = await listenOn(p, '127.0.0.1');
    let seen = -1;
    const irp = IoAllocateIrp(1, false)!;
    IoSetCompletionRoutine(irp, (_d, i) => ((seen = i.IoStatus.Status), STATUS_MORE_PROCESSING_REQUIRED), null, false, false, true);
    const d = socket.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;
    expectStatus(d.WskAccept(socket, 0, null, null, null, null, irp), STATUS_PENDING);
    expect(IoCancelIrp(irp)).toBe(true);
    expectStatus(seen, STATUS_CANCELLED);
    expect(irp.Cancel).toBe(true);
    await wskClose(socket);
    await unregister(p);
  });

  test('IoCancelIrp on an IRP that is not pending returns false and changes nothing else', () => {
    const irp = IoAllocateIrp(1, false)!;
    expect(IoCancelIrp(irp)).toBe(false);
    expect(irp.Cancel).toBe(true);
    expect(irp.IoStatus.Status).toBe(STATUS_SUCCESS);
  });

  test('IoReuseIrp resets status, PendingReturned, Cancel and the completion routine', async () => {
    const p = register();
    const { socket } = await listenOn(p, '127.0.0.1');
    const op = newOp();
    const d = socket.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;
    expectStatus(d.WskAccept(socket, 0, null, null, null, null, op.irp), STATUS_PENDING);
    IoCancelIrp(op.irp);
    await op.done;
    expect(op.irp.PendingReturned).toBe(true);
    IoReuseIrp(op.irp, STATUS_UNSUCCESSFUL);
    expect(op.irp.IoStatus.Status).toBe(STATUS_UNSUCCESSFUL);
    expect(op.irp.IoStatus.Information).toBe(0);
    expect(op.irp.PendingReturned).toBe(false);
    expect(op.irp.Cancel).toBe(false);
    // The routine was cleared: completing the reused IRP does not run it again.
    expectStatus(d.WskAccept(socket, 0, null, null, null, null, op.irp), STATUS_PENDING);
    IoCancelIrp(op.irp);
    expect(op.completions).toBe(1);
    expectStatus(op.irp.IoStatus.Status, STATUS_CANCELLED);
    await wskClose(socket);
    await unregister(p);
  });

  test('a violation inside a completion routine does not give back the IRP of the call still running', async () => {
    // WskCloseSocket cancels a pending WskAccept; its routine posts another on the closed
    // socket (SOCKET_CLOSED, caught). That refusal is the routine's call, not the close's: the
    // close's IRP is still in WskCloseSocket, and freeing it there is IRP_FREED_WHILE_PENDING.
    const p = register();
    const { socket } = await listenOn(p, '127.0.0.1');
    const d = socket.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;
    const close = newOp();
    const accept = IoAllocateIrp(1, false)!;
    const seen: string[] = [];
    IoSetCompletionRoutine(
      accept,
      () => {
        const again = IoAllocateIrp(1, false)!;
        try {
          d.WskAccept(socket, 0, null, null, null, null, again);
        } catch (e) {
          seen.push((e as WskVerifierError).code);
        }
        try {
          IoFreeIrp(close.irp);
          seen.push('freed the close IRP');
        } catch (e) {
          seen.push((e as WskVerifierError).code);
        }
        return STATUS_MORE_PROCESSING_REQUIRED;
      },
      null,
      true,
      true,
      true,
    );
    expectStatus(d.WskAccept(socket, 0, null, null, null, null, accept), STATUS_PENDING);
    expectStatus(socket.Dispatch.WskCloseSocket(socket, close.irp), STATUS_SUCCESS);
    expect(seen).toEqual(['SOCKET_CLOSED', 'IRP_FREED_WHILE_PENDING']);
    expect(close.completions).toBe(1);
    await unregister(p);
  });
});
