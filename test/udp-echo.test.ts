// The proof: examples/udp-echo.ts (WskReceiveFromEvent + WskSendTo) echoes 10,000 datagrams of
// 0 to 1,400 bytes from node:dgram clients over IPv4 and IPv6, every reply checked byte for byte.
import * as dgram from 'dgram';
import { StartUdpEcho, StopUdpEcho } from '../examples/udp-echo';
import { register, unregister } from './helpers';

const TOTAL = 10_000;
const CLIENTS_PER_FAMILY = 4;
/** Datagrams in flight per client: bounded so that loopback never has to drop. */
const WINDOW = 16;

function payload(client: number, seq: number): Buffer {
  const size = (seq * 37 + client) % 1401;
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (seq * 7 + client * 13 + i) & 0xff;
  return b;
}

/** One client: sends `count` datagrams with at most WINDOW unanswered; resolves when all came back. */
function runClient(type: 'udp4' | 'udp6', host: string, port: number, client: number, count: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(type);
    const expected = new Map<string, number>();
    let sent = 0;
    let answered = 0;
    let watchdog: NodeJS.Timeout;
    const arm = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(() => {
        sock.close();
        reject(new Error(`client ${client} (${type}): no reply for 5 s with ${sent - answered} in flight, ${answered}/${count} answered`));
      }, 5000);
    };
    const pump = () => {
      while (sent < count && sent - answered < WINDOW) {
        const data = payload(client, sent++);
        const key = data.toString('latin1');
        expected.set(key, (expected.get(key) ?? 0) + 1);
        sock.send(data, port, host);
      }
    };
    sock.on('message', (msg, rinfo) => {
      const key = msg.toString('latin1');
      const n = expected.get(key);
      if (!n || rinfo.port !== port) {
        clearTimeout(watchdog);
        sock.close();
        reject(new Error(`client ${client}: a reply of ${msg.length} bytes matches nothing sent`));
        return;
      }
      if (n === 1) expected.delete(key);
      else expected.set(key, n - 1);
      answered++;
      arm();
      if (answered === count) {
        clearTimeout(watchdog);
        sock.close(() => resolve(answered));
        return;
      }
      pump();
    });
    sock.bind(0, host, () => {
      arm();
      pump();
    });
  });
}

test('the UDP echo example returns 10,000 datagrams of 0..1,400 bytes over IPv4 and IPv6, byte for byte', async () => {
  const p = register();
  const v4 = await StartUdpEcho(p.npi, '127.0.0.1');
  const v6 = await StartUdpEcho(p.npi, '::1');
  const per = TOTAL / (2 * CLIENTS_PER_FAMILY);
  const runs: Array<Promise<number>> = [];
  for (let c = 0; c < CLIENTS_PER_FAMILY; c++) {
    runs.push(runClient('udp4', '127.0.0.1', v4.port, c, per));
    runs.push(runClient('udp6', '::1', v6.port, c + 100, per));
  }
  const answered = await Promise.all(runs);
  expect(answered.reduce((a, b) => a + b, 0)).toBe(TOTAL);
  expect(v4.failures).toEqual([]);
  expect(v6.failures).toEqual([]);
  expect(v4.echoed + v6.echoed).toBe(TOTAL);
  await StopUdpEcho(v4);
  await StopUdpEcho(v6);
  await unregister(p);
}, 60000);
