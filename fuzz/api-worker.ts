// A worker thread that runs one small API case after another (its own registration, sockets,
// IRPs) until the main thread terminates it, wherever it is. What a case that ran to its end
// finds goes to the main thread (the descriptor count is the process's: the main thread checks
// it); an uncaught exception is the worker's own business (callbacks throw on purpose).
import { parentPort, workerData } from 'worker_threads';
import type { Act } from './api-arbs';
import { runApiCase } from './api-case';

const acts = workerData as Act[];

process.on('uncaughtException', () => undefined);

async function loop(): Promise<void> {
  for (let i = 0; i < 10_000; i++) {
    for (const f of await runApiCase(acts, { inWorker: true })) parentPort?.postMessage(f);
  }
}

void loop();
