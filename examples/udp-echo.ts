// A UDP echo server on the idiomatic layer (node-wsk/promises): a datagram socket whose
// WskReceiveFromEvent indications arrive through an async iterator, each datagram sent back to
// its sender with WskSendTo straight from the indication's buffer. The iterator keeps each chain
// (the event returned STATUS_PENDING) until the loop pulls past it, then gives it back with
// WskRelease: replies never copy, and a slow loop makes WSK stop reading the socket.
//   npx node-wsk-example udp-echo [--host 127.0.0.1] [--port 40009]
import { parseArgs } from 'util';
import { AF_INET, AF_INET6, IPPROTO_UDP, SOCK_DGRAM, WSK_FLAG_DATAGRAM_SOCKET, sockaddrFromString, sockaddrPort, sockaddrToString } from 'node-wsk';
import type { NTSTATUS, PSOCKADDR, PWSK_SOCKET, SOCKADDR_STORAGE, WSK_PROVIDER_DATAGRAM_DISPATCH, WSK_PROVIDER_NPI } from 'node-wsk';
import { NtStatusError, ReceiveFromEvents, registerClient, wskBuf, wskCall } from 'node-wsk/promises';

export interface UdpEchoServer {
  Socket: PWSK_SOCKET;
  port: number;
  /** Datagrams echoed so far. */
  echoed: number;
  /** Replies that failed (their status), for diagnosis. */
  failures: NTSTATUS[];
  /** Resolves when the serving loop has stopped (StopUdpEcho). */
  served: Promise<void>;
  stop: AbortController;
  /** Called after each reply, while the datagram's memory is still valid. */
  onEcho: ((bytes: number, from: PSOCKADDR) => void) | null;
}

async function serve(server: UdpEchoServer, datagrams: ReceiveFromEvents): Promise<void> {
  const Datagram = server.Socket.Dispatch as WSK_PROVIDER_DATAGRAM_DISPATCH;
  try {
    for await (const { data, remoteAddress } of datagrams) {
      try {
        await wskCall((Irp) => Datagram.WskSendTo(server.Socket, wskBuf(data), 0, remoteAddress, 0, null, Irp));
        server.echoed++;
        server.onEcho?.(data.byteLength, remoteAddress);
      } catch (error) {
        if (!(error instanceof NtStatusError)) throw error;
        server.failures.push(error.status);
      }
    }
  } catch (error) {
    if ((error as NtStatusError).code !== 'STATUS_CANCELLED') throw error; // StopUdpEcho aborted
  }
}

/** Creates, binds (host, port 0 by default) and starts the echo server. */
export async function StartUdpEcho(Npi: WSK_PROVIDER_NPI, host = '127.0.0.1', port = 0, onEcho: UdpEchoServer['onEcho'] = null): Promise<UdpEchoServer> {
  const stop = new AbortController();
  const datagrams = new ReceiveFromEvents({ signal: stop.signal }); // the socket's context and callbacks
  const family = host.includes(':') ? AF_INET6 : AF_INET;
  const io = await wskCall((Irp) =>
    Npi.Dispatch.WskSocket(Npi.Client, family, SOCK_DGRAM, IPPROTO_UDP, WSK_FLAG_DATAGRAM_SOCKET, datagrams, datagrams.Dispatch, null, null, null, Irp),
  );
  const Socket = io.Information as PWSK_SOCKET;
  const Datagram = Socket.Dispatch as WSK_PROVIDER_DATAGRAM_DISPATCH;
  const local: SOCKADDR_STORAGE = {};
  await wskCall((Irp) => Datagram.WskBind(Socket, sockaddrFromString(host, port), 0, Irp));
  await wskCall((Irp) => Datagram.WskGetLocalAddress(Socket, local, Irp));
  datagrams.enable(Socket);
  const server: UdpEchoServer = { Socket, port: sockaddrPort(local as PSOCKADDR), echoed: 0, failures: [], served: Promise.resolve(), stop, onEcho };
  server.served = serve(server, datagrams);
  return server;
}

/** Stops the loop (every retained chain is given back) and closes the socket. */
export async function StopUdpEcho(server: UdpEchoServer): Promise<void> {
  server.stop.abort();
  await server.served;
  await wskCall((Irp) => server.Socket.Dispatch.WskCloseSocket(server.Socket, Irp));
}

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '40009' } } });
  const client = registerClient();
  const server = await StartUdpEcho(client.Npi, values.host, Number(values.port), (bytes, from) => console.log(`echoed ${bytes} bytes to ${sockaddrToString(from)}`));
  const address = sockaddrToString(sockaddrFromString(values.host, server.port));
  console.log(`UDP echo server on ${address}; try: nc -u ${values.host} ${server.port}; Ctrl-C to stop`);
  await new Promise((resolve) => process.once('SIGINT', resolve));
  await StopUdpEcho(server);
  await client.close();
  console.log(`stopped after echoing ${server.echoed} datagram(s)`);
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
