// The listen demo: register with WSK, capture the provider NPI, create the seed's listening
// socket (examples/create-listening-socket.ts, the C sample as written), bind it to 127.0.0.1
// (port 40007 by default), print each accepted peer, and on Ctrl-C shut down through
// WskDeregister. Past the seed's own code, the calls are awaited with node-wsk/promises, and
// Ctrl-C cancels the pending WskAccept through an AbortSignal (IoCancelIrp).
//   npx node-wsk-example listen-demo [--port 40100] [--self-test]
//   --self-test: connect to itself once with node:net, then exit 0
import * as net from 'net';
import { parseArgs } from 'util';
import { Executive, KeWaitForSingleObject, KernelMode, sockaddrFromString, sockaddrPort, sockaddrToString } from 'node-wsk';
import type { PSOCKADDR, PWSK_SOCKET, SOCKADDR_STORAGE, WSK_PROVIDER_LISTEN_DISPATCH } from 'node-wsk';
import { NtStatusError, checkStatus, registerClient, wskCall } from 'node-wsk/promises';
import { CreateListeningSocket, NewAppSocketContext } from './create-listening-socket';

export async function main(argv: string[]): Promise<number> {
  const options = { port: { type: 'string' }, 'self-test': { type: 'boolean', default: false } } as const;
  const { values } = parseArgs({ args: argv, options });
  const selfTest = values['self-test'];
  const port = values.port !== undefined ? Number(values.port) : selfTest ? 0 : 40007;

  const { Npi, close } = registerClient();
  const context = NewAppSocketContext();
  checkStatus(CreateListeningSocket(Npi, context, null));
  await KeWaitForSingleObject(context.Created, Executive, KernelMode, false, null);
  checkStatus(context.Status);
  const listener = context.Socket!;
  const dispatch = listener.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;

  await wskCall((Irp) => dispatch.WskBind(listener, sockaddrFromString('127.0.0.1', port), 0, Irp));
  const local: SOCKADDR_STORAGE = {};
  await wskCall((Irp) => dispatch.WskGetLocalAddress(listener, local, Irp));
  console.log(`node-wsk listening on ${sockaddrToString(local as PSOCKADDR)} (Ctrl-C to stop)`);

  const stopping = new AbortController();
  const stop = (): void => stopping.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  if (selfTest) {
    const client = net.connect(sockaddrPort(local as PSOCKADDR), '127.0.0.1');
    client.on('error', () => {});
    client.on('close', stop);
  }

  let accepted = 0;
  while (!stopping.signal.aborted) {
    const remote: SOCKADDR_STORAGE = {};
    const io = await wskCall((Irp) => dispatch.WskAccept(listener, 0, null, null, null, remote, Irp), { signal: stopping.signal }).catch((error: unknown) => {
      if (error instanceof NtStatusError && error.code === 'STATUS_CANCELLED') return null;
      throw error;
    });
    if (io === null) break;
    accepted++;
    console.log(`accepted ${sockaddrToString(remote as PSOCKADDR)}`);
    // No data path in this demo: close at once (an abortive close, as WSK does for an open connection).
    const socket = io.Information as PWSK_SOCKET;
    await wskCall((Irp) => socket.Dispatch.WskCloseSocket(socket, Irp));
  }

  await wskCall((Irp) => listener.Dispatch.WskCloseSocket(listener, Irp));
  await close();
  process.removeListener('SIGINT', stop);
  process.removeListener('SIGTERM', stop);
  console.log(`deregistered after ${accepted} connection(s)`);
  return selfTest && accepted !== 1 ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (error: Error) => {
      console.error(error.message);
      process.exitCode = 1;
    },
  );
}
