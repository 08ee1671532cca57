// Microsoft's echo server (examples/echosrv.ts) with the process out of descriptors: run by
// test/listener-dead.test.ts under `prlimit --nofile`. The listener's accept(2) fails with
// EMFILE, WSK calls WskAcceptEvent with a NULL AcceptSocket, and the server's recovery path (as
// in the C sample: close the listener, make a new one) runs; the new listener then echoes.
import * as fs from 'fs';
import * as net from 'net';
import { Executive, KeClearEvent, KeWaitForSingleObject, KernelMode, openSocketCount } from '../../lib';
import * as echosrv from '../../examples/echosrv';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function echo(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const c = net.connect({ host: '127.0.0.1', port }, () => c.end(payload));
    c.on('data', (d) => chunks.push(d));
    c.on('error', reject);
    c.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

async function main(): Promise<void> {
  echosrv.DriverEntry({ port: 0 });
  await KeWaitForSingleObject(echosrv.WskSampleListening, Executive, KernelMode, false, null);
  KeClearEvent(echosrv.WskSampleListening);
  const firstPort = echosrv.WskSampleListeningPort;
  const before = await echo(firstPort, Buffer.from('before'));

  // Fill the descriptor table, then give one back for the client: the server's accept finds none.
  const held: number[] = [];
  for (let i = 0; i < 100000; i++) {
    try {
      held.push(fs.openSync('/dev/null', 'r'));
    } catch {
      break;
    }
  }
  fs.closeSync(held.pop()!);
  const client = net.connect({ host: '127.0.0.1', port: firstPort });
  client.on('error', () => {});
  for (let i = 0; i < 500 && echosrv.WskSampleListenerRestarts === 0; i++) await sleep(10);
  const restarts = echosrv.WskSampleListenerRestarts;
  // The recovery path made a new listener (WskSampleListening is set again when it is up).
  const relisten = await KeWaitForSingleObject(echosrv.WskSampleListening, Executive, KernelMode, false, { QuadPart: -5000 * 10000 });
  client.destroy();
  for (const fd of held) fs.closeSync(fd);
  const after = await echo(echosrv.WskSampleListeningPort, Buffer.from('after recovery'));
  await echosrv.WskSampleUnload();
  console.log(
    JSON.stringify({
      before: before.toString(),
      filled: held.length + 1,
      restarts,
      relisten,
      listeningStatus: echosrv.WskSampleListeningStatus,
      after: after.toString(),
      open: openSocketCount(),
    }),
  );
}

main().catch((e: Error) => {
  console.error(e.stack);
  process.exitCode = 1;
});
