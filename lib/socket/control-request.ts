// What WskControlSocket hands a socket's category, and what the category answers.
import type { IRP } from '../kernel/irp';
import { NTSTATUS, STATUS_BUFFER_TOO_SMALL, STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from '../kernel/ntstatus';
import { isWritableSlot } from '../kernel/verifier';
import { Layout, readStruct, writeStruct } from '../net/mstcpip';
import type { PVOID, ULONG } from '../wsk/wsk-base';

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
 * The value of an integer or boolean option: C drivers set a BOOLEAN or bool with a 1-byte
 * buffer, a USHORT with 2, a ULONG / int / DWORD with 4 (longer: its first 4), and Windows reads
 * each as what it is, little-endian; null for 0 or 3 bytes (STATUS_INVALID_PARAMETER). Every int
 * option of every category is read through here.
 */
export function readIntOption(input: Uint8Array | null): number | null {
  if (input === null) return null;
  const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  if (input.byteLength >= 4) return view.getInt32(0, true);
  if (input.byteLength === 2) return view.getUint16(0, true);
  if (input.byteLength === 1) return view.getUint8(0);
  return null;
}

/**
 * Writes an int option's value into what the caller gave: 4 bytes, or the 2 or 1 that fit (a get
 * into a BOOLEAN), little-endian. Returns the bytes written; 0 when nothing fits
 * (STATUS_BUFFER_TOO_SMALL).
 */
export function writeIntOption(output: Uint8Array, value: number): number {
  const view = new DataView(output.buffer, output.byteOffset, output.byteLength);
  if (output.byteLength >= 4) {
    view.setUint32(0, value >>> 0, true);
    return 4;
  }
  if (output.byteLength >= 2) {
    view.setUint16(0, value & 0xffff, true);
    return 2;
  }
  if (output.byteLength === 1) {
    view.setUint8(0, value & 0xff);
    return 1;
  }
  return 0;
}

/** The host's 4-byte int for a value (what setsockopt takes for every int option). */
export function hostInt(value: number): Uint8Array {
  return new Uint8Array(new Int32Array([value]).buffer);
}

/** A get of an int option answered with `value`: what fits the caller's OutputBuffer. */
export function intOptionResult(req: ControlRequest, value: number): ControlResult {
  if (!req.output) return { status: STATUS_INVALID_PARAMETER };
  const bytes = writeIntOption(req.output, value);
  return bytes === 0 ? { status: STATUS_BUFFER_TOO_SMALL } : { status: STATUS_SUCCESS, bytes };
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
