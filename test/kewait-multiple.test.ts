// KeWaitForMultipleObjects (wdm.h): WaitAll / WaitAny over KEVENTs, STATUS_WAIT_0 + index,
// timeouts, what a satisfied wait consumes; and the other kernel helpers drivers call
// (IoInitializeIrp / IoSizeOfIrp, RtlInitEmptyUnicodeString).
import {
  Executive,
  IoAllocateIrp,
  IoFreeIrp,
  IoInitializeIrp,
  IoSetCompletionRoutine,
  IoSizeOfIrp,
  KEVENT,
  KeInitializeEvent,
  KeReadStateEvent,
  KeSetEvent,
  KeWaitForMultipleObjects,
  KeWaitForSingleObject,
  KernelMode,
  NotificationEvent,
  RtlInitEmptyUnicodeString,
  STATUS_MORE_PROCESSING_REQUIRED,
  STATUS_SUCCESS,
  STATUS_TIMEOUT,
  STATUS_WAIT_0,
  SynchronizationEvent,
  UNICODE_STRING,
  WaitAll,
  WaitAny,
  WskVerifierError,
} from '../lib';

function events(n: number, type: 0 | 1, state = false): KEVENT[] {
  return Array.from({ length: n }, () => {
    const ev: KEVENT = {};
    KeInitializeEvent(ev, type, state);
    return ev;
  });
}
const ms = (n: number) => ({ QuadPart: -n * 10_000 });

describe('KeWaitForMultipleObjects', () => {
  test('WaitAny returns STATUS_WAIT_0 + the lowest index signaled, and consumes only that synchronization event', async () => {
    const ev = events(3, SynchronizationEvent);
    KeSetEvent(ev[2], 0, false);
    KeSetEvent(ev[1], 0, false);
    expect(await KeWaitForMultipleObjects(3, ev, WaitAny, Executive, KernelMode, false, null, null)).toBe(STATUS_WAIT_0 + 1);
    expect([0, 1, 2].map((i) => KeReadStateEvent(ev[i]))).toEqual([0, 0, 1]);
  });

  test('WaitAny blocks until one is set, then says which', async () => {
    const ev = events(3, NotificationEvent);
    const wait = KeWaitForMultipleObjects(3, ev, WaitAny, Executive, KernelMode, false, ms(5000), null);
    setTimeout(() => KeSetEvent(ev[2], 0, false), 10);
    expect(await wait).toBe(STATUS_WAIT_0 + 2);
    expect(KeReadStateEvent(ev[2])).toBe(1); // a notification event stays signaled
  });

  test('WaitAll waits for every event, then consumes the synchronization ones together', async () => {
    const [a, b] = events(2, SynchronizationEvent);
    const [n] = events(1, NotificationEvent);
    let done = false;
    const wait = KeWaitForMultipleObjects(3, [a, n, b], WaitAll, Executive, KernelMode, false, ms(5000), null).then((s) => {
      done = true;
      return s;
    });
    KeSetEvent(a, 0, false);
    KeSetEvent(n, 0, false);
    await new Promise((r) => setTimeout(r, 20));
    expect(done).toBe(false);
    // a is still signaled: a WaitAll takes nothing until it can take everything.
    expect(KeReadStateEvent(a)).toBe(1);
    KeSetEvent(b, 0, false);
    expect(await wait).toBe(STATUS_SUCCESS);
    expect([a, n, b].map(KeReadStateEvent)).toEqual([0, 1, 0]);
  });

  test('a synchronization event wakes one waiter: WaitAny and KeWaitForSingleObject share it in order', async () => {
    const [ev] = events(1, SynchronizationEvent);
    const [other] = events(1, SynchronizationEvent);
    const first = KeWaitForMultipleObjects(2, [other, ev], WaitAny, Executive, KernelMode, false, ms(5000), null);
    const second = KeWaitForSingleObject(ev, Executive, KernelMode, false, ms(200));
    KeSetEvent(ev, 0, false);
    expect(await first).toBe(STATUS_WAIT_0 + 1);
    expect(await second).toBe(STATUS_TIMEOUT);
  });

  test('timeouts: 0 polls, a relative timeout returns STATUS_TIMEOUT and takes nothing', async () => {
    const ev = events(2, SynchronizationEvent);
    expect(await KeWaitForMultipleObjects(2, ev, WaitAll, Executive, KernelMode, false, { QuadPart: 0 }, null)).toBe(STATUS_TIMEOUT);
    KeSetEvent(ev[0], 0, false);
    expect(await KeWaitForMultipleObjects(2, ev, WaitAll, Executive, KernelMode, false, ms(30), null)).toBe(STATUS_TIMEOUT);
    expect(KeReadStateEvent(ev[0])).toBe(1);
    // The timed-out wait is gone: setting the second event satisfies nobody and stays set.
    KeSetEvent(ev[1], 0, false);
    expect(KeReadStateEvent(ev[1])).toBe(1);
  });

  test('more than THREAD_WAIT_OBJECTS needs a WaitBlockArray; more than MAXIMUM_WAIT_OBJECTS, a bad Count or a stranger is a verifier error', async () => {
    const ev = events(65, NotificationEvent, true);
    expect(() => KeWaitForMultipleObjects(4, ev, WaitAny, Executive, KernelMode, false, null, null)).toThrow(WskVerifierError);
    expect(await KeWaitForMultipleObjects(4, ev, WaitAny, Executive, KernelMode, false, null, [])).toBe(STATUS_WAIT_0);
    expect(() => KeWaitForMultipleObjects(65, ev, WaitAll, Executive, KernelMode, false, null, [])).toThrow(/MAXIMUM_WAIT_OBJECTS/);
    expect(() => KeWaitForMultipleObjects(0, ev, WaitAll, Executive, KernelMode, false, null, null)).toThrow(WskVerifierError);
    expect(() => KeWaitForMultipleObjects(2, [ev[0], {}], WaitAll, Executive, KernelMode, false, null, null)).toThrow(/Object\[1\]/);
    expect(() => KeWaitForMultipleObjects(3, ev.slice(0, 2), WaitAll, Executive, KernelMode, false, null, null)).toThrow(WskVerifierError);
  });

  test("an event's dispatcher state is not on the caller's object", () => {
    const [ev] = events(1, NotificationEvent, true);
    expect(Object.keys(ev)).toEqual(['Type']);
  });
});

