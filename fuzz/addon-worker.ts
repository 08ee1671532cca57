// A worker thread that makes addon calls in a tight loop (many of them throwing) until the
// main thread terminates it: Worker.terminate() must never abort the process.
import { workerData } from 'worker_threads';
import { addonCall, makeSocket, type AddonState } from './addon-exec';
import { addon } from './lib-native';
import type { AddonAct } from './addon-arbs';

const calls = workerData as AddonAct[];
const st: AddonState = { ids: [makeSocket(1), makeSocket(0)].filter((id) => id >= 0), ports: [], here: null };
const close = (id: unknown) => {
  if (typeof id === 'number') addon.close(id);
};
for (let i = 0; i < 200_000; i++) {
  for (const a of calls) {
    try {
      addonCall(a, st, close);
    } catch {
      // Only a crash matters here; exceptions are checked on the main thread.
    }
  }
}
for (const id of st.ids) addon.close(id);
