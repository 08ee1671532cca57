// Black holes: packets that vanish without an answer, so only a timer can end the wait.
// A connect to 198.18.3.1 (B drops everything for 198.18.3.0/24) times out; an established
// connection whose return path B starts dropping (a blackhole route to A's address) times out
// while its send and receive are pending. Linux's defaults take minutes (6 SYN retries, 15 data
// retransmissions); namespace A is ours, so the tests lower them there and restore them after.
import { performance } from 'perf_hooks';
import { STATUS_IO_TIMEOUT, ntStatusName } from '../../lib';
import { pattern } from './irp-ledger';
import { config, faultTest, inNamespace, Peer, report, sysctlA, until, within } from './netfault';
import { connect, localPort, receiveUntilFailure, sendUntilFailure, StreamCheck, withClient } from './wsk-client';

let peer: Peer;

beforeAll(async () => {
  if (config) peer = await Peer.start();
});

afterAll(async () => {
  await peer?.stop();
});

/** Runs `body` with a sysctl of namespace A set to `value`, then puts the old value back. */
async function withSysctl<T>(name: string, value: number, body: () => Promise<T>): Promise<T> {
  const saved = sysctlA(name);
  sysctlA(name, value);
  try {
    return await body();
  } finally {
    sysctlA(name, saved);
  }
}

faultTest('a connect into a black hole times out (ETIMEDOUT): STATUS_IO_TIMEOUT, as WskConnect gives on Windows', () =>
  withClient((client) =>
    withSysctl('net.ipv4.tcp_syn_retries', 1, async () => {
      const lane = client.ledger.lane();
      const s = await client.boundSocket(lane, config.a4);
      const started = performance.now();
      const status = await within(connect(s, lane, config.blackHole4, 80), 60000, 'WskConnect into the black hole');
      const seconds = (performance.now() - started) / 1000;
      expect(ntStatusName(status)).toBe(ntStatusName(STATUS_IO_TIMEOUT));
      await client.close(s, lane);
      client.ledger.verify();
      report(`connect into a black hole (${config.blackHole4}, tcp_syn_retries 1): ${ntStatusName(status)} after ${seconds.toFixed(1)} s`);
    }),
  ),
);

faultTest("an established connection whose return path goes dark mid-transfer: the pending send and receive complete STATUS_IO_TIMEOUT", () =>
  withClient((client) =>
    withSysctl('net.ipv4.tcp_retries2', 3, async () => {
      const data = pattern(config.seed + 6000, 16 * 1024 * 1024);
      const check = new StreamCheck(data);
      const lane = client.ledger.lane();
      const s = await client.connected(lane, config.a4, config.b4, peer.port4);
      const port = await localPort(s, lane);
      const sending = sendUntilFailure(client, s, data);
      const receiving = receiveUntilFailure(client, s, check);
      await until(() => check.received >= 512 * 1024, 'half a MiB echoed');
      const route = ['route', 'add', 'blackhole', `${config.a4}/32`];
      inNamespace('B', ['ip', ...route]);
      const started = performance.now();
      try {
        const [sent, received] = await within(Promise.all([sending, receiving]), 90000, 'the pending send and receive in the dark');
        const seconds = (performance.now() - started) / 1000;
        expect([ntStatusName(sent.status), ntStatusName(received.status)]).toEqual([ntStatusName(STATUS_IO_TIMEOUT), ntStatusName(STATUS_IO_TIMEOUT)]);
        expect(check.firstBad).toBe(-1);
        report(
          `return path black-holed after ${received.bytes} bytes echoed (tcp_retries2 3): send ${ntStatusName(sent.status)}, ` +
            `receive ${ntStatusName(received.status)} after ${seconds.toFixed(1)} s`,
        );
      } finally {
        inNamespace('B', ['ip', 'route', 'del', 'blackhole', `${config.a4}/32`]);
      }
      await client.close(s, lane);
      client.ledger.verify();
      // The peer's socket stays until its own retransmissions give up; close it from here.
      inNamespace('B', ['ss', '-K', '-t', '-n', 'dst', `${config.a4}:${port}`]);
    }),
  ),
);
