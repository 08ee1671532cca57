// The TCP options and IOCTLs whose Windows form is not one host option: SIO_KEEPALIVE_VALS (one
// structure for three host options), SO_LINGER / SO_DONTLINGER (Windows' 16-bit linger, kept in
// lib/), TCP_FAIL_CONNECT_ON_ICMP_ERROR (the host's IP_RECVERR on a TCP socket) and
// SIO_LOOPBACK_FAST_PATH (accepted, as Windows still does: Linux's loopback needs no fast path).
import { NTSTATUS, STATUS_INVALID_BUFFER_SIZE, STATUS_INVALID_PARAMETER, STATUS_NOT_SUPPORTED, STATUS_SUCCESS } from '../kernel/ntstatus';
import { LINGER_LAYOUT, SIZEOF_LINGER, SIZEOF_TCP_KEEPALIVE, TCP_KEEPALIVE_LAYOUT } from '../net/mstcpip';
import * as ws from '../net/ws2def';
import { ntStatusFromErrno } from '../transport/errno';
import { addon, OS } from '../transport/native';
import { WskGetOption, WskIoctl, WskSetOption } from '../wsk/wsk-base';
import { ControlRequest, ControlResult, intOptionResult, readIntOption, structInput, structOutput } from './control-request';
import { optionStateOf } from './option-state';
import type { SocketObject } from './socket';

const ints = new Int32Array(2);
const intBytes = new Uint8Array(ints.buffer, 0, 4);
const pairBytes = new Uint8Array(ints.buffer, 0, 8);

function setInt(s: SocketObject, level: number, name: number, value: number): NTSTATUS {
  ints[0] = value;
  const rc = addon.setsockopt(s.id, level, name, intBytes);
  return rc < 0 ? ntStatusFromErrno(rc) : STATUS_SUCCESS;
}

export const isTcp = (s: SocketObject): boolean => s.type === ws.SOCK_STREAM && s.protocol === ws.IPPROTO_TCP;

/** Linux's TCP_KEEPIDLE and TCP_KEEPINTVL are whole seconds, 1 to 32,767. */
const keepaliveSeconds = (ms: number): number => Math.min(32767, Math.max(1, Math.ceil(ms / 1000)));

/**
 * SIO_KEEPALIVE_VALS (input struct tcp_keepalive, times in ms): SO_KEEPALIVE, then TCP_KEEPIDLE
 * and TCP_KEEPINTVL rounded up to whole seconds, and TCP_KEEPCNT 10, the probe count Windows
 * uses (and does not let change) since Vista.
 */
function keepaliveVals(s: SocketObject, req: ControlRequest): ControlResult {
  if (!isTcp(s)) return { status: STATUS_NOT_SUPPORTED };
  const v = structInput(req, TCP_KEEPALIVE_LAYOUT, SIZEOF_TCP_KEEPALIVE);
  if (!v) return { status: STATUS_INVALID_PARAMETER };
  let status = setInt(s, OS.SOL_SOCKET, OS.SO_KEEPALIVE, v.onoff ? 1 : 0);
  if (status !== STATUS_SUCCESS || !v.onoff) return { status };
  status = setInt(s, OS.IPPROTO_TCP, OS.TCP_KEEPIDLE, keepaliveSeconds(v.keepalivetime));
  if (status === STATUS_SUCCESS) status = setInt(s, OS.IPPROTO_TCP, OS.TCP_KEEPINTVL, keepaliveSeconds(v.keepaliveinterval));
  if (status === STATUS_SUCCESS) status = setInt(s, OS.IPPROTO_TCP, OS.TCP_KEEPCNT, 10);
  return { status };
}

/**
 * The host's linger for a Windows one. A linger time is never given to the host: Linux's close()
 * waits that long for unsent data even on a non-blocking socket, and would stop the event loop.
 * WskCloseSocket of a connection not disconnected resets it anyway (https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_close_socket); a linger
 * of 0 (a reset at close) is the one the host is told.
 */
function setLinger(s: SocketObject, onoff: number, seconds: number): NTSTATUS {
  ints[0] = onoff && seconds === 0 ? 1 : 0;
  ints[1] = 0;
  const rc = addon.setsockopt(s.id, OS.SOL_SOCKET, OS.SO_LINGER, pairBytes);
  if (rc < 0) return ntStatusFromErrno(rc);
  const st = optionStateOf(s);
  st.lingerOnoff = onoff ? 1 : 0;
  st.lingerSeconds = seconds;
  return STATUS_SUCCESS;
}

