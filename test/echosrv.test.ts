// The ported Microsoft echo server against 100 concurrent node:net clients over IPv4 and IPv6.
import * as net from 'net';
import { Executive, KeWaitForSingleObject, KernelMode, STATUS_SUCCESS } from '../lib';
import { native } from '../lib/transport/native';
import { DriverEntry, WskSampleListening, WskSampleUnload } from '../examples/echosrv';
// Live bindings: the listening status and port are set once the listener is up.
import * as echosrv from '../examples/echosrv';
import { expectStatus } from './helpers';
import { randomBytes } from './conn-helpers';

/** Sends `data` in pieces of random size, reads until the server closes; resolves with what came back. */
function client(host: string, port: number, data: Uint8Array, seed: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const c = net.connect({ host, port }, () => {
      let x = seed;
      let at = 0;
      const writeMore = (): void => {
        while (at < data.length) {
          x = (x * 1103515245 + 12345) & 0x7fffffff;
          const n = Math.min(data.length - at, 1 + (x % 5000));
          const ok = c.write(data.subarray(at, at + n));
          at += n;
          if (!ok) return void c.once('drain', writeMore);
        }
        c.end();
      };
      writeMore();
    });
    c.on('data', (d) => chunks.push(d));
    c.on('error', reject);
    c.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

describe('echo server (network/wsk/echosrv ported)', () => {
  test('100 concurrent clients over IPv4 and IPv6 get every byte back in order; unload leaves nothing open', async () => {
    expectStatus(DriverEntry({ port: 0 }), STATUS_SUCCESS);
    await KeWaitForSingleObject(WskSampleListening, Executive, KernelMode, false, null);
    expectStatus(echosrv.WskSampleListeningStatus, STATUS_SUCCESS);
    const port = echosrv.WskSampleListeningPort;
    expect(port).toBeGreaterThan(0);
    const payloads = Array.from({ length: 100 }, (_, i) => randomBytes(64 * 1024, i + 1));
    const results = await Promise.all(payloads.map((data, i) => client(i % 2 === 0 ? '127.0.0.1' : '::1', port, data, i + 7)));
    for (let i = 0; i < payloads.length; i++) {
      expect(results[i].length).toBe(payloads[i].length);
      expect(Buffer.compare(results[i], Buffer.from(payloads[i]))).toBe(0);
    }
    await WskSampleUnload();
    expect(native.openSockets()).toBe(0);
  });
});
