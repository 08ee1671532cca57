// An IRP-taking WSK call as a promise, with IRPs reused from a pool (IoReuseIrp), the way a
// driver keeps its IRPs instead of allocating one per call. Built on the public faithful API
// only: IoAllocateIrp, IoSetCompletionRoutine, IoReuseIrp, IoCancelIrp, IoFreeIrp.
import {
  IoAllocateIrp,
  IoCancelIrp,
  IoFreeIrp,
  IoReuseIrp,
  IoSetCompletionRoutine,
  NT_SUCCESS,
  STATUS_CANCELLED,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_MORE_PROCESSING_REQUIRED,
  STATUS_PENDING,
  STATUS_UNSUCCESSFUL,
  WskVerifierError,
  type IO_STATUS_BLOCK,
  type IRP,
  type NTSTATUS,
  type PDEVICE_OBJECT,
} from '../index';
import { NtStatusError } from './ntstatus-error';

/** Options of one `wskCall` / `IrpPool.call`. */
export interface WskCallOptions {
  /** Aborting it cancels the pending IRP with IoCancelIrp (the promise then rejects STATUS_CANCELLED). */
  signal?: AbortSignal | undefined;
}

/**
 * Starts the WSK call: passes `Irp` to it and returns what it returned (STATUS_PENDING, or the
 * status it completed with, or a failure it returned without taking the IRP).
 */
export type WskCallStart = (Irp: IRP) => NTSTATUS;

type Resolve = (IoStatus: IO_STATUS_BLOCK) => void;
type Reject = (error: unknown) => void;

