// WskControlSocket: socket options and IOCTLs (https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_control_socket). WSK's own options
// and IOCTLs are answered by the socket's category first; then what every socket shares: the
// options that keep state in lib/ (ip-options.ts, tcp-options.ts), the IOCTLs with work of
// their own (tcp-info.ts, address-list.ts); the rest go to the host through the one
// translation table (transport/host-options.ts).
import { addon } from '../transport/native';
import { IRP, irpComplete, irpStart } from '../kernel/irp';
import {
  NTSTATUS,
  STATUS_INVALID_DEVICE_REQUEST,
  STATUS_INVALID_PARAMETER,
  STATUS_NOT_IMPLEMENTED,
  STATUS_NOT_SUPPORTED,
  STATUS_SUCCESS,
} from '../kernel/ntstatus';
import { ANY_CATEGORY, SocketObject, socketArg, WskCloseSocket } from './socket';
import { badArgument, isWritableSlot, outSlotArg, ulongArg } from '../kernel/verifier';
import * as ws from '../net/ws2def';
import {
  PSIZE_T,
  PVOID,
  SIZE_T,
  SIO_WSK_REGISTER_EXTENSION,
  SIO_WSK_SET_REMOTE_ADDRESS,
  SIO_WSK_SET_SENDTO_ADDRESS,
  SO_WSK_EVENT_CALLBACK,
  SO_WSK_SECURITY,
  ULONG,
  WSK_FLAG_BASIC_SOCKET,
  WSK_FLAG_DATAGRAM_SOCKET,
  WskGetOption,
  WskIoctl,
  WskSetOption,
} from '../wsk/wsk-base';
import { PWSK_SOCKET } from '../wsk/wsk-dispatch';
import { ntStatusFromErrno } from '../transport/errno';
import { HostOption, hostOptionOf } from '../transport/host-options';
import { ControlRequest, ControlResult, intOptionResult, readIntOption } from './control-request';
import { addressIoctl } from './address-list';
import { ipOptionControl } from './ip-options';
import { tcpInfoIoctl } from './tcp-info';
import { tcpOptionControl } from './tcp-options';
import { addSdReference, cacheDefaultSd, isLiveCachedSd, pointee, setSocketSecurity, socketSecurity } from '../wsk/security';

/** The documented WSK socket-level options, for which WSK requires an IRP (each option's page under https://learn.microsoft.com/windows-hardware/drivers/network/wsk-socket-options). */
const IRP_REQUIRED = new Set<number>([
  ws.SO_REUSEADDR,
  ws.SO_EXCLUSIVEADDRUSE,
  ws.SO_KEEPALIVE,
  ws.SO_BROADCAST,
  ws.SO_RCVBUF,
  ws.SO_CONDITIONAL_ACCEPT,
  SO_WSK_SECURITY,
]);

/** WSK's own options, answered by later work; until then STATUS_NOT_IMPLEMENTED (see README). */
// (SO_EXCLUSIVEADDRUSE and SO_CONDITIONAL_ACCEPT are answered by the listen, connection and
// stream categories, as is SO_WSK_EVENT_CALLBACK; other categories get STATUS_INVALID_PARAMETER.)
const NOT_YET_BUILT = new Set<number>([SO_WSK_EVENT_CALLBACK]);

/**
 * SO_WSK_SECURITY (https://learn.microsoft.com/windows-hardware/drivers/network/wsk-socket-options, https://learn.microsoft.com/windows-hardware/drivers/network/sharing-transport-addresses): set takes `[cachedSd]` (C's `&sd`), get fills
 * `OutputBuffer[0]` with a new reference the client releases with WSK_RELEASE_SD (a socket
 * with no descriptor gives a cached copy of the default one). Listen, datagram, connection and
 * stream sockets; a basic socket gets STATUS_INVALID_PARAMETER.
 */
