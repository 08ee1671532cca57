// IRPs as WSK uses them (https://learn.microsoft.com/windows-hardware/drivers/network/using-irps-with-winsock-kernel-functions): caller-allocated, one completion routine, completed
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
import { faultClaim, faults, hasQueuedCompletions, queueCompletion, setCompletionSink } from './fault';
import { irpChannel, traceCall, traceCancel, traceComplete, tracePend, traceRoutine, traceViolation } from './trace';
import { badArgument, setBeforeViolation, violation } from './verifier';

/** Device objects do not exist here; completion routines receive `null`. */
export type PDEVICE_OBJECT = null;

/**
 * IO_COMPLETION_ROUTINE (wdm.h): the routine `IoSetCompletionRoutine` attaches to an IRP. It runs
 * once when the IRP completes (as its Invoke flags ask), receives `null` as the device object, and
 * must return `STATUS_MORE_PROCESSING_REQUIRED` (the IRP is the driver's own); anything else is
 * the verifier error `COMPLETION_ROUTINE_BAD_RETURN`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nc-wdm-io_completion_routine
 */
export type PIO_COMPLETION_ROUTINE = (DeviceObject: PDEVICE_OBJECT, Irp: IRP, Context: unknown) => NTSTATUS;

/**
 * IO_STATUS_BLOCK (wdm.h): the final status of an IRP and what its call reports in `Information`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ns-wdm-_io_status_block
 */
export interface IO_STATUS_BLOCK {
  Status: NTSTATUS;
  /** What C casts out of ULONG_PTR: a byte count, a WSK_SOCKET, an address-info list... */
  Information: unknown;
}

// An IRP's life: 'ready' (allocated or reused: may be passed to one call), 'active' (inside a
// provider call, not yet completed or pended), 'pending' (STATUS_PENDING returned: waiting for
// the event loop), 'completed' (needs IoReuseIrp or IoFreeIrp before anything else), 'freed'.
type IrpState = 'ready' | 'active' | 'pending' | 'completed' | 'freed';

/** What only this file may read or write: the IRP's life, its routine, its place in a list. */
interface IrpPrivate {
  state: IrpState;
  /** The call that took it last, for messages and the report at exit. */
  where: string;
  routine: PIO_COMPLETION_ROUTINE | null;
  context: unknown;
  invoke: number;
  /** Set while it is pending and cancellable. */
  cancel: ((irp: IRP) => void) | null;
  /** The socket's pending list it is on, and its neighbours there. */
  list: PendingIrps | null;
  prev: IRP | null;
  next: IRP | null;
}

let priv: (irp: IRP) => IrpPrivate;

/**
 * IRP (wdm.h): the caller-allocated I/O request packet every asynchronous WSK call completes. Made by
 * `IoAllocateIrp`; its public members are those WSK code reads (`IoStatus`, `PendingReturned`,
 * `Cancel`, `MdlAddress`), the rest is private, as the kernel's is.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ns-wdm-_irp
 * @see https://learn.microsoft.com/windows-hardware/drivers/network/using-irps-with-winsock-kernel-functions
 */
export class IRP {
  IoStatus: IO_STATUS_BLOCK = { Status: STATUS_SUCCESS, Information: 0 };
  /** Set when the call that took this IRP returned STATUS_PENDING. */
  PendingReturned = false;
  /** Set by IoCancelIrp. */
  Cancel = false;
  MdlAddress: MDL | null = null;
  readonly StackSize: number;
  readonly #p: IrpPrivate = {
    state: 'ready',
    where: '',
    routine: null,
    context: null,
    invoke: 0,
    cancel: null,
    list: null,
    prev: null,
    next: null,
  };

  /** @internal IoAllocateIrp makes IRPs. */
  constructor(StackSize: number) {
    this.StackSize = StackSize;
  }

  static {
    // The one way in: the functions of this file, each of which checks `instanceof IRP` first.
    priv = (irp) => irp.#p;
  }
}
/** PIRP: a pointer to an IRP, which here is the IRP object itself. */
export type PIRP = IRP;

const INVOKE_ON_SUCCESS = 1;
const INVOKE_ON_ERROR = 2;
const INVOKE_ON_CANCEL = 4;