/** The one completion routine of every pooled IRP; its context is the IRP's slot. */
function onCompletion(_DeviceObject: PDEVICE_OBJECT, Irp: IRP, Context: unknown): NTSTATUS {
  (Context as Slot).completed(Irp);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

/** A pooled IRP and the promise of the call it serves now. */
class Slot {
  private inCall = false;
  private done = false;
  private Status: NTSTATUS = STATUS_UNSUCCESSFUL;
  private Information: unknown = 0;
  private resolve: Resolve | null = null;
  private reject: Reject | null = null;
  private signal: AbortSignal | null = null;
  private readonly onAbort = (): void => void IoCancelIrp(this.Irp);

  constructor(
    readonly Irp: IRP,
    /** Gives the IRP back to its pool once this call is over. */
    private readonly release: (slot: Slot) => void,
  ) {}

  run(start: WskCallStart, signal: AbortSignal | null, resolve: Resolve, reject: Reject): void {
    this.resolve = resolve;
    this.reject = reject;
    this.signal = signal;
    this.done = false;
    IoSetCompletionRoutine(this.Irp, onCompletion, this, true, true, true);
    let returned: unknown;
    this.inCall = true;
    try {
      returned = start(this.Irp);
    } catch (error) {
      // A WskVerifierError takes nothing: the IRP is still ours. If the start function threw
      // after its call pended, the IRP comes back to the pool when it completes.
      this.inCall = false;
      this.forget();
      if (this.done || !this.Irp.PendingReturned) this.release(this);
      reject(error);
      return;
    }
    this.inCall = false;
    if (this.done) this.settle(); // completed inline: the routine ran before the call returned
    else if (returned === STATUS_PENDING || this.Irp.PendingReturned) this.wait();
    else this.notTaken(returned);
  }

  completed(Irp: IRP): void {
    this.done = true;
    // A copy: the next IoReuseIrp of this IRP zeroes IoStatus in place.
    this.Status = Irp.IoStatus.Status;
    this.Information = Irp.IoStatus.Information;
    if (!this.inCall) this.settle();
  }

  private wait(): void {
    const signal = this.signal;
    if (signal === null) return;
    if (signal.aborted) IoCancelIrp(this.Irp);
    else signal.addEventListener('abort', this.onAbort, { once: true });
  }

  /**
   * The call returned without completing or pending the IRP (an invalid parameter the
   * reference says is returned, not completed; or a call that takes no IRP): its return value
   * is the result, and the IRP never completes.
   */
  private notTaken(returned: unknown): void {
    const resolve = this.resolve!;
    const reject = this.reject!;
    this.forget();
    this.release(this);
    if (typeof returned !== 'number') {
      reject(new TypeError(`the start function must return the NTSTATUS of its WSK call, got ${typeof returned}`));
    } else if (NT_SUCCESS(returned)) {
      resolve({ Status: returned, Information: 0 });
    } else {
      reject(new NtStatusError(returned));
    }
  }

  private settle(): void {
    const { resolve, reject, signal, Status, Information } = this;
    this.forget();
    this.release(this);
    if (resolve === null || reject === null) return; // the start function threw; already rejected
    if (NT_SUCCESS(Status)) resolve({ Status, Information });
    else if (Status === STATUS_CANCELLED && signal?.aborted) reject(new NtStatusError(Status, Information, { cause: signal.reason }));
    else reject(new NtStatusError(Status, Information));
  }

  private forget(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
    this.signal = null;
    this.resolve = null;
    this.reject = null;
  }
}

/**
 * IRPs for promise-style calls, reused through IoReuseIrp: a call takes an idle IRP (or
 * allocates one with IoAllocateIrp), and its completion puts it back; at most `max` idle IRPs
 * are kept, the rest are freed with IoFreeIrp.
 * @see https://learn.microsoft.com/en-us/windows-hardware/drivers/network/using-irps-with-winsock-kernel-functions
 */
export class IrpPool {
  private readonly free: Slot[] = [];
  private readonly max: number;
  private count = 0;
  private closed = false;
  /** Handed to each slot: gives its IRP back here when its call is over. */
  private readonly releaseSlot = (slot: Slot): void => this.release(slot);
  /** Handed to each slot: gives its IRP back here when its call is over. */
  constructor(options: { max?: number } = {}) {
    const max = options.max ?? 64;
    if (!Number.isInteger(max) || max < 0) throw new RangeError(`max must be a non-negative integer, got ${String(max)}`);
    this.max = max;
  }

  /**
   * Runs one IRP-taking WSK call and resolves with a copy of the IRP's `IoStatus` once it
   * completes (inline or later), when the status is NT_SUCCESS; otherwise rejects with an
   * NtStatusError (`code`, `status`, `information`). A call that returns a failure without
   * completing its IRP rejects with that status. A call that throws (a WskVerifierError)
   * rejects with that error, and its IRP goes back to the pool (unless WSK still holds it:
   * then it is never reused). `options.signal` cancels the
   * pending IRP with IoCancelIrp: the promise rejects STATUS_CANCELLED (cause: the signal's
   * reason) unless the IRP completed first; an already aborted signal starts no call.
   * @see https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/wdm/nf-wdm-iocancelirp
   */
  call(start: WskCallStart, options: WskCallOptions = {}): Promise<IO_STATUS_BLOCK> {
    if (typeof start !== 'function') return Promise.reject(new TypeError('start must be a function that passes the IRP to a WSK call'));
    if (this.closed) return Promise.reject(new Error('the IrpPool is closed'));
    const signal = options.signal ?? null;
    if (signal?.aborted) return Promise.reject(new NtStatusError(STATUS_CANCELLED, 0, { cause: signal.reason }));
    return new Promise<IO_STATUS_BLOCK>((resolve, reject) => this.take().run(start, signal, resolve, reject));
  }

  /** IRPs this pool holds: in use and idle. */
  get allocated(): number {
    return this.count;
  }

  /** Idle IRPs, ready for the next call. */
  get idle(): number {
    return this.free.length;
  }

  /** Frees the idle IRPs (IoFreeIrp), and the others as their calls complete; later calls reject. */
  close(): void {
    this.closed = true;
    for (const slot of this.free.splice(0)) this.drop(slot);
  }

  private take(): Slot {
    const slot = this.free.pop();
    if (slot) return slot;
    const Irp = IoAllocateIrp(1, false);
    if (Irp === null) throw new NtStatusError(STATUS_INSUFFICIENT_RESOURCES);
    this.count++;
    return new Slot(Irp, this.releaseSlot);
  }

  /** An IRP whose call is over: reused, or freed past `max`. */
  private release(slot: Slot): void {
    try {
      IoReuseIrp(slot.Irp, STATUS_UNSUCCESSFUL);
    } catch (error) {
      // Still held by the provider (a call that returned without pending it): never reused.
      if (!(error instanceof WskVerifierError)) throw error;
      this.count--;
      return;
    }
    if (this.closed || this.free.length >= this.max) this.drop(slot);
    else this.free.push(slot);
  }

  private drop(slot: Slot): void {
    IoFreeIrp(slot.Irp);
    this.count--;
  }
}

const shared = new IrpPool();

/**
 * `IrpPool.call` on the package's shared pool: one WSK call as a promise of a copy of its
 * IRP's `IoStatus`. `await wskCall((Irp) => Dispatch.WskSend(Socket, Buf, 0, Irp))`.
 * Rejects with an NtStatusError when the status is not NT_SUCCESS.
 * @see https://learn.microsoft.com/en-us/windows-hardware/drivers/network/using-irps-with-winsock-kernel-functions
 */
export function wskCall(start: WskCallStart, options?: WskCallOptions): Promise<IO_STATUS_BLOCK> {
  return shared.call(start, options);
}
