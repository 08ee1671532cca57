// The echo server's self-test (two echoes, then unload), for test/trace.test.ts to run with
// NODE_WSK_TRACE in the environment: the trace file is written when this process exits.
import { main } from '../../examples/echosrv';

main(['--self-test']).then(
  (code) => (process.exitCode = code),
  (error: Error) => {
    console.error(error.message);
    process.exitCode = 1;
  },
);
