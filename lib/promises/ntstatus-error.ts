// Failed NTSTATUS values as JavaScript errors, the way Node reports a failed system call: a
// stable string `code` to branch on (`err.code === 'STATUS_CONNECTION_RESET'`, like 'ECONNRESET'
// from node:net) and the number itself for code ported from C.
import * as wsk from '../index';
import { ntStatusName, type NTSTATUS } from '../index';

/** The STATUS_ names the package root exports, by value. */
const statusNames = new Map<number, string>();
for (const [name, value] of Object.entries(wsk)) {
  if (name.startsWith('STATUS_') && typeof value === 'number' && !statusNames.has(value)) statusNames.set(value, name);
}

function hex(Status: NTSTATUS): string {
  return '0x' + (Status >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/**
 * A WSK call that failed: `code` is the status's name (`'STATUS_CONNECTION_RESET'`, or its hex
 * `'0xC0001234'` where the package names no such status), `status` the unsigned 32-bit
 * NTSTATUS (`STATUS_CONNECTION_RESET === 0xC000020D`), `information` the IRP's
 * `IoStatus.Information` at completion (a cancelled send's bytes already sent, a truncated
 * datagram's bytes received, else 0). An abort through an `AbortSignal` gives
 * `code: 'STATUS_CANCELLED'` with the signal's reason as `cause`.
 * @see https://learn.microsoft.com/en-us/windows-hardware/drivers/kernel/using-ntstatus-values
 */
export class NtStatusError extends Error {
  /** The status's name, as `STATUS_*` constants are named: `'STATUS_CANCELLED'`. */
  readonly code: string;
  /** The NTSTATUS, unsigned: `0xC0000120` for STATUS_CANCELLED. */
  readonly status: NTSTATUS;
  /** `IoStatus.Information` of the completed IRP (0 when there was none). */
  readonly information: unknown;

  constructor(status: NTSTATUS, information: unknown = 0, options?: ErrorOptions) {
    super(ntStatusName(status), options);
    this.name = 'NtStatusError';
    this.status = status >>> 0;
    this.code = statusNames.get(this.status) ?? hex(status);
    this.information = information;
  }
}

/**
 * Throws an NtStatusError for a status that is not NT_SUCCESS, for the calls that return their
 * status instead of completing an IRP (`checkStatus(WskRegister(...))`).
 * @see https://learn.microsoft.com/en-us/windows-hardware/drivers/kernel/using-ntstatus-values
 */
export function checkStatus(Status: NTSTATUS): void {
  if (!wsk.NT_SUCCESS(Status)) throw new NtStatusError(Status);
}
