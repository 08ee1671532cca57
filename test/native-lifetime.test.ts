// Native sockets across GC, process exit and workers, and a throwing or missing handler. Each
// case runs in a child process, so that an abort fails the test instead of killing jest.
import { describe, expect, test } from '@jest/globals';
import { native } from '../lib/transport/native';
import { C, child, LOAD, localAddress, open, useNativeSockets, v4 } from './native-helpers';

useNativeSockets();

describe('lifetime across GC, exit and workers', () => {
  test('sockets are closed only by close, closeAllSockets or the end of the env, never by the GC', () => {
    const r = child(
      `(() => { for (let i = 0; i < 10; i++) native.socket(C.AF_INET, C.SOCK_STREAM, 0); })();
       gc();
       setTimeout(() => { gc(); console.log(native.openSockets(), native.closeAllSockets(), native.openSockets()); }, 20);`,
      ['--expose-gc'],
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('10 10 0');
    expect(r.status).toBe(0);
  });

  test('an armed socket survives GC and keeps the loop alive until closed', () => {
    const r = child(
      `const bySlot = new Map();
       native.setEventHandler((slot, events) => {
         console.log('event', events, native.openSockets());
         native.close(bySlot.get(slot));
       });
       let port;
       (() => {
         const l = native.socket(C.AF_INET, C.SOCK_STREAM, 0);
         bySlot.set(l % C.SOCKET_SLOTS, l);
         native.bind(l, v4()); native.listen(l, 4); native.poll(l, 1);
         const a = new Uint8Array(28); native.localAddress(l, a); port = a;
       })();
       gc();
       setTimeout(() => {
         gc();
         console.log('after gc', native.openSockets());
         const c = native.socket(C.AF_INET, C.SOCK_STREAM, 0);
         native.connect(c, port);
         setTimeout(() => native.close(c), 50);
       }, 20);
       process.on('exit', () => console.log('exit', native.openSockets()));`,
      ['--expose-gc'],
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual(['after gc 1', 'event 1 2', 'exit 0']);
    expect(r.status).toBe(0);
  });

  test('a process that exits with sockets open, armed or not, exits cleanly', () => {
    const unarmed = child(`native.socket(C.AF_INET, C.SOCK_STREAM, 0); globalThis.keep = native.socket(C.AF_INET6, C.SOCK_DGRAM, 0);`);
    expect(unarmed).toEqual({ status: 0, stdout: '', stderr: '' });
    const armed = child(
      `native.setEventHandler(() => {});
       const l = native.socket(C.AF_INET, C.SOCK_STREAM, 0);
       native.bind(l, v4()); native.listen(l, 4); native.poll(l, 1);
       setTimeout(() => process.exit(0), 20);`,
    );
    expect(armed).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  test('worker threads have their own sockets and close them when they end', () => {
    const r = child(
      `const { Worker } = require('worker_threads');
       const body = ${JSON.stringify(LOAD)} + \`
         const { parentPort } = require('worker_threads');
         native.setEventHandler(() => {});
         const l = native.socket(C.AF_INET, C.SOCK_STREAM, 0);
         native.bind(l, v4()); native.listen(l, 4); native.poll(l, 1);
         native.socket(C.AF_INET, C.SOCK_DGRAM, 0);
         parentPort.postMessage(native.openSockets());\`;
       const mine = native.socket(C.AF_INET, C.SOCK_STREAM, 0);
       const w = new Worker(body, { eval: true });
       w.on('message', async (n) => {
         console.log('worker', n, 'main', native.openSockets());
         const code = await w.terminate();
         console.log('terminated', code);
         const quiet = new Worker(body.replace('native.poll(l, 1)', ''), { eval: true });
         quiet.on('exit', (c) => { console.log('quiet exit', c); native.close(mine); });
       });`,
    );
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n')).toEqual(['worker 2 main 1', 'terminated 1', 'quiet exit 0']);
    expect(r.status).toBe(0);
  });

  test('an exception in the handler becomes an uncaughtException, not an abort', () => {
    const r = child(
      `process.on('uncaughtException', (e) => { console.log('caught', e.message); native.close(s); });
       native.setEventHandler(() => { throw new Error('boom'); });
       const s = native.socket(C.AF_INET, C.SOCK_DGRAM, 0);
       native.poll(s, 2);`,
    );
    expect(r).toEqual({ status: 0, stdout: 'caught boom', stderr: '' });
    const uncaught = child(`native.setEventHandler(() => { throw new Error('boom'); }); native.poll(native.socket(C.AF_INET, C.SOCK_DGRAM, 0), 2);`);
    expect(uncaught.status).toBe(1);
    expect(uncaught.stderr).toContain('boom');
  });

  test('without a handler, an event stops the polling', () => {
    const r = child(
      `const s = native.socket(C.AF_INET, C.SOCK_DGRAM, 0);
       native.poll(s, 2);
       process.on('exit', () => console.log('exit', native.openSockets()));`,
    );
    expect(r).toEqual({ status: 0, stdout: 'exit 1', stderr: '' });
  });
});
