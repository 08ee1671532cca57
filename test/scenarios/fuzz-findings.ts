// What the fuzzer found on the event loop (test/fuzz-findings.test.ts runs these, one per process):
//   node -r ./test/scenarios/ts-hook.js test/scenarios/fuzz-findings.ts <scenario>
// Each prints one JSON line with what it saw.
import * as net from 'net';
import {
  AF_INET,
  IPPROTO_TCP,
  openSocketCount,
  PSOCKADDR,
  SO_CONDITIONAL_ACCEPT,
  SOCK_STREAM,
  SOCKADDR_STORAGE,
  sockaddrFromString,
  sockaddrPort,
  SOL_SOCKET,
  WSK_CLIENT_LISTEN_DISPATCH,
  WSK_FLAG_LISTEN_SOCKET,
  WSK_PROVIDER_LISTEN_DISPATCH,
  WSK_SOCKET,
  WskDeregister,
  WskReleaseProviderNPI,
  WskSetOption,
} from '../../lib';
import { inline, register, report, turns, uncaught, until } from './plain';

const scenarios: Record<string, () => Promise<unknown>> = {
  /** Fuzz seed 100: a conditional-accept listener whose WskInspectEvent throws, one connection. */
  async 'inspect-throws'() {
    const c = register();
    const dispatch: WSK_CLIENT_LISTEN_DISPATCH = {
      WskAcceptEvent: null,
      WskInspectEvent: () => {
        throw new Error('a bug in the inspect event');
      },
      WskAbortEvent: null,
    };
    const created = inline((irp) => c.npi.Dispatch.WskSocket(c.npi.Client, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET, null, dispatch, null, null, null, irp));
    const s = created.IoStatus.Information as WSK_SOCKET;
    const d = s.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;
    const one = new Uint8Array(new Uint32Array([1]).buffer);
    inline((irp) => d.WskControlSocket(s, WskSetOption, SO_CONDITIONAL_ACCEPT, SOL_SOCKET, 4, one, 0, null, null, irp));
    inline((irp) => d.WskBind(s, sockaddrFromString('127.0.0.1', 0), 0, irp));
    const local: SOCKADDR_STORAGE = {};
    inline((irp) => d.WskGetLocalAddress(s, local as PSOCKADDR, irp));
    const peer = net.connect(sockaddrPort(local as PSOCKADDR), '127.0.0.1');
    peer.on('error', () => undefined);
    await until(() => uncaught.length > 0);
    inline((irp) => d.WskCloseSocket(s, irp));
    peer.destroy();
    WskReleaseProviderNPI(c.registration);
    let deregistered = false;
    void WskDeregister(c.registration).then(() => (deregistered = true));
    await turns(3);
    return { uncaught, open: openSocketCount(), deregistered };
  },
};

const name = process.argv[2];
const scenario = scenarios[name];
if (!scenario) {
  console.error(`unknown scenario ${name}`);
  process.exit(2);
}
scenario().then(report, (e) => {
  console.error(e);
  process.exit(1);
});