/** The private state of a live IRP; anything else is what would bugcheck. */
function checkIrp(Irp: unknown, where: string): IrpPrivate {
  if (!(Irp instanceof IRP)) badArgument(where, `Irp must be an IRP from IoAllocateIrp, got ${describe(Irp)}`);
  const p = priv(Irp);
  if (p.state === 'freed') violation('IRP_USED_AFTER_FREE', where, 'the IRP was already freed with IoFreeIrp');
  return p;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

function inFlight(p: IrpPrivate): boolean {
  return p.state === 'active' || p.state === 'pending';
}

/**
 * IoAllocateIrp: a new IRP, ready for one WSK call. `StackSize` must be 1 to 127
 * (`INVALID_ARGUMENT` otherwise); `ChargeQuota` means nothing here. Never returns null here (C's
 * allocation failure cannot happen), though its type keeps C's `PIRP | NULL`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-ioallocateirp
 */
export function IoAllocateIrp(StackSize: number, ChargeQuota: boolean): IRP | null {
  void ChargeQuota;
  if (!Number.isInteger(StackSize) || StackSize < 1 || StackSize > 127) {
    badArgument('IoAllocateIrp', `StackSize must be an integer from 1 to 127, got ${String(StackSize)}`);
  }
  // NODE_WSK_VERIFIER lowres: the pool is exhausted, as Driver Verifier's low-resources simulation.
  if (faults !== null && faults.lowResources()) return null;
  return new IRP(StackSize);
}

/** @internal An IRP for the provider's own use (closing a socket no client call closes): never failed by lowres. */
export function irpAllocateInternal(): IRP {
  return new IRP(1);
}

/**
 * IoSizeOfIrp: the bytes C allocates for an IRP with StackSize stack locations (x64: the
 * 0xD0-byte IRP and 0x48 bytes per IO_STACK_LOCATION), for ports that size their own pool.
 */
export function IoSizeOfIrp(StackSize: number): number {
  if (!Number.isInteger(StackSize) || StackSize < 1 || StackSize > 127) {
    badArgument('IoSizeOfIrp', `StackSize must be an integer from 1 to 127, got ${String(StackSize)}`);
  }
  return SIZEOF_IRP + StackSize * SIZEOF_IO_STACK_LOCATION;
}
const SIZEOF_IRP = 0xd0;
const SIZEOF_IO_STACK_LOCATION = 0x48;

/**
 * IoInitializeIrp: C builds an IRP in memory the driver allocated (IoSizeOfIrp bytes); here the
 * IRP object from IoAllocateIrp is that memory. It is made new (as after IoAllocateIrp): no
 * routine, ready, IoStatus cleared. PacketSize must cover StackSize locations, as C requires.
 * Initializing an IRP still in a call is what corrupts the kernel's lists: a verifier error.
 */
export function IoInitializeIrp(Irp: IRP, PacketSize: number, StackSize: number): void {
  const p = checkIrp(Irp, 'IoInitializeIrp');
  if (inFlight(p)) violation('IRP_REUSED_WHILE_PENDING', 'IoInitializeIrp', `the IRP is still pending in ${p.where}`);
  if (!Number.isInteger(PacketSize) || PacketSize < IoSizeOfIrp(StackSize)) {
    badArgument('IoInitializeIrp', `PacketSize ${String(PacketSize)} is smaller than IoSizeOfIrp(${String(StackSize)})`);
  }
  if (StackSize > Irp.StackSize) {
    badArgument('IoInitializeIrp', `StackSize ${StackSize} is more than the ${Irp.StackSize} locations this IRP was allocated with`);
  }
  IoReuseIrp(Irp, STATUS_SUCCESS);
}

/**
 * IoSetCompletionRoutine: the routine to run, with `Context`, when the IRP's next call completes
 * it, on success, on error and/or on cancel as the three flags ask. Set it before passing the IRP
 * (after `IoReuseIrp`); on an IRP still in a call it is the verifier error `IRP_REUSED_WHILE_PENDING`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iosetcompletionroutine
 */
export function IoSetCompletionRoutine(
  Irp: IRP,
  CompletionRoutine: PIO_COMPLETION_ROUTINE | null,
  Context: unknown,
  InvokeOnSuccess: boolean,
  InvokeOnError: boolean,
  InvokeOnCancel: boolean,
): void {
  const p = checkIrp(Irp, 'IoSetCompletionRoutine');
  if (inFlight(p)) violation('IRP_REUSED_WHILE_PENDING', 'IoSetCompletionRoutine', `the IRP is still in ${p.where}`);
  if (CompletionRoutine !== null && typeof CompletionRoutine !== 'function') {
    badArgument('IoSetCompletionRoutine', 'CompletionRoutine must be a function or null');
  }
  p.routine = CompletionRoutine;
  p.context = Context;
  p.invoke = (InvokeOnSuccess ? INVOKE_ON_SUCCESS : 0) | (InvokeOnError ? INVOKE_ON_ERROR : 0) | (InvokeOnCancel ? INVOKE_ON_CANCEL : 0);
}

/**
 * IoFreeIrp: frees an IRP the driver allocated. Freeing one still in a call
 * (`IRP_FREED_WHILE_PENDING`) or twice (`IRP_DOUBLE_FREE`) is a verifier error.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iofreeirp
 */
export function IoFreeIrp(Irp: IRP): void {
  if (!(Irp instanceof IRP)) badArgument('IoFreeIrp', `Irp must be an IRP, got ${describe(Irp)}`);
  const p = priv(Irp);
  if (p.state === 'freed') violation('IRP_DOUBLE_FREE', 'IoFreeIrp', 'the IRP was already freed');
  if (inFlight(p)) violation('IRP_FREED_WHILE_PENDING', 'IoFreeIrp', `the IRP is still pending in ${p.where}`);
  p.state = 'freed';
  p.routine = null;
  p.context = null;
}

/**
 * IoReuseIrp: makes a completed IRP ready for its next call: no routine, `IoStatus.Status` =
 * `Iostatus`, `Information` 0, `PendingReturned`, `Cancel` and `MdlAddress` cleared, in place (copy
 * `IoStatus` out first). Required between two uses; on an IRP still in a call it is the verifier
 * error `IRP_REUSED_WHILE_PENDING`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-ioreuseirp
 */
export function IoReuseIrp(Irp: IRP, Iostatus: NTSTATUS): void {
  const p = checkIrp(Irp, 'IoReuseIrp');
  if (inFlight(p)) violation('IRP_REUSED_WHILE_PENDING', 'IoReuseIrp', `the IRP is still pending in ${p.where}`);
  p.state = 'ready';
  p.routine = null;
  p.context = null;
  p.invoke = 0;
  // In place, as in C, where IoStatus is part of the IRP: no allocation per reuse.
  Irp.IoStatus.Status = Iostatus;
  Irp.IoStatus.Information = 0;
  Irp.PendingReturned = false;
  Irp.Cancel = false;
  Irp.MdlAddress = null;
}

/**
 * IoCancelIrp: sets `Irp.Cancel` and, when the IRP is pending in a WSK call, runs its cancel
 * routine: the call completes the IRP (`STATUS_CANCELLED` as a rule; see docs/SEMANTICS.md,
 * "Cancellation"). Returns true when a cancel routine ran (the IRP was pending and cancellable).
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iocancelirp
 */
export function IoCancelIrp(Irp: IRP): boolean {
  const p = checkIrp(Irp, 'IoCancelIrp');
  Irp.Cancel = true;
  const cancel = p.cancel;
  if (irpChannel.hasSubscribers) traceCancel(Irp, p.where, cancel !== null);
  if (!cancel) return false;
  p.cancel = null;
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
    const p = priv(Irp);
    if (p.list === this) return;
    p.list?.delete(Irp);
    p.list = this;
    p.prev = this.tail;
    p.next = null;
    if (this.tail !== null) priv(this.tail).next = Irp;
    else this.head = Irp;
    this.tail = Irp;
  }

  delete(Irp: IRP): boolean {
    const p = priv(Irp);
    if (p.list !== this) return false;
    if (p.prev !== null) priv(p.prev).next = p.next;
    else this.head = p.next;
    if (p.next !== null) priv(p.next).prev = p.prev;
    else this.tail = p.prev;
    p.list = p.prev = p.next = null;
    return true;
  }

  has(Irp: IRP): boolean {
    return priv(Irp).list === this;
  }

  /** A copy, for walks that complete (and so unlink) as they go. */
  toArray(): IRP[] {
    const out: IRP[] = [];
    for (let irp = this.head; irp !== null; irp = priv(irp).next) out.push(irp);
    return out;
  }
}

