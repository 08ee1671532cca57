// Regressions (issue 14, items 2 and 3): WskCloseSocket runs the completion routines of the
// IRPs it cancels, and a caller's getter runs in the middle of a call. Whatever those run
// into the socket, every IRP completes exactly once and none is left pending on a closed socket.
import {
  IoAllocateIrp,
  IoCancelIrp,
  IoFreeIrp,
  IoSetCompletionRoutine,
  IRP,
  NTSTATUS,
  STATUS_CANCELLED,
  STATUS_INVALID_HANDLE,
  STATUS_MORE_PROCESSING_REQUIRED,
  STATUS_PENDING,
  STATUS_SUCCESS,
  WSK_BUF,
  WSK_PROVIDER_LISTEN_DISPATCH,
  WSK_SOCKET,
} from '../lib';
import { conn, connectedPair, wskBuf as connBuf } from './conn-helpers';
import { expectStatus, listenOn, newOp, Provider, register, unregister, wskClose } from './helpers';
import { dg, udpSocket, wskBuf } from './udp-helpers';

const named = (code: string) => expect.objectContaining({ name: 'WskVerifierError', code });

/** An IRP whose completion routine counts its runs and then does `then` (once). */
function irpWith(then: (irp: IRP) => void = () => {}): { irp: IRP; runs: () => number } {
  const irp = IoAllocateIrp(1, false)!;
  let runs = 0;
  IoSetCompletionRoutine(
    irp,
    (_device, completed) => {
      if (++runs === 1) then(completed);
      return STATUS_MORE_PROCESSING_REQUIRED;
    },
    null,
    true,
    true,
    true,
  );
  return { irp, runs: () => runs };
}

/** A socket that can hold a request pending, and how to post one with a given IRP. */
interface Poster {
  s: WSK_SOCKET;
  post: (irp: IRP) => NTSTATUS;
  done: () => Promise<void>;
}

const posters: Record<string, (p: Provider) => Promise<Poster>> = {
  WskAccept: async (p) => {
    const { socket: s } = await listenOn(p, '127.0.0.1');
    const d = s.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;
    return { s, post: (irp) => d.WskAccept(s, 0, null, null, null, null, irp), done: async () => {} };
  },
  WskReceiveFrom: async (p) => {
    const { s } = await udpSocket(p, 4);
    return { s, post: (irp) => dg(s).WskReceiveFrom(s, wskBuf(new Uint8Array(8)), 0, {}, null, null, null, irp), done: async () => {} };
  },
  WskReceive: async (p) => {
    const pair = await connectedPair(p);
    return { s: pair.s, post: (irp) => conn(pair.s).WskReceive(pair.s, connBuf(new Uint8Array(8)), 0, irp), done: pair.close };
  },
};

