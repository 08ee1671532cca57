// Every test file ends with no native socket open: a test that leaks a handle fails here.
import { native } from '../lib/native';

afterAll(() => {
  const open = native.openSockets();
  if (open !== 0) throw new Error(`${open} native socket(s) left open by this test file`);
});
