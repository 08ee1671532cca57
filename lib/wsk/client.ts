// WSK_CLIENT: the state of one registration — the sockets and client-level IRPs it owns, the
// NPI captures it holds, and what WskDeregister waits for.
import { IRP, irpCallEntry, irpComplete } from '../kernel/irp';
import { NTSTATUS, STATUS_INVALID_HANDLE, STATUS_INVALID_PARAMETER } from '../kernel/ntstatus';
import { irpChannel, traceOwner } from '../kernel/trace';
import { badArgument, violation } from '../kernel/verifier';
import { MAKE_WSK_VERSION, PWSK_CLIENT, WSK_CLIENT, WSK_CLIENT_NPI } from './wsk-base';

/** The NPI version this provider implements: 1.0, as every Microsoft sample requests. */
export const WSK_PROVIDER_VERSION = MAKE_WSK_VERSION(1, 0);

/** What a client needs of the sockets it owns (every socket category provides it). */
export interface ClientSocket {
  /** WSK_FLAG_*_SOCKET */
  readonly category: number;
  /** The IRPs pending on the socket, for the report at exit. */
  pendingIrps(): IRP[];
}

let registrations = 0;

/** Registrations not yet deregistered to the end: what the report at exit looks through. */
export const liveClients = new Set<ClientState>();

/** The opaque WSK_CLIENT: one per registration, it owns the sockets created through it. */
export class ClientState implements WSK_CLIENT {
  declare readonly __brand_WSK_CLIENT: never;
  /** 1, 2...: how the report at exit names it. */
  readonly id = ++registrations;
  captures = 0;
  deregistering = false;
  readonly sockets = new Set<ClientSocket>();
  /** Pending client-level IRPs (name resolution, transport-list change). */
  readonly pendingIrps = new Set<IRP>();
  /** Event mask enabled on every new socket by WSK_SET_STATIC_EVENT_CALLBACKS. */
  staticEventMask = 0;
  socketsEverCreated = 0;
  /** Run when WskDeregister starts (cancels WSK_TRANSPORT_LIST_CHANGE and the like). */
  readonly onDeregister: Array<() => void> = [];
  private readonly done: Array<() => void> = [];

  constructor(readonly npi: WSK_CLIENT_NPI) {}

  socketOpened(s: ClientSocket): void {
    this.sockets.add(s);
    this.socketsEverCreated++;
  }

  socketClosed(s: ClientSocket): void {
    this.sockets.delete(s);
    this.checkDone();
  }

  /**
   * Completes a client-level IRP, forgotten first: a routine that throws must not leave it
   * counted, with WskDeregister waiting for it forever.
   */
  completeIrp(irp: IRP, status: NTSTATUS, information: unknown): NTSTATUS {
    this.pendingIrps.delete(irp);
    try {
      return irpComplete(irp, status, information);
    } finally {
      this.checkDone();
    }
  }

  /** Provider functions may be called only while the NPI is captured. */
  checkCaptured(where: string): void {
    if (this.captures === 0) {
      violation('PROVIDER_NOT_CAPTURED', where, 'the provider NPI is not captured (WskCaptureProviderNPI) or was released');
    }
  }

  whenDrained(): Promise<void> {
    return new Promise((resolve) => {
      this.done.push(resolve);
      this.checkDone();
    });
  }

  /** Wakes WskDeregister when nothing it waits for remains. */
  checkDone(): void {
    if (!this.deregistering || this.captures > 0 || this.sockets.size > 0 || this.pendingIrps.size > 0) return;
    liveClients.delete(this);
    for (const resolve of this.done.splice(0)) resolve();
  }
}

/**
 * Windows' answer to a NULL Client, returned and not thrown: STATUS_INVALID_PARAMETER without an
 * IRP, STATUS_INVALID_HANDLE with one, the IRP left untouched (Wine's Windows-checked netio test,
 * dlls/ntoskrnl.exe/tests/driver_netio.c, test_wsk_listen_socket). Null when Client is not NULL.
 */
export function nullClientStatus(Client: unknown, Irp: unknown): NTSTATUS | null {
  if (Client !== null && Client !== undefined) return null;
  return Irp ? STATUS_INVALID_HANDLE : STATUS_INVALID_PARAMETER;
}

/** The Client argument of a provider call: a captured WSK_CLIENT, else what would bugcheck. */
export function clientArg(Client: PWSK_CLIENT, where: string): ClientState {
  irpCallEntry();
  if (!(Client instanceof ClientState)) badArgument(where, 'Client must be WSK_PROVIDER_NPI.Client from WskCaptureProviderNPI');
  Client.checkCaptured(where);
  if (irpChannel.hasSubscribers) traceOwner(null);
  return Client;
}
