/**
 * The dependency rules of lib/: no import cycles (type-only imports included: they are cycles
 * for a reader too), and the layers depend one way only (see docs/ARCHITECTURE.md).
 * `npm run check:deps` runs it; CI runs it.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle, type-only imports included.',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a cycle through `import type` is still a cycle for a reader.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
