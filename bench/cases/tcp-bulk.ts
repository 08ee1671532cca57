// A. TCP bulk: one connection, `total` bytes in `chunk`-byte sends; MB/s at the receiver,
// timed from the first byte received to the last.
//   --impl=wsk|net  --mode=one|two  --recv=irp|event  --chunk=65536  --total=1073741824
import { parseArgs } from 'util';
import * as net from 'net';
import {
  NPI_WSK_INTERFACE_ID,
  SIZE_T,
  SOL_SOCKET,
  SO_WSK_EVENT_CALLBACK,
  STATUS_PENDING,
  STATUS_SUCCESS,
  WSK_BUF,
  WSK_CLIENT_CONNECTION_DISPATCH,
  WSK_DATA_INDICATION,
  WSK_EVENT_RECEIVE,
  WSK_PROVIDER_CONNECTION_DISPATCH,
  WSK_SOCKET,
  WskSetOption,
  PSIZE_T,
} from '../../lib';
import { NtStatusError, wskCall } from '../../lib/promises';
import { ReusableIrp, COMMON_OPTIONS, check, forkPeer, now, num, report, wskAccept, wskClose, wskCloseSocket, wskConnect, wskListen, wskOpen } from '../common';
import { wskBuf } from '../wsk-conn';

const { values: args } = parseArgs({
  strict: true,
  options: {
    ...COMMON_OPTIONS,
    chunk: { type: 'string', default: '65536' },
    total: { type: 'string', default: String(64 * 1024 * 1024) },
    recv: { type: 'string', default: 'irp' },
  },
});
const { impl, mode } = args;
const role = args.role ?? 'receiver';
const chunk = num(args.chunk, 'chunk');
const total = num(args.total, 'total');
const host = '127.0.0.1';

const buf = (size: number): WSK_BUF => wskBuf(new Uint8Array(size).fill(0x5a));

// ---- receivers: resolve with MB/s once `total` bytes arrived ----

async function netReceiver(listening: (port: number) => void): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer((s) => {
      let got = 0;
      let t0 = 0;
      s.on('data', (d) => {
        if (got === 0) t0 = now();
        got += d.length;
        if (got >= total) {
          const ms = now() - t0;
          s.destroy();
          server.close();
          resolve(total / 1e6 / (ms / 1000));
        }
      });
    });
    server.listen(0, host, () => listening((server.address() as net.AddressInfo).port));
  });
}

async function wskReceiver(listening: (port: number) => void): Promise<number> {
  const w = wskOpen();
  let got = 0;
  let t0 = 0;
  let finish!: (mbps: number) => void;
  const done = new Promise<number>((r) => (finish = r));
  const counted = (n: number) => {
    if (got === 0) t0 = now();
    got += n;
    if (got >= total) finish(total / 1e6 / ((now() - t0) / 1000));
  };
  const events: WSK_CLIENT_CONNECTION_DISPATCH = {
    WskReceiveEvent: (_ctx: unknown, _flags: number, ind: WSK_DATA_INDICATION | null, BytesIndicated: SIZE_T, _acc: PSIZE_T) => {
      if (ind) counted(BytesIndicated);
      return STATUS_SUCCESS;
    },
    WskDisconnectEvent: null,
    WskSendBacklogEvent: null,
  };
  const { socket: listener, port } = await wskListen(w, host);
  listening(port);
  const s = await wskAccept(listener, null, args.recv === 'event' ? events : null);
  const d = s.Dispatch as WSK_PROVIDER_CONNECTION_DISPATCH;
  if (args.recv === 'event') {
    // Enabling an event takes no IRP (reference §4.4).
    const ctl = { NpiId: NPI_WSK_INTERFACE_ID, EventMask: WSK_EVENT_RECEIVE };
    check(d.WskControlSocket(s, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, ctl, 0, null, null, null), 'SO_WSK_EVENT_CALLBACK');
  } else {
    // The receiver's buffer is its own choice, whatever the sender's chunk: 64 KiB, the size
    // libuv reads with for node:net.
    const rbuf = buf(65536);
    const r = new ReusableIrp(() => step());
    const step = () => {
      for (;;) {
        check(r.status, 'WskReceive');
        if (r.information > 0) {
          counted(r.information);
          r.information = 0;
          if (got >= total) return;
        }
        const st = d.WskReceive(s, rbuf, 0, r.irp);
        if (st === STATUS_PENDING) return;
        check(st, 'WskReceive');
        if (r.information === 0) return; // peer closed
      }
    };
    step();
  }
  const mbps = await done;
  await wskCloseSocket(s);
  await wskCloseSocket(listener);
  await wskClose(w);
  return mbps;
}

// ---- senders ----

function netSender(port: number): Promise<void> {
  return new Promise((resolve) => {
    const data = Buffer.alloc(chunk, 0x5a);
    const c = net.connect(port, host, () => {
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          sent += chunk;
          if (!c.write(data)) return void c.once('drain', pump);
        }
      };
      pump();
    });
    c.on('error', () => {});
    c.on('data', () => {});
    c.on('close', () => resolve());
  });
}

async function wskSender(port: number): Promise<void> {
  const w = wskOpen();
  const s = await wskConnect(w, host, port);
  const d = s.Dispatch as WSK_PROVIDER_CONNECTION_DISPATCH;
  const sbuf = buf(chunk);
  let sent = 0;
  await new Promise<void>((resolve) => {
    const r = new ReusableIrp(() => step());
    const step = () => {
      while (sent < total) {
        sent += chunk;
        const st = d.WskSend(s, sbuf, 0, r.irp);
        if (st === STATUS_PENDING) return;
        check(st, 'WskSend');
      }
      resolve();
    };
    step();
  });
  // Wait for the receiver to close before closing (a close now would reset unread data).
  const rbuf = buf(1024);
  for (;;) {
    const io = await wskCall((i) => d.WskReceive(s, rbuf, 0, i)).catch((e: unknown) => {
      if (e instanceof NtStatusError) return null; // the receiver closed abortively: done too
      throw e;
    });
    if (io === null || io.Information === 0) break;
  }
  await wskCloseSocket(s);
  await wskClose(w);
}

async function main(): Promise<void> {
  const receiver = impl === 'wsk' ? wskReceiver : netReceiver;
  const sender = impl === 'wsk' ? wskSender : netSender;
  if (role === 'sender') {
    await sender(num(args.port, 'port'));
    process.disconnect?.();
    return;
  }
  let senderDone: Promise<unknown> = Promise.resolve();
  const mbps = await receiver((port) => {
    senderDone = mode === 'two' ? forkPeer(__filename, [...process.argv.slice(2), '--role=sender', `--port=${port}`]).done : sender(port);
  });
  await senderDone;
  report({ metric: 'MB/s', value: mbps });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
