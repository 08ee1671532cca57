// NTSTATUS values (ntstatus.h) as unsigned 32-bit numbers.

/**
 * NTSTATUS (ntdef.h): a status as its unsigned 32-bit value (`STATUS_CANCELLED === 0xC0000120`);
 * test success with `NT_SUCCESS`, name one with `ntStatusName`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/kernel/using-ntstatus-values
 */
export type NTSTATUS = number;

/**
 * STATUS_*: the NTSTATUS values (ntstatus.h) WSK calls return or complete IRPs with, as
 * unsigned numbers. Which ones a call gives is on its own page (`PFN_WSK_*`) and in
 * docs/SEMANTICS.md. KeWaitForMultipleObjects(WaitAny) returns STATUS_WAIT_0 + the index; the
 * waits are declared before STATUS_SUCCESS (the same value 0) so that ntStatusName names 0
 * STATUS_SUCCESS.
 * @see https://learn.microsoft.com/openspecs/windows_protocols/ms-erref/596a1078-e883-4972-9bbc-49e60bebca55
 */
export const STATUS_WAIT_0 = 0x00000000;
export const STATUS_WAIT_1 = 0x00000001;
export const STATUS_WAIT_2 = 0x00000002;
export const STATUS_WAIT_3 = 0x00000003;
export const STATUS_WAIT_63 = 0x0000003f;
export const STATUS_SUCCESS = 0x00000000;
export const STATUS_TIMEOUT = 0x00000102;
export const STATUS_PENDING = 0x00000103;
export const STATUS_EVENT_PENDING = 0x40000013;
export const STATUS_BUFFER_OVERFLOW = 0x80000005;
export const STATUS_DEVICE_BUSY = 0x80000011;
export const STATUS_UNSUCCESSFUL = 0xc0000001;
export const STATUS_NOT_IMPLEMENTED = 0xc0000002;
export const STATUS_ACCESS_VIOLATION = 0xc0000005;
export const STATUS_INVALID_HANDLE = 0xc0000008;
export const STATUS_INVALID_PARAMETER = 0xc000000d;
export const STATUS_INVALID_DEVICE_REQUEST = 0xc0000010;
export const STATUS_MORE_PROCESSING_REQUIRED = 0xc0000016;
export const STATUS_NO_MEMORY = 0xc0000017;
export const STATUS_ACCESS_DENIED = 0xc0000022;
export const STATUS_BUFFER_TOO_SMALL = 0xc0000023;
export const STATUS_OBJECT_TYPE_MISMATCH = 0xc0000024;
export const STATUS_SHARING_VIOLATION = 0xc0000043;
export const STATUS_INSUFFICIENT_RESOURCES = 0xc000009a;
export const STATUS_DEVICE_NOT_READY = 0xc00000a3;
export const STATUS_PIPE_DISCONNECTED = 0xc00000b0;
export const STATUS_IO_TIMEOUT = 0xc00000b5;
export const STATUS_FILE_FORCED_CLOSED = 0xc00000b6;
export const STATUS_NOT_SUPPORTED = 0xc00000bb;
export const STATUS_REMOTE_NOT_LISTENING = 0xc00000bc;
export const STATUS_NETWORK_BUSY = 0xc00000bf;
export const STATUS_UNEXPECTED_NETWORK_ERROR = 0xc00000c4;
export const STATUS_REQUEST_NOT_ACCEPTED = 0xc00000d0;
export const STATUS_CANT_WAIT = 0xc00000d8;
export const STATUS_TOO_MANY_OPENED_FILES = 0xc000011f;
export const STATUS_CANCELLED = 0xc0000120;
export const STATUS_LOCAL_DISCONNECT = 0xc000013b;
export const STATUS_REMOTE_DISCONNECT = 0xc000013c;
export const STATUS_INVALID_CONNECTION = 0xc0000140;
export const STATUS_INVALID_ADDRESS = 0xc0000141;
export const STATUS_INVALID_DEVICE_STATE = 0xc0000184;
export const STATUS_INVALID_BUFFER_SIZE = 0xc0000206;
export const STATUS_INVALID_ADDRESS_COMPONENT = 0xc0000207;
export const STATUS_INVALID_ADDRESS_WILDCARD = 0xc0000208;
export const STATUS_TOO_MANY_ADDRESSES = 0xc0000209;
export const STATUS_ADDRESS_ALREADY_EXISTS = 0xc000020a;
export const STATUS_ADDRESS_CLOSED = 0xc000020b;
export const STATUS_CONNECTION_DISCONNECTED = 0xc000020c;
export const STATUS_CONNECTION_RESET = 0xc000020d;
export const STATUS_DATA_NOT_ACCEPTED = 0xc000021b;
export const STATUS_NOT_FOUND = 0xc0000225;
export const STATUS_CONNECTION_REFUSED = 0xc0000236;
export const STATUS_GRACEFUL_DISCONNECT = 0xc0000237;
export const STATUS_ADDRESS_ALREADY_ASSOCIATED = 0xc0000238;
export const STATUS_ADDRESS_NOT_ASSOCIATED = 0xc0000239;
export const STATUS_CONNECTION_INVALID = 0xc000023a;
export const STATUS_CONNECTION_ACTIVE = 0xc000023b;
export const STATUS_NETWORK_UNREACHABLE = 0xc000023c;
export const STATUS_HOST_UNREACHABLE = 0xc000023d;
export const STATUS_PROTOCOL_UNREACHABLE = 0xc000023e;
export const STATUS_PORT_UNREACHABLE = 0xc000023f;
export const STATUS_REQUEST_ABORTED = 0xc0000240;
export const STATUS_CONNECTION_ABORTED = 0xc0000241;
export const STATUS_CONNECTION_COUNT_LIMIT = 0xc0000246;
export const STATUS_NO_MATCH = 0xc0000272;
export const STATUS_NOINTERFACE = 0xc00002b9;
export const STATUS_HOST_DOWN = 0xc0000350;
export const STATUS_HOPLIMIT_EXCEEDED = 0xc000a012;

/**
 * `NT_SUCCESS(s)`: success and informational severities (the sign bit of the LONG is clear).
 * @see https://learn.microsoft.com/windows-hardware/drivers/kernel/using-ntstatus-values
 */
export function NT_SUCCESS(Status: NTSTATUS): boolean {
  return (Status | 0) >= 0;
}

const statusNames = new Map<number, string>();
for (const [name, value] of Object.entries(module.exports as Record<string, unknown>)) {
  if (name.startsWith('STATUS_') && typeof value === 'number') statusNames.set(value, name);
}

/** 'STATUS_CANCELLED (0xC0000120)' — for messages and test failures. */
export function ntStatusName(Status: NTSTATUS): string {
  const hex = '0x' + (Status >>> 0).toString(16).toUpperCase().padStart(8, '0');
  const name = statusNames.get(Status >>> 0);
  return name ? `${name} (${hex})` : hex;
}
