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
  SO_WSK_EVENT_CALLBACK,
  SOCKADDR_STORAGE,
  sockaddrFromString,
  sockaddrPort,
  SOL_SOCKET,
  IoAllocateIrp,
  IoSetCompletionRoutine,
  NPI_WSK_INTERFACE_ID,
  NTSTATUS,
  STATUS_REQUEST_NOT_ACCEPTED,
  STATUS_SUCCESS,
  WSK_CLIENT_LISTEN_DISPATCH,
  WSK_EVENT_ACCEPT,
  WSK_EVENT_DISABLE,
  WSK_FLAG_LISTEN_SOCKET,
  WSK_PROVIDER_LISTEN_DISPATCH,
  WSK_SOCKET,
  WskDeregister,
  WskReleaseProviderNPI,
  WskSetOption,
} from '../../lib';
import { Client, inline, register, report, turns, uncaught, until } from './plain';

/** Closes the listener and the peer, deregisters: what stays open, and whether WskDeregister settled. */
async function closeAll(c: Client, s: WSK_SOCKET, peer: net.Socket): Promise<{ open: number; deregistered: boolean }> {
  inline((irp) => s.Dispatch.WskCloseSocket(s, irp));
  peer.destroy();
  WskReleaseProviderNPI(c.registration);
  let deregistered = false;
  void WskDeregister(c.registration).then(() => (deregistered = true));
  await turns(3);
  return { open: openSocketCount(), deregistered };
}

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
    return { uncaught, ...(await closeAll(c, s, peer)) };
  },

  /**
   * Fuzz seed 90262046: WskAcceptEvent disables the accept event with an IRP (it pends until the
   * callback returns), and refuses the connection; the disable's routine returns a wrong status.
   * Its exception came out of the callback's end, before the refused connection was closed: the
   * connection stayed open, owned by nobody, and WskDeregister never settled.
   */
  async 'accept-disable-routine-throws'() {
    const c = register();
    let s!: WSK_SOCKET;
    let offered = 0;
    let disable: NTSTATUS | null = null;
    const dispatch: WSK_CLIENT_LISTEN_DISPATCH = {
      WskAcceptEvent: () => {
        offered++;
        const irp = IoAllocateIrp(1, false)!;
        IoSetCompletionRoutine(irp, () => STATUS_SUCCESS, null, true, true, true); // a wrong return
        const ctl = { NpiId: NPI_WSK_INTERFACE_ID, EventMask: WSK_EVENT_ACCEPT | WSK_EVENT_DISABLE };
        disable = s.Dispatch.WskControlSocket(s, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, ctl, 0, null, null, irp);
        return STATUS_REQUEST_NOT_ACCEPTED;
      },
      WskInspectEvent: null,
      WskAbortEvent: null,
    };
    const created = inline((irp) => c.npi.Dispatch.WskSocket(c.npi.Client, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET, null, dispatch, null, null, null, irp));
    s = created.IoStatus.Information as WSK_SOCKET;
    const d = s.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;
    inline((irp) => d.WskBind(s, sockaddrFromString('127.0.0.1', 0), 0, irp));
    const on = { NpiId: NPI_WSK_INTERFACE_ID, EventMask: WSK_EVENT_ACCEPT };
    inline((irp) => d.WskControlSocket(s, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, on, 0, null, null, irp));
    const local: SOCKADDR_STORAGE = {};
    inline((irp) => d.WskGetLocalAddress(s, local as PSOCKADDR, irp));
    const peer = net.connect(sockaddrPort(local as PSOCKADDR), '127.0.0.1');
    peer.on('error', () => undefined);
    // The refused connection is closed: the peer sees it end.
    const ended = new Promise<boolean>((resolve) => peer.on('close', () => resolve(true)));
    await until(() => uncaught.length > 0);
    const peerClosed = await Promise.race([ended, new Promise<boolean>((r) => setTimeout(() => r(false), 2000))]);
    const { open, deregistered } = await closeAll(c, s, peer);
    return { offered, disable, uncaught: uncaught.map((m) => m.split(':')[0]), peerClosed, open, deregistered };
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
