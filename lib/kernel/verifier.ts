// Misuse that would bugcheck or corrupt memory in the kernel becomes a named error here, the
// way Driver Verifier names it: what was wrong, and in which call.
import { faultSeedNote } from './fault';

/**
 * What a WskVerifierError caught, as a stable code; docs/SEMANTICS.md ("Misuse and the verifier")
 * says what each one means.
 */
export type WskVerifierCode =
  | 'IRP_REUSED_WHILE_PENDING'
  | 'IRP_NOT_REUSED'
  | 'IRP_FREED_WHILE_PENDING'
  | 'IRP_DOUBLE_FREE'
  | 'IRP_USED_AFTER_FREE'
  | 'COMPLETION_ROUTINE_BAD_RETURN'
  | 'SOCKET_CLOSED'
  | 'WRONG_SOCKET_CATEGORY'
  | 'MDL_RANGE'
  | 'MDL_FREED'
  | 'MDL_NOT_BUILT'
  | 'INVALID_ARGUMENT'
  | 'REGISTRATION_MISUSE'
  | 'PROVIDER_NOT_CAPTURED'
  | 'RETAINED_INDICATIONS_AT_CLOSE';

/**
 * The error a call throws for misuse that would bugcheck or corrupt memory in a kernel driver
 * (this package's Driver Verifier): `code` says what was wrong, `where` in which routine. The call
 * that throws it takes nothing: its IRP stays the caller's.
 */
export class WskVerifierError extends Error {
  override readonly name = 'WskVerifierError';
  constructor(
    /** Stable machine-readable code. */
    readonly code: WskVerifierCode,
    /** The WSK or kernel routine in which the misuse was caught. */
    readonly where: string,
    detail: string,
  ) {
    // Under NODE_WSK_VERIFIER the message names the seed: the run that found it can be replayed.
    super(`${code} in ${where}: ${detail}${faultSeedNote()}`);
  }
}

/** A function `setWskVerifierHandler` calls with each violation, before it is thrown. */
export type WskVerifierHandler = (error: WskVerifierError) => void;

let observer: WskVerifierHandler | null = null;

/**
 * Observe violations (a harness that logs them). The violation is still thrown from the call
 * that made it; one caught on the event loop surfaces as an 'uncaughtException', as a bugcheck
 * would stop the machine.
 */
export function setWskVerifierHandler(fn: WskVerifierHandler | null): void {
  observer = fn;
}

/** Run before every violation is thrown (lib/irp.ts: the failing call gives its IRP back). */
let beforeThrow: ((error: WskVerifierError) => void) | null = null;

/** @internal */
export function setBeforeViolation(fn: (error: WskVerifierError) => void): void {
  beforeThrow = fn;
}

export function violation(code: WskVerifierCode, where: string, detail: string): never {
  const error = new WskVerifierError(code, where, detail);
  beforeThrow?.(error);
  observer?.(error);
  throw error;
}

/** A missing or wrong-typed argument where WSK defines no status for it. */
export function badArgument(where: string, detail: string): never {
  return violation('INVALID_ARGUMENT', where, detail);
}

// ---- argument shapes, checked where a call starts ----

/**
 * Whether `target[key] = value` works: the object's own slot is writable (or has a setter), or
 * the slot can be added. An out-parameter that fails this would throw a TypeError (strict mode)
 * when the call fills it, which may be later, on the event loop.
 */
export function isWritableSlot(target: unknown, key: string | number): boolean {
  if (target === null || typeof target !== 'object') return false;
  if (ArrayBuffer.isView(target)) {
    // A typed array takes a number at an index it has; a BigInt64Array would want a bigint.
    const t = target as unknown as { length?: number; BYTES_PER_ELEMENT?: number };
    const bigint = target instanceof BigInt64Array || target instanceof BigUint64Array;
    return typeof key === 'number' && t.BYTES_PER_ELEMENT !== undefined && !bigint && key < (t.length ?? 0);
  }
  for (let o: object | null = target; o !== null; o = Object.getPrototypeOf(o)) {
    const d = Object.getOwnPropertyDescriptor(o, key);
    if (d) return d.set !== undefined || (d.writable === true && (o === target || Object.isExtensible(target)));
  }
  return Object.isExtensible(target);
}

/**
 * Whether an out-parameter structure can be filled the way netaddrToSockaddr fills a SOCKADDR
 * (its keys deleted, the members set): an object that is not frozen, sealed or otherwise closed
 * to new members. Checked on every WskAccept and WskReceiveFrom, so kept to one cheap test
 * (~20 ns; walking the keys' descriptors cost ~500 ns): a key made non-configurable one by one
 * with Object.defineProperty is not looked for.
 */
export function isRefillable(target: unknown): boolean {
  return target !== null && typeof target === 'object' && !ArrayBuffer.isView(target) && Object.isExtensible(target);
}

/** A ULONG argument: a number, taken modulo 2^32 as C converts it; anything else is a named error. */
export function ulongArg(value: unknown, where: string, name: string): number {
  if (typeof value !== 'number') badArgument(where, `${name} must be a number (a ULONG), got ${typeof value}`);
  return value >>> 0;
}

/** An optional out-parameter the call writes at [0] (C's `&x`, a PULONG or PSIZE_T): null, or one it can write. */
export function outSlotArg<T>(value: T | null | undefined, where: string, name: string): T | null {
  if (value === null || value === undefined) return null;
  if (!isWritableSlot(value, 0)) badArgument(where, `${name} must be null or an object whose [0] the call can write (not a number, not frozen)`);
  return value;
}
