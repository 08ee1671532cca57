// IRPs as WSK uses them (reference §7): caller-allocated, one completion routine, completed
// exactly once per call, inline (before the call returns) or later from the event loop.
import type { MDL } from './mdl';
import {
  NT_SUCCESS,
  NTSTATUS,
  STATUS_CANCELLED,
  STATUS_MORE_PROCESSING_REQUIRED,
  STATUS_PENDING,
  STATUS_SUCCESS,
  ntStatusName,
} from './ntstatus';
import { badArgument, setBeforeViolation, violation } from './verifier';

/** Device objects do not exist here; completion routines receive `null`. */
export type PDEVICE_OBJECT = null;

export type PIO_COMPLETION_ROUTINE = (DeviceObject: PDEVICE_OBJECT, Irp: IRP, Context: unknown) => NTSTATUS;

export interface IO_STATUS_BLOCK {
  Status: NTSTATUS;
  /** What C casts out of ULONG_PTR: a byte count, a WSK_SOCKET, an address-info list... */
  Information: unknown;
}

type IrpState =
  | 'ready' // allocated or reused: may be passed to one call
  | 'active' // inside a provider call, not yet completed or pended
  | 'pending' // STATUS_PENDING returned; waiting for the event loop
  | 'completed' // needs IoReuseIrp (or IoFreeIrp) before anything else
  | 'freed';

export class IRP {
  IoStatus: IO_STATUS_BLOCK = { Status: STATUS_SUCCESS, Information: 0 };
  /** Set when the call that took this IRP returned STATUS_PENDING. */
  PendingReturned = false;
  /** Set by IoCancelIrp. */
  Cancel = false;
  MdlAddress: MDL | null = null;
  readonly StackSize: number;

  /** @internal */ _state: IrpState = 'ready';
  /** @internal */ _where = '';
  /** @internal */ _routine: PIO_COMPLETION_ROUTINE | null = null;
  /** @internal */ _context: unknown = null;
  /** @internal */ _invoke = 0;
  /** @internal */ _cancelRoutine: ((irp: IRP) => void) | null = null;
  /** @internal The socket's pending list this IRP is on, and its neighbours there. */
  _list: PendingIrps | null = null;
  /** @internal */ _prev: IRP | null = null;
  /** @internal */ _next: IRP | null = null;

  /** @internal */
  constructor(StackSize: number) {
    this.StackSize = StackSize;
  }
}
export type PIRP = IRP;

const INVOKE_ON_SUCCESS = 1;
const INVOKE_ON_ERROR = 2;
const INVOKE_ON_CANCEL = 4;

