// Programs that end with WSK objects open, or not: run by test/exit-report.test.ts, which reads
// what the process printed on stderr at exit.
//   node -r ./test/scenarios/ts-hook.js test/scenarios/exit-report.ts <scenario>
import {
  AF_INET,
  IPPROTO_TCP,
  SOCK_STREAM,
  sockaddrFromString,
  WSK_FLAG_CONNECTION_SOCKET,
  WSK_FLAG_LISTEN_SOCKET,
  WSK_PROVIDER_LISTEN_DISPATCH,
  WSK_SOCKET,
  WSK_TRANSPORT_LIST_CHANGE,
  WskDeregister,
  WskReleaseProviderNPI,
} from '../../lib';
import { Client, counted, dg, inline, register, udpSocket, wskBuf } from './plain';

function socket(c: Client, flags: number): WSK_SOCKET {
  const irp = inline((irp) => c.npi.Dispatch.WskSocket(c.npi.Client, AF_INET, SOCK_STREAM, IPPROTO_TCP, flags, null, null, null, null, null, irp));
  return irp.IoStatus.Information as WSK_SOCKET;
}

const close = (s: WSK_SOCKET): void => void inline((irp) => s.Dispatch.WskCloseSocket(s, irp));

const scenarios: Record<string, () => void> = {
  /** Everything closed and deregistered: nothing to say. */
  clean() {
    const c = register();
    const { s } = udpSocket(c);
    dg(s).WskReceiveFrom(s, wskBuf(new Uint8Array(8)), 0, null, null, null, null, counted().irp);
    close(s);
    WskReleaseProviderNPI(c.registration);
    void WskDeregister(c.registration);
  },

  /** Sockets left open with IRPs pending, and a client-level IRP pending; exits explicitly. */
  sockets() {
    const c = register();
    const { s } = udpSocket(c);
    dg(s).WskReceiveFrom(s, wskBuf(new Uint8Array(8)), 0, null, null, null, null, counted().irp);
    const listener = socket(c, WSK_FLAG_LISTEN_SOCKET);
    const d = listener.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;
    inline((irp) => d.WskBind(listener, sockaddrFromString('127.0.0.1', 0), 0, irp));
    d.WskAccept(listener, 0, null, null, null, null, counted().irp);
    d.WskAccept(listener, 0, null, null, null, null, counted().irp);
    socket(c, WSK_FLAG_CONNECTION_SOCKET);
    c.npi.Dispatch.WskControlClient(c.npi.Client, WSK_TRANSPORT_LIST_CHANGE, 0, null, 0, null, null, counted().irp);
    // A second registration, closed properly, is not mentioned.
    const quiet = register();
    WskReleaseProviderNPI(quiet.registration);
    void WskDeregister(quiet.registration);
    setImmediate(() => process.exit(0));
  },

  /** WskDeregister called with a socket still open: the promise never settles, the loop ends. */
  deregister() {
    const c = register();
    udpSocket(c);
    WskReleaseProviderNPI(c.registration);
    void WskDeregister(c.registration).then(() => console.log('deregistered'));
  },
};

scenarios[process.argv[2]]();
