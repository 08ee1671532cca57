// What WskControlSocket hands a socket's category, and what the category answers.
import type { IRP } from '../kernel/irp';
import type { NTSTATUS } from '../kernel/ntstatus';
import type { PVOID, ULONG } from '../wsk/wsk';

/** What a category answers for a control request it owns; undefined = not its own. */
export interface ControlResult {
  status: NTSTATUS;
  /** Bytes written to OutputBuffer. */
  bytes?: number;
  /** The IRP was pended by the category (it completes it later). */
  pended?: boolean;
}

export interface ControlRequest {
  RequestType: number;
  ControlCode: ULONG;
  Level: ULONG;
  input: Uint8Array | null;
  /** InputBuffer as passed, for structures (WSK_EVENT_CALLBACK_CONTROL, SOCKADDR). */
  inputObject: PVOID | null;
  output: Uint8Array | null;
  /** OutputBuffer as passed, for structures and scalars (WSK_INSPECT_ID, a SIZE_T as `{ 0: n }`). */
  outputObject: PVOID | null;
  Irp: IRP | null;
}