function checkIrp(Irp: unknown, where: string): asserts Irp is IRP {
  if (!(Irp instanceof IRP)) badArgument(where, `Irp must be an IRP from IoAllocateIrp, got ${describe(Irp)}`);
  if (Irp._state === 'freed') violation('IRP_USED_AFTER_FREE', where, 'the IRP was already freed with IoFreeIrp');
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

export function IoAllocateIrp(StackSize: number, ChargeQuota: boolean): IRP | null {
  void ChargeQuota;
  if (!Number.isInteger(StackSize) || StackSize < 1 || StackSize > 127) {
    badArgument('IoAllocateIrp', `StackSize must be an integer from 1 to 127, got ${String(StackSize)}`);
  }
  return new IRP(StackSize);
}

export function IoSetCompletionRoutine(
  Irp: IRP,
  CompletionRoutine: PIO_COMPLETION_ROUTINE | null,
  Context: unknown,
  InvokeOnSuccess: boolean,
  InvokeOnError: boolean,
  InvokeOnCancel: boolean,
): void {
  checkIrp(Irp, 'IoSetCompletionRoutine');
  if (Irp._state === 'active' || Irp._state === 'pending') {
    violation('IRP_REUSED_WHILE_PENDING', 'IoSetCompletionRoutine', `the IRP is still in ${Irp._where}`);
  }
  if (CompletionRoutine !== null && typeof CompletionRoutine !== 'function') {
    badArgument('IoSetCompletionRoutine', 'CompletionRoutine must be a function or null');
  }
  Irp._routine = CompletionRoutine;
  Irp._context = Context;
  Irp._invoke =
    (InvokeOnSuccess ? INVOKE_ON_SUCCESS : 0) | (InvokeOnError ? INVOKE_ON_ERROR : 0) | (InvokeOnCancel ? INVOKE_ON_CANCEL : 0);
}

export function IoFreeIrp(Irp: IRP): void {
  if (!(Irp instanceof IRP)) badArgument('IoFreeIrp', `Irp must be an IRP, got ${describe(Irp)}`);
  if (Irp._state === 'freed') violation('IRP_DOUBLE_FREE', 'IoFreeIrp', 'the IRP was already freed');
  if (Irp._state === 'active' || Irp._state === 'pending') {
    violation('IRP_FREED_WHILE_PENDING', 'IoFreeIrp', `the IRP is still pending in ${Irp._where}`);
  }
  Irp._state = 'freed';
  Irp._routine = null;
  Irp._context = null;
}

export function IoReuseIrp(Irp: IRP, Iostatus: NTSTATUS): void {
  checkIrp(Irp, 'IoReuseIrp');
  if (Irp._state === 'active' || Irp._state === 'pending') {
    violation('IRP_REUSED_WHILE_PENDING', 'IoReuseIrp', `the IRP is still pending in ${Irp._where}`);
  }
  Irp._state = 'ready';
  Irp._routine = null;
  Irp._context = null;
  Irp._invoke = 0;
  // In place, as in C, where IoStatus is part of the IRP: no allocation per reuse.
  Irp.IoStatus.Status = Iostatus;
  Irp.IoStatus.Information = 0;
  Irp.PendingReturned = false;
  Irp.Cancel = false;
  Irp.MdlAddress = null;
}

/** Returns true when a cancel routine ran (the IRP was pending and cancellable). */
export function IoCancelIrp(Irp: IRP): boolean {
  checkIrp(Irp, 'IoCancelIrp');
  Irp.Cancel = true;
  const cancel = Irp._cancelRoutine;
  if (!cancel) return false;
  Irp._cancelRoutine = null;
  cancel(Irp);
  return true;
}

// ---- provider side (not exported from the package root) ----

/**
 * The IRPs a socket holds pending, in the order they pended (WskCloseSocket cancels them in
 * that order). The links live in the IRPs themselves: adding and removing cost no hashing and
 * no allocation, which a Set did on every completion of the data path.
 */
export class PendingIrps {
  private head: IRP | null = null;
  private tail: IRP | null = null;

  add(Irp: IRP): void {
    if (Irp._list === this) return;
    Irp._list?.delete(Irp);
    Irp._list = this;
    Irp._prev = this.tail;
    Irp._next = null;
    if (this.tail !== null) this.tail._next = Irp;
    else this.head = Irp;
    this.tail = Irp;
  }

  delete(Irp: IRP): boolean {
    if (Irp._list !== this) return false;
    if (Irp._prev !== null) Irp._prev._next = Irp._next;
    else this.head = Irp._next;
    if (Irp._next !== null) Irp._next._prev = Irp._prev;
    else this.tail = Irp._prev;
    Irp._list = Irp._prev = Irp._next = null;
    return true;
  }

  /** A copy, for walks that complete (and so unlink) as they go. */
  toArray(): IRP[] {
    const out: IRP[] = [];
    for (let irp = this.head; irp !== null; irp = irp._next) out.push(irp);
    return out;
  }
}

/** The IRP the provider call in progress claimed last (irpStart), while it is 'active'. */
let claimed: IRP | null = null;

// A call that throws a violation takes nothing (DESIGN: "its IRP stays the caller's"): the IRP
// it had claimed and neither pended nor completed is ready again, to pass again, reuse or free.
// Checks made after irpStart (a WSK_BUF's MDLs, for instance) would otherwise leave it 'active'
// for good, refused by IoReuseIrp and IoFreeIrp alike.
setBeforeViolation(() => {
  if (claimed !== null && claimed._state === 'active') claimed._state = 'ready';
  claimed = null;
});

/**
 * Claims an IRP for a provider call. A missing IRP is the caller's to report as
 * STATUS_INVALID_PARAMETER; anything else that is not a ready IRP is a violation.
 */
export function irpStart(Irp: IRP, where: string): void {
  // Not the IRP of an outer call (a routine calling back in with an IRP still in use).
  claimed = null;
  checkIrp(Irp, where);
  switch (Irp._state) {
    case 'active':
    case 'pending':
      violation('IRP_REUSED_WHILE_PENDING', where, `the IRP is still pending in ${Irp._where}`);
    // eslint-disable-next-line no-fallthrough
    case 'completed':
      violation('IRP_NOT_REUSED', where, `the IRP was completed by ${Irp._where}; call IoReuseIrp before passing it again`);
  }
  Irp._state = 'active';
  Irp._where = where;
  Irp.PendingReturned = false;
  claimed = Irp;
}

/** Marks the IRP pending with a cancel routine; the caller returns what this returns. */
export function irpPend(Irp: IRP, cancelRoutine: (irp: IRP) => void): NTSTATUS {
  Irp._state = 'pending';
  Irp.PendingReturned = true;
  if (Irp.Cancel) {
    // Cancelled before it could pend (IoCancelIrp from inside an earlier callback).
    cancelRoutine(Irp);
  } else {
    Irp._cancelRoutine = cancelRoutine;
  }
  return STATUS_PENDING;
}

/**
 * Calls `each` on every item, even when one throws, then rethrows the first exception: a
 * completion routine that throws (where the kernel would bugcheck) must not leave the IRPs after
 * it uncompleted, nor the caller's state half-updated.
 */
export function forEachSettled<T>(items: readonly T[], each: (item: T) => void): void {
  let first: { error: unknown } | null = null;
  for (const item of items) {
    try {
      each(item);
    } catch (error) {
      first ??= { error };
    }
  }
  if (first) throw first.error;
}

/**
 * Runs `fn`; an exception it throws is rethrown from the event loop instead, as an uncaught
 * exception (a bugcheck). For completions that are news from the transport rather than the
 * caller's own request (a connection breaking): the operation that noticed goes on.
 */
export function surfaceLater(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    process.nextTick(() => {
      throw error;
    });
  }
}

