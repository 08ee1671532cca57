// The soak's TCP clients: WskSocketConnect, then a random number of request/response rounds
// (requests of 1 B to 32 KiB; the reply must be the request inverted, every byte checked),
// then a graceful WskDisconnect, the server's FIN, and WskCloseSocket. The reply is read with
// WskReceive IRPs (WSK_FLAG_WAITALL on every other round) or from WskReceiveEvent.
import {
  IoAllocateMdl,
  IPPROTO_TCP,
  IRP,
  MDL,
  MmBuildMdlForNonPagedPool,
  NT_SUCCESS,
  NTSTATUS,
  SOCK_STREAM,
  STATUS_SUCCESS,
  ULONG,
  WSK_CLIENT_CONNECTION_DISPATCH,
  WSK_DATA_INDICATION,
  WSK_EVENT_DISCONNECT,
  WSK_EVENT_RECEIVE,
  WSK_FLAG_ABORTIVE,
  WSK_FLAG_WAITALL,
  WSK_PROVIDER_CONNECTION_DISPATCH,
  WSK_SOCKET,
  ntStatusName,
  sockaddrFromString,
} from '../lib';
import { Wsk } from '../bench/common';
import { CountedIrp } from './ledger';
import { Lane } from './soak-lane';
import { fillPattern, firstMismatch } from './wire';
import { bufViews, enableEvents, HOST } from './wsk-setup';

const MAX_REQUEST = 32768;

type Step = 'connect' | 'send' | 'reply' | 'disconnect' | 'fin' | 'close';

function builtMdl(bytes: Uint8Array): MDL {
  const mdl = IoAllocateMdl(bytes, bytes.length, false, false, null)!;
  MmBuildMdlForNonPagedPool(mdl);
  return mdl;
}

export class TcpClient {
  private socket: WSK_SOCKET | null = null;
  private d!: WSK_PROVIDER_CONNECTION_DISPATCH;
  private readonly io: CountedIrp;
  private readonly request = new Uint8Array(MAX_REQUEST);
  private readonly reply = new Uint8Array(MAX_REQUEST);
  private readonly requestMdl = builtMdl(this.request);
  private readonly replyMdl = builtMdl(this.reply);
  private step: Step = 'connect';
  private rounds: number;
  private round = 0;
  private seed = 0;
  private length = 0;
  private got = 0;
  /** Event style: the request's send has completed (the reply may come before or after). */
  private sent = false;
  private finSeen = false;
  private failed = false;

  constructor(
    private readonly lane: Lane,
    private readonly events: boolean,
    private readonly onEnd: () => void,
  ) {
    this.io = new CountedIrp(lane.ledger, (irp) => this.completed(irp));
    this.rounds = lane.rng.int(1, 64);
  }

  connect(w: Wsk, port: number): void {
    this.lane.began();
    const dispatch = this.events ? CLIENT_EVENTS : null;
    this.io.start((irp) =>
      w.npi.Dispatch.WskSocketConnect(w.npi.Client, SOCK_STREAM, IPPROTO_TCP, sockaddrFromString(HOST, 0), sockaddrFromString(HOST, port), 0, this, dispatch, null, null, null, irp),
    );
  }

  private completed(irp: IRP): void {
    const status = irp.IoStatus.Status;
    const n = irp.IoStatus.Information as number;
    if (this.step === 'close') return this.closed(status);
    if (this.failed) return this.close();
    if (!NT_SUCCESS(status)) return this.fail(`${this.step}: ${ntStatusName(status)}`);
    switch (this.step) {
      case 'connect':
        this.socket = irp.IoStatus.Information as WSK_SOCKET;
        this.d = this.socket.Dispatch as WSK_PROVIDER_CONNECTION_DISPATCH;
        // Connection events can be enabled once connected, not before.
        if (this.events) enableEvents(this.socket, WSK_EVENT_RECEIVE | WSK_EVENT_DISCONNECT);
        return this.nextRound();
      case 'send':
        if (n !== this.length) return this.fail(`WskSend sent ${n} of ${this.length}`);
        this.sent = true;
        this.step = 'reply';
        return this.events ? this.maybeDone() : this.receive();
      case 'reply':
        if (n === 0) return this.fail(`FIN after ${this.got} of ${this.length} reply bytes`);
        this.got += n;
        return this.got < this.length ? this.receive() : this.maybeDone();
      case 'disconnect':
        this.step = 'fin';
        if (!this.events) return this.awaitFin();
        return this.finSeen ? this.close() : undefined;
      case 'fin':
        return n === 0 ? this.close() : this.fail(`${n} bytes after the last reply`);
    }
  }

