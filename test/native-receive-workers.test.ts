// Automatic reads across envs: each worker (and each load of the addon) registers its own
// areas, and an env that ends with areas registered and sockets reading into them (worker
// exit, Worker.terminate(), process exit) lets them go cleanly. The workers load the addon
// itself, as lib/transport/native.ts does.
import { describe, expect, test } from '@jest/globals';
import { spawnSync } from 'child_process';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { native, POLL_RECEIVE } from '../lib/transport/native';
import { closeAll, reports, udp, useNativeSockets } from './native-helpers';

useNativeSockets();

const ROOT = path.resolve(__dirname, '..');
// The workers and children poll as this jest project does.
const ENV = { ...process.env, ...(native.poller().poller === 'uv' ? { NODE_WSK_POLLER: 'uv' } : {}) };
const PRELUDE =
  `const native = require(${JSON.stringify(require.resolve('node-gyp-build'))})(${JSON.stringify(ROOT)});` +
  `const C = native.constants;` +
  `const v4 = () => { const a = new Uint8Array(28); a[0] = 4; a.set([127, 0, 0, 1], 8); return a; };` +
  `const portOf = (a) => (a[2] << 8) | a[3];`;

// A TCP connection to itself through a listener, reading automatically and sending back
// what it read, so that data keeps flowing until the env ends. Both areas registered.
const ECHO_LOOP = `
  const l = native.socket(C.AF_INET, C.SOCK_STREAM, 0);
  const at = v4(); native.bind(l, at); native.listen(l, 4); native.localAddress(l, at);
  const c = native.socket(C.AF_INET, C.SOCK_STREAM, 0); native.connect(c, at);
  let a; while ((a = native.accept(l, null)) < 0);
  const area = new Uint8Array(512);
  native.setReceiveArea(area);
  native.setDatagramArea(new Uint8Array(256 * 4), 256, 4, new Int32Array(12), new Uint8Array(28 * 4), null, 0);
  let reports = 0;
  native.setEventHandler((slot, events, status, received) => {
    if (received <= 0) return;
    reports++;
    native.send(slot === a % C.SOCKET_SLOTS ? c : a, area, 0, received, 0);
    if (reports % 7 === 0) native.setReceiveArea(new Uint8Array(512 + reports));
  });
  native.poll(a, 8); native.poll(c, 8);
  native.send(c, new Uint8Array(300), 0, 300, 0);`;

function child(code: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['-e', PRELUDE + code], { encoding: 'utf8', timeout: 20000, env: ENV });
  return { status: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
}

function worker(code: string): { w: Worker; messages: unknown[]; exited: Promise<number>; next: () => Promise<unknown> } {
  const w = new Worker(PRELUDE + `const { parentPort } = require('worker_threads');` + code, { eval: true, env: ENV });
  const messages: unknown[] = [];
  let waiting: ((m: unknown) => void) | null = null;
  w.on('message', (m) => (waiting ? (waiting(m), (waiting = null)) : messages.push(m)));
  const exited = new Promise<number>((resolve) => w.once('exit', resolve));
  const next = () => (messages.length > 0 ? Promise.resolve(messages.shift()) : new Promise((resolve) => (waiting = resolve)));
  return { w, messages, exited, next };
}

describe('automatic reads and envs', () => {
  test("a worker's datagram area is its own: it and this thread read at the same time, each into its own", async () => {
    const w = worker(`
      const rx = native.socket(C.AF_INET, C.SOCK_DGRAM, 0);
      const me = v4(); native.bind(rx, me); native.localAddress(rx, me);
      const area = new Uint8Array(256 * 4), meta = new Int32Array(12);
      native.setDatagramArea(area, 256, 4, meta, null, null, 0);
      native.setEventHandler((slot, events, status, received) => {
        if (received < 1) return;
        parentPort.postMessage(Buffer.from(area.subarray(0, meta[0])).toString());
        native.close(rx);
      });
      native.poll(rx, 8);
      parentPort.postMessage(portOf(me));`);
    const port = (await w.next()) as number;
    const [rx, to] = udp();
    const [tx] = udp();
    const area = new Uint8Array(256 * 4);
    const meta = new Int32Array(12);
    native.setDatagramArea(area, 256, 4, meta, null, null, 0);
    const workerAddr = to.slice();
    workerAddr[2] = port >> 8;
    workerAddr[3] = port & 0xff;
    expect(tx.sendto(Buffer.from('to the worker'), 0, 13, 0, workerAddr)).toBe(13);
    expect(tx.sendto(Buffer.from('to main'), 0, 7, 0, to)).toBe(7);
    const got = await reports(rx, POLL_RECEIVE, (r) => r.length === 1);
    expect(got.map((r) => r.received)).toEqual([1]);
    expect(await w.next()).toBe('to the worker');
    expect(Buffer.from(area.subarray(0, meta[0])).toString()).toBe('to main');
    expect(await w.exited).toBe(0);
    closeAll(rx, tx);
  });

  test('workers that exit, or are terminated, with areas registered and automatic reads under way end cleanly', async () => {
    const exiting = worker(ECHO_LOOP + `setTimeout(() => { parentPort.postMessage(reports > 0); process.exit(7); }, 100);`);
    const terminated = worker(ECHO_LOOP + `setTimeout(() => parentPort.postMessage(reports > 0), 100);`);
    expect(await exiting.next()).toBe(true);
    expect(await terminated.next()).toBe(true);
    expect(await terminated.w.terminate()).toBe(1);
    expect(await exiting.exited).toBe(7);
  });

  test('a process that exits with areas registered and automatic reads under way exits cleanly', () => {
    const r = child(ECHO_LOOP + `setTimeout(() => { console.log('reports', reports > 0); process.exit(0); }, 100);`);
    expect(r).toEqual({ status: 0, stdout: 'reports true', stderr: '' });
  });
});
