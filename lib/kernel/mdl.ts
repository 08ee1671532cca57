// MDLs over caller memory and the WSK_BUF that points into a chain of them (https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_buf).
// An MDL here describes a range of a Uint8Array; the transport reads and writes that memory
// directly, so a buffer handed to a pending call stays the caller's responsibility, as in C.
import { faults } from './fault';
import { badArgument, violation } from './verifier';

/**
 * MDL_*: the `MdlFlags` bits node-wsk sets (wdm.h): locked by `MmProbeAndLockPages`, built by
 * `MmBuildMdlForNonPagedPool`, partial. A WSK call accepts an MDL with either of the first two.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ns-wdm-_mdl
 */
export const MDL_PAGES_LOCKED = 0x0002;
export const MDL_SOURCE_IS_NONPAGED_POOL = 0x0004;
export const MDL_PARTIAL = 0x0010;

/** Page priorities for MmGetSystemAddressForMdlSafe (only recorded; memory is always mapped). */
export const LowPagePriority = 0;
export const NormalPagePriority = 16;
export const HighPagePriority = 32;
export const MdlMappingNoExecute = 0x40000000;

/** Access modes and lock operations for MmProbeAndLockPages. */
export const KernelMode = 0;
export const UserMode = 1;
export const IoReadAccess = 0;
export const IoWriteAccess = 1;
export const IoModifyAccess = 2;

// The MDL's bytes are private to this file: every other part of the provider reaches them
// through the functions below (wskBufViews, wskBufRange, ...), which check what Driver
// Verifier would check first.
let viewOf: (mdl: MDL) => Uint8Array | null;
let forget: (mdl: MDL) => void;

/**
 * MDL (wdm.h): a memory descriptor list entry describing a range of the caller's `Uint8Array`.
 * Made by `IoAllocateMdl`; chains link through `Next`. The bytes are reached through
 * `MmGetSystemAddressForMdlSafe`, as C does.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/ns-wdm-_mdl
 */
export class MDL {
  Next: MDL | null = null;
  MdlFlags = 0;
  readonly ByteCount: number;
  readonly ByteOffset = 0;
  /** The described bytes; null once freed. */
  #view: Uint8Array | null;

  /** @internal IoAllocateMdl or wskOwnedMdl make MDLs. */
  constructor(view: Uint8Array) {
    this.#view = view;
    this.ByteCount = view.byteLength;
  }

  static {
    viewOf = (mdl) => mdl.#view;
    forget = (mdl) => {
      mdl.#view = null;
    };
  }
}
/** PMDL: a pointer to an MDL, which here is the MDL object itself. */
export type PMDL = MDL;

/**
 * WSK_BUF (wsk.h): `Length` bytes starting `Offset` bytes into the first MDL of the `Mdl` chain.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_buf
 */
export interface WSK_BUF {
  Mdl: MDL | null;
  Offset: number;
  Length: number;
}
/** PWSK_BUF: a pointer to a WSK_BUF, which here is the object itself. */
export type PWSK_BUF = WSK_BUF;

/**
 * IoAllocateMdl over `Length` bytes at the start of `VirtualAddress`. C's `buf + 16` is
 * `buf.subarray(16)` here. With an IRP, the MDL becomes Irp.MdlAddress, or is appended to that
 * chain when SecondaryBuffer is true. A `Length` past the buffer is the verifier error `MDL_RANGE`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-ioallocatemdl
 */
export function IoAllocateMdl(
  VirtualAddress: Uint8Array,
  Length: number,
  SecondaryBuffer: boolean,
  ChargeQuota: boolean,
  Irp: { MdlAddress: MDL | null } | null,
): MDL | null {
  void ChargeQuota;
  if (!(VirtualAddress instanceof Uint8Array)) {
    badArgument('IoAllocateMdl', 'VirtualAddress must be a Uint8Array (or a Buffer)');
  }
  if (!Number.isInteger(Length) || Length < 0 || Length > VirtualAddress.byteLength) {
    violation(
      'MDL_RANGE',
      'IoAllocateMdl',
      `Length ${String(Length)} lies outside the ${VirtualAddress.byteLength}-byte buffer at VirtualAddress`,
    );
  }
  // NODE_WSK_VERIFIER lowres: the pool is exhausted, as Driver Verifier's low-resources simulation.
  if (faults !== null && faults.lowResources()) return null;
  const mdl = new MDL(VirtualAddress.subarray(0, Length));
  if (Irp) {
    if (!SecondaryBuffer || Irp.MdlAddress === null) {
      Irp.MdlAddress = mdl;
    } else {
      let tail = Irp.MdlAddress;
      while (tail.Next) tail = tail.Next;
      tail.Next = mdl;
    }
  }
  return mdl;
}

function liveMdl(Mdl: MDL, where: string): Uint8Array {
  if (!(Mdl instanceof MDL)) badArgument(where, 'Mdl must be an MDL from IoAllocateMdl');
  const view = viewOf(Mdl);
  if (view === null) violation('MDL_FREED', where, 'the MDL was already freed with IoFreeMdl');
  return view;
}

/**
 * IoFreeMdl: frees an MDL from `IoAllocateMdl`; a WSK call or a second free using it afterwards is
 * the verifier error `MDL_FREED`. Free it only once no pending call uses it.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-iofreemdl
 */
export function IoFreeMdl(Mdl: MDL): void {
  liveMdl(Mdl, 'IoFreeMdl');
  forget(Mdl);
  Mdl.MdlFlags = 0;
}

/**
 * MmBuildMdlForNonPagedPool: marks the MDL built, as a WSK call requires (`MDL_NOT_BUILT`
 * otherwise). JavaScript memory needs no locking, so this only records it.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmbuildmdlfornonpagedpool
 */
