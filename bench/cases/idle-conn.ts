// C (memory). Memory per idle connection on the server: a child process opens `conns`
// connections; the server holds them ready to receive (node:net reading, node-wsk with
// WskReceiveEvent enabled) and reports (RSS after - RSS before) / conns, after GC.
//   --impl=wsk|net --conns=10000
import { parseArgs } from 'util';
import * as net from 'net';
import {
  NPI_WSK_INTERFACE_ID,
  SOL_SOCKET,
  SO_WSK_EVENT_CALLBACK,
  STATUS_PENDING,
  WSK_EVENT_DISCONNECT,
  WSK_EVENT_RECEIVE,
  WSK_PROVIDER_LISTEN_DISPATCH,
  WSK_CLIENT_CONNECTION_DISPATCH,
  WSK_SOCKET,
  WskSetOption,
  STATUS_SUCCESS,
} from '../../lib';
import { ReusableIrp, COMMON_OPTIONS, check, forkPeer, gcNow, num, report, wskClose, wskCloseSocket, wskListen, wskOpen } from '../common';

const { values: args } = parseArgs({ strict: true, options: { ...COMMON_OPTIONS, conns: { type: 'string', default: '10000' } } });
const conns = num(args.conns, 'conns');
const host = '127.0.0.1';
const settle = () => new Promise((r) => setTimeout(r, 300));

async function clientRole(port: number): Promise<void> {
  const socks: net.Socket[] = [];
  for (let i = 0; i < conns; i += 200) {
    await Promise.all(
      Array.from({ length: Math.min(200, conns - i) }, () => new Promise<void>((resolve) => {
        const c = net.connect(port, host, () => resolve());
        c.on('error', () => {});
        socks.push(c);
      })),
    );
  }
  process.send!({ ready: true });
  await new Promise((r) => process.once('message', r));
  socks.forEach((c) => c.destroy());
  process.disconnect();
}

let heapBefore = 0;
async function rss(): Promise<number> {
  gcNow();
  await settle();
  gcNow();
  const m = process.memoryUsage();
  if (!heapBefore) heapBefore = m.heapUsed;
  heapPerConn = (m.heapUsed - heapBefore) / conns;
  return m.rss;
}
let heapPerConn = 0;

async function netServer(): Promise<void> {
  const before = await rss();
  const held: net.Socket[] = [];
  const server = net.createServer((s) => {
    s.on('error', () => {});
    held.push(s);
  });
  await new Promise<void>((r) => server.listen(0, host, 4096, r));
  const peer = forkPeer(__filename, [...process.argv.slice(2), '--role=client', `--port=${(server.address() as net.AddressInfo).port}`]);
  await new Promise((r) => peer.onMessage(r));
  while (held.length < conns) await settle();
  const after = await rss();
  peer.send('close');
  await peer.done;
  held.forEach((s) => s.destroy());
  server.close();
  report({ metric: 'B/conn', value: (after - before) / conns, heapB: heapPerConn });
}

/** An idle server takes what arrives and forgets it. */
const IDLE_EVENTS: WSK_CLIENT_CONNECTION_DISPATCH = {
  WskReceiveEvent: () => STATUS_SUCCESS,
  WskDisconnectEvent: () => STATUS_SUCCESS,
  WskSendBacklogEvent: null,
};

async function wskServer(): Promise<void> {
  const w = wskOpen();
  const before = await rss();
  const { socket: listener, port } = await wskListen(w, host);
  const peer = forkPeer(__filename, [...process.argv.slice(2), '--role=client', `--port=${port}`]);
  const held: WSK_SOCKET[] = [];
  // A lean WSK server: one reused accept IRP, receive events enabled on every connection
  // (data would arrive in WSK's indications; no per-connection buffer or IRP).
  const ctl = { NpiId: NPI_WSK_INTERFACE_ID, EventMask: WSK_EVENT_RECEIVE | WSK_EVENT_DISCONNECT };
  const d = listener.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;
  let allAccepted!: () => void;
  const accepting = new Promise<void>((r) => (allAccepted = r));
  const take = (s: WSK_SOCKET) => {
    check(s.Dispatch.WskControlSocket(s, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, ctl, 0, null, null, null), 'enable');
    held.push(s);
    if (held.length === conns) allAccepted();
  };
  const accept: ReusableIrp = new ReusableIrp(() => loop());
  const loop = () => {
    for (;;) {
      if (accept.information) take(accept.information as unknown as WSK_SOCKET);
      accept.information = 0;
      if (held.length === conns) return;
      if (d.WskAccept(listener, 0, null, IDLE_EVENTS, null, null, accept.irp) === STATUS_PENDING) return;
      check(accept.status, 'WskAccept');
    }
  };
  loop();
  await new Promise((r) => peer.onMessage(r));
  await accepting;
  const after = await rss();
  peer.send('close');
  await peer.done;
  for (const s of held) await wskCloseSocket(s);
  await wskCloseSocket(listener);
  await wskClose(w);
  report({ metric: 'B/conn', value: (after - before) / conns, heapB: heapPerConn });
}

const main = args.role === 'client' ? () => clientRole(num(args.port, 'port')) : args.impl === 'wsk' ? wskServer : netServer;
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
