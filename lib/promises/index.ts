/**
 * node-wsk/promises: an idiomatic layer over the faithful WSK API, built only on the package
 * root's public names (docs/PORTING.md, "Above the faithful layer"): IRP calls as promises with
 * AbortSignal cancellation and pooled IRPs, async iterators over receive indications with
 * real back-pressure, and NTSTATUS failures as NtStatusError.
 * @module node-wsk/promises
 */
export { IrpPool, wskCall, WskCallOptions, WskCallStart } from './irp-pool';
export { NtStatusError, checkStatus } from './ntstatus-error';
export { ReceiveEvents, enableEvents, wskBufViews } from './receive-events';
export { ReceiveFromEvents, Datagram } from './receive-from-events';
export { registerClient, wskBuf, WskClient } from './client';

// As the package root does (lib/index.ts says why): the module object rebuilt with plain
// read-only data properties instead of the getters CommonJS re-exports compile to.
const flat: Record<string, unknown> = {};
for (const key of Object.keys(exports)) {
  Object.defineProperty(flat, key, { value: (exports as Record<string, unknown>)[key], enumerable: true });
}
Object.defineProperty(flat, '__esModule', { value: true });
module.exports = flat;
