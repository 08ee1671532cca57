import {
  Executive,
  KEVENT,
  KeClearEvent,
  KeInitializeEvent,
  KeReadStateEvent,
  KeResetEvent,
  KeSetEvent,
  KeWaitForSingleObject,
  KernelMode,
  NotificationEvent,
  STATUS_SUCCESS,
  STATUS_TIMEOUT,
  SynchronizationEvent,
} from '../lib';

describe('KEVENT', () => {
  test('a wait on a signaled notification event succeeds at once and leaves it signaled', async () => {
    const ev: KEVENT = {};
    KeInitializeEvent(ev, NotificationEvent, true);
    expect(await KeWaitForSingleObject(ev, Executive, KernelMode, false, null)).toBe(STATUS_SUCCESS);
    expect(KeReadStateEvent(ev)).toBe(1);
  });

  test('KeSetEvent wakes every waiter of a notification event', async () => {
    const ev: KEVENT = {};
    KeInitializeEvent(ev, NotificationEvent, false);
    const a = KeWaitForSingleObject(ev, Executive, KernelMode, false, null);
    const b = KeWaitForSingleObject(ev, Executive, KernelMode, false, null);
    expect(KeSetEvent(ev, 0, false)).toBe(0);
    expect(await Promise.all([a, b])).toEqual([STATUS_SUCCESS, STATUS_SUCCESS]);
  });

  test('a synchronization event releases one waiter and resets', async () => {
    const ev: KEVENT = {};
    KeInitializeEvent(ev, SynchronizationEvent, false);
    let woke = 0;
    const a = KeWaitForSingleObject(ev, Executive, KernelMode, false, { QuadPart: -50_000_000 }).then((s) => (woke++, s));
    const b = KeWaitForSingleObject(ev, Executive, KernelMode, false, { QuadPart: -1_000_000 }).then((s) => (woke++, s));
    KeSetEvent(ev, 0, false);
    expect(await a).toBe(STATUS_SUCCESS);
    expect(await b).toBe(STATUS_TIMEOUT);
    expect(woke).toBe(2);
    expect(KeReadStateEvent(ev)).toBe(0);
  });

  test('a relative timeout yields STATUS_TIMEOUT', async () => {
    const ev: KEVENT = {};
    KeInitializeEvent(ev, NotificationEvent, false);
    expect(await KeWaitForSingleObject(ev, Executive, KernelMode, false, { QuadPart: -10_000n })).toBe(STATUS_TIMEOUT);
  });

  test('a zero timeout polls', async () => {
    const ev: KEVENT = {};
    KeInitializeEvent(ev, NotificationEvent, false);
    expect(await KeWaitForSingleObject(ev, Executive, KernelMode, false, { QuadPart: 0 })).toBe(STATUS_TIMEOUT);
  });

  test('KeClearEvent and KeResetEvent unsignal; KeResetEvent returns the previous state', () => {
    const ev: KEVENT = {};
    KeInitializeEvent(ev, NotificationEvent, true);
    expect(KeResetEvent(ev)).toBe(1);
    expect(KeReadStateEvent(ev)).toBe(0);
    KeSetEvent(ev, 0, false);
    KeClearEvent(ev);
    expect(KeReadStateEvent(ev)).toBe(0);
  });

  test('an uninitialised KEVENT is a named error', () => {
    expect(() => KeSetEvent({}, 0, false)).toThrow(/INVALID_ARGUMENT in KeSetEvent/);
  });
});
