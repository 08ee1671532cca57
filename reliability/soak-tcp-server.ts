// The soak's TCP servers: every byte received goes back inverted, until the peer's FIN; then a
// graceful WskDisconnect and WskCloseSocket. One takes connections with WskAccept IRPs and reads
// with WskReceive IRPs; the other takes them in WskAcceptEvent and reads WskReceiveEvent
// indications, retaining one now and then (STATUS_PENDING, WskRelease on a later turn).
import {
  IoAllocateMdl,
  IoFreeMdl,
  IRP,
  MDL,
  MmBuildMdlForNonPagedPool,
  NT_SUCCESS,
  NTSTATUS,
  STATUS_CANCELLED,
  STATUS_PENDING,
  STATUS_SUCCESS,
  ULONG,
  WSK_CLIENT_CONNECTION_DISPATCH,
  WSK_CLIENT_LISTEN_DISPATCH,
  WSK_DATA_INDICATION,
  WSK_EVENT_ACCEPT,
  WSK_EVENT_DISCONNECT,
  WSK_EVENT_RECEIVE,
  WSK_FLAG_ABORTIVE,
  WSK_PROVIDER_CONNECTION_DISPATCH,
  WSK_PROVIDER_LISTEN_DISPATCH,
  WSK_SOCKET,
  ntStatusName,
} from '../lib';
import { check, Wsk } from '../bench/common';
import { CountedIrp } from './ledger';
import { Lane } from './soak-lane';
import { invert } from './wire';
import { bufViews, enableEvents, listenLoopback } from './wsk-setup';

export interface Server {
  port: number;
  close(): Promise<void>;
}

function builtMdl(bytes: Uint8Array): MDL {
  const mdl = IoAllocateMdl(bytes, bytes.length, false, false, null)!;
  MmBuildMdlForNonPagedPool(mdl);
  return mdl;
}

/** What both server connections do at the end: graceful disconnect, then close. */
abstract class EchoConn {
  protected readonly d: WSK_PROVIDER_CONNECTION_DISPATCH;
  protected readonly io: CountedIrp;
  protected step: 'echo' | 'disconnect' | 'close' = 'echo';

  constructor(
    protected readonly lane: Lane,
    protected readonly socket: WSK_SOCKET,
  ) {
    this.d = socket.Dispatch as WSK_PROVIDER_CONNECTION_DISPATCH;
    this.io = new CountedIrp(lane.ledger, (irp) => this.completed(irp));
    lane.began();
  }

  protected abstract echoCompleted(irp: IRP): void;

  private completed(irp: IRP): void {
    const status = irp.IoStatus.Status;
    if (this.step === 'close') {
      if (status !== STATUS_SUCCESS) this.lane.failure(`server WskCloseSocket: ${ntStatusName(status)}`);
      return this.lane.ended();
    }
    if (!NT_SUCCESS(status)) {
      this.lane.failure(`server ${this.step}: ${ntStatusName(status)}`);
      return this.close();
    }
    if (this.step === 'disconnect') return this.close();
    this.echoCompleted(irp);
  }

  protected disconnect(): void {
    this.step = 'disconnect';
    this.io.start((irp) => this.d.WskDisconnect(this.socket, null, 0, irp));
  }

  protected close(): void {
    this.step = 'close';
    this.io.start((irp) => this.d.WskCloseSocket(this.socket, irp));
  }
}

/** Reads into its own 16 KiB with WskReceive, sends the same bytes back inverted. */
class IrpEchoConn extends EchoConn {
  private readonly buf = new Uint8Array(16384);
  private readonly mdl = builtMdl(this.buf);
  /** Bytes of the send in flight (0: a receive is). */
  private sending = 0;

  receive(): void {
    this.sending = 0;
    this.io.start((irp) => this.d.WskReceive(this.socket, { Mdl: this.mdl, Offset: 0, Length: this.buf.length }, 0, irp));
  }

  protected echoCompleted(irp: IRP): void {
    const n = irp.IoStatus.Information as number;
    if (this.sending !== 0) {
      if (n !== this.sending) this.lane.failure(`server WskSend sent ${n} of ${this.sending}`);
      return this.receive();
    }
    if (n === 0) return this.disconnect();
    invert(this.buf.subarray(0, n));
    this.sending = n;
    this.io.start((i) => this.d.WskSend(this.socket, { Mdl: this.mdl, Offset: 0, Length: n }, 0, i));
  }
}

/** Copies indicated bytes out (inverted) and sends them in order, one WskSend at a time. */
class EventEchoConn extends EchoConn {
  private readonly queue: Uint8Array[] = [];
  private sendingMdl: MDL | null = null;
  private finSeen = false;

