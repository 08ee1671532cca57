// Registration and the provider NPI (reference §1): WskRegister, WskCaptureProviderNPI,
// WskReleaseProviderNPI, WskQueryProviderCharacteristics, WskDeregister.
import { exitReport } from './exit-report';
import { forEachSettled, IRP, irpComplete } from '../kernel/irp';
import {
  NTSTATUS,
  STATUS_DEVICE_NOT_READY,
  STATUS_INVALID_PARAMETER,
  STATUS_NOINTERFACE,
  STATUS_SUCCESS,
} from '../kernel/ntstatus';
import type { SocketObject } from '../socket/socket';
import { badArgument, isWritableSlot, violation } from '../kernel/verifier';
import {
  MAKE_WSK_VERSION,
  WSK_CLIENT,
  WSK_CLIENT_NPI,
  WSK_INFINITE_WAIT,
  WSK_MAJOR_VERSION,
  WSK_PROVIDER_CHARACTERISTICS,
  WSK_PROVIDER_DISPATCH,
  WSK_PROVIDER_NPI,
  WSK_REGISTRATION,
} from './wsk';

/** The NPI version this provider implements: 1.0, as every Microsoft sample requests. */
export const WSK_PROVIDER_VERSION = MAKE_WSK_VERSION(1, 0);

let registrations = 0;

/** Registrations not yet deregistered to the end: what the report at exit looks through. */
const live = new Set<ClientState>();
let exitReportInstalled = false;

/** Prints, when the process exits, what is still open (lib/wsk/exit-report.ts); installed once. */
function installExitReport(): void {
  if (exitReportInstalled) return;
  exitReportInstalled = true;
  process.on('exit', () => {
    const report = exitReport(live);
    if (report) process.stderr.write(report);
  });
}

/** The opaque WSK_CLIENT: one per registration, it owns the sockets created through it. */
export class ClientState implements WSK_CLIENT {
  declare readonly __brand_WSK_CLIENT: never;
  /** 1, 2...: how the report at exit names it. */
  readonly id = ++registrations;
  captures = 0;
  deregistering = false;
  readonly sockets = new Set<SocketObject>();
  /** Pending client-level IRPs (name resolution, transport-list change). */
  readonly pendingIrps = new Set<IRP>();
  /** Event mask enabled on every new socket by WSK_SET_STATIC_EVENT_CALLBACKS. */
  staticEventMask = 0;
  socketsEverCreated = 0;
  /** Run when WskDeregister starts (cancels WSK_TRANSPORT_LIST_CHANGE and the like). */
  readonly onDeregister: Array<() => void> = [];
  private readonly done: Array<() => void> = [];

  constructor(readonly npi: WSK_CLIENT_NPI) {}

  socketOpened(s: SocketObject): void {
    this.sockets.add(s);
    this.socketsEverCreated++;
  }

  socketClosed(s: SocketObject): void {
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
    live.delete(this);
    for (const resolve of this.done.splice(0)) resolve();
  }
}

// The provider dispatch table is defined in provider.ts; it registers itself here so that
// this file does not import every socket category.
let providerDispatch: WSK_PROVIDER_DISPATCH | null = null;
export function setProviderDispatch(table: WSK_PROVIDER_DISPATCH): void {
  providerDispatch = table;
}

function stateOf(WskRegistration: WSK_REGISTRATION, where: string): ClientState {
  if (WskRegistration === null || typeof WskRegistration !== 'object') {
    badArgument(where, 'WskRegistration must be the WSK_REGISTRATION object given to WskRegister');
  }
  const state = WskRegistration._registration;
  if (!(state instanceof ClientState)) {
    violation('REGISTRATION_MISUSE', where, 'this WSK_REGISTRATION was never registered with WskRegister');
  }
  return state;
}

