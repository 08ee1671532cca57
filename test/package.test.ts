// The package root as user code sees it.
import * as wsk from '../lib';

describe('package root', () => {
  test('every export is a plain data property (a read is a field load, not a getter call)', () => {
    const names = Object.keys(wsk);
    expect(names.length).toBeGreaterThan(300);
    for (const name of names) {
      const d = Object.getOwnPropertyDescriptor(wsk, name)!;
      expect({ name, getter: typeof d.get }).toEqual({ name, getter: 'undefined' });
      expect(d.value).toBeDefined();
    }
  });

  test('the names of the WSK surface are there, with their values', () => {
    expect(wsk.STATUS_PENDING).toBe(0x103);
    expect(typeof wsk.WskRegister).toBe('function');
    expect(typeof wsk.IoAllocateIrp).toBe('function');
    expect(typeof wsk.IoAllocateMdl).toBe('function');
    expect(typeof wsk.sockaddrFromString).toBe('function');
  });
});
