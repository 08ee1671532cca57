// Counts every IRP the fault tests hand to WSK and every completion, so that a test can say
// "every IRP completed exactly once" under loss, resets and time-outs. A Lane is one IRP a
// driver would keep for one kind of call (its send IRP, its receive IRP) and reuse with
// IoReuseIrp; Lane.run makes one call with it and resolves when the completion routine runs.
import {
  IoAllocateIrp,
  IoFreeIrp,
  IoReuseIrp,
  IoSetCompletionRoutine,
  IRP,
  NTSTATUS,
  STATUS_MORE_PROCESSING_REQUIRED,
  STATUS_PENDING,
  STATUS_UNSUCCESSFUL,
  ntStatusName,
} from '../../lib';

export class IrpLedger {
  issued = 0;
  completed = 0;
  /** Completions beyond the first of one call. */
  extra = 0;
  /** Calls that returned neither STATUS_PENDING nor the status they completed with. */
  readonly inconsistent: string[] = [];
  private readonly lanes: Lane[] = [];

  lane(): Lane {
    const lane = new Lane(this);
    this.lanes.push(lane);
    return lane;
  }

  /** "N IRPs issued, N completed" — for the figures. */
  toString(): string {
    return `${this.issued} IRPs issued, ${this.completed} completed`;
  }

  /** Throws unless every call issued so far completed exactly once, as it said it would. */
  verify(): void {
    const wrong: string[] = [];
    if (this.completed !== this.issued) wrong.push(`${this.issued - this.completed} of ${this.issued} IRPs not completed`);
    if (this.extra) wrong.push(`${this.extra} completions beyond the first`);
    if (this.inconsistent.length) wrong.push(`calls whose return and completion differ: ${this.inconsistent.join('; ')}`);
    if (wrong.length) throw new Error(wrong.join(', '));
  }

  /** Frees every lane's IRP; throws if an IRP is still pending (IoFreeIrp's verifier says so). */
  free(): void {
    for (const lane of this.lanes) IoFreeIrp(lane.irp);
    this.lanes.length = 0;
  }
}

export class Lane {
  readonly irp: IRP = IoAllocateIrp(1, false)!;
  private busy = false;

  constructor(private readonly ledger: IrpLedger) {}

  /** One WSK call with this lane's IRP; resolves with the IRP once it has completed. */
  run(call: (irp: IRP) => NTSTATUS): Promise<IRP> {
    if (this.busy) throw new Error('a lane carries one call at a time');
    const ledger = this.ledger;
    let completions = 0;
    let resolve!: (irp: IRP) => void;
    const done = new Promise<IRP>((r) => (resolve = r));
    IoReuseIrp(this.irp, STATUS_UNSUCCESSFUL);
    IoSetCompletionRoutine(
      this.irp,
      (_device, irp) => {
        if (++completions > 1) ledger.extra++;
        else {
          ledger.completed++;
          this.busy = false;
          resolve(irp);
        }
        return STATUS_MORE_PROCESSING_REQUIRED;
      },
      null,
      true,
      true,
      true,
    );
    this.busy = true;
    ledger.issued++;
    let returned: NTSTATUS;
    try {
      returned = call(this.irp);
    } catch (e) {
      // A call that throws took nothing: the IRP is still ours and was not issued.
      ledger.issued--;
      this.busy = false;
      throw e;
    }
    if (returned !== STATUS_PENDING) {
      void done.then((irp) => {
        if (irp.IoStatus.Status !== returned) {
          ledger.inconsistent.push(`returned ${ntStatusName(returned)}, completed ${ntStatusName(irp.IoStatus.Status)}`);
        }
      });
    }
    return done;
  }
}

/** `n` bytes of a xorshift32 stream from `seed`: every byte of a transfer is known in advance. */
export function pattern(seed: number, n: number): Uint8Array {
  const words = new Uint32Array(Math.ceil(n / 4));
  let x = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x;
  }
  return new Uint8Array(words.buffer, 0, n);
}