  private nextRound(): void {
    if (this.round === this.rounds || this.lane.stopping) return this.disconnect();
    this.round++;
    this.seed = (this.lane.rng.next() | 1) >>> 0;
    // Half the requests small (one segment), half up to 32 KiB (several, and several indications).
    this.length = this.lane.rng.int(0, 1) ? this.lane.rng.int(1, 512) : this.lane.rng.int(513, MAX_REQUEST);
    fillPattern(this.request.subarray(0, this.length), this.seed);
    this.got = 0;
    this.sent = false;
    this.step = 'send';
    this.io.start((irp) => this.d.WskSend(this.socket!, { Mdl: this.requestMdl, Offset: 0, Length: this.length }, 0, irp));
  }

  private receive(): void {
    const flags = this.round % 2 ? WSK_FLAG_WAITALL : 0;
    this.io.start((irp) => this.d.WskReceive(this.socket!, { Mdl: this.replyMdl, Offset: this.got, Length: this.length - this.got }, flags, irp));
  }

  /** Event style: bytes of the reply (before or after the send's completion). */
  indicated(ind: WSK_DATA_INDICATION | null): NTSTATUS {
    if (ind === null) return this.peerDisconnected(0);
    for (let i: WSK_DATA_INDICATION | null = ind; i !== null; i = i.Next) {
      for (const view of bufViews(i.Buffer)) {
        if ((this.step !== 'send' && this.step !== 'reply') || this.got + view.length > this.length) {
          this.fail(`${view.length} bytes not asked for`);
          return STATUS_SUCCESS;
        }
        this.reply.set(view, this.got);
        this.got += view.length;
      }
    }
    this.maybeDone();
    return STATUS_SUCCESS;
  }

  peerDisconnected(flags: ULONG): NTSTATUS {
    if (flags & WSK_FLAG_ABORTIVE) this.fail('reset by the server');
    else if (this.step === 'fin') this.close();
    else if (this.step === 'disconnect') this.finSeen = true;
    else this.fail(`the server's FIN in step ${this.step}`);
    return STATUS_SUCCESS;
  }

  /** A round is over when its send has completed and every reply byte is in. */
  private maybeDone(): void {
    if (!this.sent || this.got < this.length) return;
    const at = firstMismatch(this.reply.subarray(0, this.length), this.seed, true);
    if (at !== -1) return this.fail(`reply byte ${at} of ${this.length} wrong`);
    this.lane.roundTrips++;
    this.lane.bytes += 2 * this.length;
    this.sent = false;
    this.nextRound();
  }

  /** IRP style: a 1-byte receive that completes with 0 at the server's FIN. */
  private awaitFin(): void {
    this.io.start((irp) => this.d.WskReceive(this.socket!, { Mdl: this.replyMdl, Offset: 0, Length: 1 }, 0, irp));
  }

  private disconnect(): void {
    this.step = 'disconnect';
    this.io.start((irp) => this.d.WskDisconnect(this.socket!, null, 0, irp));
  }

  private close(): void {
    this.step = 'close';
    this.io.start((irp) => this.d.WskCloseSocket(this.socket!, irp));
  }

  private closed(status: NTSTATUS): void {
    if (status !== STATUS_SUCCESS) this.lane.failure(`client WskCloseSocket: ${ntStatusName(status)}`);
    this.lane.ended();
    this.onEnd();
  }

  /** Recorded; the socket is closed (abortively) so that the lane carries on. */
  private fail(message: string): void {
    this.lane.failure(`client: ${message}`);
    if (this.failed || this.step === 'close') return;
    this.failed = true;
    if (this.socket === null) {
      // The connect failed: there is no socket to close.
      this.step = 'close';
      this.lane.ended();
      return this.onEnd();
    }
    // With an IRP in flight, the close follows its completion (completed()).
    if (!this.io.pending) this.close();
  }
}

const CLIENT_EVENTS: WSK_CLIENT_CONNECTION_DISPATCH = {
  WskReceiveEvent: (ctx, _flags, ind) => (ctx as TcpClient).indicated(ind),
  WskDisconnectEvent: (ctx, flags) => (ctx as TcpClient).peerDisconnected(flags),
  WskSendBacklogEvent: null,
};