describe('WskCloseSocket marks the socket closed before it cancels', () => {
  test.each(Object.keys(posters))('a %s routine that re-posts from the cancellation gets SOCKET_CLOSED; nothing stays pending', async (name) => {
    const p = register();
    const { s, post, done } = await posters[name](p);
    const repost = IoAllocateIrp(1, false)!;
    // A driver that keeps one request posted re-posts from its completion routine, whatever the status.
    const first = irpWith(() => post(repost));
    expectStatus(post(first.irp), STATUS_PENDING);
    const close = newOp();
    expect(() => s.Dispatch.WskCloseSocket(s, close.irp)).toThrow(named('SOCKET_CLOSED'));
    expect(first.runs()).toBe(1);
    expectStatus(first.irp.IoStatus.Status, STATUS_CANCELLED);
    // The close itself finished: its IRP completed, the socket is gone.
    expect(close.completions).toBe(1);
    expectStatus(close.irp.IoStatus.Status, STATUS_SUCCESS);
    // The re-post took nothing: its IRP is not pending anywhere and is still the caller's to free.
    expect(() => IoFreeIrp(repost)).not.toThrow();
    await done();
    await unregister(p);
  });

  test('a routine that closes the socket again gets SOCKET_CLOSED; every other pending IRP completes once', async () => {
    const p = register();
    const { s } = await udpSocket(p, 4);
    const second = newOp();
    const receive = (irp: IRP) => dg(s).WskReceiveFrom(s, wskBuf(new Uint8Array(8)), 0, null, null, null, null, irp);
    const first = irpWith(() => s.Dispatch.WskCloseSocket(s, second.irp));
    const others = [irpWith(), irpWith()];
    expectStatus(receive(first.irp), STATUS_PENDING);
    for (const o of others) expectStatus(receive(o.irp), STATUS_PENDING);
    const close = newOp();
    expect(() => s.Dispatch.WskCloseSocket(s, close.irp)).toThrow(named('SOCKET_CLOSED'));
    expect([first.runs(), ...others.map((o) => o.runs())]).toEqual([1, 1, 1]);
    for (const o of others) expectStatus(o.irp.IoStatus.Status, STATUS_CANCELLED);
    expect(second.completions).toBe(0);
    expect(close.completions).toBe(1);
    await unregister(p);
  });

  test('a routine that cancels another pending IRP: that one completes once, and the close goes on', async () => {
    const p = register();
    const { s } = await udpSocket(p, 4);
    const receive = (irp: IRP) => dg(s).WskReceiveFrom(s, wskBuf(new Uint8Array(8)), 0, null, null, null, null, irp);
    const other = irpWith();
    const first = irpWith(() => IoCancelIrp(other.irp));
    expectStatus(receive(first.irp), STATUS_PENDING);
    expectStatus(receive(other.irp), STATUS_PENDING);
    await wskClose(s);
    expect([first.runs(), other.runs()]).toEqual([1, 1]);
    expectStatus(other.irp.IoStatus.Status, STATUS_CANCELLED);
    await unregister(p);
  });

  test('a routine that throws: the close still cancels the rest and finishes, then the exception comes out', async () => {
    const p = register();
    const { s } = await udpSocket(p, 4);
    const receive = (irp: IRP) => dg(s).WskReceiveFrom(s, wskBuf(new Uint8Array(8)), 0, null, null, null, null, irp);
    const bug = new Error('a bug in the driver');
    const first = irpWith(() => {
      throw bug;
    });
    const other = irpWith();
    expectStatus(receive(first.irp), STATUS_PENDING);
    expectStatus(receive(other.irp), STATUS_PENDING);
    const close = newOp();
    expect(() => s.Dispatch.WskCloseSocket(s, close.irp)).toThrow(bug);
    expect([first.runs(), other.runs()]).toEqual([1, 1]);
    expectStatus(other.irp.IoStatus.Status, STATUS_CANCELLED);
    expect(close.completions).toBe(1);
    await unregister(p); // resolves: the socket is closed
  });
});

describe('a socket closed by a getter while a call reads its arguments', () => {
  test('WskReceive after a short read completes STATUS_INVALID_HANDLE instead of pending on the closed socket', async () => {
    const p = register();
    const { s, peer, close } = await connectedPair(p);
    // A short read: the socket is then known to be empty, and the next receive skips its try-first recv.
    const first = newOp();
    conn(s).WskReceive(s, connBuf(new Uint8Array(10)), 0, first.irp);
    peer.write('abc');
    expect((await first.done).IoStatus.Information).toBe(3);

    const buf = connBuf(new Uint8Array(10));
    let length = buf.Length;
    const closing = newOp();
    const sneaky: WSK_BUF = {
      Mdl: buf.Mdl,
      Offset: 0,
      get Length() {
        if (closing.completions === 0) s.Dispatch.WskCloseSocket(s, closing.irp);
        return length;
      },
      set Length(v: number) {
        length = v;
      },
    };
    const op = newOp();
    expectStatus(conn(s).WskReceive(s, sneaky, 0, op.irp), STATUS_INVALID_HANDLE);
    expect(op.completions).toBe(1);
    expect(closing.completions).toBe(1);
    await close();
    await unregister(p);
  });
});
