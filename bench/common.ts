// Shared plumbing for benchmark cases: arguments, result lines, percentiles, and the WSK calls
// every case makes (register, socket, bind, connect, close) in the C style the package serves.
import { fork } from 'child_process';
import {
  AF_INET,
  IoAllocateIrp,
  IoReuseIrp,
  IoSetCompletionRoutine,
  IPPROTO_TCP,
  IRP,
  MAKE_WSK_VERSION,
  NTSTATUS,
  NT_SUCCESS,
  PSOCKADDR,
  SOCKADDR_STORAGE,
  SOCK_STREAM,
  STATUS_MORE_PROCESSING_REQUIRED,
  STATUS_UNSUCCESSFUL,
  WSK_FLAG_LISTEN_SOCKET,
  WSK_INFINITE_WAIT,
  WSK_PROVIDER_LISTEN_DISPATCH,
  WSK_PROVIDER_NPI,
  WSK_REGISTRATION,
  WSK_SOCKET,
  WskCaptureProviderNPI,
  WskDeregister,
  WskRegister,
  WskReleaseProviderNPI,
  ntStatusName,
  sockaddrFromString,
  sockaddrPort,
  WSK_CLIENT_CONNECTION_DISPATCH,
} from '../lib';

export type Args = Record<string, string>;

/** --key=value and --flag arguments. */
export function parseArgs(argv = process.argv.slice(2)): Args {
  const args: Args = {};
  for (const a of argv) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
    if (m) args[m[1]] = m[2] ?? 'true';
  }
  return args;
}

export function num(args: Args, key: string, fallback: number): number {
  return args[key] !== undefined ? Number(args[key]) : fallback;
}

/** One result line on stdout: the harness reads the last JSON line a case prints. */
export function report(result: Record<string, number | string>): void {
  process.stdout.write(JSON.stringify(result) + '\n');
}

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export const now = (): number => Number(process.hrtime.bigint()) / 1e6; // ms

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
}

export function wskOpen(): Wsk {
  const registration: WSK_REGISTRATION = {};
  check(WskRegister({ ClientContext: null, Dispatch: { Version: MAKE_WSK_VERSION(1, 0), Reserved: 0, WskClientEvent: null } }, registration), 'WskRegister');
  const npi = {} as WSK_PROVIDER_NPI;
  check(WskCaptureProviderNPI(registration, WSK_INFINITE_WAIT, npi), 'WskCaptureProviderNPI');
  return { registration, npi };
}

export async function wskClose(w: Wsk): Promise<void> {
  WskReleaseProviderNPI(w.registration);
  await WskDeregister(w.registration);
}

/** One IRP-based call awaited (for set-up and tear-down, not for the measured path). */
export function wskCall(start: (irp: IRP) => NTSTATUS): Promise<IRP> {
  return new Promise((resolve) => {
    const irp = IoAllocateIrp(1, false)!;
    IoSetCompletionRoutine(irp, (_d, done) => (resolve(done), STATUS_MORE_PROCESSING_REQUIRED), null, true, true, true);
    start(irp);
  });
}

/**
 * A reusable IRP for the measured path: `onComplete` runs for every completion, inline or
 * pended, with the IRP already reset for the next call. No allocation per operation.
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
  let irp = await wskCall((i) => w.npi.Dispatch.WskSocket(w.npi.Client, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET, context, dispatch, null, null, null, i));
  check(irp.IoStatus.Status, 'WskSocket');
  const socket = irp.IoStatus.Information as WSK_SOCKET;
  const d = socket.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;
  irp = await wskCall((i) => d.WskBind(socket, sockaddrFromString(host, 0), 0, i));
  check(irp.IoStatus.Status, 'WskBind');
  const local: SOCKADDR_STORAGE = {};
  irp = await wskCall((i) => d.WskGetLocalAddress(socket, local, i));
  return { socket, port: sockaddrPort(local as PSOCKADDR) };
}

export async function wskAccept(listener: WSK_SOCKET, context: unknown = null, dispatch: WSK_CLIENT_CONNECTION_DISPATCH | null = null): Promise<WSK_SOCKET> {
  const d = listener.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;
  const irp = await wskCall((i) => d.WskAccept(listener, 0, context, dispatch, null, null, i));
  check(irp.IoStatus.Status, 'WskAccept');
  return irp.IoStatus.Information as WSK_SOCKET;
}

export async function wskConnect(w: Wsk, host: string, port: number, context: unknown = null, dispatch: WSK_CLIENT_CONNECTION_DISPATCH | null = null): Promise<WSK_SOCKET> {
  const irp = await wskCall((i) =>
    w.npi.Dispatch.WskSocketConnect(w.npi.Client, SOCK_STREAM, IPPROTO_TCP, sockaddrFromString('0.0.0.0', 0), sockaddrFromString(host, port), 0, context, dispatch, null, null, null, i),
  );
  check(irp.IoStatus.Status, 'WskSocketConnect');
  return irp.IoStatus.Information as WSK_SOCKET;
}

export async function wskCloseSocket(s: WSK_SOCKET): Promise<void> {
  const irp = await wskCall((i) => s.Dispatch.WskCloseSocket(s, i));
  check(irp.IoStatus.Status, 'WskCloseSocket');
}

export function gcNow(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
