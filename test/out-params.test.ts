// Regressions (issue 14, item 5): out-parameters written on completion are checked where the
// call starts, so that nothing fails later on the event loop, where the IRP would be lost.
import {
  IRP,
  NTSTATUS,
  STATUS_INVALID_PARAMETER,
  WSK_SOCKET,
} from '../lib';
import { expectStatus, newOp, Provider, register, unregister, wskClose } from './helpers';
import { dg, udpSocket, wskBuf } from './udp-helpers';

/** Runs an IRP-taking call that must refuse its arguments with `status`, completing the IRP once. */
function completes(status: NTSTATUS, fn: (irp: IRP) => NTSTATUS): void {
  const op = newOp();
  expectStatus(fn(op.irp), status);
  expect(op.completions).toBe(1);
  expectStatus(op.irp.IoStatus.Status, status);
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
