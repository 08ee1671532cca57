// Shared test plumbing: a registered client, IRPs whose completion resolves a promise, and
// sockets created and closed through the real WSK calls.
//
// Two ways to await an IRP. `call` and `newOp` are the instruments of the tests of the faithful
// API: they hand back the IRP itself (PendingReturned, its IoStatus as completed) and count its
// completions, so that a test sees a failure status as a value and every call is checked to
// complete exactly once. Set-up and tear-down that are not under test (wskSocket, wskClose,
// listenOn) go through node-wsk/promises' wskCall, which rejects with an NtStatusError naming the
// status when a step fails.
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import {
  IoAllocateIrp,
  IoSetCompletionRoutine,
  IRP,
  MAKE_WSK_VERSION,
  NTSTATUS,
  STATUS_MORE_PROCESSING_REQUIRED,
  STATUS_SUCCESS,
  WSK_CLIENT_DISPATCH,
  WSK_CLIENT_NPI,
  WSK_INFINITE_WAIT,
  WSK_PROVIDER_NPI,
  WSK_REGISTRATION,
  WSK_SOCKET,
  WskCaptureProviderNPI,
  WskDeregister,
  WskRegister,
  WskReleaseProviderNPI,
  ntStatusName,
  PSOCKADDR,
  sockaddrFromString,
  WSK_PROVIDER_LISTEN_DISPATCH,
  WSK_FLAG_LISTEN_SOCKET,
  AF_INET,
  AF_INET6,
  SOCK_STREAM,
  IPPROTO_TCP,
  sockaddrPort,
  SOCKADDR_STORAGE,
} from '../lib';
import { wskCall } from '../lib/promises';

export interface Op {
  irp: IRP;
  /** Resolves with the IRP when its completion routine runs. */
  done: Promise<IRP>;
  completions: number;
}

/** An IRP whose completion routine (invoked on success, error and cancel) resolves `done`. */
export function newOp(): Op {
  // The harness is not what a test examines: a null from NODE_WSK_VERIFIER's lowres is asked again.
  let irp = IoAllocateIrp(1, false);
  for (let i = 0; i < 1000 && irp === null; i++) irp = IoAllocateIrp(1, false);
  if (irp === null) throw new Error('IoAllocateIrp returned NULL 1,000 times');
  let resolve!: (irp: IRP) => void;
  const op: Op = { irp, done: new Promise<IRP>((r) => (resolve = r)), completions: 0 };
  IoSetCompletionRoutine(
    irp,
    (_device, completed) => {
      op.completions++;
      resolve(completed);
      return STATUS_MORE_PROCESSING_REQUIRED;
    },
    null,
    true,
    true,
    true,
  );
  return op;
}

export interface Provider {
  registration: WSK_REGISTRATION;
  npi: WSK_PROVIDER_NPI;
}

export const clientDispatch: WSK_CLIENT_DISPATCH = { Version: MAKE_WSK_VERSION(1, 0), Reserved: 0, WskClientEvent: null };

export function register(): Provider {
  const clientNpi: WSK_CLIENT_NPI = { ClientContext: null, Dispatch: clientDispatch };
  const registration: WSK_REGISTRATION = {};
  expectStatus(WskRegister(clientNpi, registration), STATUS_SUCCESS);
  const npi = {} as WSK_PROVIDER_NPI;
  expectStatus(WskCaptureProviderNPI(registration, WSK_INFINITE_WAIT, npi), STATUS_SUCCESS);
  return { registration, npi };
}

export async function unregister(p: Provider): Promise<void> {
  WskReleaseProviderNPI(p.registration);
  await WskDeregister(p.registration);
}

export function expectStatus(actual: NTSTATUS, expected: NTSTATUS): void {
  expect(ntStatusName(actual)).toBe(ntStatusName(expected));
}

/** Runs one IRP-taking call and waits for its completion; returns the completed IRP. */
export async function call(fn: (irp: IRP) => NTSTATUS): Promise<IRP> {
  const op = newOp();
  fn(op.irp);
  const irp = await op.done;
  expect(op.completions).toBe(1);
  return irp;
}

export async function wskSocket(
  p: Provider,
  family: number,
  type: number,
  protocol: number,
  flags: number,
  context: unknown = null,
  dispatch: unknown = null,
): Promise<WSK_SOCKET> {
  const io = await wskCall((irp) => p.npi.Dispatch.WskSocket(p.npi.Client, family, type, protocol, flags, context, dispatch as never, null, null, null, irp));
  return io.Information as WSK_SOCKET;
}

export async function wskClose(s: WSK_SOCKET): Promise<void> {
  await wskCall((irp) => s.Dispatch.WskCloseSocket(s, irp));
}

/** A listening socket bound to `host` port 0; returns it with the port it got. */
export async function listenOn(p: Provider, host: string): Promise<{ socket: WSK_SOCKET; port: number }> {
  const family = host.includes(':') ? AF_INET6 : AF_INET;
  const socket = await wskSocket(p, family, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET);
  const d = socket.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;
  await wskCall((irp) => d.WskBind(socket, sockaddrFromString(host, 0), 0, irp));
  const local: SOCKADDR_STORAGE = {};
  await wskCall((irp) => d.WskGetLocalAddress(socket, local, irp));
  return { socket, port: sockaddrPort(local as PSOCKADDR) };
}

/** A node:net client connected to host:port; resolves once connected. */
export function netConnect(host: string, port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ host, port }, () => resolve(c));
    c.once('error', reject);
  });
}

/** Resolves when the node:net socket has fully closed (end, reset or destroy). */
export function netClosed(c: net.Socket): Promise<{ hadError: boolean; error?: Error }> {
  return new Promise((resolve) => {
    let error: Error | undefined;
    c.on('error', (e) => (error = e));
    c.on('data', () => {});
    c.once('close', (hadError) => resolve({ hadError, error }));
  });
}

export const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * For tests that run the compiled package (dist/) in a child process: dist/ is built by
 * `npm ci` (prepare); sources edited since (lib/, examples/) are compiled first.
 */
export function ensureDist(): void {
  const root = path.join(__dirname, '..');
  const built = path.join(root, 'dist', 'examples', 'cli.js');
  const builtAt = fs.existsSync(built) ? fs.statSync(built).mtimeMs : 0;
  const newer = ['lib', 'examples'].some((dir) =>
    (fs.readdirSync(path.join(root, dir), { recursive: true }) as string[]).some((f) => fs.statSync(path.join(root, dir, f)).mtimeMs > builtAt),
  );
  if (!newer) return;
  console.log('dist/ is older than lib/ or examples/: running tsc -p tsconfig.json');
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.json')], { stdio: 'inherit' });
}

