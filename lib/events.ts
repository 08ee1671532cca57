// Event callbacks (reference §4.4): the SO_WSK_EVENT_CALLBACK request every category shares.
// What each event does lives with its category; this file reads and checks the request.
import type { ControlRequest } from './options';
import { NTSTATUS, STATUS_INVALID_PARAMETER, STATUS_NOT_SUPPORTED } from './ntstatus';
import { GUID, NPI_WSK_INTERFACE_ID, WSK_EVENT_CALLBACK_CONTROL, WSK_EVENT_DISABLE, WskSetOption } from './wsk';

export interface EventControl {
  /** Events to enable (several at once), or the single event to disable. */
  mask: number;
  disable: boolean;
}

function sameGuid(a: GUID, b: GUID): boolean {
  if (a === b) return true;
  if (!a || a.Data1 !== b.Data1 || a.Data2 !== b.Data2 || a.Data3 !== b.Data3 || !a.Data4) return false;
  for (let i = 0; i < 8; i++) if (a.Data4[i] !== b.Data4[i]) return false;
  return true;
}

/** Whether a GUID is NPI_WSK_INTERFACE_ID (compared by value, as C compares GUIDs). */
export function isWskNpiId(id: GUID): boolean {
  return sameGuid(id, NPI_WSK_INTERFACE_ID);
}

/**
 * Reads a WSK_EVENT_CALLBACK_CONTROL from a SO_WSK_EVENT_CALLBACK set. `allowed` is the set of
 * event bits the category accepts. Enabling takes no IRP; disabling names exactly one event.
 */
export function readEventControl(req: ControlRequest, allowed: number): EventControl | NTSTATUS {
  if (req.RequestType !== WskSetOption) return STATUS_INVALID_PARAMETER;
  const ctl = req.inputObject as WSK_EVENT_CALLBACK_CONTROL | null;
  if (!ctl || typeof ctl !== 'object' || ArrayBuffer.isView(ctl) || typeof ctl.EventMask !== 'number') {
    return STATUS_INVALID_PARAMETER;
  }
  // Extension interfaces are registered through SIO_WSK_REGISTER_EXTENSION; none exists.
  if (!isWskNpiId(ctl.NpiId)) return STATUS_NOT_SUPPORTED;
  const disable = (ctl.EventMask & WSK_EVENT_DISABLE) !== 0;
  const mask = ctl.EventMask & ~WSK_EVENT_DISABLE;
  if (mask === 0 || (mask & ~allowed) !== 0) return STATUS_INVALID_PARAMETER;
  if (disable && (mask & (mask - 1)) !== 0) return STATUS_INVALID_PARAMETER;
  if (!disable && req.Irp) return STATUS_INVALID_PARAMETER;
  return { mask, disable };
}
