// Datagram sockets (WSK_FLAG_DATAGRAM_SOCKET), https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/ns-wsk-_wsk_provider_datagram_dispatch: UDP and raw, over IPv4 and
// IPv6. The socket object and its provider table; what it holds is in datagram.ts, its rules in
// datagram-state.ts, sends, receives and the receive event beside them.
import { IRP, irpComplete, irpStart } from '../kernel/irp';
import { WSK_BUF, wskBufViews } from '../kernel/mdl';
import { NTSTATUS, STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from '../kernel/ntstatus';
import { isRefillable, isWritableSlot, violation } from '../kernel/verifier';
import type { PCMSGHDR } from '../net/cmsg';
import type { PSOCKADDR } from '../net/sockaddr';
import { SOCK_RAW, SOL_SOCKET } from '../net/ws2def';
import { bindShared, SHARE_NONE, SharingHolder, sharingControl, unbindShared } from '../socket/address-sharing';
import { WSK_PROVIDER_BASIC_VIEW, WskControlSocket } from '../socket/control';
import type { ControlRequest, ControlResult } from '../socket/control-request';
import { getAddressCall, socketArg, WskCloseSocket } from '../socket/socket';
import { NETADDR_SIZE, NO_RECEIVE, POLL_READABLE } from '../transport/native';
import { sockaddrToNetaddr } from '../transport/netaddr';
import {
  PULONG,
  PWSK_BUF_LIST,
  PWSK_DATAGRAM_INDICATION,
  SIO_WSK_SET_REMOTE_ADDRESS,
  SIO_WSK_SET_SENDTO_ADDRESS,
  SO_WSK_EVENT_CALLBACK,
  WSK_FLAG_DATAGRAM_SOCKET,
  WskIoctl,
  WskSetOption,
} from '../wsk/wsk-base';
import { PWSK_SOCKET, WSK_PROVIDER_DATAGRAM_DISPATCH } from '../wsk/wsk-dispatch';
import { Datagram } from './datagram';
import { datagramEventControl, indicateDatagrams, onDatagramsReceived, releaseDatagrams, runDeferredDatagrams } from './datagram-events';
import { discardErrors } from './datagram-errors';
import { datagramReceive, drainReceives } from './datagram-receive';
import { datagramSend, drainSends, segmentedSend, sendControl } from './datagram-send';
import { BOUND, datagramRule, FRESH, WSK_BIND, WSK_FIXED_ADDRESS, WSK_GET_LOCAL_ADDRESS, WSK_RECEIVE_FROM, WSK_SEND } from './datagram-state';
import { giveBack } from './receive-area';

export { DATAGRAM_RECEIVE_POOL } from './receive-area';

const DATAGRAM = 1 << WSK_FLAG_DATAGRAM_SOCKET;

export class DatagramSocket extends Datagram implements SharingHolder {
  shareOption = SHARE_NONE;

  // On the prototype, not in every socket (memory per connection, bench C idle).
  get category(): number { return WSK_FLAG_DATAGRAM_SOCKET; }
  get Dispatch(): WSK_PROVIDER_DATAGRAM_DISPATCH { return WSK_PROVIDER_DATAGRAM_DISPATCH_TABLE; }

  override hasAddress(remote: boolean): boolean {
    return !remote && datagramRule(WSK_GET_LOCAL_ADDRESS, this.state) === STATUS_SUCCESS;
  }

  get isBound(): boolean {
    return this.state !== FRESH;
  }

  bind(LocalAddress: PSOCKADDR, Flags: number): NTSTATUS {
    const refused = datagramRule(WSK_BIND, this.state);
    if (refused !== STATUS_SUCCESS) return refused;
    // Raw sockets have no ports to share: the OS bind as it is.
    const status = this.type === SOCK_RAW ? this.bindTo(LocalAddress, Flags) : bindShared(this, LocalAddress, Flags, this.shareOption);
    if (status === STATUS_SUCCESS) {
      this.state = BOUND;
      this.updateInterest();
    }
    return status;
  }

  runDeferred(): void {
    runDeferredDatagrams(this);
  }

  override onPoll(events: number, status: number, received: number): void {
    if (!this.bound) return;
    // POLLERR (reported as a status): an ICMP error the client asked for is queued.
    if (status < 0 && this.options?.hostRecvErr) this.errorsPending = true;
    // What the transport read for the event came first.
    if (received !== NO_RECEIVE) onDatagramsReceived(this, received);
    if (this.closed) return;
    drainReceives(this);
    if (this.closed) return;
    if (this.sends.length > 0) drainSends(this);
    if (this.closed) return;
    // A plain readable report (no automatic read happened), or ICMP errors queued (read
    // apart, MSG_ERRQUEUE): read and indicate ourselves.
    if (this.receives.length === 0 && ((received === NO_RECEIVE && events & POLL_READABLE) || this.errorsPending)) indicateDatagrams(this);
    this.updateInterest();
    if (this.errorsPending && !this.closed && !this.wantsRead) discardErrors(this);
  }

  override control(req: ControlRequest): ControlResult | undefined {
    const shared = sharingControl(this, req);
    if (shared) return shared;
    if (req.Level === SOL_SOCKET && req.ControlCode === SO_WSK_EVENT_CALLBACK && req.RequestType === WskSetOption) {
      return datagramEventControl(this, req);
    }
    if (req.RequestType === WskIoctl && (req.ControlCode === SIO_WSK_SET_REMOTE_ADDRESS || req.ControlCode === SIO_WSK_SET_SENDTO_ADDRESS)) {
      return this.fixedAddress(req, req.ControlCode === SIO_WSK_SET_REMOTE_ADDRESS);
    }
    return undefined;
  }

  /** SIO_WSK_SET_REMOTE_ADDRESS / SIO_WSK_SET_SENDTO_ADDRESS: a SOCKADDR, or none to clear. */
  private fixedAddress(req: ControlRequest, remote: boolean): ControlResult {
    // No IRP where one is required: returned, not completed (there is nothing to complete).
    if (!req.Irp) return { status: STATUS_INVALID_PARAMETER };
    const refused = datagramRule(WSK_FIXED_ADDRESS, this.state);
    if (refused !== STATUS_SUCCESS) return { status: refused };
    const input = req.inputObject;
    const clear = input === null || input === undefined || (req.input !== null && req.input.byteLength === 0);
    let net: Uint8Array | null = null;
    if (!clear) {
      net = sockaddrToNetaddr(input, this.family, new Uint8Array(NETADDR_SIZE));
      if (!net) return { status: STATUS_INVALID_PARAMETER };
    }
    if (remote) this.remoteAddress = net;
    else this.sendtoAddress = net;
    return { status: STATUS_SUCCESS };
  }

  override close(Irp: IRP): NTSTATUS {
    if (this.held.size > 0) {
      violation(
        'RETAINED_INDICATIONS_AT_CLOSE',
        'WskCloseSocket',
        `${this.held.size} WSK_DATAGRAM_INDICATION chain(s) retained with STATUS_PENDING were not released with WskRelease before close`,
      );
    }
    if (this.refused) {
      giveBack(this.refused);
      this.refused = null;
    }
    return super.close(Irp);
  }

  protected override beforeClose(): void {
    unbindShared(this);
  }
}

// ---- the provider table (WSK_PROVIDER_DATAGRAM_DISPATCH) ----

function datagramArg(Socket: PWSK_SOCKET, where: string): DatagramSocket {
  return socketArg<DatagramSocket>(Socket, DATAGRAM, where);
}

export function WskBind(Socket: PWSK_SOCKET, LocalAddress: PSOCKADDR, Flags: number, Irp: IRP | null): NTSTATUS {
  const s = datagramArg(Socket, 'WskBind');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskBind', LocalAddress, Flags);
  return irpComplete(Irp, s.bind(LocalAddress, Flags), 0);
}

export function WskSendTo(
  Socket: PWSK_SOCKET,
  Buffer: WSK_BUF,
  Flags: number,
  RemoteAddress: PSOCKADDR | null,
  ControlInfoLength: number,
  ControlInfo: PCMSGHDR | null,
  Irp: IRP | null,
): NTSTATUS {
  const s = datagramArg(Socket, 'WskSendTo');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskSendTo', Buffer, Flags, RemoteAddress);
  const views = wskBufViews(Buffer, 'WskSendTo');
  if (Flags !== 0) return irpComplete(Irp, STATUS_INVALID_PARAMETER, 0);
  const refused = datagramRule(WSK_SEND, s.state);
  if (refused !== STATUS_SUCCESS) return irpComplete(Irp, refused, 0);
  const addr = s.destination(RemoteAddress);
  if (typeof addr === 'number') return irpComplete(Irp, addr, 0);
  const control = sendControl(s, ControlInfoLength, ControlInfo);
  if (typeof control === 'number') return irpComplete(Irp, control, 0);
  const sent = segmentedSend(views, null, control.segmentSize);
  return datagramSend(s, { Irp, views: sent.views, counts: sent.counts, next: 0, nextView: 0, addr, control: control.control, total: Buffer.Length });
}

export function WskSendMessages(
  Socket: PWSK_SOCKET,
  BufferList: PWSK_BUF_LIST,
  Flags: number,
  RemoteAddress: PSOCKADDR | null,
  ControlInfoLength: number,
  ControlInfo: PCMSGHDR | null,
  Irp: IRP | null,
): NTSTATUS {
  const s = datagramArg(Socket, 'WskSendMessages');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskSendMessages', BufferList, Flags, RemoteAddress);
  const views: Uint8Array[] = [];
  const counts: number[] = [];
  let total = 0;
  for (let e: PWSK_BUF_LIST | null = BufferList; e !== null && e !== undefined; e = e.Next) {
    const v = wskBufViews(e.Buffer, 'WskSendMessages');
    for (const x of v) views.push(x);
    counts.push(v.length);
    total += e.Buffer.Length;
    if (counts.length > 1 << 20) violation('INVALID_ARGUMENT', 'WskSendMessages', 'the WSK_BUF_LIST does not end (a cycle through Next?)');
  }
  if (Flags !== 0 || counts.length === 0) return irpComplete(Irp, STATUS_INVALID_PARAMETER, 0);
  const refused = datagramRule(WSK_SEND, s.state);
  if (refused !== STATUS_SUCCESS) return irpComplete(Irp, refused, 0);
  const addr = s.destination(RemoteAddress);
  if (typeof addr === 'number') return irpComplete(Irp, addr, 0);
  const control = sendControl(s, ControlInfoLength, ControlInfo);
  if (typeof control === 'number') return irpComplete(Irp, control, 0);
  const sent = segmentedSend(views, Int32Array.from(counts), control.segmentSize);
  return datagramSend(s, { Irp, views: sent.views, counts: sent.counts, next: 0, nextView: 0, addr, control: control.control, total });
}

export function WskReceiveFrom(
  Socket: PWSK_SOCKET,
  Buffer: WSK_BUF,
  Flags: number,
  RemoteAddress: PSOCKADDR | null,
  ControlLength: PULONG | null,
  ControlInfo: PCMSGHDR | null,
  ControlFlags: PULONG | null,
  Irp: IRP | null,
): NTSTATUS {
  const s = datagramArg(Socket, 'WskReceiveFrom');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskReceiveFrom', Buffer, Flags);
  const views = wskBufViews(Buffer, 'WskReceiveFrom');
  if (Flags !== 0) return irpComplete(Irp, STATUS_INVALID_PARAMETER, 0);
  const refused = datagramRule(WSK_RECEIVE_FROM, s.state);
  if (refused !== STATUS_SUCCESS) return irpComplete(Irp, refused, 0);
  // The out-parameters are written when a datagram comes, maybe later on the event loop: each
  // must be one the call can fill, checked now.
  if (RemoteAddress !== null && RemoteAddress !== undefined && !isRefillable(RemoteAddress)) {
    return irpComplete(Irp, STATUS_INVALID_PARAMETER, 0);
  }
  const hasControl = ControlLength !== null && ControlLength !== undefined;
  const info = hasControl && ControlInfo instanceof Uint8Array ? ControlInfo : null;
  const room = info ? ControlLength![0] : 0;
  if (hasControl && (!isWritableSlot(ControlLength, 0) || typeof room !== 'number')) return irpComplete(Irp, STATUS_INVALID_PARAMETER, 0);
  if (hasControl && ControlFlags !== null && ControlFlags !== undefined && !isWritableSlot(ControlFlags, 0)) {
    return irpComplete(Irp, STATUS_INVALID_PARAMETER, 0);
  }
  return datagramReceive(s, {
    Irp,
    views,
    remote: RemoteAddress ?? null,
    ControlLength: hasControl ? ControlLength : null,
    ControlInfo: info,
    controlRoom: info ? Math.min(room >>> 0, info.byteLength) : 0,
    ControlFlags: hasControl ? (ControlFlags ?? null) : null,
  });
}

export function WskRelease(Socket: PWSK_SOCKET, DatagramIndication: PWSK_DATAGRAM_INDICATION): NTSTATUS {
  const s = datagramArg(Socket, 'WskRelease');
  return releaseDatagrams(s, DatagramIndication);
}

export function WskGetLocalAddress(Socket: PWSK_SOCKET, LocalAddress: PSOCKADDR, Irp: IRP | null): NTSTATUS {
  return getAddressCall(Socket, DATAGRAM, false, LocalAddress, Irp, 'WskGetLocalAddress');
}

export const WSK_PROVIDER_DATAGRAM_DISPATCH_TABLE = Object.freeze<WSK_PROVIDER_DATAGRAM_DISPATCH>({
  Basic: WSK_PROVIDER_BASIC_VIEW,
  WskControlSocket,
  WskCloseSocket,
  WskBind,
  WskSendTo,
  WskReceiveFrom,
  WskRelease,
  WskGetLocalAddress,
  WskSendMessages,
});
