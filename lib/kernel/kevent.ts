// Kernel events. What blocks in the kernel returns a Promise here: ported code reads
// `await KeWaitForSingleObject(&event, Executive, KernelMode, FALSE, NULL)`.
import { NTSTATUS, STATUS_SUCCESS, STATUS_TIMEOUT, STATUS_WAIT_0 } from './ntstatus';
import { badArgument, isWritableSlot } from './verifier';

/**
 * EVENT_TYPE values (wdm.h): a notification event stays signaled until cleared; a
 * synchronization event wakes one wait and resets itself.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keinitializeevent
 */
export const NotificationEvent = 0;
export const SynchronizationEvent = 1;
/** EVENT_TYPE (wdm.h): `NotificationEvent` or `SynchronizationEvent`. */
export type EVENT_TYPE = typeof NotificationEvent | typeof SynchronizationEvent;

/** KWAIT_REASON / KPROCESSOR_MODE values used by ported code (recorded, not interpreted). */
export const Executive = 0;
export const UserRequest = 6;
export const IO_NO_INCREMENT = 0;
export const IO_NETWORK_INCREMENT = 2;

/**
 * LARGE_INTEGER (winnt.h): a 64-bit value as `{ QuadPart }`, a number or a bigint. Wait timeouts
 * are in 100 ns units: negative is relative, positive an absolute system time.
 */
export interface LARGE_INTEGER {
  QuadPart: number | bigint;
}

/**
 * KEVENT (wdm.h): initialise an empty object with KeInitializeEvent; its state is private, as C's
 * dispatcher header is opaque.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keinitializeevent
 */
export interface KEVENT {
  Type?: EVENT_TYPE;
}
/** PKEVENT: a pointer to a KEVENT, which here is the object itself. */
export type PKEVENT = KEVENT;
/** PRKEVENT: a pointer to a KEVENT, which here is the object itself. */
export type PRKEVENT = KEVENT;

/** KeWaitForMultipleObjects' WAIT_TYPE. */
export const WaitAll = 0;
export const WaitAny = 1;
/**
 * WAIT_TYPE (wdm.h): `WaitAll` or `WaitAny`, for `KeWaitForMultipleObjects`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kewaitformultipleobjects
 */
export type WAIT_TYPE = typeof WaitAll | typeof WaitAny;
/** The objects a wait can name without a WaitBlockArray, and with one (wdm.h). */
export const THREAD_WAIT_OBJECTS = 3;
export const MAXIMUM_WAIT_OBJECTS = 64;
/** KWAIT_BLOCK: the caller's storage for a wait on more than THREAD_WAIT_OBJECTS (unused here). */
export type KWAIT_BLOCK = object;
/** PKWAIT_BLOCK: the `WaitBlockArray` argument of `KeWaitForMultipleObjects` (an array, or null). */
export type PKWAIT_BLOCK = KWAIT_BLOCK[] | KWAIT_BLOCK;

// The dispatcher state of an event lives here, not on the caller's object: a port cannot reach
// it by accident (C cannot either: KEVENT's header is opaque), and a wait on several events
// needs one record per event that every wait on it can find.
interface EventRecord {
  type: EVENT_TYPE;
  signaled: boolean;
  /** Waits blocked on this event, oldest first (a synchronization event wakes the oldest). */
  waits: Wait[];
}

interface Wait {
  objects: EventRecord[];
  all: boolean;
  resolve(status: NTSTATUS): void;
  timer: NodeJS.Timeout | null;
}

const records = new WeakMap<KEVENT, EventRecord>();

function eventRecord(Event: KEVENT, where: string): EventRecord {
  const rec = Event !== null && typeof Event === 'object' ? records.get(Event) : undefined;
  if (!rec) badArgument(where, 'Event must be a KEVENT initialised with KeInitializeEvent');
  return rec;
}

/**
 * KeInitializeEvent: makes `Event` (an empty object the call fills) a notification or
 * synchronization event, signaled if `State`. A frozen object or another `Type` is the verifier
 * error `INVALID_ARGUMENT`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keinitializeevent
 */