  indicated(ind: WSK_DATA_INDICATION | null): NTSTATUS {
    if (ind === null) return this.peerDisconnected(0);
    // About one indication in eight is held and released later, as a driver that hands data
    // to another thread would: nothing more is indicated until it is released.
    if (this.lane.rng.int(0, 7) === 0) {
      setImmediate(() => {
        this.take(ind);
        check(this.d.WskRelease(this.socket, ind), 'WskRelease');
      });
      return STATUS_PENDING;
    }
    this.take(ind);
    return STATUS_SUCCESS;
  }

  peerDisconnected(flags: ULONG): NTSTATUS {
    if (flags & WSK_FLAG_ABORTIVE) this.lane.failure('server: reset by the client');
    this.finSeen = true;
    this.pump();
    return STATUS_SUCCESS;
  }

  private take(ind: WSK_DATA_INDICATION): void {
    for (let i: WSK_DATA_INDICATION | null = ind; i !== null; i = i.Next) {
      for (const view of bufViews(i.Buffer)) {
        const copy = view.slice();
        invert(copy);
        this.queue.push(copy);
      }
    }
    this.pump();
  }

  private pump(): void {
    if (this.sendingMdl !== null || this.step !== 'echo') return;
    const next = this.queue.shift();
    if (next === undefined) {
      if (this.finSeen) this.disconnect();
      return;
    }
    const mdl = (this.sendingMdl = builtMdl(next));
    this.io.start((irp) => this.d.WskSend(this.socket, { Mdl: mdl, Offset: 0, Length: next.length }, 0, irp));
  }

  protected echoCompleted(): void {
    IoFreeMdl(this.sendingMdl!);
    this.sendingMdl = null;
    this.pump();
  }
}

const ECHO_EVENTS: WSK_CLIENT_CONNECTION_DISPATCH = {
  WskReceiveEvent: (ctx, _flags, ind) => (ctx as EventEchoConn).indicated(ind),
  WskDisconnectEvent: (ctx, flags) => (ctx as EventEchoConn).peerDisconnected(flags),
  WskSendBacklogEvent: null,
};

/** A listener that keeps `posted` WskAccept IRPs pending; they complete cancelled at its close. */
export async function irpServer(w: Wsk, lane: Lane, posted = 4): Promise<Server> {
  const { socket, port } = await listenLoopback(w, lane.ledger);
  const d = socket.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;
  let closing = false;
  for (let k = 0; k < posted; k++) {
    const io: CountedIrp = new CountedIrp(lane.ledger, (irp) => {
      const status = irp.IoStatus.Status;
      if (status === STATUS_CANCELLED && closing) return;
      if (NT_SUCCESS(status)) new IrpEchoConn(lane, irp.IoStatus.Information as WSK_SOCKET).receive();
      else lane.failure(`WskAccept: ${ntStatusName(status)}`);
      if (irp.PendingReturned) post();
    });
    // Inline completions are taken by this loop; a pended one restarts it. A failure stops it.
    const post = (): void => {
      while (!closing) {
        const status = io.start((irp) => d.WskAccept(socket, 0, null, null, null, null, irp));
        if (status === STATUS_PENDING || !NT_SUCCESS(status)) return;
      }
    };
    post();
  }
  return {
    port,
    close: async () => {
      closing = true;
      const irp = await lane.ledger.call((i) => d.WskCloseSocket(socket, i));
      check(irp.IoStatus.Status, 'listener WskCloseSocket');
    },
  };
}

/** A listener whose WskAcceptEvent keeps every connection, with receive and disconnect events. */
export async function eventServer(w: Wsk, lane: Lane): Promise<Server> {
  const listen: WSK_CLIENT_LISTEN_DISPATCH = {
    WskAcceptEvent: (_ctx, _flags, _local, _remote, s, outContext, outDispatch) => {
      outContext[0] = new EventEchoConn(lane, s!);
      outDispatch[0] = ECHO_EVENTS;
      return STATUS_SUCCESS;
    },
    WskInspectEvent: null,
    WskAbortEvent: null,
  };
  const { socket, port } = await listenLoopback(w, lane.ledger, null, listen);
  enableEvents(socket, WSK_EVENT_ACCEPT | WSK_EVENT_RECEIVE | WSK_EVENT_DISCONNECT);
  return {
    port,
    close: async () => {
      const irp = await lane.ledger.call((i) => socket.Dispatch.WskCloseSocket(socket, i));
      check(irp.IoStatus.Status, 'listener WskCloseSocket');
    },
  };
}
