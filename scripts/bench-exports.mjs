#!/usr/bin/env node
// What one read of a package export costs, by the way a user's code reaches it:
//   node scripts/bench-exports.mjs      (after npm run build:ts)
// CommonJS reads go to the package object (plain data properties, V8 fast mode: lib/index.ts);
// ES module reads go to the bindings of dist/lib/index.mjs. For scale, the same reads through
// an object of getters, which is what TypeScript's CommonJS re-exports are. Figures only.
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import * as ns from '../dist/lib/index.mjs';
import { STATUS_SUCCESS, STATUS_PENDING, AF_INET, IoAllocateIrp, WSK_FLAG_LISTEN_SOCKET } from '../dist/lib/index.mjs';

const cjs = createRequire(import.meta.url)('../dist/lib/index.js');
const NAMES = ['STATUS_SUCCESS', 'STATUS_PENDING', 'AF_INET', 'IoAllocateIrp', 'WSK_FLAG_LISTEN_SOCKET'];
const getters = {};
for (const name of Object.keys(cjs)) Object.defineProperty(getters, name, { enumerable: true, get: () => cjs[name] });

const READS_PER_CALL = NAMES.length;
const ways = {
  'CommonJS package object': (o) => o.STATUS_SUCCESS + o.STATUS_PENDING + o.AF_INET + (o.IoAllocateIrp ? 1 : 0) + o.WSK_FLAG_LISTEN_SOCKET,
  'ES module named imports': () => STATUS_SUCCESS + STATUS_PENDING + AF_INET + (IoAllocateIrp ? 1 : 0) + WSK_FLAG_LISTEN_SOCKET,
  'ES module namespace': (o) => o.STATUS_SUCCESS + o.STATUS_PENDING + o.AF_INET + (o.IoAllocateIrp ? 1 : 0) + o.WSK_FLAG_LISTEN_SOCKET,
  'object of getters (for scale)': (o) => o.STATUS_SUCCESS + o.STATUS_PENDING + o.AF_INET + (o.IoAllocateIrp ? 1 : 0) + o.WSK_FLAG_LISTEN_SOCKET,
};
const targets = { 'CommonJS package object': cjs, 'ES module named imports': null, 'ES module namespace': ns, 'object of getters (for scale)': getters };

/** Nanoseconds per read: the best of `rounds` timed loops, after a warm-up that lets V8 optimize. */
function measure(fn, target, calls = 2_000_000, rounds = 7) {
  let sink = 0;
  for (let i = 0; i < calls; i++) sink += fn(target);
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) sink += fn(target);
    best = Math.min(best, ((performance.now() - start) * 1e6) / (calls * READS_PER_CALL));
  }
  if (sink === 42) console.log(''); // keeps the loop's result alive
  return best;
}

for (const [way, fn] of Object.entries(ways)) {
  console.log(`${way.padEnd(32)} ${measure(fn, targets[way]).toFixed(3)} ns per read`);
}
