// The package root as user code sees it.
import * as v8 from 'v8';
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

  test('the package object is in V8 fast mode (a dictionary-mode object makes every read a lookup)', () => {
    v8.setFlagsFromString('--allow-natives-syntax');
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    const hasFastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: unknown) => boolean;
    expect(hasFastProperties(wsk)).toBe(true);
    // The check itself can fail: a dictionary-mode object of the same size.
    const slow: Record<string, number> = {};
    for (const name of Object.keys(wsk)) slow[name] = 1;
    expect(hasFastProperties(slow)).toBe(false);
  });

  test('socketPoller() reports the readiness mechanism the addon uses in this thread', () => {
    const { poller, reason } = wsk.socketPoller();
    expect(['io_uring', 'uv']).toContain(poller);
    expect(typeof reason).toBe('string');
    expect(reason === '').toBe(poller === 'io_uring');
  });

  test('a constant cannot be reassigned through the package object', () => {
    const d = Object.getOwnPropertyDescriptor(wsk, 'STATUS_PENDING')!;
    expect(d.writable).toBe(false);
    expect(() => {
      (wsk as unknown as Record<string, number>).STATUS_PENDING = 0;
    }).toThrow(TypeError);
    expect(wsk.STATUS_PENDING).toBe(0x103);
  });
});
