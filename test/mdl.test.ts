import {
  IoAllocateIrp,
  IoAllocateMdl,
  IoFreeMdl,
  MmBuildMdlForNonPagedPool,
  MmGetMdlByteCount,
  MmGetSystemAddressForMdlSafe,
  NormalPagePriority,
  WskVerifierError,
} from '../lib';
import { wskBufViews } from '../lib/kernel/mdl';

function built(buf: Uint8Array, length = buf.byteLength) {
  const mdl = IoAllocateMdl(buf, length, false, false, null)!;
  MmBuildMdlForNonPagedPool(mdl);
  return mdl;
}

describe('MDL', () => {
  test('an MDL describes the caller memory itself, not a copy', () => {
    const buf = new Uint8Array(16);
    const mdl = built(buf);
    const va = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority)!;
    va[3] = 42;
    expect(buf[3]).toBe(42);
    expect(MmGetMdlByteCount(mdl)).toBe(16);
    IoFreeMdl(mdl);
  });

  test('a range of a buffer: subarray start, Length bytes', () => {
    const buf = Uint8Array.from({ length: 32 }, (_, i) => i);
    const mdl = built(buf.subarray(8), 4);
    expect(Array.from(MmGetSystemAddressForMdlSafe(mdl, 0)!)).toEqual([8, 9, 10, 11]);
  });

  test('Length past the end of the buffer is MDL_RANGE', () => {
    expect(() => IoAllocateMdl(new Uint8Array(8), 9, false, false, null)).toThrow(
      expect.objectContaining({ name: 'WskVerifierError', code: 'MDL_RANGE' }),
    );
  });

  test('with an IRP: the first MDL becomes MdlAddress, a secondary one is chained', () => {
    const irp = IoAllocateIrp(1, false)!;
    const a = IoAllocateMdl(new Uint8Array(4), 4, false, false, irp)!;
    const b = IoAllocateMdl(new Uint8Array(4), 4, true, false, irp)!;
    expect(irp.MdlAddress).toBe(a);
    expect(a.Next).toBe(b);
  });

  test('a WSK_BUF spans a chain from Offset inside the first MDL', () => {
    const a = built(Uint8Array.from([1, 2, 3, 4]));
    const b = built(Uint8Array.from([5, 6]));
    const c = built(Uint8Array.from([7, 8, 9]));
    a.Next = b;
    b.Next = c;
    const views = wskBufViews({ Mdl: a, Offset: 2, Length: 5 }, 'test');
    expect(views.map((v) => Array.from(v))).toEqual([[3, 4], [5, 6], [7]]);
  });

  test('a WSK_BUF longer than its chain is MDL_RANGE', () => {
    const a = built(new Uint8Array(4));
    expect(() => wskBufViews({ Mdl: a, Offset: 1, Length: 4 }, 'WskSend')).toThrow(/MDL_RANGE in WskSend/);
  });

  test('an Offset outside the first MDL is MDL_RANGE', () => {
    const a = built(new Uint8Array(4));
    a.Next = built(new Uint8Array(4));
    expect(() => wskBufViews({ Mdl: a, Offset: 4, Length: 1 }, 'WskSend')).toThrow(WskVerifierError);
  });

  test('an MDL neither built nor locked is MDL_NOT_BUILT', () => {
    const a = IoAllocateMdl(new Uint8Array(4), 4, false, false, null)!;
    expect(() => wskBufViews({ Mdl: a, Offset: 0, Length: 4 }, 'WskSend')).toThrow(/MDL_NOT_BUILT/);
  });

  test('a freed MDL is MDL_FREED, and freeing twice too', () => {
    const a = built(new Uint8Array(4));
    IoFreeMdl(a);
    expect(() => wskBufViews({ Mdl: a, Offset: 0, Length: 4 }, 'WskSend')).toThrow(/MDL_FREED/);
    expect(() => IoFreeMdl(a)).toThrow(/MDL_FREED/);
  });

  test('a NULL Mdl is fine only with Length 0', () => {
    expect(wskBufViews({ Mdl: null, Offset: 0, Length: 0 }, 'WskReceive')).toEqual([]);
    expect(() => wskBufViews({ Mdl: null, Offset: 0, Length: 1 }, 'WskReceive')).toThrow(/MDL_RANGE/);
  });
});
