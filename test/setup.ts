// Every test file ends with no native socket open: a test that leaks a handle fails here.
import * as fs from 'fs';
import { wskFaults } from '../lib/kernel/fault';
import { native } from '../lib/transport/native';

afterAll(() => {
  // Closed here, so that a test that failed half-way (and so never reached its own close)
  // does not keep jest waiting on armed sockets; the file still fails.
  const open = native.closeAllSockets();
  if (open !== 0) throw new Error(`${open} native socket(s) left open by this test file`);
});

// Under NODE_WSK_VERIFIER (scripts/drivers-under-faults.sh), what each file had injected: the
// proof that a file passing under faults met them.
afterAll(() => {
  const log = process.env.NODE_WSK_FAULT_LOG;
  const state = wskFaults();
  if (log && state) fs.appendFileSync(log, `${JSON.stringify({ file: expect.getState().testPath, spec: state.spec, counts: state.counts })}\n`);
});