function securityOption(s: SocketObject, req: ControlRequest): ControlResult {
  if (s.category === WSK_FLAG_BASIC_SOCKET) return { status: STATUS_INVALID_PARAMETER };
  if (req.RequestType === WskSetOption) {
    const sd = pointee(req.inputObject);
    if (!isLiveCachedSd(sd)) return { status: STATUS_INVALID_PARAMETER };
    setSocketSecurity(s, sd);
    return { status: STATUS_SUCCESS };
  }
  const out = req.outputObject as { 0: unknown } | null;
  if (!out || typeof out !== 'object' || ArrayBuffer.isView(out) || !isWritableSlot(out, 0)) return { status: STATUS_INVALID_PARAMETER };
  const current = socketSecurity(s);
  out[0] = current ? addSdReference(current) : cacheDefaultSd();
  return { status: STATUS_SUCCESS, bytes: 8 };
}

/** WSK IOCTLs no category answered. */
function ioctlFallback(s: SocketObject, code: number): NTSTATUS {
  // No extension interface exists (https://learn.microsoft.com/windows-hardware/drivers/network/wsk-socket-ioctl-operations).
  if (code === SIO_WSK_REGISTER_EXTENSION) return STATUS_NOT_SUPPORTED;
  // Datagram-only IOCTLs on another category.
  if ((code === SIO_WSK_SET_REMOTE_ADDRESS || code === SIO_WSK_SET_SENDTO_ADDRESS) && s.category !== WSK_FLAG_DATAGRAM_SOCKET) {
    return STATUS_INVALID_DEVICE_REQUEST;
  }
  return STATUS_NOT_IMPLEMENTED;
}

function bytesOf(buffer: PVOID | null, size: SIZE_T, where: string, what: string): Uint8Array | null {
  if (buffer === null || buffer === undefined) return null;
  if (!ArrayBuffer.isView(buffer)) return null;
  if (!Number.isInteger(size) || size < 0 || size > buffer.byteLength) {
    badArgument(where, `${what}Size ${String(size)} exceeds the ${buffer.byteLength}-byte ${what}Buffer`);
  }
  return new Uint8Array(buffer.buffer, buffer.byteOffset, size);
}

/** Scratch for an int setsockopt / getsockopt; every use is synchronous. */
const hostIntScratch = new Int32Array(1);
const hostIntBytes = new Uint8Array(hostIntScratch.buffer);

/** A pass-through option of transport/host-options.ts: an integer (1 to 4 bytes, converted) or bytes. */
function hostOption(s: SocketObject, req: ControlRequest): ControlResult {
  const opt = hostOptionOf(req.Level, req.ControlCode);
  if (!opt) return { status: STATUS_INVALID_PARAMETER };
  if (!opt.int) return rawHostOption(s, req, opt);
  if (req.RequestType === WskSetOption) {
    const value = readIntOption(req.input);
    if (value === null) return { status: STATUS_INVALID_PARAMETER };
    hostIntScratch[0] = opt.toHost ? opt.toHost(value) : value;
    const rc = addon.setsockopt(s.id, opt.level, opt.name, hostIntBytes);
    return { status: rc < 0 ? ntStatusFromErrno(rc) : STATUS_SUCCESS };
  }
  if (!req.output) return { status: STATUS_INVALID_PARAMETER };
  hostIntScratch[0] = 0;
  const rc = addon.getsockopt(s.id, opt.level, opt.name, hostIntBytes);
  if (rc < 0) return { status: ntStatusFromErrno(rc) };
  // The host may answer one byte (IP_TOS, IP_TTL on some kernels): the rest stays 0.
  return intOptionResult(req, opt.fromHost ? opt.fromHost(hostIntScratch[0]) : hostIntScratch[0]);
}

