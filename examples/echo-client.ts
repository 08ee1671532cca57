// A TCP echo client for Node services, on the idiomatic layer (node-wsk/promises): connects,
// sends its message, says it is done (a graceful WskDisconnect), and reads the echo through
// an async iterator until the server disconnects. examples/echo-server.ts is its server.
//   npx node-wsk-example echo-client [--host 127.0.0.1] [--port 40008] [message...]
import { parseArgs } from 'util';
import { IPPROTO_TCP, SOCK_STREAM, sockaddrFromString, sockaddrToString } from 'node-wsk';
import type { PWSK_SOCKET, WSK_PROVIDER_CONNECTION_DISPATCH } from 'node-wsk';
import { ReceiveEvents, registerClient, wskBuf, wskCall } from 'node-wsk/promises';

/** Sends `message` to host:port and resolves with what came back. */
export async function echoOnce(host: string, port: number, message: Uint8Array): Promise<Buffer> {
  const { Npi, close } = registerClient();
  const received = new ReceiveEvents();
  const local = sockaddrFromString(host.includes(':') ? '::' : '0.0.0.0', 0);
  const remote = sockaddrFromString(host, port);
  const io = await wskCall((Irp) =>
    Npi.Dispatch.WskSocketConnect(Npi.Client, SOCK_STREAM, IPPROTO_TCP, local, remote, 0, received, received.Dispatch, null, null, null, Irp),
  );
  const Socket = io.Information as PWSK_SOCKET;
  const Connection = Socket.Dispatch as WSK_PROVIDER_CONNECTION_DISPATCH;
  received.enable(Socket);
  console.log(`connected to ${sockaddrToString(remote)}, sending ${message.byteLength} bytes`);
  const chunks: Buffer[] = [];
  try {
    await wskCall((Irp) => Connection.WskSend(Socket, wskBuf(message), 0, Irp));
    await wskCall((Irp) => Connection.WskDisconnect(Socket, null, 0, Irp));
    for await (const data of received) chunks.push(Buffer.from(data)); // a copy: the view is WSK's until the next pull
  } finally {
    await wskCall((Irp) => Connection.WskCloseSocket(Socket, Irp));
    await close();
  }
  return Buffer.concat(chunks);
}

export async function main(argv: string[]): Promise<number> {
  const options = { host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string', default: '40008' } } as const;
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
  const message = Buffer.from(positionals.length > 0 ? positionals.join(' ') : 'hello over WSK');
  const echoed = await echoOnce(values.host, Number(values.port), message);
  console.log(`echoed: ${echoed.toString()}`);
  return echoed.equals(message) ? 0 : 1;
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
