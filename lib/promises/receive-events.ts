// WskReceiveEvent as an async iterator of byte views: `for await (const data of events)`.
// Zero-copy: each view is WSK's own indication memory, retained (STATUS_PENDING) until the
// consumer pulls past it, then given back with WskRelease.
import {
  MmGetSystemAddressForMdlSafe,
  NormalPagePriority,
  NPI_WSK_INTERFACE_ID,
  SOL_SOCKET,
  SO_WSK_EVENT_CALLBACK,
  STATUS_CONNECTION_ABORTED,
  STATUS_CONNECTION_RESET,
  STATUS_DATA_NOT_ACCEPTED,
  STATUS_PENDING,
  STATUS_SUCCESS,
  WSK_EVENT_DISCONNECT,
  WSK_EVENT_RECEIVE,
  WSK_FLAG_ABORTIVE,
  WskSetOption,
  type NTSTATUS,
  type PSIZE_T,
  type PWSK_DATA_INDICATION,
  type PWSK_SOCKET,
  type SIZE_T,
  type ULONG,
  type WSK_BUF,
  type WSK_CLIENT_CONNECTION_DISPATCH,
  type WSK_EVENT_CALLBACK_CONTROL,
  type WSK_PROVIDER_CONNECTION_DISPATCH,
} from '../index';
import { IndicationIterator } from './indications';
import { NtStatusError, checkStatus } from './ntstatus-error';

/**
 * The bytes a WSK_BUF describes, as views of its MDLs' memory (no copy), in order; appended to
 * `out` when given.
 * @see https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_buf
 */
export function wskBufViews(Buffer: WSK_BUF, out: Uint8Array[] = []): Uint8Array[] {
  let skip = Buffer.Offset;
  let left = Buffer.Length;
  for (let Mdl = Buffer.Mdl; Mdl !== null && left > 0; Mdl = Mdl.Next) {
    const memory = MmGetSystemAddressForMdlSafe(Mdl, NormalPagePriority)!;
    const take = Math.min(memory.byteLength - skip, left);
    if (take > 0) out.push(memory.subarray(skip, skip + take));
    left -= take;
    skip = 0;
  }
  return out;
}

/**
 * Enables the events of `EventMask` on a socket (SO_WSK_EVENT_CALLBACK through WskControlSocket,
 * without an IRP, as the documentation says). Throws an NtStatusError when WSK refuses:
 * STATUS_INVALID_DEVICE_STATE before bind (listen, datagram) or connect (connection),
 * STATUS_INVALID_PARAMETER for an event the socket's client dispatch has no callback for.
 * @see https://learn.microsoft.com/en-us/windows-hardware/drivers/network/so-wsk-event-callback
 */
export function enableEvents(Socket: PWSK_SOCKET, EventMask: ULONG): void {
  const control: WSK_EVENT_CALLBACK_CONTROL = { NpiId: NPI_WSK_INTERFACE_ID, EventMask };
  checkStatus(Socket.Dispatch.WskControlSocket(Socket, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, control, 0, null, null, null));
}

// One dispatch table for every ReceiveEvents: the socket context is the iterator.
function WskReceiveEvent(
  SocketContext: unknown,
  _Flags: ULONG,
  DataIndication: PWSK_DATA_INDICATION | null,
  BytesIndicated: SIZE_T,
  _BytesAccepted: PSIZE_T,
): NTSTATUS {
  return (SocketContext as ReceiveEvents).onReceive(DataIndication, BytesIndicated);
}

function WskDisconnectEvent(SocketContext: unknown, Flags: ULONG): NTSTATUS {
  (SocketContext as ReceiveEvents).onDisconnect(Flags);
  return STATUS_SUCCESS;
}

const CONNECTION_DISPATCH: WSK_CLIENT_CONNECTION_DISPATCH = Object.freeze({
  WskReceiveEvent,
  WskDisconnectEvent,
  WskSendBacklogEvent: null,
});

/**
 * The data a connection socket receives, as an async iterator of `Uint8Array` views of WSK's
 * indication buffers (zero-copy: a view is valid until the next pull; copy what you keep).
 * Pass the iterator as the socket context and `Dispatch` as the client dispatch when the socket
 * is made (`WskSocketConnect`, `WskAccept`, `WskSocket`), then `enable(Socket)`. Each
 * `WskReceiveEvent` chain is retained (the event returns STATUS_PENDING) and released with
 * `WskRelease` when the consumer pulls past it; meanwhile WSK reads nothing more from the OS
 * socket, so the peer is slowed down by TCP flow control. The iteration ends at the peer's
 * graceful disconnect (`WskDisconnectEvent`), and throws an NtStatusError
 * `STATUS_CONNECTION_RESET` after the data received before an abortive one. `return()`
 * (`break`) or an aborted `signal` gives back what is held; later indications are refused
 * (STATUS_DATA_NOT_ACCEPTED), so the data stays for a `WskReceive`.
 * @see https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_receive_event
 */
export class ReceiveEvents extends IndicationIterator<PWSK_DATA_INDICATION, Uint8Array> {
  /** The client dispatch to create the socket with (WskReceiveEvent and WskDisconnectEvent). */
  readonly Dispatch: WSK_CLIENT_CONNECTION_DISPATCH = CONNECTION_DISPATCH;
  private Socket: PWSK_SOCKET | null = null;

  /**
   * Enables WSK_EVENT_RECEIVE and WSK_EVENT_DISCONNECT on `Socket`, which was made with this
   * iterator as its context; throws an NtStatusError if WSK refuses (before connect:
   * STATUS_INVALID_DEVICE_STATE).
   * @see https://learn.microsoft.com/en-us/windows-hardware/drivers/network/so-wsk-event-callback
   */
  enable(Socket: PWSK_SOCKET): void {
    this.Socket = Socket;
    enableEvents(Socket, WSK_EVENT_RECEIVE | WSK_EVENT_DISCONNECT);
  }

  /** @internal WskReceiveEvent for this socket. */
  onReceive(DataIndication: PWSK_DATA_INDICATION | null, BytesIndicated: SIZE_T): NTSTATUS {
    if (this.stopped || this.Socket === null) return STATUS_DATA_NOT_ACCEPTED;
    if (DataIndication === null) {
      // The socket is no longer functional (the reference: close it as soon as possible).
      this.end(new NtStatusError(STATUS_CONNECTION_ABORTED));
      return STATUS_SUCCESS;
    }
    const items: Uint8Array[] = [];
    for (let d: PWSK_DATA_INDICATION | null = DataIndication; d !== null; d = d.Next) wskBufViews(d.Buffer, items);
    this.retain({ head: DataIndication, items, bytes: BytesIndicated });
    return STATUS_PENDING;
  }

  /** @internal WskDisconnectEvent for this socket. */
  onDisconnect(Flags: ULONG): void {
    if (this.stopped) return;
    this.end(Flags & WSK_FLAG_ABORTIVE ? new NtStatusError(STATUS_CONNECTION_RESET) : null);
  }

  protected releaseChain(head: PWSK_DATA_INDICATION): void {
    const Socket = this.Socket!;
    checkStatus((Socket.Dispatch as WSK_PROVIDER_CONNECTION_DISPATCH).WskRelease(Socket, head));
  }
}
