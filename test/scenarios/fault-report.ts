// A small program for NODE_WSK_VERIFIER's report at exit (test/fault-injection.test.ts): makes a
// datagram socket and closes it, waiting for each IRP however it completes, then deregisters.
import { AF_INET, IPPROTO_UDP, SOCK_DGRAM, WSK_FLAG_DATAGRAM_SOCKET, WSK_SOCKET, WskDeregister, WskReleaseProviderNPI } from '../../lib';
import { counted, register } from './plain';

async function main(): Promise<void> {
  const c = register();
  const made = counted();
  c.npi.Dispatch.WskSocket(c.npi.Client, AF_INET, SOCK_DGRAM, IPPROTO_UDP, WSK_FLAG_DATAGRAM_SOCKET, null, null, null, null, null, made.irp);
  const s = (await made.done).IoStatus.Information as WSK_SOCKET;
  const closed = counted();
  s.Dispatch.WskCloseSocket(s, closed.irp);
  await closed.done;
  WskReleaseProviderNPI(c.registration);
  await WskDeregister(c.registration);
}

void main();
