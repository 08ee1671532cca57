// Every test file ends with no native socket open: a test that leaks a handle fails here.
import { native } from '../lib/transport/native';

afterAll(() => {
  // Closed here, so that a test that failed half-way (and so never reached its own close)
  // does not keep jest waiting on armed sockets; the file still fails.
  const open = native.closeAllSockets();
  if (open !== 0) throw new Error(`${open} native socket(s) left open by this test file`);
});
