// Regression (issue 14, item 7): a KeWaitForSingleObject timeout longer than one timer can hold
// (setTimeout clamps anything past 2^31-1 ms, about 24.8 days, to 1 ms) waits the whole time.
import {
  Executive,
  KEVENT,
  KeInitializeEvent,
  KeSetEvent,
  KeWaitForSingleObject,
  KernelMode,
  LARGE_INTEGER,
  NotificationEvent,
  NTSTATUS,
  STATUS_SUCCESS,
  STATUS_TIMEOUT,
} from '../lib';

const DAY_MS = 24 * 3600 * 1000;
/** A relative C timeout (negative, in 100 ns units) of `ms` milliseconds. */
const relative = (ms: number): LARGE_INTEGER => ({ QuadPart: -BigInt(ms) * 10000n });

/** Starts a wait; `state()` says what it resolved to so far (null while it waits). */
function wait(Timeout: LARGE_INTEGER): { ev: KEVENT; state: () => NTSTATUS | null; done: Promise<NTSTATUS> } {
  const ev: KEVENT = {};
  KeInitializeEvent(ev, NotificationEvent, false);
  let result: NTSTATUS | null = null;
  const done = KeWaitForSingleObject(ev, Executive, KernelMode, false, Timeout).then((s) => (result = s));
  return { ev, state: () => result, done };
}

afterEach(() => {
  jest.useRealTimers();
});

test('a 30-day wait is still waiting after a few real milliseconds, and KeSetEvent ends it with STATUS_SUCCESS', async () => {
  const w = wait(relative(30 * DAY_MS));
  await new Promise((r) => setTimeout(r, 30));
  expect(w.state()).toBeNull();
  KeSetEvent(w.ev, 0, false);
  expect(await w.done).toBe(STATUS_SUCCESS);
});

test('with fake timers: a 30-day wait outlasts one timer and times out at 30 days, not before', async () => {
  jest.useFakeTimers();
  const w = wait(relative(30 * DAY_MS));
  await jest.advanceTimersByTimeAsync(2 ** 31 + 1000);
  expect(w.state()).toBeNull();
  await jest.advanceTimersByTimeAsync(30 * DAY_MS - (2 ** 31 + 1000) - 1000);
  expect(w.state()).toBeNull();
  await jest.advanceTimersByTimeAsync(1000);
  expect(w.state()).toBe(STATUS_TIMEOUT);
});

test('with fake timers: an absolute deadline 60 days ahead (C system time) waits until then', async () => {
  jest.useFakeTimers();
  // 100 ns units since 1601-01-01, as KeQuerySystemTime gives.
  const now = BigInt(Date.now()) * 10000n + 116444736000000000n;
  const w = wait({ QuadPart: now + BigInt(60 * DAY_MS) * 10000n });
  await jest.advanceTimersByTimeAsync(59 * DAY_MS);
  expect(w.state()).toBeNull();
  await jest.advanceTimersByTimeAsync(DAY_MS);
  expect(w.state()).toBe(STATUS_TIMEOUT);
});
