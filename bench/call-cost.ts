// What one awaited node-wsk/promises call costs over the C pattern, on one socket: N WskSends
// of 16 bytes to a node:net sink, (a) on one reused IRP (IoReuseIrp, IoSetCompletionRoutine,
// inline completions handled in a loop, a wait only when the send pends) and (b) each awaited
// through wskCall. Alternated rounds; prints the CPU time per send of each (syscall included).
//   node dist/bench/call-cost.js [--sends=200000] [--rounds=5]
import * as net from 'net';
import { parseArgs } from 'util';
import {
  IPPROTO_TCP,
  IoAllocateIrp,
  IoReuseIrp,
  IoSetCompletionRoutine,
  PWSK_SOCKET,
  SOCK_STREAM,
  STATUS_MORE_PROCESSING_REQUIRED,
  STATUS_PENDING,
  STATUS_UNSUCCESSFUL,
  WSK_BUF,
  WSK_PROVIDER_CONNECTION_DISPATCH,
  sockaddrFromString,
} from '../lib';
import { registerClient, wskBuf, wskCall } from '../lib/promises';
import { median } from './harness';

const { values } = parseArgs({ strict: true, options: { sends: { type: 'string', default: '200000' }, rounds: { type: 'string', default: '5' } } });
const sends = Number(values.sends);
const rounds = Number(values.rounds);

/** CPU microseconds per iteration of `body`, run `sends` times. */
async function cpuPerSend(body: () => Promise<void> | void): Promise<number> {
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < sends; i++) await body();
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / sends;
}

/** The C pattern: one IRP, reset and re-armed per send; only a pended send is waited for. */
function cPattern(s: PWSK_SOCKET, buf: WSK_BUF): () => Promise<void> | void {
  const Irp = IoAllocateIrp(1, false)!;
  let wake: (() => void) | null = null;
  const routine = (): number => (wake?.(), STATUS_MORE_PROCESSING_REQUIRED);
  const send = (s.Dispatch as WSK_PROVIDER_CONNECTION_DISPATCH).WskSend;
  return () => {
    IoReuseIrp(Irp, STATUS_UNSUCCESSFUL);
    IoSetCompletionRoutine(Irp, routine, null, true, true, true);
    if (send(s, buf, 0, Irp) !== STATUS_PENDING) return;
    return new Promise<void>((resolve) => (wake = resolve)).then(() => void (wake = null));
  };
}

async function main(): Promise<void> {
  const sink = net.createServer((c) => c.on('data', () => {}).on('error', () => {}));
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const { Npi, close } = registerClient();
  const remote = sockaddrFromString('127.0.0.1', (sink.address() as net.AddressInfo).port);
  const io = await wskCall((Irp) => Npi.Dispatch.WskSocketConnect(Npi.Client, SOCK_STREAM, IPPROTO_TCP, sockaddrFromString('0.0.0.0'), remote, 0, null, null, null, null, null, Irp));
  const s = io.Information as PWSK_SOCKET;
  const buf = wskBuf(new Uint8Array(16));
  const c: number[] = [];
  const promises: number[] = [];
  for (let round = 0; round < rounds; round++) {
    c.push(await cpuPerSend(cPattern(s, buf)));
    promises.push(await cpuPerSend(() => wskCall((Irp) => (s.Dispatch as WSK_PROVIDER_CONNECTION_DISPATCH).WskSend(s, buf, 0, Irp)).then(() => undefined)));
  }
  console.log(`CPU µs per 16-byte send, median of ${rounds} rounds of ${sends}: C pattern ${median(c).toFixed(2)}, wskCall ${median(promises).toFixed(2)}`);
  await wskCall((Irp) => s.Dispatch.WskCloseSocket(s, Irp));
  await close();
  sink.close();
}

void main();
