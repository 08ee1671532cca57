// IRP accounting for the scale and soak runs: every IRP this code hands to WSK is counted when
// issued and when its completion routine runs, so that "every IRP completed exactly once" is a
// pair of numbers at the end, not a hope.
import {
  IO_STATUS_BLOCK,
  IoAllocateIrp,
  IoReuseIrp,
  IoSetCompletionRoutine,
  IRP,
  NTSTATUS,
  STATUS_MORE_PROCESSING_REQUIRED,
  STATUS_PENDING,
  STATUS_UNSUCCESSFUL,
} from '../lib';
import { NtStatusError, wskCall } from '../lib/promises';

export class Ledger {
  issued = 0;
  completed = 0;
  /** Completion routines that ran for an IRP with no call outstanding (a second completion). */
  extraCompletions = 0;
  /** Calls that returned a status other than STATUS_PENDING without completing their IRP. */
  unfinishedReturns = 0;

  get outstanding(): number {
    return this.issued - this.completed;
  }

  /** True when everything issued completed exactly once. */
  get balanced(): boolean {
    return this.issued === this.completed && this.extraCompletions === 0 && this.unfinishedReturns === 0;
  }

  /**
   * A set-up or tear-down call, awaited (node-wsk/promises' wskCall), counted. Resolves with
   * the completed call's IoStatus (a copy), the failures included: the callers check it.
   */
  async call(start: (irp: IRP) => NTSTATUS): Promise<{ IoStatus: IO_STATUS_BLOCK }> {
    this.issued++;
    let IoStatus: IO_STATUS_BLOCK;
    try {
      IoStatus = await wskCall(start);
    } catch (e) {
      if (!(e instanceof NtStatusError)) throw e;
      IoStatus = { Status: e.status, Information: e.information };
    }
    this.completed++;
    return { IoStatus };
  }

  summary(): string {
    return `IRPs issued ${this.issued}, completed ${this.completed}, extra completions ${this.extraCompletions}, ` +
      `non-pending returns left incomplete ${this.unfinishedReturns}`;
  }
}

/**
 * One IRP reused for a socket's successive calls, the way a driver keeps one per operation
 * kind. Every completion, inline or pended, goes to `onComplete` (which may start the next
 * call on this same IRP: the IRP is already completed when the routine runs).
 */
export class CountedIrp {
  readonly irp: IRP = IoAllocateIrp(1, false)!;
  private busy = false;
  private started = 0;
  private finished = 0;

  constructor(
    private readonly ledger: Ledger,
    private readonly onComplete: (irp: IRP) => void,
  ) {}

  get pending(): boolean {
    return this.busy;
  }

  private readonly routine = (_device: null, irp: IRP): NTSTATUS => {
    if (!this.busy) this.ledger.extraCompletions++;
    this.busy = false;
    this.finished = this.started;
    this.ledger.completed++;
    this.onComplete(irp);
    return STATUS_MORE_PROCESSING_REQUIRED;
  };

  start(call: (irp: IRP) => NTSTATUS): NTSTATUS {
    IoReuseIrp(this.irp, STATUS_UNSUCCESSFUL);
    IoSetCompletionRoutine(this.irp, this.routine, null, true, true, true);
    const mine = ++this.started;
    this.busy = true;
    this.ledger.issued++;
    let status: NTSTATUS;
    try {
      status = call(this.irp);
    } catch (e) {
      // A verifier error takes nothing: the IRP was never the provider's.
      this.busy = false;
      this.ledger.issued--;
      throw e;
    }
    // Inline completion means the routine ran before the call returned (it may have started
    // the next call since, hence the sequence numbers rather than `busy`).
    if (status !== STATUS_PENDING && this.finished < mine) this.ledger.unfinishedReturns++;
    return status;
  }
}
