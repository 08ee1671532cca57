// A connection driver for the benchmark cases: receive by WskReceive IRPs or WskReceiveEvent,
// send a fixed buffer with one reusable IRP (queued sends counted, not copied). Written the
// way a WSK driver would: inline completions handled in a loop, pended ones re-enter it.
import {
  IoAllocateMdl,
  MmBuildMdlForNonPagedPool,
  NPI_WSK_INTERFACE_ID,
  PSIZE_T,
  SIZE_T,
  SOL_SOCKET,
  SO_WSK_EVENT_CALLBACK,
  STATUS_PENDING,
  STATUS_SUCCESS,
  WSK_BUF,
  WSK_CLIENT_CONNECTION_DISPATCH,
  WSK_DATA_INDICATION,
  WSK_EVENT_DISCONNECT,
  WSK_EVENT_RECEIVE,
  WSK_PROVIDER_CONNECTION_DISPATCH,
  WSK_SOCKET,
  WskSetOption,
  NT_SUCCESS,
  IPPROTO_TCP,
  TCP_NODELAY,
} from '../lib';
import { ReusableIrp, check } from './common';

export function wskBuf(bytes: Uint8Array): WSK_BUF {
  const mdl = IoAllocateMdl(bytes, bytes.byteLength, false, false, null)!;
  MmBuildMdlForNonPagedPool(mdl);
  return { Mdl: mdl, Offset: 0, Length: bytes.byteLength };
}

export type RecvStyle = 'irp' | 'event';

/** Client dispatch shared by every event-style connection; the context is the WskConn. */
export const CONN_EVENTS: WSK_CLIENT_CONNECTION_DISPATCH = {
  WskReceiveEvent: (ctx: unknown, _flags: number, ind: WSK_DATA_INDICATION | null, BytesIndicated: SIZE_T, _acc: PSIZE_T) => {
    const c = ctx as WskConn;
    if (ind === null) c.ended();
    else c.onBytes(BytesIndicated);
    return STATUS_SUCCESS;
  },
  WskDisconnectEvent: (ctx: unknown) => {
    (ctx as WskConn).ended();
    return STATUS_SUCCESS;
  },
  WskSendBacklogEvent: null,
};

export class WskConn {
  socket: WSK_SOCKET | null = null;
  private d!: WSK_PROVIDER_CONNECTION_DISPATCH;
  private readonly recv: ReusableIrp;
  private readonly send: ReusableIrp;
  private sendBusy = false;
  private owedSends = 0;
  private done = false;

  constructor(
    readonly style: RecvStyle,
    private readonly recvBuf: WSK_BUF,
    private readonly sendBuf: WSK_BUF,
    public onBytes: (n: number) => void,
    public onEnd: () => void = () => {},
  ) {
    this.recv = new ReusableIrp(() => this.receiveLoop());
    this.send = new ReusableIrp(() => this.sendDone());
  }

  /** The dispatch and context to pass to WskAccept / WskSocketConnect. */
  get dispatch(): WSK_CLIENT_CONNECTION_DISPATCH | null {
    return this.style === 'event' ? CONN_EVENTS : null;
  }

  start(socket: WSK_SOCKET): void {
    this.socket = socket;
    this.d = socket.Dispatch as WSK_PROVIDER_CONNECTION_DISPATCH;
    // As the node:net side does with setNoDelay(true): the same TCP on both sides.
    const one = new Uint32Array([1]);
    check(this.d.WskControlSocket(socket, WskSetOption, TCP_NODELAY, IPPROTO_TCP, 4, one, 0, null, null, null), 'TCP_NODELAY');
    if (this.style === 'event') {
      const ctl = { NpiId: NPI_WSK_INTERFACE_ID, EventMask: WSK_EVENT_RECEIVE | WSK_EVENT_DISCONNECT };
      check(this.d.WskControlSocket(socket, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, ctl, 0, null, null, null), 'SO_WSK_EVENT_CALLBACK');
    } else {
      this.recv.information = 0;
      this.receiveLoop();
    }
  }

  private receiveLoop(): void {
    for (;;) {
      if (this.done) return;
      if (!NT_SUCCESS(this.recv.status)) return this.ended();
      if (this.recv.information > 0) {
        const n = this.recv.information;
        this.recv.information = 0;
        this.onBytes(n);
      }
      const st = this.d.WskReceive(this.socket!, this.recvBuf, 0, this.recv.irp);
      if (st === STATUS_PENDING) return;
      if (!NT_SUCCESS(st) || this.recv.information === 0) return this.ended();
    }
  }

  write(): void {
    if (this.sendBusy) {
      this.owedSends++;
      return;
    }
    this.sendBusy = true;
    for (;;) {
      const st = this.d.WskSend(this.socket!, this.sendBuf, 0, this.send.irp);
      if (st === STATUS_PENDING) return;
      check(st, 'WskSend');
      if (this.owedSends === 0) break;
      this.owedSends--;
    }
    this.sendBusy = false;
  }

  private sendDone(): void {
    check(this.send.status, 'WskSend');
    this.sendBusy = false;
    if (this.owedSends > 0) {
      this.owedSends--;
      this.write();
    }
  }

  ended(): void {
    if (this.done) return;
    this.done = true;
    this.onEnd();
  }
}
