// The scale run's peer process (forked by scale-server.ts): --conns node:net connections to
// the port the server sends, at most --parallel connecting at a time. Each sends its request and checks every byte
// of the reply; all stay open until the server says 'close' (it has seen all of them), then each
// ends its side and waits for the server's. Reports to the parent over IPC; exits 0 when every
// reply was right and every connection closed cleanly.
import * as net from 'net';
import { parseArgs } from 'util';
import { HOST } from './wsk-setup';
import { firstMismatch, scaleRequest, SCALE_REQUEST_BYTES } from './wire';

const { values: opt } = parseArgs({
  options: {
    conns: { type: 'string', default: '10000' },
    parallel: { type: 'string', default: '200' },
  },
});
let port = 0;
const conns = Number(opt.conns);
const parallel = Number(opt.parallel);

const sockets: net.Socket[] = [];
let roundTrips = 0;
let bad = 0;
let errors = 0;

/** One connection's round trip; resolves once the reply is in (right or wrong) or the connection failed. */
function roundTrip(index: number): Promise<void> {
  return new Promise((resolve) => {
    const reply = Buffer.alloc(SCALE_REQUEST_BYTES);
    let got = 0;
    const c = net.connect({ port, host: HOST, noDelay: true }, () => c.write(scaleRequest(index)));
    sockets.push(c);
    c.on('error', (e) => {
      errors++;
      console.error(`scale peer: connection ${index}: ${e.message}`);
      resolve();
    });
    c.on('data', (d) => {
      if (got + d.length > reply.length) {
        bad++;
        return;
      }
      d.copy(reply, got);
      got += d.length;
      if (got < reply.length) return;
      if (firstMismatch(reply.subarray(4), index + 1, true) !== -1 || reply.readUInt32LE(0) !== (index ^ 0xffffffff) >>> 0) bad++;
      else roundTrips++;
      resolve();
    });
  });
}

async function openAll(): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < conns) await roundTrip(next++);
  };
  await Promise.all(Array.from({ length: Math.min(parallel, conns) }, worker));
}

function closeAll(): Promise<number> {
  let closed = 0;
  return Promise.all(
    sockets.map((c) => new Promise<void>((resolve) => {
      if (c.closed) return resolve(); // failed earlier: counted in errors
      c.once('close', (hadError) => {
        if (!hadError) closed++;
        resolve();
      });
      c.end();
    })),
  ).then(() => closed);
}

const nextMessage = (): Promise<unknown> => new Promise((r) => process.once('message', r));
let finished = false;
// A server that failed and exited must not leave this process holding 10,000 connections.
process.once('disconnect', () => {
  if (finished) return;
  console.error('scale peer: the server went away');
  process.exit(1);
});

async function main(): Promise<void> {
  port = ((await nextMessage()) as { port: number }).port;
  const t0 = performance.now();
  await openAll();
  process.send!({ roundTrips, bad, connectSeconds: (performance.now() - t0) / 1000 });
  await nextMessage(); // 'close'
  const closed = await closeAll();
  process.send!({ roundTrips, bad, closed, errors });
  await nextMessage(); // 'exit': the server has counted its descriptors
  finished = true;
  process.disconnect();
  process.exitCode = roundTrips === conns && bad === 0 && closed === conns && errors === 0 ? 0 : 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
