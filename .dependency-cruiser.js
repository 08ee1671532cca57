/**
 * The dependency rules of lib/ (docs/ARCHITECTURE.md): no import cycles, type-only imports
 * included (a cycle through `import type` is still a cycle for a reader), and the layers depend
 * one way only:
 *
 *   kernel/  <-  net/  <-  transport/  <-  socket/  <-  basic/ listen/ connection/ stream/ datagram/  <-  wsk/ (provider, registration)  <-  index.ts
 *
 * wsk/wsk.ts (the types and values of wsk.h), wsk/client.ts (WSK_CLIENT) and wsk/security.ts
 * (cached security descriptors) sit low: every layer above net/ may name them. `npm run check:deps` runs this; CI runs it.
 *
 * trace/ (the IRP timeline's recorder, file writer and page, NODE_WSK_TRACE) stands beside the
 * provider as a tool: only index.ts loads it, and it reads sockets through socket/ alone. The
 * hooks it listens to live in kernel/trace.ts, which every layer may call (kernel/ is lowest).
 */
const LOW_WSK = '^lib/wsk/(wsk|wsk-base|wsk-dispatch|client|security)\\.ts$';
module.exports = {
  forbidden: [
    {
      name: 'no-barrels-inside',
      severity: 'error',
      comment:
        "wsk/wsk.ts and index.ts re-export with export-star, whose getters (TypeScript's __createBinding) are one megamorphic keyed load per use: lib/ imports from the file that defines a name (wsk-base.ts, wsk-dispatch.ts); perf showed those loads on the send and receive paths (bench/README.md). promises/ is written against the public API as a user would, on purpose.",
      from: { path: '^lib/', pathNot: ['^lib/index\\.ts$', '^lib/promises/'] },
      to: { path: ['^lib/wsk/wsk\\.ts$', '^lib/index\\.ts$'] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle, type-only imports included.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'kernel-stands-alone',
      severity: 'error',
      comment: 'IRP, MDL, KEVENT, NTSTATUS, Rtl and the verifier depend on nothing else of lib/.',
      from: { path: '^lib/kernel/' },
      to: { path: '^lib/', pathNot: '^lib/kernel/' },
    },
    {
      name: 'net-is-c-structures',
      severity: 'error',
      comment: 'ws2def.h structures and helpers: the kernel layer only.',
      from: { path: '^lib/net/' },
      to: { path: '^lib/', pathNot: '^lib/(kernel|net)/' },
    },
    {
      name: 'transport-knows-no-wsk',
      severity: 'error',
      comment: 'The transport boundary translates to the host; it knows no socket category.',
      from: { path: '^lib/transport/' },
      to: { path: '^lib/', pathNot: '^lib/(kernel|net|transport)/' },
    },
    {
      name: 'wsk-types-are-low',
      severity: 'error',
      comment: 'wsk.h types and WSK_CLIENT are named by every layer: they import only kernel/ and net/ (and each other).',
      from: { path: LOW_WSK },
      to: { path: '^lib/', pathNot: ['^lib/(kernel|net)/', LOW_WSK] },
    },
    {
      name: 'socket-is-shared',
      severity: 'error',
      comment: 'What every socket shares knows no category and no provider-level call.',
      from: { path: '^lib/socket/' },
      to: { path: ['^lib/(basic|listen|connection|stream|datagram)/', '^lib/wsk/'], pathNot: LOW_WSK },
    },
    {
      name: 'trace-is-a-tool',
      severity: 'error',
      comment: 'The IRP timeline is loaded by index.ts only: the WSK model works the same without it.',
      from: { path: '^lib/', pathNot: ['^lib/trace/', '^lib/index\\.ts$'] },
      to: { path: '^lib/trace/' },
    },
    {
      name: 'trace-reads-sockets-only',
      severity: 'error',
      comment: 'Short forms name sockets through socket/; no category or provider code.',
      from: { path: '^lib/trace/' },
      to: { path: ['^lib/(basic|listen|connection|stream|datagram)/', '^lib/wsk/'], pathNot: LOW_WSK },
    },
    {
      name: 'categories-below-the-provider',
      severity: 'error',
      comment: 'A socket category never reaches up to registration or the provider table.',
      from: { path: '^lib/(basic|listen|connection|stream|datagram)/' },
      to: { path: '^lib/wsk/', pathNot: LOW_WSK },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
