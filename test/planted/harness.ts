// The stage of the planted-bug clients (issue 17, part 3): a registered client connected to a
// real node:net peer on loopback, set up and torn down with fault injection off, so that the
// faults land only on what the client under test does. Each client is one file of this folder
// with one classic WSK bug; test/planted/planted.test.ts runs it without and with injection.
import * as net from 'net';
import {
  AF_INET,
  IoAllocateIrp,
  IoAllocateMdl,
  IoSetCompletionRoutine,
  IPPROTO_TCP,
  IRP,
  MmBuildMdlForNonPagedPool,
  NPI_WSK_INTERFACE_ID,
  SO_WSK_EVENT_CALLBACK,
  SOCK_STREAM,
  SOL_SOCKET,
  sockaddrFromString,
  STATUS_MORE_PROCESSING_REQUIRED,
  WSK_BUF,
  WSK_CLIENT_CONNECTION_DISPATCH,
  WSK_EVENT_RECEIVE,
  WSK_FLAG_CONNECTION_SOCKET,
  WSK_PROVIDER_CONNECTION_DISPATCH,
  WSK_SOCKET,
  WskFaultOptions,
  WskSetOption,
  setWskFaults,
} from '../../lib';
import { wskCall } from '../../lib/promises';
import { Provider, register, unregister } from '../helpers';

export interface Stage {
  p: Provider;
  /** The WSK connection the client works on. */
  s: WSK_SOCKET;
  d: WSK_PROVIDER_CONNECTION_DISPATCH;
  /** The other end, a node:net socket (an echo server unless the client says otherwise). */
  peer: net.Socket;
}

export interface PlantedClient {
  /** The bug, in a few words. */
  bug: string;
  /** The faults that catch it (the seed is added by the test). */
  faults: WskFaultOptions;
  /** Whether the peer echoes what it receives (else it only collects it). */
  echo: boolean;
  /** A receive event on the connection, when the client uses indications. */
  dispatch?: WSK_CLIENT_CONNECTION_DISPATCH;
  /** The client's work; resolves when it believes it succeeded, throws (or hangs) when not. */
  run(stage: Stage): Promise<void>;
}

/** An IRP whose completion routine resolves the promise it comes with (the C pattern). */
export function irpWithPromise(): { irp: IRP; done: Promise<IRP> } {
  const irp = IoAllocateIrp(1, false)!;
  let resolve!: (irp: IRP) => void;
  const done = new Promise<IRP>((r) => (resolve = r));
  IoSetCompletionRoutine(irp, (_d, i) => (resolve(i), STATUS_MORE_PROCESSING_REQUIRED), null, true, true, true);
  return { irp, done };
}

export function buf(bytes: Uint8Array): WSK_BUF {
  const mdl = IoAllocateMdl(bytes, bytes.byteLength, false, false, null)!;
  MmBuildMdlForNonPagedPool(mdl);
  return { Mdl: mdl, Offset: 0, Length: bytes.byteLength };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A framed message: 2-byte length, then `body`. */
export function frame(body: string): Buffer {
  const b = Buffer.from(body);
  const out = Buffer.alloc(2 + b.length);
  out.writeUInt16BE(b.length, 0);
  b.copy(out, 2);
  return out;
}

/** What a run came to: passed, or caught (the message of what caught it). */
export type Outcome = { caught: false } | { caught: true; how: string };

/**
 * Runs `client` once on a fresh stage: faults (with `seed`) on only while the client works,
 * a hang turned into a clear timeout after `ms`; the stage is always torn down.
 */
export async function runOnce(client: PlantedClient, faults: WskFaultOptions | null, ms = 3000): Promise<Outcome> {
  const p = register();
  const server = net.createServer((c) => {
    c.on('error', () => {});
    if (client.echo) c.pipe(c);
    else c.resume();
    peers.push(c);
  });
  const peers: net.Socket[] = [];
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const io = await wskCall((irp) =>
    p.npi.Dispatch.WskSocket(p.npi.Client, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_CONNECTION_SOCKET, null, client.dispatch ?? null, null, null, null, irp),
  );
  const s = io.Information as WSK_SOCKET;
  const d = s.Dispatch as WSK_PROVIDER_CONNECTION_DISPATCH;
  await wskCall((irp) => d.WskBind(s, sockaddrFromString('127.0.0.1', 0), 0, irp));
  await wskCall((irp) => d.WskConnect(s, sockaddrFromString('127.0.0.1', port), 0, irp));
  for (let i = 0; i < 500 && peers.length === 0; i++) await sleep(2);
  if (client.dispatch) {
    const ctl = { NpiId: NPI_WSK_INTERFACE_ID, EventMask: WSK_EVENT_RECEIVE };
    d.WskControlSocket(s, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, ctl, 0, null, null, null);
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: the client hangs`)), ms);
  });
  let outcome: Outcome;
  try {
    if (faults) setWskFaults(faults);
    const work = client.run({ p, s, d, peer: peers[0] });
    work.catch(() => {}); // a client still running at the timeout may fail later: already judged
    await Promise.race([work, timeout]);
    outcome = { caught: false };
  } catch (e) {
    outcome = { caught: true, how: e instanceof Error ? e.message : String(e) };
  } finally {
    setWskFaults(null);
    clearTimeout(timer);
  }
  // Whatever the client left pending is cancelled by the close.
  await wskCall((irp) => d.WskCloseSocket(s, irp));
  for (const c of peers) c.destroy();
  await new Promise<void>((r) => server.close(() => r()));
  await unregister(p);
  return outcome;
}
