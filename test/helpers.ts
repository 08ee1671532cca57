// Shared test plumbing: a registered client, IRPs whose completion resolves a promise, and
// sockets created and closed through the real WSK calls.
import * as net from 'net';
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

export interface Op {
  irp: IRP;
  /** Resolves with the IRP when its completion routine runs. */
  done: Promise<IRP>;
  completions: number;
}

/** An IRP whose completion routine (invoked on success, error and cancel) resolves `done`. */
export function newOp(): Op {
  const irp = IoAllocateIrp(1, false)!;
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
  const irp = await call((irp) => p.npi.Dispatch.WskSocket(p.npi.Client, family, type, protocol, flags, context, dispatch, null, null, null, irp));
  expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
  return irp.IoStatus.Information as WSK_SOCKET;
}

export async function wskClose(s: WSK_SOCKET): Promise<void> {
  const irp = await call((irp) => s.Dispatch.WskCloseSocket(s, irp));
  expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
}

/** A listening socket bound to `host` port 0; returns it with the port it got. */
export async function listenOn(p: Provider, host: string): Promise<{ socket: WSK_SOCKET; port: number }> {
  const family = host.includes(':') ? AF_INET6 : AF_INET;
  const socket = await wskSocket(p, family, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET);
  const d = socket.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;
  const bound = await call((irp) => d.WskBind(socket, sockaddrFromString(host, 0), 0, irp));
  expectStatus(bound.IoStatus.Status, STATUS_SUCCESS);
  const local: SOCKADDR_STORAGE = {};
  const got = await call((irp) => d.WskGetLocalAddress(socket, local, irp));
  expectStatus(got.IoStatus.Status, STATUS_SUCCESS);
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
