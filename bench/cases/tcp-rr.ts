// B. TCP request/response: one connection, 100-byte ping, 100-byte pong; round trips/s, p50, p99.
//   --impl=wsk|net --mode=one|two --recv=irp|event|promises --count=50000
import { runRR } from '../rr';

runRR({ conns: 1, rounds: 50000, size: 100, latency: true }, __filename).catch((e) => {
  console.error(e);
  process.exit(1);
});
