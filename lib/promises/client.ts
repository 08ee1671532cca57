// The set-up every WSK client repeats: registration with a captured provider NPI, and a
// WSK_BUF over bytes. Plain calls of the faithful API, with failures thrown as NtStatusError.
import {
  IoAllocateMdl,
  MAKE_WSK_VERSION,
  MmBuildMdlForNonPagedPool,
  STATUS_INSUFFICIENT_RESOURCES,
  WSK_INFINITE_WAIT,
  WskCaptureProviderNPI,
  WskDeregister,
  WskRegister,
  WskReleaseProviderNPI,
  type WSK_BUF,
  type WSK_CLIENT_DISPATCH,
  type WSK_PROVIDER_NPI,
  type WSK_REGISTRATION,
} from '../index';
import { checkStatus, NtStatusError } from './ntstatus-error';

/** A registered WSK client with the provider NPI captured. */
export interface WskClient {
  readonly Registration: WSK_REGISTRATION;
  /** `Npi.Dispatch.WskSocket(Npi.Client, ...)` and the other client-level calls. */
  readonly Npi: WSK_PROVIDER_NPI;
  /** Releases the NPI and deregisters: resolves once every socket of the client is closed. */
  close(): Promise<void>;
}

const CLIENT_DISPATCH: WSK_CLIENT_DISPATCH = Object.freeze({ Version: MAKE_WSK_VERSION(1, 0), Reserved: 0, WskClientEvent: null });

/**
 * Registers a WSK 1.0 client and captures the provider NPI (WskRegister, then
 * WskCaptureProviderNPI with WSK_INFINITE_WAIT); throws an NtStatusError if either fails (the
 * registration is then undone). `close()` is WskReleaseProviderNPI then `await WskDeregister`,
 * which resolves once every socket of the client is closed.
 * @see https://learn.microsoft.com/en-us/windows-hardware/drivers/network/registering-a-winsock-kernel-application
 */
export function registerClient(ClientContext: unknown = null): WskClient {
  const Registration: WSK_REGISTRATION = {};
  checkStatus(WskRegister({ ClientContext, Dispatch: CLIENT_DISPATCH }, Registration));
  const Npi = {} as WSK_PROVIDER_NPI;
  try {
    checkStatus(WskCaptureProviderNPI(Registration, WSK_INFINITE_WAIT, Npi));
  } catch (error) {
    void WskDeregister(Registration);
    throw error;
  }
  let closed: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closed ??= (WskReleaseProviderNPI(Registration), WskDeregister(Registration));
    return closed;
  };
  return { Registration, Npi, close };
}

/**
 * A WSK_BUF over `bytes` (IoAllocateMdl and MmBuildMdlForNonPagedPool): WSK reads a send from,
 * and writes a receive into, this very memory. It must stay untouched while a call uses it.
 * Throws an NtStatusError STATUS_INSUFFICIENT_RESOURCES when IoAllocateMdl has no MDL to give
 * (as under NODE_WSK_VERIFIER lowres).
 * @see https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_buf
 */
export function wskBuf(bytes: Uint8Array): WSK_BUF {
  const Mdl = IoAllocateMdl(bytes, bytes.byteLength, false, false, null);
  if (Mdl === null) throw new NtStatusError(STATUS_INSUFFICIENT_RESOURCES);
  MmBuildMdlForNonPagedPool(Mdl);
  return { Mdl, Offset: 0, Length: bytes.byteLength };
}