/** A provider call that has begun (irpCallEntry) and claimed no IRP yet. */
const ENTERED = Object.freeze({ entered: true });

/**
 * The provider calls in progress, innermost last: a getter on a call's arguments can make another
 * call before the first one pends or completes its IRP. Each call's entry (socketArg, clientArg)
 * adds ENTERED, which its irpStart replaces with the IRP it claims; a null marks a stretch the
 * provider runs (a completion routine, a readiness report: irpStretchBegin), whose calls are not
 * those of the call below it.
 */
const claims: (IRP | null | typeof ENTERED)[] = [];
/** Set while irpStart checks an IRP: a violation then is about an IRP the call did not claim. */
let checking = false;

/** The start of a provider call (before its first check): see `claims`. */
export function irpCallEntry(): void {
  // One marker stands for any number of calls that claimed nothing (a loop of WskRelease calls
  // must not grow the stack that unclaim searches).
  if (claims.length > 0 && claims[claims.length - 1] === ENTERED) return;
  claims.push(ENTERED);
  scheduleSweep();
}

// A call that throws a violation takes nothing (DESIGN: "its IRP stays the caller's"): the IRP
// it claimed and neither pended nor completed is ready again, to pass again, reuse or free. Only
// the failing call's own: if the innermost call claimed nothing (ENTERED on top), nothing is
// given back, so that a violation in a call made from a getter never gives back the IRP of the
// call around it (a nested WskReceive's SOCKET_CLOSED once did, and that IRP then completed
// twice: fuzz seed 40261499). The name must match too, so that a kernel helper (IoFreeIrp) called
// from a getter takes nothing either.
setBeforeViolation((error) => {
  const where = error.where;
  const aboutAnUnclaimedIrp = checking;
  checking = false;
  const top = claims.length > 0 ? claims[claims.length - 1] : null;
  if (top === ENTERED) {
    claims.pop();
    if (irpChannel.hasSubscribers) traceViolation(null, where, error.message);
    return;
  }
  const mine = !aboutAnUnclaimedIrp && top instanceof IRP && priv(top).state === 'active' && priv(top).where === where;
  if (irpChannel.hasSubscribers) traceViolation(mine ? top : null, where, error.message);
  if (!mine) return;
  priv(top).state = 'ready';
  claims.pop();
});