export function KeInitializeEvent(Event: KEVENT, Type: EVENT_TYPE, State: boolean): void {
  if (Event === null || typeof Event !== 'object') badArgument('KeInitializeEvent', 'Event must be an object');
  if (!isWritableSlot(Event, 'Type')) {
    badArgument('KeInitializeEvent', 'Event must be an object the call can fill (not frozen)');
  }
  if (Type !== NotificationEvent && Type !== SynchronizationEvent) {
    badArgument('KeInitializeEvent', 'Type must be NotificationEvent or SynchronizationEvent');
  }
  Event.Type = Type;
  records.set(Event, { type: Type, signaled: !!State, waits: [] });
}

/** A satisfied wait consumes what it waited on: a synchronization event resets (wdm.h). */
function consume(rec: EventRecord): void {
  if (rec.type === SynchronizationEvent) rec.signaled = false;
}

/**
 * The status a wait would end with now, consuming what satisfies it, or null while it must go
 * on: WaitAll needs every object signaled at once; WaitAny takes the lowest index signaled.
 */
function trySatisfy(objects: EventRecord[], all: boolean): NTSTATUS | null {
  if (all) {
    for (const rec of objects) if (!rec.signaled) return null;
    for (const rec of objects) consume(rec);
    return STATUS_SUCCESS;
  }
  for (let i = 0; i < objects.length; i++) {
    if (objects[i].signaled) {
      consume(objects[i]);
      return (STATUS_WAIT_0 + i) >>> 0;
    }
  }
  return null;
}

function finish(wait: Wait, status: NTSTATUS): void {
  if (wait.timer) clearTimeout(wait.timer);
  for (const rec of wait.objects) {
    const i = rec.waits.indexOf(wait);
    if (i >= 0) rec.waits.splice(i, 1);
  }
  wait.resolve(status);
}

/**
 * KeSetEvent: signals the event and wakes the waits it satisfies; returns its previous state
 * (non-zero if it was signaled).
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kesetevent
 */
export function KeSetEvent(Event: KEVENT, Increment: number, Wait: boolean): number {
  void Increment;
  void Wait;
  const rec = eventRecord(Event, 'KeSetEvent');
  const previous = rec.signaled ? 1 : 0;
  rec.signaled = true;
  // Oldest first; a synchronization event stops at the first wait it satisfies (it resets),
  // a notification event satisfies every wait it completes.
  for (const wait of rec.waits.slice()) {
    if (!rec.signaled) break;
    const status = trySatisfy(wait.objects, wait.all);
    if (status !== null) finish(wait, status);
  }
  return previous;
}

/**
 * KeClearEvent: sets the event to not signaled.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keclearevent
 */
export function KeClearEvent(Event: KEVENT): void {
  eventRecord(Event, 'KeClearEvent').signaled = false;
}

/**
 * KeResetEvent: sets the event to not signaled; returns its previous state (1 if it was signaled).
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-keresetevent
 */
export function KeResetEvent(Event: KEVENT): number {
  const rec = eventRecord(Event, 'KeResetEvent');
  const previous = rec.signaled ? 1 : 0;
  rec.signaled = false;
  return previous;
}

/**
 * KeReadStateEvent: 1 if the event is signaled, else 0.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kereadstateevent
 */
export function KeReadStateEvent(Event: KEVENT): number {
  return eventRecord(Event, 'KeReadStateEvent').signaled ? 1 : 0;
}

// 100-ns intervals between 1601-01-01 and 1970-01-01, for absolute timeouts.
const EPOCH_DIFFERENCE_100NS = 116444736000000000n;

/** Milliseconds to wait for a C timeout: negative = relative, positive = absolute system time, 0 = poll. */
function timeoutMs(Timeout: LARGE_INTEGER | null, where: string): number | null {
  if (Timeout === null || Timeout === undefined) return null;
  if (typeof Timeout !== 'object') badArgument(where, 'Timeout must be a LARGE_INTEGER { QuadPart } or null');
  const quad = Timeout.QuadPart;
  if (typeof quad !== 'bigint' && !Number.isInteger(quad)) {
    badArgument(where, `Timeout.QuadPart must be an integer (number or bigint), got ${typeof quad === 'number' ? quad : typeof quad}`);
  }
  const q = BigInt(quad);
  if (q < 0n) return Number(-q) / 10000;
  if (q === 0n) return 0;
  const nowUnix100ns = BigInt(Date.now()) * 10000n;
  return Math.max(0, Number(q - EPOCH_DIFFERENCE_100NS - nowUnix100ns) / 10000);
}

