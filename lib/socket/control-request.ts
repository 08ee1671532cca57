// What WskControlSocket hands a socket's category, and what the category answers.
import type { IRP } from '../kernel/irp';
import { NTSTATUS, STATUS_BUFFER_TOO_SMALL, STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from '../kernel/ntstatus';
import { isWritableSlot } from '../kernel/verifier';
import { Layout, readStruct, writeStruct } from '../net/mstcpip';
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
  /** InputSize and OutputSize as passed: what a structure given as an object is said to span. */
  InputSize?: number;
  OutputSize?: number;
  Irp: IRP | null;
}

/** A SIZE_T answer: an output buffer of 8 bytes (little-endian), or a `{ 0: n }` out-parameter. */
export function writeSizeT(req: ControlRequest, value: number): ControlResult {
  if (req.output && req.output.byteLength >= 8) {
    new DataView(req.output.buffer, req.output.byteOffset, 8).setBigUint64(0, BigInt(value), true);
    return { status: STATUS_SUCCESS, bytes: 8 };
  }
  const obj = req.outputObject as { 0?: unknown } | null;
  if (obj && typeof obj === 'object' && !ArrayBuffer.isView(obj) && isWritableSlot(obj, 0)) {
    (obj as { 0: number })[0] = value;
    return { status: STATUS_SUCCESS, bytes: 8 };
  }
  return { status: req.output ? STATUS_BUFFER_TOO_SMALL : STATUS_INVALID_PARAMETER };
}

/**
 * An integer or BOOL option's input as Windows reads it: 1, 2 or 4 bytes, little-endian (a
 * driver's `BOOLEAN` is one byte); more than 4 reads the first 4. Null when there is none.
 * Unsigned: a ULONG of 0xFFFFFFFF stays 4294967295.
 */
export function readIntOption(req: ControlRequest): number | null {
  const input = req.input;
  if (!input || input.byteLength === 0) return null;
  let value = 0;
  const n = Math.min(input.byteLength, 4);
  for (let i = n - 1; i >= 0; i--) value = value * 256 + input[i];
  return value;
}

/** An integer option's answer: 4 bytes, or what fits a smaller OutputBuffer (Windows writes what fits). */
export function writeIntOption(req: ControlRequest, value: number): ControlResult {
  const output = req.output;
  if (!output) return { status: STATUS_INVALID_PARAMETER };
  if (output.byteLength === 0) return { status: STATUS_BUFFER_TOO_SMALL };
  const n = Math.min(output.byteLength, 4);
  let v = value >>> 0;
  for (let i = 0; i < n; i++, v >>>= 8) output[i] = v & 0xff;
  return { status: STATUS_SUCCESS, bytes: n };
}

/** A structure input (the C bytes, or an object with the member names) of at least `size` bytes; null otherwise. */
export function structInput(req: ControlRequest, layout: Layout, size: number): Record<string, number> | null {
  if (req.input) return req.input.byteLength >= size ? readStruct(req.input, layout) : null;
  const obj = req.inputObject;
  if (!obj || typeof obj !== 'object' || ArrayBuffer.isView(obj) || !((req.InputSize ?? 0) >= size)) return null;
  return readStruct(obj as Record<string, unknown>, layout);
}

/** Writes a structure answer of `size` bytes to the C bytes or the object given as OutputBuffer. */
export function structOutput(req: ControlRequest, layout: Layout, size: number, values: Record<string, number>): ControlResult {
  if (req.output) {
    if (req.output.byteLength < size) return { status: STATUS_BUFFER_TOO_SMALL };
    writeStruct(req.output, layout, values);
    return { status: STATUS_SUCCESS, bytes: size };
  }
  const obj = req.outputObject;
  if (!obj || typeof obj !== 'object' || ArrayBuffer.isView(obj)) return { status: STATUS_INVALID_PARAMETER };
  if (!((req.OutputSize ?? 0) >= size)) return { status: STATUS_BUFFER_TOO_SMALL };
  for (const [name] of layout) if (!isWritableSlot(obj, name)) return { status: STATUS_INVALID_PARAMETER };
  writeStruct(obj as Record<string, unknown>, layout, values);
  return { status: STATUS_SUCCESS, bytes: size };
}