/** Options whose structure is laid out the same on both sides (multicast requests): the bytes as given. */
function rawHostOption(s: SocketObject, req: ControlRequest, opt: HostOption): ControlResult {
  if (req.RequestType === WskSetOption) {
    if (!req.input) return { status: STATUS_INVALID_PARAMETER };
    const rc = addon.setsockopt(s.id, opt.level, opt.name, req.input);
    return { status: rc < 0 ? ntStatusFromErrno(rc) : STATUS_SUCCESS };
  }
  if (!req.output) return { status: STATUS_INVALID_PARAMETER };
  const rc = addon.getsockopt(s.id, opt.level, opt.name, req.output);
  return rc < 0 ? { status: ntStatusFromErrno(rc) } : { status: STATUS_SUCCESS, bytes: rc };
}

/** What every category shares: the options kept in lib/, the IOCTLs with work of their own, then the host table. */
function sharedControl(s: SocketObject, req: ControlRequest): ControlResult {
  const answered = ipOptionControl(s, req) ?? tcpOptionControl(s, req);
  if (answered) return answered;
  if (req.RequestType === WskIoctl) {
    if (req.ControlCode === ws.SIO_TCP_INFO) return tcpInfoIoctl(s, req);
    return addressIoctl(s, req) ?? { status: ioctlFallback(s, req.ControlCode) };
  }
  if (req.Level === ws.SOL_SOCKET && NOT_YET_BUILT.has(req.ControlCode)) return { status: STATUS_NOT_IMPLEMENTED };
  return hostOption(s, req);
}

export function WskControlSocket(
  Socket: PWSK_SOCKET,
  RequestType: number,
  ControlCode: ULONG,
  Level: ULONG,
  InputSize: SIZE_T,
  InputBuffer: PVOID | null,
  OutputSize: SIZE_T,
  OutputBuffer: PVOID | null,
  OutputSizeReturned: PSIZE_T | null,
  Irp: IRP | null,
): NTSTATUS {
  const where = 'WskControlSocket';
  const s = socketArg<SocketObject>(Socket, ANY_CATEGORY, where);
  const sizeOut = outSlotArg(OutputSizeReturned, where, 'OutputSizeReturned');
  const req: ControlRequest = {
    RequestType,
    ControlCode: ulongArg(ControlCode, where, 'ControlCode'),
    Level: ulongArg(Level, where, 'Level'),
    input: bytesOf(InputBuffer, InputSize, where, 'Input'),
    inputObject: InputBuffer ?? null,
    output: bytesOf(OutputBuffer, OutputSize, where, 'Output'),
    outputObject: OutputBuffer ?? null,
    InputSize,
    OutputSize,
    Irp,
  };
  if (Irp) irpStart(Irp, where, RequestType, req.ControlCode, req.Level);

  let result: ControlResult | undefined;
  if (RequestType !== WskSetOption && RequestType !== WskGetOption && RequestType !== WskIoctl) {
    result = { status: STATUS_INVALID_PARAMETER };
  } else {
    result = s.control(req);
  }
  if (!result) {
    if (req.Level === ws.SOL_SOCKET && req.ControlCode === SO_WSK_SECURITY && RequestType !== WskIoctl) {
      if (!Irp) return STATUS_INVALID_PARAMETER;
      result = securityOption(s, req);
    } else if (!Irp && RequestType !== WskIoctl && req.Level === ws.SOL_SOCKET && IRP_REQUIRED.has(req.ControlCode)) {
      return STATUS_INVALID_PARAMETER;
    } else {
      result = sharedControl(s, req);
    }
  }
  if (result.pended) return result.status;
  const bytes = result.bytes ?? 0;
  if (Irp) return irpComplete(Irp, result.status, bytes);
  if (sizeOut) sizeOut[0] = bytes;
  return result.status;
}

/**
 * The BASIC members as C++ sees them: wsk.h embeds WSK_PROVIDER_BASIC_DISPATCH as an unnamed
 * struct in C and as the member `Basic` under __cplusplus, so C++ drivers write
 * `Dispatch->Basic.WskCloseSocket`. Every category's table carries this beside its flat members.
 */
export const WSK_PROVIDER_BASIC_VIEW = Object.freeze({ WskControlSocket, WskCloseSocket });
