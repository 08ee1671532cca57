// Regressions (issue 14, item 4):
// a completion routine that throws, or returns a status other than STATUS_MORE_PROCESSING_REQUIRED,
// is a bug in the driver. The exception comes out (from the call, or on the event loop, as a
// bugcheck would), but each IRP still completes exactly once and nothing queued is lost. What
// happens on the event loop is run in a child process (test/scenarios/throwing-routines.ts).
import { execFileSync } from 'child_process';
import { scenarioResult } from './child';

describe('on the event loop (a child process)', () => {
  test.each([
    { fault: 'throws', what: 'throws' },
    { fault: 'bad-return', what: 'returns STATUS_SUCCESS' },
  ])('a pending WskReceiveFrom whose routine $what completes once; the next datagrams stay for the next receive', async ({ fault }) => {
    expect(await scenarioResult('throwing-routines.ts', ['receive-from', fault])).toEqual({ runs: 1, uncaught: 1, next: 'd2' });
  });

  test('a pending WskSendTo whose routine throws is sent and completed once; the send queued after it goes too', async () => {
    // A send pends only when the socket's send buffer is full, which loopback never lets happen:
    // the child slows lo down with a token-bucket qdisc in a network namespace of its own.
    try {
      execFileSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && tc qdisc add dev lo root tbf rate 2mbit burst 4000 latency 5s'], { stdio: 'pipe' });
    } catch (e) {
      console.warn(`skipped: needs root, unshare, ip and tc with the tbf qdisc (${(e as Error).message.split('\n')[0]})`);
      return;
    }
    expect(await scenarioResult('throwing-routines.ts', ['send-to'], ['unshare', '-n'])).toEqual({ runs: 1, afterRuns: 1, sentAfter: 1, uncaught: 1 });
  });
});
