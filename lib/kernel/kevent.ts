// Kernel events. What blocks in the kernel returns a Promise here: ported code reads
// `await KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL)`.
import { NTSTATUS, STATUS_SUCCESS, STATUS_TIMEOUT } from './ntstatus';
import { badArgument, isWritableSlot } from './verifier';

export const NotificationEvent = 0;
export const SynchronizationEvent = 1;
export type EVENT_TYPE = typeof NotificationEvent | typeof SynchronizationEvent;

/** KWAIT_REASON / KPROCESSOR_MODE values used by ported code (recorded, not interpreted). */
export const Executive = 0;
export const UserRequest = 6;
export const IO_NO_INCREMENT = 0;
export const IO_NETWORK_INCREMENT = 2;

export interface LARGE_INTEGER {
  QuadPart: number | bigint;
}

interface Waiter {
  resolve(status: NTSTATUS): void;
  timer: NodeJS.Timeout | null;
}

/** KEVENT: initialise an empty object with KeInitializeEvent. */
export interface KEVENT {
  Type?: EVENT_TYPE;
  /** @internal */ _signaled?: boolean;
  /** @internal */ _waiters?: Waiter[];
}
export type PKEVENT = KEVENT;
export type PRKEVENT = KEVENT;

function checkEvent(Event: KEVENT, where: string): asserts Event is Required<KEVENT> {
  if (Event === null || typeof Event !== 'object' || Event._waiters === undefined) {
    badArgument(where, 'Event must be a KEVENT initialised with KeInitializeEvent');
  }
}

export function KeInitializeEvent(Event: KEVENT, Type: EVENT_TYPE, State: boolean): void {
  if (Event === null || typeof Event !== 'object') badArgument('KeInitializeEvent', 'Event must be an object');
  if (!isWritableSlot(Event, 'Type') || !isWritableSlot(Event, '_signaled') || !isWritableSlot(Event, '_waiters')) {
    badArgument('KeInitializeEvent', 'Event must be an object the call can fill (not frozen)');
  }
  if (Type !== NotificationEvent && Type !== SynchronizationEvent) {
    badArgument('KeInitializeEvent', 'Type must be NotificationEvent or SynchronizationEvent');
  }
  Event.Type = Type;
  Event._signaled = !!State;
  Event._waiters = [];
}

function release(waiter: Waiter): void {
  if (waiter.timer) clearTimeout(waiter.timer);
  waiter.resolve(STATUS_SUCCESS);
}

/** Signals the event; returns its previous state (non-zero if it was signaled). */
export function KeSetEvent(Event: KEVENT, Increment: number, Wait: boolean): number {
  void Increment;
  void Wait;
  checkEvent(Event, 'KeSetEvent');
  const previous = Event._signaled ? 1 : 0;
  if (Event.Type === NotificationEvent) {
    Event._signaled = true;
    for (const waiter of Event._waiters.splice(0)) release(waiter);
  } else {
    // A synchronization event releases one waiter and stays unsignaled, or stays signaled for the next.
    const waiter = Event._waiters.shift();
    if (waiter) release(waiter);
    else Event._signaled = true;
  }
  return previous;
}

export function KeClearEvent(Event: KEVENT): void {
  checkEvent(Event, 'KeClearEvent');
  Event._signaled = false;
}

export function KeResetEvent(Event: KEVENT): number {
  checkEvent(Event, 'KeResetEvent');
  const previous = Event._signaled ? 1 : 0;
  Event._signaled = false;
  return previous;
}

export function KeReadStateEvent(Event: KEVENT): number {
  checkEvent(Event, 'KeReadStateEvent');
  return Event._signaled ? 1 : 0;
}

// 100-ns intervals between 1601-01-01 and 1970-01-01, for absolute timeouts.
const EPOCH_DIFFERENCE_100NS = 116444736000000000n;

/** Milliseconds to wait for a C timeout: negative = relative, positive = absolute system time, 0 = poll. */
function timeoutMs(Timeout: LARGE_INTEGER | null): number | null {
  if (Timeout === null || Timeout === undefined) return null;
  if (typeof Timeout !== 'object') badArgument('KeWaitForSingleObject', 'Timeout must be a LARGE_INTEGER { QuadPart } or null');
  const quad = Timeout.QuadPart;
  if (typeof quad !== 'bigint' && !Number.isInteger(quad)) {
    badArgument('KeWaitForSingleObject', `Timeout.QuadPart must be an integer (number or bigint), got ${typeof quad === 'number' ? quad : typeof quad}`);
  }
  const q = BigInt(quad);
  if (q < 0n) return Number(-q) / 10000;
  if (q === 0n) return 0;
  const nowUnix100ns = BigInt(Date.now()) * 10000n;
  return Math.max(0, Number(q - EPOCH_DIFFERENCE_100NS - nowUnix100ns) / 10000);
}

/**
 * Resolves to STATUS_SUCCESS when the event is (or becomes) signaled, or STATUS_TIMEOUT.
 * A synchronization event is consumed by the wait that it satisfies.
 */
export function KeWaitForSingleObject(
  Object: KEVENT,
  WaitReason: number,
  WaitMode: number,
  Alertable: boolean,
  Timeout: LARGE_INTEGER | null,
): Promise<NTSTATUS> {
  void WaitReason;
  void WaitMode;
  void Alertable;
  checkEvent(Object, 'KeWaitForSingleObject');
  const ms = timeoutMs(Timeout);
  if (Object._signaled) {
    if (Object.Type === SynchronizationEvent) Object._signaled = false;
    return Promise.resolve(STATUS_SUCCESS);
  }
  if (ms === 0) return Promise.resolve(STATUS_TIMEOUT);
  const waiters = Object._waiters;
  return new Promise<NTSTATUS>((resolve) => {
    const waiter: Waiter = { resolve, timer: null };
    if (ms !== null) {
      armTimeout(waiter, ms, () => {
        const i = waiters.indexOf(waiter);
        if (i >= 0) waiters.splice(i, 1);
        resolve(STATUS_TIMEOUT);
      });
    }
    waiters.push(waiter);
  });
}

/** The longest delay one setTimeout holds: Node fires a longer one after 1 ms instead. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `expire` once `ms` have passed, chaining timers for a wait longer than one can hold (a
 * 30-day timeout is a 24.8-day timer, then a 5.2-day one). `waiter.timer` is always the one
 * armed now, for release() to clear.
 */
function armTimeout(waiter: Waiter, ms: number, expire: () => void): void {
  const step = Math.min(ms, MAX_TIMER_MS);
  waiter.timer = setTimeout(() => {
    if (ms > step) armTimeout(waiter, ms - step, expire);
    else expire();
  }, step);
}
