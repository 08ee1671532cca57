// Run-time library helpers that ported code calls (ntddk.h / wdm.h).
import { badArgument } from './verifier';

/**
 * RtlUshortByteSwap: the 16-bit value with its two bytes swapped; C's way to write a port in
 * network order (`sin_port: RtlUshortByteSwap(40007)`).
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-rtlushortbyteswap
 */
export function RtlUshortByteSwap(Source: number): number {
  return ((Source & 0xff) << 8) | ((Source >>> 8) & 0xff);
}

/**
 * RtlUlongByteSwap: the 32-bit value with its four bytes reversed (an unsigned result).
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-rtlulongbyteswap
 */
export function RtlUlongByteSwap(Source: number): number {
  return (
    (((Source & 0xff) << 24) | ((Source & 0xff00) << 8) | ((Source >>> 8) & 0xff00) | ((Source >>> 24) & 0xff)) >>> 0
  );
}

/**
 * UNICODE_STRING (ntdef.h): Length and MaximumLength count bytes, as in C; Buffer holds UTF-16 code units.
 * @see https://learn.microsoft.com/windows/win32/api/ntdef/ns-ntdef-_unicode_string
 */
export interface UNICODE_STRING {
  Length: number;
  MaximumLength: number;
  Buffer: Uint16Array | null;
}
/** PUNICODE_STRING: a pointer to a UNICODE_STRING, which here is the object itself. */
export type PUNICODE_STRING = UNICODE_STRING;

/**
 * RtlInitUnicodeString: fills `DestinationString` from text (C passes a wide literal; here a JS string).
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-rtlinitunicodestring
 */
export function RtlInitUnicodeString(DestinationString: Partial<UNICODE_STRING>, SourceString: string | null): void {
  if (SourceString === null) {
    DestinationString.Length = 0;
    DestinationString.MaximumLength = 0;
    DestinationString.Buffer = null;
    return;
  }
  const units = new Uint16Array(SourceString.length + 1);
  for (let i = 0; i < SourceString.length; i++) units[i] = SourceString.charCodeAt(i);
  DestinationString.Length = SourceString.length * 2;
  DestinationString.MaximumLength = units.byteLength;
  DestinationString.Buffer = units;
}

/**
 * RtlInitEmptyUnicodeString: an empty string over the caller's buffer (C's macro). Length 0,
 * MaximumLength = BufferSize in bytes, Buffer the caller's own UTF-16 storage (not copied).
 */
export function RtlInitEmptyUnicodeString(UnicodeString: Partial<UNICODE_STRING>, Buffer: Uint16Array | null, BufferSize: number): void {
  if (UnicodeString === null || typeof UnicodeString !== 'object') badArgument('RtlInitEmptyUnicodeString', 'UnicodeString must be an object');
  const capacity = Buffer ? Buffer.byteLength : 0;
  if (!Number.isInteger(BufferSize) || BufferSize < 0 || BufferSize > 0xffff || BufferSize > capacity) {
    badArgument('RtlInitEmptyUnicodeString', `BufferSize must be a USHORT no larger than the ${capacity}-byte Buffer, got ${String(BufferSize)}`);
  }
  UnicodeString.Length = 0;
  UnicodeString.MaximumLength = BufferSize;
  UnicodeString.Buffer = Buffer;
}

/** The text of a UNICODE_STRING (up to Length bytes). */
export function unicodeStringToString(s: UNICODE_STRING): string {
  if (!s.Buffer) return '';
  return String.fromCharCode(...s.Buffer.subarray(0, s.Length >>> 1));
}
