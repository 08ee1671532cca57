// Request/response (bench/rr.ts) written as a Node service would write it on node-wsk/promises:
// every send awaited through wskCall (a pooled IRP and a promise per call), every receive pulled
// from a ReceiveEvents iterator. `--recv=promises` runs it; beside the irp and event rows it
// shows what the idiomatic layer costs over the C pattern of bench/wsk-conn.ts.
import { PWSK_SOCKET, WSK_BUF, WSK_PROVIDER_CONNECTION_DISPATCH } from '../lib';
import { NtStatusError, ReceiveEvents, wskCall } from '../lib/promises';
import { now, wskAccept, wskClose, wskCloseSocket, wskConnect, wskListen, wskOpen } from './common';
import type { ClientResult, Opts } from './rr';
import { latencyHistogram, recordSince } from './rr';
import { wskBuf } from './wsk-conn';

const host = '127.0.0.1';
const send = (s: PWSK_SOCKET, buf: WSK_BUF) => wskCall((Irp) => (s.Dispatch as WSK_PROVIDER_CONNECTION_DISPATCH).WskSend(s, buf, 0, Irp));

/** Answers every `size` bytes with `size` bytes until the client goes (a FIN, or the reset of its close). */
async function answer(s: PWSK_SOCKET, received: ReceiveEvents, pong: WSK_BUF, size: number): Promise<void> {
  let pending = 0;
  try {
    for await (const data of received) {
      for (pending += data.byteLength; pending >= size; pending -= size) await send(s, pong);
    }
  } catch (error) {
    if (!(error instanceof NtStatusError)) throw error;
  }
  await wskCloseSocket(s);
}

export async function promiseServer(o: Opts, listening: (port: number) => void): Promise<void> {
  const w = wskOpen();
  const { socket: listener, port } = await wskListen(w, host);
  listening(port);
  const pong = wskBuf(new Uint8Array(o.size).fill(0x50));
  const served: Promise<void>[] = [];
  for (let i = 0; i < o.conns; i++) {
    const received = new ReceiveEvents();
    const s = await wskAccept(listener, received, received.Dispatch);
    received.enable(s);
    served.push(answer(s, received, pong, o.size));
  }
  await Promise.all(served);
  await wskCloseSocket(listener);
  await wskClose(w);
}

export async function promiseClients(o: Opts, port: number): Promise<ClientResult> {
  const w = wskOpen();
  const ping = wskBuf(new Uint8Array(o.size).fill(0x51));
  const latency = o.latency ? latencyHistogram() : null;
  const conns: Array<{ s: PWSK_SOCKET; received: ReceiveEvents }> = [];
  for (let i = 0; i < o.conns; i++) {
    const received = new ReceiveEvents();
    const s = await wskConnect(w, host, port, received, received.Dispatch);
    received.enable(s);
    conns.push({ s, received });
  }
  const rounds = async ({ s, received }: { s: PWSK_SOCKET; received: ReceiveEvents }): Promise<void> => {
    let got = 0;
    for (let round = 0; round < o.rounds; round++) {
      const sentAt = now();
      await send(s, ping);
      while (got < o.size) {
        const r = await received.next();
        if (r.done) throw new Error('the server closed early');
        got += r.value.byteLength;
      }
      got -= o.size;
      if (latency) recordSince(latency, sentAt);
    }
  };
  const t0 = now();
  const cpu0 = process.cpuUsage();
  await Promise.all(conns.map(rounds));
  const seconds = (now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  for (const { s, received } of conns) {
    await received.return(); // gives back the chain it still holds, before the close
    await wskCloseSocket(s);
  }
  await wskClose(w);
  return { seconds, cpu, latency };
}
