// C (memory). Memory per idle connection on the server: a child process opens `conns`
// connections; the server holds them ready to receive (node:net reading, node-wsk with
// WskReceiveEvent enabled) and reports (RSS after - RSS before) / conns, after GC.
//   --impl=wsk|net --conns=10000
import * as net from 'net';
import { WSK_SOCKET } from '../../lib';
import { forkPeer, gcNow, num, parseArgs, report, wskAccept, wskClose, wskCloseSocket, wskListen, wskOpen } from '../common';
import { WskConn, wskBuf } from '../wsk-conn';

const args = parseArgs();
const conns = num(args, 'conns', 10000);
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

async function rss(): Promise<number> {
  gcNow();
  await settle();
  gcNow();
  return process.memoryUsage().rss;
}

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
  report({ metric: 'B/conn', value: (after - before) / conns, conns });
}

async function wskServer(): Promise<void> {
  const w = wskOpen();
  const before = await rss();
  const { socket: listener, port } = await wskListen(w, host);
  const peer = forkPeer(__filename, [...process.argv.slice(2), '--role=client', `--port=${port}`]);
  const held: WSK_SOCKET[] = [];
  // One shared receive buffer: with WskReceiveEvent the data arrives in WSK's indications.
  const shared = wskBuf(new Uint8Array(64));
  const accepting = (async () => {
    while (held.length < conns) {
      const conn = new WskConn('event', shared, shared, () => {});
      const s = await wskAccept(listener, conn, conn.dispatch);
      conn.start(s);
      held.push(s);
    }
  })();
  await new Promise((r) => peer.onMessage(r));
  await accepting;
  const after = await rss();
  peer.send('close');
  await peer.done;
  for (const s of held) await wskCloseSocket(s);
  await wskCloseSocket(listener);
  await wskClose(w);
  report({ metric: 'B/conn', value: (after - before) / conns, conns });
}

const main = args.role === 'client' ? () => clientRole(Number(args.port)) : args.impl === 'wsk' ? wskServer : netServer;
main().catch((e) => {
  console.error(e);
  process.exit(1);
});