/**
 * Provider calls are synchronous: when the microtasks of a turn run, none is in progress, and an
 * IRP still claimed belongs to a call that a client's exception (a getter on an argument that
 * threw) took out before it pended or completed: it is the caller's again, as for a violation.
 * Inside a stretch the provider runs (a readiness report, a completion routine, the scheduler's
 * turn: irpStretchBegin/End) the stretch's end sweeps instead, and no microtask is queued: one
 * per turn cost ~850 instructions per round trip in bench B (valgrind, steady state).
 */
let sweepDue = false;
let stretches = 0;

/**
 * The provider is about to run client code or a readiness report: every provider call made
 * until irpStretchEnd is over by then, so what they left claimed is swept there. Pair it with
 * irpStretchEnd in a finally.
 */
export function irpStretchBegin(): void {
  stretches++;
  claims.push(null);
}

/** The end of the stretch irpStretchBegin opened: its calls' leftover claims go (see `claims`). */
export function irpStretchEnd(): void {
  stretches--;
  // Down to this stretch's mark: an inner stretch has always removed its own.
  while (claims.length > 0) {
    const entry = claims.pop();
    if (entry === null) return;
    release(entry);
  }
}

/** A claim whose call is over: an IRP it left 'active' (a client's exception) is ready again. */
function release(entry: (typeof claims)[number] | undefined): void {
  if (!(entry instanceof IRP) || priv(entry).state !== 'active') return;
  // The timeline shows the call ended there, as a violation's call does.
  if (irpChannel.hasSubscribers) traceViolation(entry, priv(entry).where, 'left by an exception from client code before it pended or completed');
  priv(entry).state = 'ready';
}

/** A settled promise: `then` queues a plain V8 microtask (queueMicrotask makes an AsyncResource and a bound function per call). */
const settled = Promise.resolve();

