// WskControlClient (https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_control_client): the transport list, its change notification, cached
// security descriptors, static event callbacks, and the TDI codes of a system without TDI.
import { isWskNpiId } from '../socket/events';
import { IRP, irpCancelIfStill, irpComplete, irpPend, irpStart } from '../kernel/irp';
import { native } from '../transport/native';
import {
  NTSTATUS,
  STATUS_BUFFER_OVERFLOW,
  STATUS_CANCELLED,
  STATUS_INVALID_DEVICE_STATE,
  STATUS_INVALID_PARAMETER,
  STATUS_NOT_SUPPORTED,
  STATUS_SUCCESS,
} from '../kernel/ntstatus';
import { clientArg, nullClientStatus } from './client';
import { cacheSd, isLiveCachedSd, pointee, releaseSdReference } from './security';
import { badArgument, isWritableSlot, outSlotArg, ulongArg } from '../kernel/verifier';
import { AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM } from '../net/ws2def';
import {
  GUID,
  PSIZE_T,
  PVOID,
  PWSK_CLIENT,
  SIZE_T,
  ULONG,
  WSK_CACHE_SD,
  WSK_EVENT_ACCEPT,
  WSK_EVENT_CALLBACK_CONTROL,
  WSK_EVENT_DISCONNECT,
  WSK_EVENT_RECEIVE,
  WSK_EVENT_RECEIVE_FROM,
  WSK_EVENT_SEND_BACKLOG,
  WSK_RELEASE_SD,
  WSK_SET_STATIC_EVENT_CALLBACKS,
  WSK_TDI_BEHAVIOR,
  WSK_TDI_BEHAVIOR_BYPASS_TDI,
  WSK_TDI_DEVICENAME_MAPPING,
  WSK_TRANSPORT,
  WSK_TRANSPORT_LIST_CHANGE,
  WSK_TRANSPORT_LIST_QUERY,
} from './wsk-base';

/** sizeof(WSK_TRANSPORT) on x64: the unit OutputSize and OutputSizeReturned count in. */
export const SIZEOF_WSK_TRANSPORT = 28;
/** sizeof(PVOID) on x64: InputSize / OutputSize of the security-descriptor codes. */
const SIZEOF_POINTER = 8;

/**
 * The provider id every transport reports: the Winsock catalogue id of Microsoft's TCP/IP
 * provider (MSAFD Tcpip), {E70F1AA0-AB8B-11CF-8CA3-00805F48A192}.
 */
export const WSK_TCPIP_PROVIDER_ID: Readonly<GUID> = Object.freeze({
  Data1: 0xe70f1aa0,
  Data2: 0xab8b,
  Data3: 0x11cf,
  Data4: Object.freeze([0x8c, 0xa3, 0x00, 0x80, 0x5f, 0x48, 0xa1, 0x92]) as unknown as Uint8Array,
});

// ---- the transport list ----

let transports: WSK_TRANSPORT[] | null = null;

/**
 * The (family, type, protocol) triples this host really offers, probed once by creating OS
 * sockets. Raw is listed (protocol 0: any) only where the process may open raw sockets.
 */
export function transportList(): WSK_TRANSPORT[] {
  if (transports) return transports;
  const OS = native.constants;
  const list: WSK_TRANSPORT[] = [];
  for (const [family, host] of [[AF_INET, OS.AF_INET], [AF_INET6, OS.AF_INET6]] as const) {
    for (const [type, hostType, protocol, probe] of [
      [SOCK_STREAM, OS.SOCK_STREAM, IPPROTO_TCP, IPPROTO_TCP],
      [SOCK_DGRAM, OS.SOCK_DGRAM, IPPROTO_UDP, IPPROTO_UDP],
      [SOCK_RAW, OS.SOCK_RAW, 0, family === AF_INET ? OS.IPPROTO_ICMP : OS.IPPROTO_ICMPV6],
    ] as const) {
      const s = native.socket(host, hostType, probe);
      if (typeof s === 'number') continue;
      s.close();
      list.push(Object.freeze({ Version: 0, SocketType: type, Protocol: protocol, AddressFamily: family, ProviderId: WSK_TCPIP_PROVIDER_ID }));
    }
  }
  transports = list;
  return list;
}

// ---- WskControlClient ----


const STATIC_EVENTS = WSK_EVENT_RECEIVE_FROM | WSK_EVENT_ACCEPT | WSK_EVENT_RECEIVE | WSK_EVENT_DISCONNECT | WSK_EVENT_SEND_BACKLOG;

