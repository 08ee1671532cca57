// Plumbing for scenarios that run in their own node process (test/scenarios/ts-hook.js), where
// jest's `expect` does not exist: a registered client, IRPs with counting routines, sockets.
import {
  AF_INET,
  IoAllocateIrp,
  IoAllocateMdl,
  IoSetCompletionRoutine,
  IPPROTO_TCP,
  IPPROTO_UDP,
  IRP,
  MAKE_WSK_VERSION,
  MmBuildMdlForNonPagedPool,
  NTSTATUS,
  ntStatusName,
  PSOCKADDR,
  SOCK_DGRAM,
  SOCK_STREAM,
  SOCKADDR_STORAGE,
  sockaddrFromString,
  sockaddrPort,
  STATUS_MORE_PROCESSING_REQUIRED,
  STATUS_SUCCESS,
  WSK_BUF,
  WSK_FLAG_CONNECTION_SOCKET,
  WSK_FLAG_DATAGRAM_SOCKET,
  WSK_INFINITE_WAIT,
  WSK_PROVIDER_CONNECTION_DISPATCH,
  WSK_PROVIDER_DATAGRAM_DISPATCH,
  WSK_PROVIDER_NPI,
  WSK_REGISTRATION,
  WSK_SOCKET,
  WskCaptureProviderNPI,
  WskRegister,
} from '../../lib';

export interface Client {
  registration: WSK_REGISTRATION;
  npi: WSK_PROVIDER_NPI;
}

export function register(): Client {
  const registration: WSK_REGISTRATION = {};
  WskRegister({ ClientContext: null, Dispatch: { Version: MAKE_WSK_VERSION(1, 0), Reserved: 0, WskClientEvent: null } }, registration);
  const npi = {} as WSK_PROVIDER_NPI;
  WskCaptureProviderNPI(registration, WSK_INFINITE_WAIT, npi);
  return { registration, npi };
}

/** An IRP whose routine records each completion's status and then runs `then` (which may throw). */
export interface Counted {
  irp: IRP;
  statuses: string[];
  /** Resolves at the first completion. */
  done: Promise<IRP>;
}

export function counted(then: (irp: IRP) => NTSTATUS = () => STATUS_MORE_PROCESSING_REQUIRED): Counted {
  const irp = IoAllocateIrp(1, false)!;
  let resolve!: (irp: IRP) => void;
  const c: Counted = { irp, statuses: [], done: new Promise((r) => (resolve = r)) };
  IoSetCompletionRoutine(
    irp,
    (_device, completed) => {
      c.statuses.push(ntStatusName(completed.IoStatus.Status).split(' ')[0]);
      resolve(completed);
      return then(completed);
    },
    null,
    true,
    true,
    true,
  );
  return c;
}

/** Runs a call that completes inline on loopback (WskSocket, WskBind...); returns the IRP. */
export function inline(fn: (irp: IRP) => NTSTATUS): IRP {
  const c = counted();
  fn(c.irp);
  if (c.statuses.length !== 1) throw new Error(`expected an inline completion, got ${c.statuses.length}`);
  return c.irp;
}

export function wskBuf(bytes: Uint8Array): WSK_BUF {
  const mdl = IoAllocateMdl(bytes, bytes.byteLength, false, false, null)!;
  MmBuildMdlForNonPagedPool(mdl);
  return { Mdl: mdl, Offset: 0, Length: bytes.byteLength };
}

export const dg = (s: WSK_SOCKET): WSK_PROVIDER_DATAGRAM_DISPATCH => s.Dispatch as WSK_PROVIDER_DATAGRAM_DISPATCH;
export const conn = (s: WSK_SOCKET): WSK_PROVIDER_CONNECTION_DISPATCH => s.Dispatch as WSK_PROVIDER_CONNECTION_DISPATCH;

function socket(c: Client, type: number, protocol: number, flags: number, dispatch: unknown): WSK_SOCKET {
  const irp = inline((irp) => c.npi.Dispatch.WskSocket(c.npi.Client, AF_INET, type, protocol, flags, null, dispatch, null, null, null, irp));
  return irp.IoStatus.Information as WSK_SOCKET;
}

/** A datagram socket bound to 127.0.0.1, port 0; with its port. */
export function udpSocket(c: Client, dispatch: unknown = null): { s: WSK_SOCKET; port: number } {
  const s = socket(c, SOCK_DGRAM, IPPROTO_UDP, WSK_FLAG_DATAGRAM_SOCKET, dispatch);
  inline((irp) => dg(s).WskBind(s, sockaddrFromString('127.0.0.1', 0), 0, irp));
  const local: SOCKADDR_STORAGE = {};
  inline((irp) => dg(s).WskGetLocalAddress(s, local, irp));
  return { s, port: sockaddrPort(local as PSOCKADDR) };
}

/** A connection socket connected to 127.0.0.1:port. */
export async function tcpConnect(c: Client, port: number, dispatch: unknown = null): Promise<WSK_SOCKET> {
  const s = socket(c, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_CONNECTION_SOCKET, dispatch);
  inline((irp) => conn(s).WskBind(s, sockaddrFromString('127.0.0.1', 0), 0, irp));
  const connected = counted();
  conn(s).WskConnect(s, sockaddrFromString('127.0.0.1', port), 0, connected.irp);
  const irp = await connected.done;
  if (irp.IoStatus.Status !== STATUS_SUCCESS) throw new Error(`connect: ${ntStatusName(irp.IoStatus.Status)}`);
  return s;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits until `cond` holds, at most `ms`; returns whether it did. */
export async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  for (let waited = 0; !cond(); waited += 5) {
    if (waited >= ms) return false;
    await sleep(5);
  }
  return true;
}

/** A few loop turns, for "nothing more happens" checks. */
export const turns = async (n = 10): Promise<void> => {
  for (let i = 0; i < n; i++) await sleep(5);
};

/** Exceptions that reached the event loop: the bugchecks of these scenarios. */
export const uncaught: string[] = [];
process.on('uncaughtException', (e) => uncaught.push(e instanceof Error ? e.message : String(e)));

/** Prints the scenario's result for the test that spawned it, and ends the process. */
export function report(result: unknown): never {
  process.stdout.write(JSON.stringify(result) + '\n');
  process.exit(0);
}
