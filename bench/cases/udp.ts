// D. UDP: 64-byte datagrams for a fixed time; datagrams/s received and loss %. node-wsk sends
// with one WskSendTo per datagram (--send=sendto) or WskSendMessages batches (--send=batch)
// and receives through WskReceiveFromEvent; node:dgram sends with send() and 'message'.
//   --impl=wsk|net --mode=one|two --send=sendto|batch --seconds=2 --burst=64
import { parseArgs } from 'util';
import * as dgram from 'dgram';
import {
  AF_INET,
  IPPROTO_UDP,
  NPI_WSK_INTERFACE_ID,
  SOCK_DGRAM,
  SOL_SOCKET,
  SO_WSK_EVENT_CALLBACK,
  STATUS_PENDING,
  STATUS_SUCCESS,
  WSK_BUF_LIST,
  WSK_CLIENT_DATAGRAM_DISPATCH,
  WSK_DATAGRAM_INDICATION,
  WSK_EVENT_RECEIVE_FROM,
  WSK_FLAG_DATAGRAM_SOCKET,
  WSK_PROVIDER_DATAGRAM_DISPATCH,
  WSK_SOCKET,
  WskSetOption,
  sockaddrFromString,
  SOCKADDR_STORAGE,
  PSOCKADDR,
  sockaddrPort,
} from '../../lib';
import { wskCall } from '../../lib/promises';
import { ReusableIrp, Wsk, COMMON_OPTIONS, check, forkPeer, now, num, report, wskClose, wskCloseSocket, wskOpen } from '../common';
import { wskBuf } from '../wsk-conn';

const { values: args } = parseArgs({
  strict: true,
  options: {
    ...COMMON_OPTIONS,
    seconds: { type: 'string', default: '2' },
    burst: { type: 'string', default: '64' },
    send: { type: 'string', default: 'sendto' },
  },
});
const { impl } = args;
const seconds = num(args.seconds, 'seconds');
const burst = num(args.burst, 'burst');
const size = 64;
const host = '127.0.0.1';
const yieldLoop = () => new Promise((r) => setImmediate(r));

async function wskDatagram(w: Wsk, dispatch: WSK_CLIENT_DATAGRAM_DISPATCH | null, context: unknown): Promise<{ s: WSK_SOCKET; port: number }> {
  const io = await wskCall((i) => w.npi.Dispatch.WskSocket(w.npi.Client, AF_INET, SOCK_DGRAM, IPPROTO_UDP, WSK_FLAG_DATAGRAM_SOCKET, context, dispatch, null, null, null, i));
  const s = io.Information as WSK_SOCKET;
  const d = s.Dispatch as WSK_PROVIDER_DATAGRAM_DISPATCH;
  await wskCall((i) => d.WskBind(s, sockaddrFromString(host, 0), 0, i));
  const local: SOCKADDR_STORAGE = {};
  await wskCall((i) => d.WskGetLocalAddress(s, local, i));
  return { s, port: sockaddrPort(local as PSOCKADDR) };
}

// ---- receivers: count datagrams until stopped ----

interface Receiver {
  port: number;
  count(): number;
  close(): Promise<void>;
}

async function netReceiver(): Promise<Receiver> {
  const sock = dgram.createSocket('udp4');
  let n = 0;
  sock.on('message', () => n++);
  await new Promise<void>((r) => sock.bind(0, host, r));
  return { port: sock.address().port, count: () => n, close: () => new Promise((r) => sock.close(() => r())) };
}

async function wskReceiver(): Promise<Receiver> {
  const w = wskOpen();
  let n = 0;
  const events: WSK_CLIENT_DATAGRAM_DISPATCH = {
    WskReceiveFromEvent: (_ctx: unknown, _flags: number, ind: WSK_DATAGRAM_INDICATION | null) => {
      for (let i = ind; i; i = i.Next) n++;
      return STATUS_SUCCESS;
    },
  };
  const { s, port } = await wskDatagram(w, events, null);
  const ctl = { NpiId: NPI_WSK_INTERFACE_ID, EventMask: WSK_EVENT_RECEIVE_FROM };
  check(s.Dispatch.WskControlSocket(s, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, ctl, 0, null, null, null), 'SO_WSK_EVENT_CALLBACK');
  return { port, count: () => n, close: async () => { await wskCloseSocket(s); await wskClose(w); } };
}

// ---- senders: send for `seconds`, bursts between loop turns; resolve with the count sent ----

async function netSender(port: number): Promise<number> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, host, r));
  const payload = Buffer.alloc(size, 0x44);
  let sent = 0;
  const end = now() + seconds * 1000;
  while (now() < end) {
    await new Promise<void>((resolve) => {
      for (let i = 0; i < burst; i++) sock.send(payload, port, host, i === burst - 1 ? () => resolve() : undefined);
    });
    sent += burst;
    await yieldLoop();
  }
  await new Promise<void>((r) => sock.close(() => r()));
  return sent;
}

async function wskSender(port: number): Promise<number> {
  const w = wskOpen();
  const { s } = await wskDatagram(w, null, null);
  const d = s.Dispatch as WSK_PROVIDER_DATAGRAM_DISPATCH;
  const to = sockaddrFromString(host, port);
  const payload = wskBuf(new Uint8Array(size).fill(0x44));
  let list: WSK_BUF_LIST | null = null;
  for (let i = 0; i < burst; i++) list = { Next: list, Buffer: payload };
  let resume: (() => void) | null = null;
  const r = new ReusableIrp(() => resume?.());
  const waitPended = () => new Promise<void>((res) => (resume = res));
  let sent = 0;
  const end = now() + seconds * 1000;
  while (now() < end) {
    if (args.send === 'batch') {
      if (d.WskSendMessages(s, list!, 0, to, 0, null, r.irp) === STATUS_PENDING) await waitPended();
      check(r.status, 'WskSendMessages');
    } else {
      for (let i = 0; i < burst; i++) {
        if (d.WskSendTo(s, payload, 0, to, 0, null, r.irp) === STATUS_PENDING) await waitPended();
        check(r.status, 'WskSendTo');
      }
    }
    sent += burst;
    await yieldLoop();
  }
  await wskCloseSocket(s);
  await wskClose(w);
  return sent;
}

async function main(): Promise<void> {
  const sender = impl === 'wsk' ? wskSender : netSender;
  if (args.role === 'sender') {
    const sent = await sender(num(args.port, 'port'));
    process.send!({ sent });
    process.disconnect();
    return;
  }
  const rx = await (impl === 'wsk' ? wskReceiver : netReceiver)();
  const t0 = now();
  let sent: number;
  if (args.mode === 'two') {
    const peer = forkPeer(__filename, [...process.argv.slice(2), '--role=sender', `--port=${rx.port}`]);
    sent = await new Promise<number>((r) => peer.onMessage((m) => r((m as { sent: number }).sent)));
    await peer.done;
  } else {
    sent = await sender(rx.port);
  }
  const elapsed = (now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 100));
  const received = rx.count();
  await rx.close();
  report({ metric: 'dgram/s', value: received / elapsed, lossPct: sent > 0 ? (100 * (sent - received)) / sent : 0 });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
