// npm start: register with WSK, capture the provider NPI, create the seed's listening socket,
// bind it to 127.0.0.1 (port from the command line, default 40007), print each accepted peer,
// and on Ctrl-C shut down through WskDeregister.
//   npm start -- 40100            listen on 127.0.0.1:40100
//   npm start -- --self-test      connect to itself with node:net, then exit 0
import * as net from 'net';
import {
  Executive,
  IoCancelIrp,
  KeWaitForSingleObject,
  KernelMode,
  MAKE_WSK_VERSION,
  NT_SUCCESS,
  PIRP,
  PSOCKADDR,
  SOCKADDR_STORAGE,
  STATUS_CANCELLED,
  WSK_CLIENT_DISPATCH,
  WSK_CLIENT_NPI,
  WSK_INFINITE_WAIT,
  WSK_PROVIDER_LISTEN_DISPATCH,
  WSK_PROVIDER_NPI,
  WSK_REGISTRATION,
  WSK_SOCKET,
  WskCaptureProviderNPI,
  WskDeregister,
  WskRegister,
  WskReleaseProviderNPI,
  ntStatusName,
  sockaddrFromString,
  sockaddrPort,
  sockaddrToString,
} from '../lib';
import { CreateListeningSocket, NewAppSocketContext } from './create-listening-socket';
import { WskSyncCall } from './wsk-sync';

const WskAppDispatch: WSK_CLIENT_DISPATCH = { Version: MAKE_WSK_VERSION(1, 0), Reserved: 0, WskClientEvent: null };

function fail(what: string, status: number): never {
  throw new Error(`${what} failed: ${ntStatusName(status)}`);
}

export async function main(argv: string[]): Promise<number> {
  const selfTest = argv.includes('--self-test');
  const portArg = argv.find((a) => /^\d+$/.test(a));
  const port = portArg !== undefined ? Number(portArg) : selfTest ? 0 : 40007;

  const WskClientNpi: WSK_CLIENT_NPI = { ClientContext: null, Dispatch: WskAppDispatch };
  const WskRegistration: WSK_REGISTRATION = {};
  let status = WskRegister(WskClientNpi, WskRegistration);
  if (!NT_SUCCESS(status)) fail('WskRegister', status);
  const WskProviderNpi = {} as WSK_PROVIDER_NPI;
  status = WskCaptureProviderNPI(WskRegistration, WSK_INFINITE_WAIT, WskProviderNpi);
  if (!NT_SUCCESS(status)) fail('WskCaptureProviderNPI', status);

  const context = NewAppSocketContext();
  CreateListeningSocket(WskProviderNpi, context, null);
  await KeWaitForSingleObject(context.Created, Executive, KernelMode, false, null);
  if (!NT_SUCCESS(context.Status)) fail('WskSocket', context.Status);
  const listener = context.Socket!;
  const dispatch = listener.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;

  let io = await WskSyncCall((Irp) => dispatch.WskBind(listener, sockaddrFromString('127.0.0.1', port), 0, Irp));
  if (!NT_SUCCESS(io.Status)) fail(`WskBind 127.0.0.1:${port}`, io.Status);
  const local: SOCKADDR_STORAGE = {};
  io = await WskSyncCall((Irp) => dispatch.WskGetLocalAddress(listener, local, Irp));
  console.log(`node-wsk listening on ${sockaddrToString(local as PSOCKADDR)} (Ctrl-C to stop)`);

  let pendingAccept: PIRP | null = null;
  let stopping = false;
  const stop = () => {
    stopping = true;
    if (pendingAccept) IoCancelIrp(pendingAccept);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);

  if (selfTest) {
    const client = net.connect(sockaddrPort(local as PSOCKADDR), '127.0.0.1');
    client.on('error', () => {});
    client.on('close', () => stop());
  }

  let accepted = 0;
  while (!stopping) {
    const remote: SOCKADDR_STORAGE = {};
    io = await WskSyncCall(
      (Irp) => dispatch.WskAccept(listener, 0, null, null, null, remote, Irp),
      (Irp) => (pendingAccept = stopping ? (IoCancelIrp(Irp), null) : Irp),
    );
    pendingAccept = null;
    if (io.Status === STATUS_CANCELLED) break;
    if (!NT_SUCCESS(io.Status)) fail('WskAccept', io.Status);
    accepted++;
    console.log(`accepted ${sockaddrToString(remote as PSOCKADDR)}`);
    // No data path in this demo: close at once (an abortive close, as WSK does for an open connection).
    const socket = io.Information as WSK_SOCKET;
    await WskSyncCall((Irp) => socket.Dispatch.WskCloseSocket(socket, Irp));
  }

  await WskSyncCall((Irp) => listener.Dispatch.WskCloseSocket(listener, Irp));
  WskReleaseProviderNPI(WskRegistration);
  await WskDeregister(WskRegistration);
  process.removeListener('SIGINT', stop);
  process.removeListener('SIGTERM', stop);
  console.log(`deregistered after ${accepted} connection(s)`);
  return selfTest && accepted !== 1 ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: Error) => {
      console.error(err.message);
      process.exitCode = 1;
    },
  );
}