export function MmBuildMdlForNonPagedPool(MemoryDescriptorList: MDL): void {
  liveMdl(MemoryDescriptorList, 'MmBuildMdlForNonPagedPool');
  MemoryDescriptorList.MdlFlags |= MDL_SOURCE_IS_NONPAGED_POOL;
}

/**
 * MmProbeAndLockPages: marks the MDL locked (`MDL_PAGES_LOCKED`), the other way to make it usable
 * by a WSK call. `AccessMode` and `Operation` are accepted and not checked (memory cannot fault).
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmprobeandlockpages
 */
export function MmProbeAndLockPages(MemoryDescriptorList: MDL, AccessMode: number, Operation: number): void {
  void AccessMode;
  void Operation;
  liveMdl(MemoryDescriptorList, 'MmProbeAndLockPages');
  MemoryDescriptorList.MdlFlags |= MDL_PAGES_LOCKED;
}

/**
 * MmUnlockPages: clears `MDL_PAGES_LOCKED`, after the calls that used the MDL completed.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmunlockpages
 */
export function MmUnlockPages(MemoryDescriptorList: MDL): void {
  liveMdl(MemoryDescriptorList, 'MmUnlockPages');
  MemoryDescriptorList.MdlFlags &= ~MDL_PAGES_LOCKED;
}

/**
 * MmGetSystemAddressForMdlSafe: the memory the MDL describes, as a view the caller can read and
 * write (never null here: the memory is always mapped; `Priority` is only recorded).
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmgetsystemaddressformdlsafe
 */
export function MmGetSystemAddressForMdlSafe(Mdl: MDL, Priority: number): Uint8Array | null {
  void Priority;
  return liveMdl(Mdl, 'MmGetSystemAddressForMdlSafe');
}

/**
 * MmGetMdlByteCount: the number of bytes the MDL describes.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wdm/nf-wdm-mmgetmdlbytecount
 */
export function MmGetMdlByteCount(Mdl: MDL): number {
  return liveMdl(Mdl, 'MmGetMdlByteCount').byteLength;
}

// ---- provider side ----

const EMPTY: Uint8Array[] = [];
const BUILT = MDL_SOURCE_IS_NONPAGED_POOL | MDL_PAGES_LOCKED;

/** An MDL over memory WSK owns (receive indications), built as nonpaged pool. */
export function wskOwnedMdl(view: Uint8Array): MDL {
  const mdl = new MDL(view);
  mdl.MdlFlags = MDL_SOURCE_IS_NONPAGED_POOL;
  return mdl;
}

/**
 * The fast path of the data calls: the bytes of a WSK_BUF that is one live, built MDL with a
 * non-empty range inside it, or null for anything else (the caller then goes through
 * wskBufViews, which says what is wrong). The range is Buffer.Offset, Buffer.Length.
 */
export function wskBufRange(Buffer: WSK_BUF): Uint8Array | null {
  const mdl = Buffer.Mdl;
  if (!(mdl instanceof MDL)) return null;
  const view = viewOf(mdl);
  const off = Buffer.Offset;
  const length = Buffer.Length;
  // Integers first: `length > 0` on a Symbol would throw an engine TypeError.
  if (view === null || (mdl.MdlFlags & BUILT) === 0 || !Number.isInteger(off) || !Number.isInteger(length) || length <= 0) return null;
  return off >= 0 && off + length <= view.byteLength ? view : null;
}

/**
 * The views a WSK_BUF covers, in order, checked the way Driver Verifier would check them:
 * Offset inside the first MDL, Length inside the chain, every MDL live and built or locked.
 */
export function wskBufViews(Buffer: WSK_BUF, where: string): Uint8Array[] {
  if (Buffer === null || typeof Buffer !== 'object') badArgument(where, 'Buffer must be a WSK_BUF { Mdl, Offset, Length }');
  const { Mdl, Offset, Length } = Buffer;
  if (!Number.isInteger(Length) || Length < 0) badArgument(where, `WSK_BUF.Length must be a non-negative integer, got ${String(Length)}`);
  if (!Number.isInteger(Offset) || Offset < 0) badArgument(where, `WSK_BUF.Offset must be a non-negative integer, got ${String(Offset)}`);
  if (Mdl === null || Mdl === undefined) {
    if (Length !== 0) violation('MDL_RANGE', where, `WSK_BUF.Mdl is NULL but Length is ${Length}`);
    return EMPTY;
  }
  const views: Uint8Array[] = [];
  let remaining = Length;
  let skip = Offset;
  let first = true;
  for (let mdl: MDL | null = Mdl; remaining > 0 || first; mdl = mdl.Next) {
    if (mdl === null) {
      violation('MDL_RANGE', where, `WSK_BUF.Length ${Length} at Offset ${Offset} runs past the end of the MDL chain`);
    }
    const view = liveMdl(mdl, where);
    if ((mdl.MdlFlags & BUILT) === 0) {
      violation('MDL_NOT_BUILT', where, 'an MDL in the WSK_BUF was neither built (MmBuildMdlForNonPagedPool) nor locked (MmProbeAndLockPages)');
    }
    if (first) {
      if (Offset > view.byteLength || (Offset === view.byteLength && Length > 0)) {
        violation('MDL_RANGE', where, `WSK_BUF.Offset ${Offset} lies outside the first MDL (${view.byteLength} bytes)`);
      }
      first = false;
    }
    const take = Math.min(view.byteLength - skip, remaining);
    if (take > 0) views.push(skip === 0 && take === view.byteLength ? view : view.subarray(skip, skip + take));
    remaining -= take;
    skip = 0;
  }
  return views;
}