/** The default cancel routine's work: complete with STATUS_CANCELLED, no information. */
export function irpCancelled(Irp: IRP): void {
  irpComplete(Irp, STATUS_CANCELLED, 0);
}

export function irpIsPending(Irp: IRP): boolean {
  return Irp._state === 'pending';
}

/** IoCompleteRequest for IRPs we were given: runs the completion routine as IoSetCompletionRoutine asked. */
export function irpComplete(Irp: IRP, Status: NTSTATUS, Information: unknown): NTSTATUS {
  // A completed IRP is nobody's pending IRP any more, whichever path completed it.
  if (Irp._list !== null) Irp._list.delete(Irp);
  Irp._cancelRoutine = null;
  Irp._state = 'completed';
  Irp.IoStatus.Status = Status;
  Irp.IoStatus.Information = Information;
  const routine = Irp._routine;
  if (routine) {
    const invoke = Irp._invoke;
    if (
      (NT_SUCCESS(Status) && invoke & INVOKE_ON_SUCCESS) ||
      (!NT_SUCCESS(Status) && invoke & INVOKE_ON_ERROR) ||
      (Irp.Cancel && invoke & INVOKE_ON_CANCEL)
    ) {
      const result = routine(null, Irp, Irp._context);
      if (result !== STATUS_MORE_PROCESSING_REQUIRED) {
        violation(
          'COMPLETION_ROUTINE_BAD_RETURN',
          `completion of ${Irp._where}`,
          `the completion routine returned ${typeof result === 'number' ? ntStatusName(result) : String(result)}; ` +
            'an IRP the client allocated must return STATUS_MORE_PROCESSING_REQUIRED',
        );
      }
    }
  }
  return Status;
}
