// "Creating Sockets" (spec/seeds, Microsoft's WSK documentation) ported line by line:
// CreateListeningSocket and CreateListeningSocketComplete. What the sample leaves to "other
// application-specific members" and "perform any other initializations" is filled in below
// the port, so that the socket can be bound to 127.0.0.1 and accept a real connection. The
// port keeps the C pattern on purpose (completion routine, KEVENT); main() below, which is not
// part of the sample, awaits its calls with node-wsk/promises.
import {
  AF_INET,
  IoAllocateIrp,
  IoFreeIrp,
  IoSetCompletionRoutine,
  IPPROTO_TCP,
  KEVENT,
  KeInitializeEvent,
  KeSetEvent,
  NTSTATUS,
  NotificationEvent,
  PDEVICE_OBJECT,
  PIRP,
  PWSK_PROVIDER_NPI,
  PWSK_SOCKET,
  SOCK_STREAM,
  STATUS_INSUFFICIENT_RESOURCES,
  STATUS_MORE_PROCESSING_REQUIRED,
  STATUS_SUCCESS,
  WSK_CLIENT_LISTEN_DISPATCH,
  WSK_FLAG_LISTEN_SOCKET,
  Executive,
  KeWaitForSingleObject,
  KernelMode,
  ntStatusName,
  sockaddrFromString,
  sockaddrToString,
  type SOCKADDR_STORAGE,
  type WSK_PROVIDER_LISTEN_DISPATCH,
} from 'node-wsk';
import { checkStatus, registerClient, wskCall } from 'node-wsk/promises';

// Context structure for each socket
export interface WSK_APP_SOCKET_CONTEXT {
  Socket: PWSK_SOCKET | null;
  // Other application-specific members
  Status: NTSTATUS;
  Created: KEVENT;
}
export type PWSK_APP_SOCKET_CONTEXT = WSK_APP_SOCKET_CONTEXT;
export type PWSK_CLIENT_LISTEN_DISPATCH = WSK_CLIENT_LISTEN_DISPATCH;

// Function to create a new listening socket
export function CreateListeningSocket(
  WskProviderNpi: PWSK_PROVIDER_NPI,
  SocketContext: PWSK_APP_SOCKET_CONTEXT,
  Dispatch: PWSK_CLIENT_LISTEN_DISPATCH | null,
): NTSTATUS {
  let Irp: PIRP | null;
  let Status: NTSTATUS;

  // Allocate an IRP
  Irp = IoAllocateIrp(1, false);

  // Check result
  if (!Irp) {
    // Return error
    return STATUS_INSUFFICIENT_RESOURCES;
  }

  // Set the completion routine for the IRP
  IoSetCompletionRoutine(Irp, CreateListeningSocketComplete, SocketContext, true, true, true);

  // Initiate the creation of the socket
  Status = WskProviderNpi.Dispatch.WskSocket(
    WskProviderNpi.Client,
    AF_INET,
    SOCK_STREAM,
    IPPROTO_TCP,
    WSK_FLAG_LISTEN_SOCKET,
    SocketContext,
    Dispatch,
    null,
    null,
    null,
    Irp,
  );

  // Return the status of the call to WskSocket()
  return Status;
}

// Socket creation IoCompletion routine
export function CreateListeningSocketComplete(DeviceObject: PDEVICE_OBJECT, Irp: PIRP, Context: unknown): NTSTATUS {
  void DeviceObject; // UNREFERENCED_PARAMETER(DeviceObject);
  let SocketContext: PWSK_APP_SOCKET_CONTEXT;

  // Get the pointer to the socket context
  SocketContext = Context as PWSK_APP_SOCKET_CONTEXT;

  // Check the result of the socket creation
  if (Irp.IoStatus.Status === STATUS_SUCCESS) {
    // Save the socket object for the new socket
    SocketContext.Socket = Irp.IoStatus.Information as PWSK_SOCKET;

    // Set any socket options for the new socket
    // (none in this sample)

    // Enable any event callback functions on the new socket
    // (none: the caller accepts with WskAccept)

    // Perform any other initializations
  }

  // Error status
  else {
    // Handle error
  }
  SocketContext.Status = Irp.IoStatus.Status;
  KeSetEvent(SocketContext.Created, 0, false);

  // Free the IRP
  IoFreeIrp(Irp);

  // Always return STATUS_MORE_PROCESSING_REQUIRED to
  // terminate the completion processing of the IRP.
  return STATUS_MORE_PROCESSING_REQUIRED;
}

/** A fresh socket context whose `Created` event the completion routine signals. */
export function NewAppSocketContext(): WSK_APP_SOCKET_CONTEXT {
  const context: WSK_APP_SOCKET_CONTEXT = { Socket: null, Status: STATUS_SUCCESS, Created: {} };
  KeInitializeEvent(context.Created, NotificationEvent, false);
  return context;
}


/**
 * npx node-wsk-example create-listening-socket: runs the sample once, then binds the socket to
 * 127.0.0.1 (port 0) and closes it, saying what happened at each step.
 */
export async function main(): Promise<number> {
  const { Npi, close } = registerClient();
  const context = NewAppSocketContext();
  const Status = CreateListeningSocket(Npi, context, null);
  console.log(`CreateListeningSocket returned ${ntStatusName(Status)}`);
  await KeWaitForSingleObject(context.Created, Executive, KernelMode, false, null);
  console.log(`CreateListeningSocketComplete saw ${ntStatusName(context.Status)}`);
  checkStatus(context.Status);
  const Socket = context.Socket!;
  const Listen = Socket.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;
  const local: SOCKADDR_STORAGE = {};
  await wskCall((Irp) => Listen.WskBind(Socket, sockaddrFromString('127.0.0.1', 0), 0, Irp));
  await wskCall((Irp) => Listen.WskGetLocalAddress(Socket, local, Irp));
  console.log(`the listening socket is bound to ${sockaddrToString(local)}; closing it`);
  await wskCall((Irp) => Socket.Dispatch.WskCloseSocket(Socket, Irp));
  await close();
  console.log('closed and deregistered');
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => (process.exitCode = code),
    (error: Error) => {
      console.error(error.message);
      process.exitCode = 1;
    },
  );
}
