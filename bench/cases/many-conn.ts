// C. Many connections: `conns` concurrent connections, `rounds` round trips of 64 bytes each;
// total round trips/s and peak RSS.   --impl=wsk|net --mode=one|two --recv=irp|event|promises
import { runRR } from '../rr';

runRR({ conns: 1000, rounds: 100, size: 64 }, __filename).catch((e) => {
  console.error(e);
  process.exit(1);
});
