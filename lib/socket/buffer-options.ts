// SO_RCVBUF, SO_SNDBUF and TCP_NODELAY as WSK reports them: the sizes read back what the client
// set (Linux keeps and reports double; a socket never set reads the kernel's size), and
// TCP_NODELAY is remembered for WSK_FLAG_NODELAY. The OS still receives every set.
import { STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from '../kernel/ntstatus';
import { IPPROTO_TCP, SO_RCVBUF, SO_SNDBUF, SOL_SOCKET, TCP_NODELAY } from '../net/ws2def';
import { ntStatusFromErrno } from '../transport/errno';
import { addon, OS } from '../transport/native';
import { WskGetOption, WskSetOption } from '../wsk/wsk-base';
import { ControlRequest, ControlResult, hostInt, intOptionResult, readIntOption } from './control-request';

/** What the options remember: a connection, or a stream socket not yet committed. */
export interface BufferOptions {
  rcvbuf: number;
  sndbuf: number;
  nodelay: boolean;
}

/** The three options, or undefined for any other request. `sndbufChanged` runs after an SO_SNDBUF set. */
export function bufferControl(id: number, h: BufferOptions, req: ControlRequest, sndbufChanged?: () => void): ControlResult | undefined {
  const sol = req.Level === SOL_SOCKET;
  const which = sol && req.ControlCode === SO_RCVBUF ? 'rcvbuf' : sol && req.ControlCode === SO_SNDBUF ? 'sndbuf' : null;
  if (which) {
    if (!req.Irp && req.ControlCode === SO_RCVBUF) return { status: STATUS_INVALID_PARAMETER };
    if (req.RequestType === WskGetOption && h[which] >= 0) return intOptionResult(req, h[which]);
    const value = req.RequestType === WskSetOption ? readIntOption(req.input) : null;
    if (value !== null) {
      const rc = addon.setsockopt(id, OS.SOL_SOCKET, which === 'rcvbuf' ? OS.SO_RCVBUF : OS.SO_SNDBUF, hostInt(value));
      if (rc < 0) return { status: ntStatusFromErrno(rc) };
      h[which] = value;
      if (which === 'sndbuf') sndbufChanged?.();
      return { status: STATUS_SUCCESS };
    }
    return undefined;
  }
  const nodelay = req.Level === IPPROTO_TCP && req.ControlCode === TCP_NODELAY && req.RequestType === WskSetOption ? readIntOption(req.input) : null;
  if (nodelay !== null) {
    const rc = addon.setsockopt(id, OS.IPPROTO_TCP, OS.TCP_NODELAY, hostInt(nodelay));
    if (rc < 0) return { status: ntStatusFromErrno(rc) };
    h.nodelay = nodelay !== 0;
    return { status: STATUS_SUCCESS };
  }
  return undefined;
}