export function WskRegister(WskClientNpi: WSK_CLIENT_NPI, WskRegistration: WSK_REGISTRATION): NTSTATUS {
  if (WskClientNpi === null || typeof WskClientNpi !== 'object') return STATUS_INVALID_PARAMETER;
  const dispatch = WskClientNpi.Dispatch;
  if (dispatch === null || typeof dispatch !== 'object' || !Number.isInteger(dispatch.Version)) return STATUS_INVALID_PARAMETER;
  if (WskRegistration === null || typeof WskRegistration !== 'object') return STATUS_INVALID_PARAMETER;
  // The block gets a hidden member; a frozen one cannot (C would pass a read-only block).
  const slot = Object.getOwnPropertyDescriptor(WskRegistration, '_registration');
  if (!(slot ? slot.configurable : Object.isExtensible(WskRegistration))) return STATUS_INVALID_PARAMETER;
  const previous = WskRegistration._registration;
  if (previous instanceof ClientState && !previous.deregistering) {
    violation('REGISTRATION_MISUSE', 'WskRegister', 'this WSK_REGISTRATION is already registered; use one block per registration');
  }
  const state = new ClientState(WskClientNpi);
  live.add(state);
  installExitReport();
  Object.defineProperty(WskRegistration, '_registration', {
    value: state,
    enumerable: false,
    configurable: true,
    writable: true,
  });
  return STATUS_SUCCESS;
}

/**
 * The WSK subsystem is always ready here, so no wait happens whatever WaitTimeout says
 * (WSK_NO_WAIT, WSK_INFINITE_WAIT or milliseconds).
 */
export function WskCaptureProviderNPI(
  WskRegistration: WSK_REGISTRATION,
  WaitTimeout: number,
  WskProviderNpi: Partial<WSK_PROVIDER_NPI>,
): NTSTATUS {
  const where = 'WskCaptureProviderNPI';
  const state = stateOf(WskRegistration, where);
  if (!Number.isInteger(WaitTimeout) || WaitTimeout < 0 || WaitTimeout > WSK_INFINITE_WAIT) {
    badArgument(where, `WaitTimeout must be WSK_NO_WAIT, WSK_INFINITE_WAIT or milliseconds, got ${String(WaitTimeout)}`);
  }
  if (!isWritableSlot(WskProviderNpi, 'Client') || !isWritableSlot(WskProviderNpi, 'Dispatch')) {
    badArgument(where, 'WskProviderNpi must be an object the call can fill (not frozen)');
  }
  if (state.deregistering) return STATUS_DEVICE_NOT_READY;
  if (WSK_MAJOR_VERSION(state.npi.Dispatch.Version) !== WSK_MAJOR_VERSION(WSK_PROVIDER_VERSION)) return STATUS_NOINTERFACE;
  state.captures++;
  WskProviderNpi.Client = state;
  WskProviderNpi.Dispatch = providerDispatch!;
  return STATUS_SUCCESS;
}

export function WskReleaseProviderNPI(WskRegistration: WSK_REGISTRATION): void {
  const state = stateOf(WskRegistration, 'WskReleaseProviderNPI');
  if (state.captures === 0) {
    violation('REGISTRATION_MISUSE', 'WskReleaseProviderNPI', 'more releases than successful captures');
  }
  state.captures--;
  state.checkDone();
}

export function WskQueryProviderCharacteristics(
  WskRegistration: WSK_REGISTRATION,
  WskProviderCharacteristics: Partial<WSK_PROVIDER_CHARACTERISTICS>,
): NTSTATUS {
  const state = stateOf(WskRegistration, 'WskQueryProviderCharacteristics');
  if (!isWritableSlot(WskProviderCharacteristics, 'HighestVersion') || !isWritableSlot(WskProviderCharacteristics, 'LowestVersion')) {
    badArgument('WskQueryProviderCharacteristics', 'WskProviderCharacteristics must be an object the call can fill (not frozen)');
  }
  if (state.deregistering) return STATUS_DEVICE_NOT_READY;
  WskProviderCharacteristics.HighestVersion = WSK_PROVIDER_VERSION;
  WskProviderCharacteristics.LowestVersion = WSK_PROVIDER_VERSION;
  return STATUS_SUCCESS;
}

/**
 * Resolves once every captured NPI is released, every socket closed and every client-level IRP
 * completed; pending WSK_TRANSPORT_LIST_CHANGE requests are cancelled. Ported code awaits it
 * where C blocks in WskDeregister.
 */
export function WskDeregister(WskRegistration: WSK_REGISTRATION): Promise<void> {
  const state = stateOf(WskRegistration, 'WskDeregister');
  if (state.deregistering) violation('REGISTRATION_MISUSE', 'WskDeregister', 'WskDeregister was already called for this registration');
  state.deregistering = true;
  // Each cancel runs even if a routine throws before it; the first exception comes out after.
  forEachSettled(state.onDeregister.splice(0), (cancel) => cancel());
  return state.whenDrained();
}