function scheduleSweep(): void {
  if (sweepDue || stretches > 0) return;
  sweepDue = true;
  void settled.then(sweepClaims);
}

function sweepClaims(): void {
  sweepDue = false;
  // Popped, not truncated (length = 0 would drop the stack's storage, grown again next turn).
  while (claims.length > 0) release(claims.pop());
}

/** The IRP leaves 'active' (pended or completed): its call's claim ends. */
function unclaim(Irp: IRP): void {
  // Almost always on top (the call that claimed it is the innermost): no search then.
  const top = claims.length - 1;
  if (top >= 0 && claims[top] === Irp) {
    claims.pop();
    return;
  }
  const i = claims.lastIndexOf(Irp);
  if (i >= 0) claims.splice(i, 1);
}

/**
 * Claims an IRP for a provider call. A missing IRP is the caller's to report as
 * STATUS_INVALID_PARAMETER; anything else that is not a ready IRP is a violation. `a`, `b`, `c`
 * are the call's arguments worth showing in the IRP timeline (NODE_WSK_TRACE), in the order
 * lib/trace/describe.ts names them; they are not read unless a trace is recording.
 */
export function irpStart(Irp: IRP, where: string, a?: unknown, b?: unknown, c?: unknown): void {
  checking = true;
  const p = checkIrp(Irp, where);
  switch (p.state) {
    case 'active':
    case 'pending':
      violation('IRP_REUSED_WHILE_PENDING', where, `the IRP is still pending in ${p.where}`);
    // eslint-disable-next-line no-fallthrough
    case 'completed':
      violation('IRP_NOT_REUSED', where, `the IRP was completed by ${p.where}; call IoReuseIrp before passing it again`);
  }
  checking = false;
  p.state = 'active';
  p.where = where;
  Irp.PendingReturned = false;
  if (claims.length > 0 && claims[claims.length - 1] === ENTERED) claims[claims.length - 1] = Irp;
  else claims.push(Irp);
  scheduleSweep();
  if (faults !== null) faultClaim(Irp);
  if (irpChannel.hasSubscribers) traceCall(Irp, where, a, b, c);
}

/** Marks the IRP pending with a cancel routine; the caller returns what this returns. */
export function irpPend(Irp: IRP, cancelRoutine: (irp: IRP) => void): NTSTATUS {
  const p = priv(Irp);
  if (p.state === 'active') unclaim(Irp);
  p.state = 'pending';
  Irp.PendingReturned = true;
  if (irpChannel.hasSubscribers) tracePend(Irp, p.where);
  if (Irp.Cancel) {
    // Cancelled before it could pend (IoCancelIrp from inside an earlier callback).
    cancelRoutine(Irp);
  } else {
    p.cancel = cancelRoutine;
  }
  return STATUS_PENDING;
}

/**
 * WskCloseSocket's cancel of one IRP still on `list`: its cancel routine (which undoes whatever
 * queued it) or, without one, a plain STATUS_CANCELLED completion. Nothing for an IRP an earlier
 * routine of the same close already completed.
 */
export function irpCancelOnClose(list: PendingIrps, Irp: IRP): void {
  const p = priv(Irp);
  if (p.list !== list) return;
  const cancel = p.cancel;
  p.cancel = null;
  if (cancel) cancel(Irp);
  else irpComplete(Irp, STATUS_CANCELLED, 0);
}

/**
 * IoCancelIrp on the provider's behalf (WskDeregister cancelling what it waits for), only while
 * the IRP is still pending with `cancelRoutine`: a later use of the same IRP is left alone.
 */
export function irpCancelIfStill(Irp: IRP, cancelRoutine: (irp: IRP) => void): void {
  const p = priv(Irp);
  if (p.state !== 'pending' || p.cancel !== cancelRoutine) return;
  if (irpChannel.hasSubscribers) traceCancel(Irp, p.where, true);
  p.cancel = null;
  Irp.Cancel = true;
  cancelRoutine(Irp);
}

/** Takes a pending IRP off its socket and out of reach of IoCancelIrp: the caller completes it next. */
export function irpDetach(Irp: IRP): void {
  const p = priv(Irp);
  p.list?.delete(Irp);
  p.cancel = null;
}

/** The function an IRP was last passed to ('WskReceive'...), for messages and the report at exit. */
export function irpWhere(Irp: IRP): string {
  return priv(Irp).where;
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
  return priv(Irp).state === 'pending';
}

