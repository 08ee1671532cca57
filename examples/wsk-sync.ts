// The pattern every WSK sample uses to call an IRP-based function and wait for it: an IRP whose
// completion routine signals an event, then KeWaitForSingleObject. Shared by the examples.
import {
  Executive,
  IoAllocateIrp,
  IoFreeIrp,
  IoSetCompletionRoutine,
  IO_STATUS_BLOCK,
  KEVENT,
  KeInitializeEvent,
  KeSetEvent,
  KeWaitForSingleObject,
  KernelMode,
  NTSTATUS,
  NotificationEvent,
  PIRP,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_MORE_PROCESSING_REQUIRED,
} from '../lib';

function SyncIrpComplete(_DeviceObject: null, _Irp: PIRP, Context: unknown): NTSTATUS {
  KeSetEvent(Context as KEVENT, 0, false);
  return STATUS_MORE_PROCESSING_REQUIRED;
}

/**
 * Runs `start(Irp)` and waits for the IRP to complete; resolves to its IoStatus. `onIrp` sees
 * the IRP while it may be pending (to cancel it).
 */
export async function WskSyncCall(start: (Irp: PIRP) => NTSTATUS, onIrp?: (Irp: PIRP) => void): Promise<IO_STATUS_BLOCK> {
  const Irp = IoAllocateIrp(1, false);
  if (!Irp) return { Status: STATUS_INSUFFICIENT_RESOURCES, Information: 0 };
  const CompletionEvent: KEVENT = {};
  KeInitializeEvent(CompletionEvent, NotificationEvent, false);
  IoSetCompletionRoutine(Irp, SyncIrpComplete, CompletionEvent, true, true, true);
  start(Irp);
  onIrp?.(Irp);
  await KeWaitForSingleObject(CompletionEvent, Executive, KernelMode, false, null);
  const IoStatus = { ...Irp.IoStatus };
  IoFreeIrp(Irp);
  return IoStatus;
}
