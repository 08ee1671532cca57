// Shared plumbing for benchmark cases: arguments, result lines, and the WSK calls every case
// makes (register, socket, bind, connect, close). Set-up and tear-down are awaited with
// node-wsk/promises; the measured paths use ReusableIrp below, the C pattern on purpose.
import { fork } from 'child_process';
import { performance } from 'perf_hooks';
import {
  AF_INET,
  IoAllocateIrp,
  IoReuseIrp,
  IoSetCompletionRoutine,
  IPPROTO_TCP,
  IRP,
  NTSTATUS,
  NT_SUCCESS,
  PSOCKADDR,
  SOCKADDR_STORAGE,
  SOCK_STREAM,
  STATUS_MORE_PROCESSING_REQUIRED,
  STATUS_UNSUCCESSFUL,
  WSK_FLAG_LISTEN_SOCKET,
  WSK_PROVIDER_LISTEN_DISPATCH,
  WSK_PROVIDER_NPI,
  WSK_REGISTRATION,
  WSK_SOCKET,
  ntStatusName,
  sockaddrFromString,
  sockaddrPort,
  WSK_CLIENT_CONNECTION_DISPATCH,
} from '../lib';
import { registerClient, wskCall, type WskClient } from '../lib/promises';

/**
 * The options every case takes (for util.parseArgs, beside the case's own): which side to
 * measure, one process or two, and a forked peer's role and port.
 */
export const COMMON_OPTIONS = {
  impl: { type: 'string', default: 'net' },
  mode: { type: 'string', default: 'one' },
  role: { type: 'string' },
  port: { type: 'string' },
} as const;

/** A numeric option's value; a value that is not a number is an error, not a NaN result. */
export function num(value: string | undefined, name: string): number {
  const n = Number(value);
  if (value === undefined || !Number.isFinite(n)) throw new Error(`--${name} must be a number, got ${String(value)}`);
  return n;
}

/** One result line on stdout: the harness reads the last JSON line a case prints. */
export function report(result: Record<string, number | string>): void {
  process.stdout.write(JSON.stringify(result) + '\n');
}

export const now = (): number => performance.now(); // ms

/** Forks this same case script as the peer process; resolves with its exit code. */
export function forkPeer(script: string, args: string[]): { done: Promise<number>; send(msg: unknown): void; onMessage(fn: (m: unknown) => void): void } {
  const child = fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return {
    done: new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1))),
    send: (msg) => child.send(msg as never),
    onMessage: (fn) => child.on('message', fn),
  };
}

export function check(status: NTSTATUS, what: string): void {
  if (!NT_SUCCESS(status)) throw new Error(`${what}: ${ntStatusName(status)}`);
}

// ---- WSK plumbing ----

export interface Wsk {
  registration: WSK_REGISTRATION;
  npi: WSK_PROVIDER_NPI;
  client: WskClient;
}

export function wskOpen(): Wsk {
  const client = registerClient();
  return { registration: client.Registration, npi: client.Npi, client };
}

export function wskClose(w: Wsk): Promise<void> {
  return w.client.close();
}

/**
 * A reusable IRP for the measured path, as a driver keeps one: `onComplete` runs for every
 * completion, inline or pended, with the IRP already reset for the next call. No allocation and
 * no promise per operation (node-wsk/promises costs one of each; `--recv=promises` measures it).
 */
export class ReusableIrp {
  readonly irp = IoAllocateIrp(1, false)!;
  status = 0;
  information = 0;
  constructor(private readonly onComplete: (r: ReusableIrp) => void) {
    this.arm();
  }
  private readonly routine = (_d: null, irp: IRP): NTSTATUS => {
    this.status = irp.IoStatus.Status;
    this.information = irp.IoStatus.Information as number;
    const pended = irp.PendingReturned;
    this.arm();
    // An inline completion is handled by the caller's loop; only a pended one re-enters here.
    if (pended) this.onComplete(this);
    return STATUS_MORE_PROCESSING_REQUIRED;
  };
  arm(): void {
    IoReuseIrp(this.irp, STATUS_UNSUCCESSFUL);
    IoSetCompletionRoutine(this.irp, this.routine, null, true, true, true);
  }
}

export async function wskListen(w: Wsk, host: string, dispatch: unknown = null, context: unknown = null): Promise<{ socket: WSK_SOCKET; port: number }> {
  const io = await wskCall((i) => w.npi.Dispatch.WskSocket(w.npi.Client, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET, context, dispatch as never, null, null, null, i));
  const socket = io.Information as WSK_SOCKET;
  const d = socket.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;
  await wskCall((i) => d.WskBind(socket, sockaddrFromString(host, 0), 0, i));
  const local: SOCKADDR_STORAGE = {};
  await wskCall((i) => d.WskGetLocalAddress(socket, local, i));
  return { socket, port: sockaddrPort(local as PSOCKADDR) };
}

export async function wskAccept(listener: WSK_SOCKET, context: unknown = null, dispatch: WSK_CLIENT_CONNECTION_DISPATCH | null = null): Promise<WSK_SOCKET> {
  const d = listener.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;
  const io = await wskCall((i) => d.WskAccept(listener, 0, context, dispatch, null, null, i));
  return io.Information as WSK_SOCKET;
}

export async function wskConnect(w: Wsk, host: string, port: number, context: unknown = null, dispatch: WSK_CLIENT_CONNECTION_DISPATCH | null = null): Promise<WSK_SOCKET> {
  const io = await wskCall((i) =>
    w.npi.Dispatch.WskSocketConnect(w.npi.Client, SOCK_STREAM, IPPROTO_TCP, sockaddrFromString('0.0.0.0', 0), sockaddrFromString(host, port), 0, context, dispatch, null, null, null, i),
  );
  return io.Information as WSK_SOCKET;
}

export async function wskCloseSocket(s: WSK_SOCKET): Promise<void> {
  await wskCall((i) => s.Dispatch.WskCloseSocket(s, i));
}

export function gcNow(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