/** Waits on `objects`; satisfied at once, polled (timeout 0), or blocked until a KeSetEvent or the timeout. */
function waitOn(objects: EventRecord[], all: boolean, ms: number | null): Promise<NTSTATUS> {
  const now = trySatisfy(objects, all);
  if (now !== null) return Promise.resolve(now);
  if (ms === 0) return Promise.resolve(STATUS_TIMEOUT);
  return new Promise<NTSTATUS>((resolve) => {
    const wait: Wait = { objects, all, resolve, timer: null };
    if (ms !== null) armTimeout(wait, ms, () => finish(wait, STATUS_TIMEOUT));
    for (const rec of new Set(objects)) rec.waits.push(wait);
  });
}

/**
 * KeWaitForSingleObject: resolves to STATUS_SUCCESS when the event is (or becomes) signaled, or
 * STATUS_TIMEOUT. A synchronization event is consumed by the wait that it satisfies.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kewaitforsingleobject
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
  const rec = eventRecord(Object, 'KeWaitForSingleObject');
  return waitOn([rec], false, timeoutMs(Timeout, 'KeWaitForSingleObject'));
}

/**
 * KeWaitForMultipleObjects over KEVENTs (the dispatcher objects this package has). WaitAll
 * resolves to STATUS_SUCCESS once every event is signaled at the same moment, consuming the
 * synchronization events among them together; WaitAny to STATUS_WAIT_0 + the lowest index
 * signaled, consuming that one only; either to STATUS_TIMEOUT. As in the kernel, more than
 * THREAD_WAIT_OBJECTS objects need a WaitBlockArray and more than MAXIMUM_WAIT_OBJECTS bugcheck
 * (MAXIMUM_WAIT_OBJECTS_EXCEEDED): both are verifier errors here.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-kewaitformultipleobjects
 */
export function KeWaitForMultipleObjects(
  Count: number,
  Object: ArrayLike<KEVENT>,
  WaitType: WAIT_TYPE,
  WaitReason: number,
  WaitMode: number,
  Alertable: boolean,
  Timeout: LARGE_INTEGER | null,
  WaitBlockArray: PKWAIT_BLOCK | null,
): Promise<NTSTATUS> {
  void WaitReason;
  void WaitMode;
  void Alertable;
  const where = 'KeWaitForMultipleObjects';
  if (!Number.isInteger(Count) || Count < 1 || Count > MAXIMUM_WAIT_OBJECTS) {
    badArgument(where, `Count must be from 1 to MAXIMUM_WAIT_OBJECTS (${MAXIMUM_WAIT_OBJECTS}), got ${String(Count)}`);
  }
  if (Count > THREAD_WAIT_OBJECTS && (WaitBlockArray === null || WaitBlockArray === undefined)) {
    badArgument(where, `a wait on more than THREAD_WAIT_OBJECTS (${THREAD_WAIT_OBJECTS}) objects needs a WaitBlockArray`);
  }
  if (WaitType !== WaitAll && WaitType !== WaitAny) badArgument(where, 'WaitType must be WaitAll or WaitAny');
  if (Object === null || typeof Object !== 'object' || !(Count <= (Object as ArrayLike<KEVENT>).length)) {
    badArgument(where, `Object must be an array of at least Count (${String(Count)}) KEVENTs`);
  }
  const objects: EventRecord[] = [];
  for (let i = 0; i < Count; i++) objects.push(eventRecord(Object[i], `${where} (Object[${i}])`));
  return waitOn(objects, WaitType === WaitAll, timeoutMs(Timeout, where));
}

/** The longest delay one setTimeout holds: Node fires a longer one after 1 ms instead. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Calls `expire` once `ms` have passed, chaining timers for a wait longer than one can hold (a
 * 30-day timeout is a 24.8-day timer, then a 5.2-day one). `waiter.timer` is always the one
 * armed now, for finish() to clear.
 */
function armTimeout(wait: Wait, ms: number, expire: () => void): void {
  const step = Math.min(ms, MAX_TIMER_MS);
  wait.timer = setTimeout(() => {
    if (ms > step) armTimeout(wait, ms - step, expire);
    else expire();
  }, step);
}
