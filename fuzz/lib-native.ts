// The addon as lib/ loads it. Issue 15 moved it (lib/native.ts -> lib/transport/native.ts);
// both places are tried, so that the fuzzer also runs against a lib/ checked out from before the
// move: that is how it is shown to find bugs fixed since (README "Reliability -> Fuzzer").
type NativeModule = typeof import('../lib/transport/native');

function load(): NativeModule {
  try {
    return require('../lib/transport/native') as NativeModule;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw e;
    return require('../lib/' + 'native') as NativeModule;
  }
}

export const { native, addon } = load();
