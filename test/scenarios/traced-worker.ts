// NODE_WSK_TRACE with a worker thread: each thread has its own channels and sockets, records
// them, and writes its own file; the worker's goes beside the main thread's, as
// <name>.worker-<threadId>.json. The worker makes a datagram socket; the main thread makes none.
import { isMainThread, Worker } from 'worker_threads';
import { WskDeregister, WskReleaseProviderNPI } from '../../lib';
import { inline, register, report, udpSocket } from './plain';

async function inWorker(): Promise<void> {
  const c = register();
  const { s } = udpSocket(c);
  inline((irp) => s.Dispatch.WskCloseSocket(s, irp));
  WskReleaseProviderNPI(c.registration);
  await WskDeregister(c.registration);
}

if (isMainThread) {
  const worker = new Worker(__filename);
  const { threadId } = worker;
  worker.once('error', (e) => report({ error: e.message }));
  worker.once('exit', (code) => report({ code, threadId }));
} else {
  void inWorker();
}