/**
 * The status a provider call returns once it has completed (or pended) its IRP: STATUS_PENDING
 * when the completion was deferred (NODE_WSK_VERIFIER pending), else IoStatus.Status.
 */
export function irpReturned(Irp: IRP): NTSTATUS {
  return priv(Irp).state === 'pending' ? STATUS_PENDING : Irp.IoStatus.Status;
}

/** IoCompleteRequest for IRPs we were given: runs the completion routine as IoSetCompletionRoutine asked. */
export function irpComplete(Irp: IRP, Status: NTSTATUS, Information: unknown): NTSTATUS {
  if (faults !== null) {
    const deferred = faultComplete(Irp, Status, Information);
    if (deferred !== undefined) return deferred;
  }
  return completeNow(Irp, Status, Information);
}

/**
 * NODE_WSK_VERIFIER: a completion the fault engine takes over, made later from the event loop
 * (lib/kernel/fault.ts's queue), or undefined to complete now. An inline completion pends
 * ("pending", or because an earlier completion of the same socket is still queued: a socket's
 * IRPs complete in order), and one from the loop is delayed or reordered ("delay", "reorder").
 * The IRP is then out of its socket's reach, as one the provider already completed: neither
 * IoCancelIrp nor WskCloseSocket changes its status any more.
 */
function faultComplete(Irp: IRP, Status: NTSTATUS, Information: unknown): NTSTATUS | undefined {
  const engine = faults!;
  const p = priv(Irp);
  if (p.state === 'active') {
    // Behind a completion of its socket still queued, it pends too (counted as pending).
    if (hasQueuedCompletions(Irp)) engine.counts.pending++;
    else if (!engine.pends()) return undefined;
    unclaim(Irp);
    p.state = 'pending';
    Irp.PendingReturned = true;
    if (irpChannel.hasSubscribers) tracePend(Irp, p.where);
    queueCompletion(engine, Irp, Status, Information);
    return STATUS_PENDING;
  }
  if (p.state !== 'pending' || (!engine.defersLoopCompletions && !hasQueuedCompletions(Irp))) return undefined;
  if (p.list !== null) p.list.delete(Irp);
  p.cancel = null;
  queueCompletion(engine, Irp, Status, Information);
  return Status;
}

setCompletionSink((irp, status, info) => completeNow(irp as IRP, status, info));

function completeNow(Irp: IRP, Status: NTSTATUS, Information: unknown): NTSTATUS {
  const p = priv(Irp);
  // A completed IRP is nobody's pending IRP any more, whichever path completed it.
  if (p.list !== null) p.list.delete(Irp);
  p.cancel = null;
  if (p.state === 'active') unclaim(Irp);
  p.state = 'completed';
  Irp.IoStatus.Status = Status;
  Irp.IoStatus.Information = Information;
  if (irpChannel.hasSubscribers) traceComplete(Irp, p.where, Status, Information);
  const routine = p.routine;
  if (routine) {
    const invoke = p.invoke;
    if (
      (NT_SUCCESS(Status) && invoke & INVOKE_ON_SUCCESS) ||
      (!NT_SUCCESS(Status) && invoke & INVOKE_ON_ERROR) ||
      (Irp.Cancel && invoke & INVOKE_ON_CANCEL)
    ) {
      const result = runRoutine(routine, Irp, p.where, p.context);
      if (result !== STATUS_MORE_PROCESSING_REQUIRED) {
        violation(
          'COMPLETION_ROUTINE_BAD_RETURN',
          `completion of ${p.where}`,
          `the completion routine returned ${typeof result === 'number' ? ntStatusName(result) : String(result)}; ` +
            'an IRP the client allocated must return STATUS_MORE_PROCESSING_REQUIRED',
        );
      }
    }
  }
  return Status;
}

/** Runs a completion routine: client code, below which no call's claim is visible (see `claims`). */
function runRoutine(routine: PIO_COMPLETION_ROUTINE, Irp: IRP, where: string, context: unknown): NTSTATUS {
  irpStretchBegin();
  try {
    return irpChannel.hasSubscribers ? traceRoutine(routine, Irp, where, context) : routine(null, Irp, context);
  } finally {
    irpStretchEnd();
  }
}
