// WskReceiveFromEvent as an async iterator of datagrams: `for await (const d of datagrams)`.
// Zero-copy: each datagram is WSK's own indication memory and address, retained
// (STATUS_PENDING) until the consumer pulls past its chain, then given back with WskRelease.
import {
  STATUS_CONNECTION_ABORTED,
  STATUS_DATA_NOT_ACCEPTED,
  STATUS_PENDING,
  STATUS_SUCCESS,
  WSK_EVENT_RECEIVE_FROM,
  type NTSTATUS,
  type PSOCKADDR,
  type PWSK_DATAGRAM_INDICATION,
  type PWSK_SOCKET,
  type ULONG,
  type WSK_CLIENT_DATAGRAM_DISPATCH,
  type WSK_PROVIDER_DATAGRAM_DISPATCH,
} from '../index';
import { IndicationIterator } from './indications';
import { NtStatusError, checkStatus } from './ntstatus-error';
import { enableEvents, wskBufViews } from './receive-events';

/** One received datagram; valid until the next pull (WSK reuses the memory): copy what you keep. */
export interface Datagram {
  /** The payload, a view of WSK's buffer. */
  data: Uint8Array;
  /** The sender: the indication's own SOCKADDR_IN or SOCKADDR_IN6 (`sockaddrToString` prints it). */
  remoteAddress: PSOCKADDR;
  /** The control messages (CMSGHDR, `cmsgParse` reads them), or null. */
  controlInfo: Uint8Array | null;
  /** The WSK_DATAGRAM_INDICATION it came in, for code that wants the C structure. */
  indication: PWSK_DATAGRAM_INDICATION;
}

function WskReceiveFromEvent(SocketContext: unknown, _Flags: ULONG, DataIndication: PWSK_DATAGRAM_INDICATION | null): NTSTATUS {
  return (SocketContext as ReceiveFromEvents).onReceiveFrom(DataIndication);
}

const DATAGRAM_DISPATCH: WSK_CLIENT_DATAGRAM_DISPATCH = Object.freeze({ WskReceiveFromEvent });

/** A datagram's bytes as one view (a copy only in the unusual case of a payload over several MDLs). */
function payload(indication: PWSK_DATAGRAM_INDICATION): Uint8Array {
  const views = wskBufViews(indication.Buffer);
  if (views.length === 1) return views[0]!;
  const bytes = new Uint8Array(indication.Buffer.Length);
  let at = 0;
  for (const view of views) {
    bytes.set(view, at);
    at += view.byteLength;
  }
  return bytes;
}

/**
 * The datagrams a datagram socket receives, as an async iterator of `Datagram`s (zero-copy:
 * valid until the next pull). Pass the iterator as the socket context and `Dispatch` as the
 * client dispatch to `WskSocket`, bind, then `enable(Socket)`. Each `WskReceiveFromEvent` chain
 * is retained (STATUS_PENDING) and released with `WskRelease` when the consumer pulls past its
 * last datagram; while chains are held WSK reads no more from the OS socket, whose buffer then
 * fills and drops (UDP's back-pressure). A datagram socket has no end of stream: stop with
 * `return()` (`break`) or an aborted `signal` (the waiting pull rejects STATUS_CANCELLED), which
 * gives back what is held; later indications are refused (STATUS_DATA_NOT_ACCEPTED turns the
 * dynamic event off and leaves the datagrams to `WskReceiveFrom`).
 * @see https://learn.microsoft.com/en-us/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_receive_from_event
 */
export class ReceiveFromEvents extends IndicationIterator<PWSK_DATAGRAM_INDICATION, Datagram> {
  /** The client dispatch to create the socket with (WskReceiveFromEvent). */
  readonly Dispatch: WSK_CLIENT_DATAGRAM_DISPATCH = DATAGRAM_DISPATCH;
  private Socket: PWSK_SOCKET | null = null;

  /**
   * Enables WSK_EVENT_RECEIVE_FROM on `Socket` (bound, and made with this iterator as its
   * context); throws an NtStatusError if WSK refuses (before bind: STATUS_INVALID_DEVICE_STATE).
   * @see https://learn.microsoft.com/en-us/windows-hardware/drivers/network/so-wsk-event-callback
   */
  enable(Socket: PWSK_SOCKET): void {
    this.Socket = Socket;
    enableEvents(Socket, WSK_EVENT_RECEIVE_FROM);
  }

  /** @internal WskReceiveFromEvent for this socket. */
  onReceiveFrom(DataIndication: PWSK_DATAGRAM_INDICATION | null): NTSTATUS {
    if (this.stopped || this.Socket === null) return STATUS_DATA_NOT_ACCEPTED;
    if (DataIndication === null) {
      this.end(new NtStatusError(STATUS_CONNECTION_ABORTED));
      return STATUS_SUCCESS;
    }
    const items: Datagram[] = [];
    let bytes = 0;
    for (let d: PWSK_DATAGRAM_INDICATION | null = DataIndication; d !== null; d = d.Next) {
      const controlInfo = d.ControlInfo !== null && d.ControlInfoLength > 0 ? d.ControlInfo.subarray(0, d.ControlInfoLength) : null;
      items.push({ data: payload(d), remoteAddress: d.RemoteAddress, controlInfo, indication: d });
      bytes += d.Buffer.Length;
    }
    this.retain({ head: DataIndication, items, bytes });
    return STATUS_PENDING;
  }

  protected releaseChain(head: PWSK_DATAGRAM_INDICATION): void {
    const Socket = this.Socket!;
    checkStatus((Socket.Dispatch as WSK_PROVIDER_DATAGRAM_DISPATCH).WskRelease(Socket, head));
  }
}
