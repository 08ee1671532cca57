// The Ex calls of a connection (wsk.h: PFN_WSK_CONNECT_EX, PFN_WSK_SEND_EX, PFN_WSK_RECEIVE_EX),
// for connection sockets and committed stream sockets alike: each is its plain call plus what
// the Ex form adds, checked here.
//
// - WskConnectEx sends its Buffer (at most 65,535 bytes) once the connection is up and completes
//   its IRP when that send does, with Information = the bytes sent. TCP_FASTOPEN could carry
//   them in the SYN; here they always follow the handshake (what Windows does without it).
// - WskSendEx's control data: TCP has no per-send ancillary data on Windows or on Linux (whose
//   TCP ignores every control message but SOL_SOCKET timestamping), so well-formed control
//   information is accepted and has no effect; a malformed buffer gives STATUS_INVALID_PARAMETER.
// - WskReceiveEx: a TCP receive carries no control data either, so *ControlInfoLength and the
//   reserved *ControlFlags are 0 once it completes (written when the call is made).
import { IRP, irpComplete } from '../kernel/irp';
import { WSK_BUF, wskBufViews } from '../kernel/mdl';
import { NTSTATUS, STATUS_BUFFER_OVERFLOW, STATUS_INVALID_PARAMETER } from '../kernel/ntstatus';
import { badArgument, isWritableSlot } from '../kernel/verifier';
import type { PCMSGHDR } from '../net/cmsg';
import type { PULONG } from '../wsk/wsk-base';
import type { AfterConnect } from './connect';
import type { Connection } from './connection';
import { connectionSend } from './send';

/** The largest first send WskConnectEx takes (Microsoft's page for PFN_WSK_CONNECT_EX). */
const CONNECT_EX_MAX = 65535;


/**
 * WskConnectEx's own arguments: the send to make after the connect (null: none), or the status
 * its IRP was completed with. The MDLs are checked now, so that a bad one is a verifier error
 * from this call and not from the event loop.
 */
export function connectExFirstSend(Irp: IRP, Buffer: WSK_BUF | null, Flags: number): AfterConnect | null | NTSTATUS {
  if (Flags !== 0) return irpComplete(Irp, STATUS_INVALID_PARAMETER, 0);
  if (Buffer === null || Buffer === undefined) return null;
  if (typeof Buffer !== 'object') badArgument('WskConnectEx', 'Buffer must be a WSK_BUF or null');
  const length: unknown = Buffer.Length;
  // A Length that is no number is named by wskBufViews (INVALID_ARGUMENT); compared with the
  // maximum, a Symbol would throw an engine TypeError instead.
  if (typeof length !== 'number') wskBufViews(Buffer, 'WskConnectEx');
  if ((length as number) > CONNECT_EX_MAX) return irpComplete(Irp, STATUS_BUFFER_OVERFLOW, 0);
  if (!length) return null;
  wskBufViews(Buffer, 'WskConnectEx');
  // The WSK_BUF as it is now: the send is made from the event loop, where a getter of the
  // caller's object that throws would leave the IRP pending for good (fuzz seed 60261443).
  const buf: WSK_BUF = { Mdl: Buffer.Mdl, Offset: Buffer.Offset, Length: length as number };
  return (c, irp) => connectionSend(c, irp, buf, 0);
}

/** Whether ControlInfo holds ControlInfoLength bytes of whole, 8-aligned WSACMSGHDRs. */
function wellFormedControl(ControlInfoLength: number, ControlInfo: PCMSGHDR | null): boolean {
  if (!ControlInfoLength) return true;
  if (!(ControlInfo instanceof Uint8Array) || !Number.isInteger(ControlInfoLength) || ControlInfoLength > ControlInfo.byteLength) return false;
  const dv = new DataView(ControlInfo.buffer, ControlInfo.byteOffset, ControlInfoLength);
  let off = 0;
  while (off < ControlInfoLength) {
    if (off + 16 > ControlInfoLength) return false;
    const len = dv.getUint32(off, true) + dv.getUint32(off + 4, true) * 2 ** 32;
    if (len < 16 || off + len > ControlInfoLength) return false;
    off += (len + 7) & ~7;
  }
  return true;
}

/** WskSendEx on a connection: WskSend, after its control information is checked. */
export function connectionSendEx(c: Connection, Irp: IRP, Buffer: WSK_BUF, Flags: number, ControlInfoLength: number, ControlInfo: PCMSGHDR | null): NTSTATUS {
  if (!wellFormedControl(ControlInfoLength, ControlInfo)) return irpComplete(Irp, STATUS_INVALID_PARAMETER, 0);
  return connectionSend(c, Irp, Buffer, Flags);
}

/**
 * WskReceiveEx's out-parameters, before the receive: C's `&n` as `{ 0: n }`, or null. False
 * when one cannot be written (the IRP completes STATUS_INVALID_PARAMETER, as for WskReceiveFrom).
 */
export function receiveExOutputs(ControlInfoLength: PULONG | null, ControlFlags: PULONG | null): boolean {
  for (const out of [ControlInfoLength, ControlFlags]) {
    if (out !== null && out !== undefined && !isWritableSlot(out, 0)) return false;
  }
  if (ControlInfoLength) ControlInfoLength[0] = 0;
  if (ControlFlags) ControlFlags[0] = 0;
  return true;
}
