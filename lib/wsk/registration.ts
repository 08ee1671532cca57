// Registration and the provider NPI (https://learn.microsoft.com/windows-hardware/drivers/network/registering-a-winsock-kernel-application): WskRegister, WskCaptureProviderNPI,
// WskReleaseProviderNPI, WskQueryProviderCharacteristics, WskDeregister.
import { ClientState, liveClients, WSK_PROVIDER_VERSION } from './client';
import { exitReport } from './exit-report';
import { WSK_PROVIDER_DISPATCH_TABLE } from './provider';
import { forEachSettled } from '../kernel/irp';
import {
  NTSTATUS,
  STATUS_DEVICE_NOT_READY,
  STATUS_INVALID_PARAMETER,
  STATUS_NOINTERFACE,
  STATUS_SUCCESS,
} from '../kernel/ntstatus';
import { badArgument, isWritableSlot, violation } from '../kernel/verifier';
import { WSK_CLIENT_NPI, WSK_INFINITE_WAIT, WSK_MAJOR_VERSION, WSK_PROVIDER_CHARACTERISTICS, WSK_REGISTRATION } from './wsk-base';
import { WSK_PROVIDER_NPI } from './wsk-dispatch';

let exitReportInstalled = false;

/** Prints, when the process exits, what is still open (lib/wsk/exit-report.ts); installed once. */
function installExitReport(): void {
  if (exitReportInstalled) return;
  exitReportInstalled = true;
  process.on('exit', () => {
    const report = exitReport(liveClients);
    if (report) process.stderr.write(report);
  });
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

/**
 * WskRegister: registers a WSK client, given its client NPI; `WskRegistration` is an empty object
 * the call fills. Returns `STATUS_SUCCESS`, or `STATUS_INVALID_PARAMETER` for a missing or malformed
 * NPI or a registration block it cannot fill. Registering a block already registered is the
 * verifier error `REGISTRATION_MISUSE`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nf-wsk-wskregister
 */
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
  liveClients.add(state);
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
 * WskCaptureProviderNPI: fills `WskProviderNpi` with the provider's client object and dispatch
 * table. The WSK subsystem is always ready here, so no wait happens whatever WaitTimeout says
 * (WSK_NO_WAIT, WSK_INFINITE_WAIT or milliseconds). Returns `STATUS_SUCCESS`,
 * `STATUS_NOINTERFACE` when the client's major version is not WSK 1, or `STATUS_DEVICE_NOT_READY`
 * once `WskDeregister` has begun.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nf-wsk-wskcaptureprovidernpi
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
  WskProviderNpi.Dispatch = WSK_PROVIDER_DISPATCH_TABLE;
  return STATUS_SUCCESS;
}

/**
 * WskReleaseProviderNPI: gives back one capture of the provider NPI; `WskDeregister` waits for
 * every capture to be released. More releases than captures is the verifier error
 * `REGISTRATION_MISUSE`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nf-wsk-wskreleaseprovidernpi
 */
export function WskReleaseProviderNPI(WskRegistration: WSK_REGISTRATION): void {
  const state = stateOf(WskRegistration, 'WskReleaseProviderNPI');
  if (state.captures === 0) {
    violation('REGISTRATION_MISUSE', 'WskReleaseProviderNPI', 'more releases than successful captures');
  }
  state.captures--;
  state.checkDone();
}

/**
 * WskQueryProviderCharacteristics: fills the highest and lowest WSK versions the provider supports
 * (both 1.0 here). Returns `STATUS_SUCCESS`, or `STATUS_DEVICE_NOT_READY` once `WskDeregister` has
 * begun.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nf-wsk-wskqueryprovidercharacteristics
 */
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
 * where C blocks in WskDeregister. A second WskDeregister is the verifier error `REGISTRATION_MISUSE`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nf-wsk-wskderegister
 */
export function WskDeregister(WskRegistration: WSK_REGISTRATION): Promise<void> {
  const state = stateOf(WskRegistration, 'WskDeregister');
  if (state.deregistering) violation('REGISTRATION_MISUSE', 'WskDeregister', 'WskDeregister was already called for this registration');
  state.deregistering = true;
  // Each cancel runs even if a routine throws before it; the first exception comes out after.
  forEachSettled(state.onDeregister.splice(0), (cancel) => cancel());
  return state.whenDrained();
}