export function WskControlClient(
  Client: PWSK_CLIENT,
  ControlCode: ULONG,
  InputSize: SIZE_T,
  InputBuffer: PVOID | null,
  OutputSize: SIZE_T,
  OutputBuffer: PVOID | null,
  OutputSizeReturned: PSIZE_T | null,
  Irp: IRP | null,
): NTSTATUS {
  const where = 'WskControlClient';
  const nullClient = nullClientStatus(Client, Irp);
  if (nullClient !== null) return nullClient;
  const client = clientArg(Client, where);
  const code = ulongArg(ControlCode, where, 'ControlCode');
  const sizeOut = outSlotArg(OutputSizeReturned, where, 'OutputSizeReturned');
  if (Irp) irpStart(Irp, where, code);
  /** Completes (with an IRP) or returns the status, and reports the output size. */
  const done = (status: NTSTATUS, bytes = 0): NTSTATUS => {
    if (Irp) return irpComplete(Irp, status, bytes);
    if (sizeOut) sizeOut[0] = bytes;
    return status;
  };

  if (code === WSK_TRANSPORT_LIST_CHANGE) {
    // The transports of this host do not come and go: the IRP waits for cancel or WskDeregister.
    if (!Irp) return STATUS_INVALID_PARAMETER;
    // Once WskDeregister has begun (the NPI may still be captured), a new request meets the
    // cancellation it would have had pending: it must not hold the deregistration up for good.
    if (client.deregistering) return irpComplete(Irp, STATUS_CANCELLED, 0);
    client.pendingIrps.add(Irp);
    const cancel = (irp: IRP) => {
      client.completeIrp(irp, STATUS_CANCELLED, 0);
    };
    client.onDeregister.push(() => irpCancelIfStill(Irp, cancel));
    return irpPend(Irp, cancel);
  }

  // Every other code takes no IRP (https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_control_client); one given completes with the refusal.
  if (Irp) return done(STATUS_INVALID_PARAMETER);
  switch (code) {
    case WSK_TRANSPORT_LIST_QUERY: {
      const list = transportList();
      const need = list.length * SIZEOF_WSK_TRANSPORT;
      const fits = Array.isArray(OutputBuffer) && list.every((_, i) => isWritableSlot(OutputBuffer, i));
      if (!Number.isInteger(OutputSize) || OutputSize < need || !fits) {
        // The size query (OutputSize 0, OutputBuffer NULL) and a buffer too small alike.
        if (sizeOut) sizeOut[0] = need;
        return OutputSize === 0 || (Number.isInteger(OutputSize) && OutputSize < need) ? STATUS_BUFFER_OVERFLOW : STATUS_INVALID_PARAMETER;
      }
      list.forEach((t, i) => ((OutputBuffer as WSK_TRANSPORT[])[i] = { ...t }));
      return done(STATUS_SUCCESS, need);
    }
    case WSK_CACHE_SD: {
      const sd = pointee(InputBuffer);
      if (InputSize !== SIZEOF_POINTER || OutputSize !== SIZEOF_POINTER || sd === null || typeof sd !== 'object' || !isWritableSlot(OutputBuffer, 0)) {
        return done(STATUS_INVALID_PARAMETER);
      }
      (OutputBuffer as { 0: unknown })[0] = cacheSd(sd as object);
      return done(STATUS_SUCCESS, SIZEOF_POINTER);
    }
    case WSK_RELEASE_SD: {
      const sd = pointee(InputBuffer);
      if (InputSize !== SIZEOF_POINTER) return done(STATUS_INVALID_PARAMETER);
      if (!isLiveCachedSd(sd)) {
        badArgument(where, 'WSK_RELEASE_SD needs a cached security descriptor (from WSK_CACHE_SD or an SO_WSK_SECURITY get) not yet released');
      }
      releaseSdReference(sd);
      return done(STATUS_SUCCESS);
    }
    case WSK_SET_STATIC_EVENT_CALLBACKS: {
      const ctl = InputBuffer as WSK_EVENT_CALLBACK_CONTROL | null;
      if (!ctl || typeof ctl !== 'object' || ArrayBuffer.isView(ctl) || typeof ctl.EventMask !== 'number') return done(STATUS_INVALID_PARAMETER);
      if (!isWskNpiId(ctl.NpiId)) return done(STATUS_NOT_SUPPORTED);
      const mask = ctl.EventMask >>> 0;
      if (mask === 0 || (mask & ~STATIC_EVENTS) !== 0) return done(STATUS_INVALID_PARAMETER);
      if (client.socketsEverCreated > 0) return done(STATUS_INVALID_DEVICE_STATE);
      client.staticEventMask |= mask;
      return done(STATUS_SUCCESS);
    }
    case WSK_TDI_DEVICENAME_MAPPING:
    case WSK_TDI_BEHAVIOR: {
      // No TDI here: a mapping is never needed (native transports exist) and there is no TDI
      // filter to bypass, so both are accepted as no-ops, before the first socket only.
      if (client.socketsEverCreated > 0) return done(STATUS_INVALID_DEVICE_STATE);
      if (code === WSK_TDI_BEHAVIOR) {
        const flags = InputBuffer instanceof Uint32Array || Array.isArray(InputBuffer) ? pointee(InputBuffer) : undefined;
        if (InputSize !== 4 || typeof flags !== 'number' || (flags & ~WSK_TDI_BEHAVIOR_BYPASS_TDI) !== 0) return done(STATUS_INVALID_PARAMETER);
      } else if (!InputBuffer || typeof InputBuffer !== 'object') {
        return done(STATUS_INVALID_PARAMETER);
      }
      return done(STATUS_SUCCESS);
    }
    default:
      return done(STATUS_INVALID_PARAMETER);
  }
}
