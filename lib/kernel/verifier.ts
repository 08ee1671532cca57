// Misuse that would bugcheck or corrupt memory in the kernel becomes a named error here, the
// way Driver Verifier names it: what was wrong, and in which call.

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

export class WskVerifierError extends Error {
  override readonly name = 'WskVerifierError';
  constructor(
    /** Stable machine-readable code. */
    readonly code: WskVerifierCode,
    /** The WSK or kernel routine in which the misuse was caught. */
    readonly where: string,
    detail: string,
  ) {
    super(`${code} in ${where}: ${detail}`);
  }
}

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

export function violation(code: WskVerifierCode, where: string, detail: string): never {
  const error = new WskVerifierError(code, where, detail);
  observer?.(error);
  throw error;
}

/** A missing or wrong-typed argument where WSK defines no status for it. */
export function badArgument(where: string, detail: string): never {
  return violation('INVALID_ARGUMENT', where, detail);
}