/** SO_LINGER: struct linger { u_short l_onoff; u_short l_linger; }, kept and read back. */
function lingerOption(s: SocketObject, req: ControlRequest): ControlResult {
  if (req.RequestType === WskGetOption) {
    return structOutput(req, LINGER_LAYOUT, SIZEOF_LINGER, { l_onoff: s.options?.lingerOnoff ?? 0, l_linger: s.options?.lingerSeconds ?? 0 });
  }
  const v = structInput(req, LINGER_LAYOUT, SIZEOF_LINGER);
  if (!v) return { status: STATUS_INVALID_PARAMETER };
  return { status: setLinger(s, v.l_onoff, v.l_linger) };
}

/** SO_DONTLINGER (a BOOL): TRUE turns lingering off, keeping the timeout; reads back !l_onoff. */
function dontLingerOption(s: SocketObject, req: ControlRequest): ControlResult {
  if (req.RequestType === WskGetOption) return intOptionResult(req, s.options?.lingerOnoff ? 0 : 1);
  const v = readIntOption(req.input);
  if (v === null) return { status: STATUS_INVALID_PARAMETER };
  return { status: setLinger(s, v ? 0 : 1, s.options?.lingerSeconds ?? 0) };
}

/**
 * TCP_FAIL_CONNECT_ON_ICMP_ERROR (a BOOL): the host's IP_RECVERR (IPV6_RECVERR) on a TCP socket
 * makes it report ICMP errors at once, a connect included, instead of retrying through them.
 */
function failConnectOnIcmp(s: SocketObject, req: ControlRequest): ControlResult {
  const [level, name] = s.family === ws.AF_INET6 ? [OS.IPPROTO_IPV6, OS.IPV6_RECVERR] : [OS.IPPROTO_IP, OS.IP_RECVERR];
  if (req.RequestType === WskGetOption) {
    ints[0] = 0;
    const rc = addon.getsockopt(s.id, level, name, intBytes);
    return rc < 0 ? { status: ntStatusFromErrno(rc) } : intOptionResult(req, ints[0] ? 1 : 0);
  }
  const v = readIntOption(req.input);
  if (v === null) return { status: STATUS_INVALID_PARAMETER };
  return { status: setInt(s, level, name, v ? 1 : 0) };
}

/**
 * SIO_LOOPBACK_FAST_PATH (input a BOOL, an IRP): deprecated on Windows, which still accepts it
 * on TCP sockets. Nothing to do here: Linux's loopback is already the short path.
 */
function loopbackFastPath(s: SocketObject, req: ControlRequest): ControlResult {
  if (!req.Irp) return { status: STATUS_INVALID_PARAMETER };
  if (!isTcp(s)) return { status: STATUS_NOT_SUPPORTED };
  if (readIntOption(req.input) === null) return { status: STATUS_INVALID_BUFFER_SIZE };
  return { status: STATUS_SUCCESS };
}

/** The options and IOCTLs of this file, or undefined for any other request. */
export function tcpOptionControl(s: SocketObject, req: ControlRequest): ControlResult | undefined {
  const { Level, ControlCode: code, RequestType } = req;
  if (RequestType === WskIoctl) {
    if (code === ws.SIO_KEEPALIVE_VALS) return keepaliveVals(s, req);
    if (code === ws.SIO_LOOPBACK_FAST_PATH) return loopbackFastPath(s, req);
    return undefined;
  }
  if (RequestType !== WskSetOption && RequestType !== WskGetOption) return undefined;
  // Lingering is a TCP matter: Winsock refuses both on a datagram socket (WSAENOPROTOOPT).
  if (Level === ws.SOL_SOCKET && (code === ws.SO_LINGER || code === ws.SO_DONTLINGER)) {
    if (!isTcp(s)) return { status: STATUS_INVALID_PARAMETER };
    return code === ws.SO_LINGER ? lingerOption(s, req) : dontLingerOption(s, req);
  }
  if (Level === ws.IPPROTO_TCP && code === ws.TCP_FAIL_CONNECT_ON_ICMP_ERROR && isTcp(s)) return failConnectOnIcmp(s, req);
  return undefined;
}