describe('IoInitializeIrp / IoSizeOfIrp', () => {
  test('IoSizeOfIrp is the x64 size: 0xD0 + 0x48 per stack location', () => {
    expect(IoSizeOfIrp(1)).toBe(0xd0 + 0x48);
    expect(IoSizeOfIrp(3)).toBe(0xd0 + 3 * 0x48);
    expect(() => IoSizeOfIrp(0)).toThrow(WskVerifierError);
  });

  test('IoInitializeIrp makes a completed IRP new again: no routine, status cleared', () => {
    const irp = IoAllocateIrp(2, false)!;
    IoSetCompletionRoutine(irp, () => STATUS_MORE_PROCESSING_REQUIRED, null, true, true, true);
    irp.IoStatus.Status = 0xdeadbeef;
    irp.IoStatus.Information = 7;
    IoInitializeIrp(irp, IoSizeOfIrp(2), 2);
    expect(irp.IoStatus).toEqual({ Status: STATUS_SUCCESS, Information: 0 });
    expect(irp.PendingReturned).toBe(false);
    expect(() => IoInitializeIrp(irp, IoSizeOfIrp(2) - 1, 2)).toThrow(/PacketSize/);
    expect(() => IoInitializeIrp(irp, IoSizeOfIrp(3), 3)).toThrow(/StackSize/);
    IoFreeIrp(irp);
    expect(() => IoInitializeIrp(irp, IoSizeOfIrp(2), 2)).toThrow(/IRP_USED_AFTER_FREE/);
  });
});

describe('RtlInitEmptyUnicodeString', () => {
  test('an empty string over the caller buffer: Length 0, MaximumLength the size in bytes', () => {
    const storage = new Uint16Array(32);
    const s = {} as UNICODE_STRING;
    RtlInitEmptyUnicodeString(s, storage, storage.byteLength);
    expect(s).toEqual({ Length: 0, MaximumLength: 64, Buffer: storage });
    expect(s.Buffer).toBe(storage);
    RtlInitEmptyUnicodeString(s, null, 0);
    expect(s).toEqual({ Length: 0, MaximumLength: 0, Buffer: null });
    expect(() => RtlInitEmptyUnicodeString(s, storage, 65)).toThrow(WskVerifierError);
  });
});
