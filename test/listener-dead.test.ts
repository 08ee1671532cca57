// A listener that can no longer accept signals it, never a silent stall (issue 16, section 4):
// pending WskAccept IRPs complete with the failure and WskAcceptEvent gets a NULL AcceptSocket.
// The ported echo server runs in a child process with a low RLIMIT_NOFILE (prlimit, util-linux)
// and its NULL-AcceptSocket recovery path (close the listener, make a new one) runs.
import { execFileSync } from 'child_process';
import { STATUS_SUCCESS } from '../lib';
import { scenarioResult } from './child';

function hasPrlimit(): boolean {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('a listener out of descriptors', () => {
  test('the echo server hears of it (NULL AcceptSocket), makes a new listener, and echoes again', async () => {
    if (!hasPrlimit()) {
      console.warn('skipped: prlimit (util-linux) is not installed, so the child cannot run with a low RLIMIT_NOFILE');
      return;
    }
    const r = await scenarioResult('echosrv-nofile.ts', [], ['prlimit', '--nofile=96:96', '--']);
    expect(r).toMatchObject({ before: 'before', restarts: 1, relisten: STATUS_SUCCESS, listeningStatus: STATUS_SUCCESS, after: 'after recovery', open: 0 });
    expect(r.filled as number).toBeGreaterThan(0);
  });
});
