// A TCP echo server for Node services, on the idiomatic layer (node-wsk/promises): each WSK call
// is awaited, received data arrives through an async iterator, and each chunk is sent back
// straight from WSK's own receive buffer (no copy). Ctrl-C (or the signal) stops accepting;
// open connections finish first. examples/echo-client.ts is its client.
//   npx node-wsk-example echo-server [--host 127.0.0.1] [--port 40008]
import { parseArgs } from 'util';
import { AF_INET, AF_INET6, IPPROTO_TCP, SOCK_STREAM, WSK_FLAG_LISTEN_SOCKET, sockaddrFromString, sockaddrToString } from 'node-wsk';
import type { PWSK_SOCKET, SOCKADDR_STORAGE, WSK_PROVIDER_CONNECTION_DISPATCH, WSK_PROVIDER_LISTEN_DISPATCH } from 'node-wsk';
import { NtStatusError, ReceiveEvents, registerClient, wskBuf, wskCall } from 'node-wsk/promises';

async function echo(Socket: PWSK_SOCKET, received: ReceiveEvents, peer: string): Promise<void> {
  const Connection = Socket.Dispatch as WSK_PROVIDER_CONNECTION_DISPATCH;
  let bytes = 0;
  try {
    for await (const data of received) {
      await wskCall((Irp) => Connection.WskSend(Socket, wskBuf(data), 0, Irp));
      bytes += data.byteLength;
    }
    await wskCall((Irp) => Connection.WskDisconnect(Socket, null, 0, Irp)); // the peer finished: so do we
  } catch (error) {
    if (!(error instanceof NtStatusError)) throw error;
    console.log(`${peer}: ${error.code}`); // a reset, for instance
  } finally {
    await wskCall((Irp) => Connection.WskCloseSocket(Socket, Irp));
  }
  console.log(`${peer}: echoed ${bytes} bytes, closed`);
}

/** Serves until `signal` aborts; calls `listening` with the bound address. */
export async function serve(host: string, port: number, signal: AbortSignal, listening = (address: string) => console.log(`echo server on ${address}`)): Promise<void> {
  const { Npi, close } = registerClient();
  const family = host.includes(':') ? AF_INET6 : AF_INET;
  const io = await wskCall((Irp) => Npi.Dispatch.WskSocket(Npi.Client, family, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET, null, null, null, null, null, Irp));
  const Listener = io.Information as PWSK_SOCKET;
  const Listen = Listener.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;
  const local: SOCKADDR_STORAGE = {};
  await wskCall((Irp) => Listen.WskBind(Listener, sockaddrFromString(host, port), 0, Irp));
  await wskCall((Irp) => Listen.WskGetLocalAddress(Listener, local, Irp));
  listening(sockaddrToString(local));
  const connections: Promise<void>[] = [];
  while (!signal.aborted) {
    const received = new ReceiveEvents(); // the accepted socket's context and event callbacks
    const remote: SOCKADDR_STORAGE = {};
    const accepted = await wskCall((Irp) => Listen.WskAccept(Listener, 0, received, received.Dispatch, null, remote, Irp), { signal }).catch((error: unknown) => {
      if (!(error instanceof NtStatusError)) throw error;
      if (error.code === 'STATUS_CANCELLED') return null; // stopped
      console.log(`accept: ${error.code}`); // out of memory for this one, say: accept the next
      return undefined;
    });
    if (accepted === null) break;
    if (accepted === undefined) continue;
    const Socket = accepted.Information as PWSK_SOCKET;
    received.enable(Socket);
    console.log(`${sockaddrToString(remote)}: connected`);
    connections.push(echo(Socket, received, sockaddrToString(remote)));
  }
  await Promise.all(connections);
  await wskCall((Irp) => Listener.Dispatch.WskCloseSocket(Listener, Irp));
  await close();
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '40008' } } });
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  await serve(values.host, Number(values.port), stop.signal, (address) => console.log(`echo server on ${address}; Ctrl-C to stop`));
  console.log('stopped');
  return 0;
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
