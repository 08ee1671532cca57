// A scale run's server-side connections: read one request (WskReceive IRPs, or the bytes of
// WskReceiveEvent indications), check it, send the inverted bytes back with WskSend, then wait
// for the peer's FIN (a pending WskReceive, or WskDisconnectEvent), disconnect gracefully and
// close. One IRP per connection, reused for each step, as a driver would.
import {
  IoAllocateMdl,
  MDL,
  MmBuildMdlForNonPagedPool,
  NT_SUCCESS,
  NTSTATUS,
  STATUS_SUCCESS,
  ULONG,
  WSK_CLIENT_CONNECTION_DISPATCH,
  WSK_DATA_INDICATION,
  WSK_FLAG_ABORTIVE,
  WSK_PROVIDER_CONNECTION_DISPATCH,
  WSK_SOCKET,
  IRP,
  ntStatusName,
} from '../lib';
import { CountedIrp, Ledger } from './ledger';
import { invert, SCALE_REQUEST_BYTES, scaleRequestIndex } from './wire';
import { bufViews } from './wsk-setup';

/** Counts and the two moments a run waits for. */
export class ScaleRun {
  readonly ledger = new Ledger();
  readonly failures: string[] = [];
  /** What the run is waiting for, for the timeout's message. */
  phase = 'setting up';
  acceptedCount = 0;
  roundTrips = 0;
  closed = 0;
  private readonly seen: Uint8Array;
  private roundTripsDone!: () => void;
  private closedDone!: () => void;
  readonly allRoundTrips = new Promise<void>((r) => (this.roundTripsDone = r));
  readonly allClosed = new Promise<void>((r) => (this.closedDone = r));

  constructor(readonly conns: number) {
    this.seen = new Uint8Array(conns);
  }

  get open(): number {
    return this.acceptedCount - this.closed;
  }

  accepted(socket: WSK_SOCKET, events: WSK_CLIENT_CONNECTION_DISPATCH | null): ScaleConn {
    this.acceptedCount++;
    return new ScaleConn(this, socket, events !== null);
  }

  /** A checked request from connection `index`: each index exactly once. */
  roundTrip(index: number): void {
    if (this.seen[index]++) this.failure(`request ${index} seen twice`);
    if (++this.roundTrips === this.conns) this.roundTripsDone();
  }

  closedOne(): void {
    if (++this.closed === this.conns) this.closedDone();
  }

  failure(message: string): void {
    // The first few say what went wrong; thousands of the same line would not.
    if (this.failures.length < 20) this.failures.push(message);
    else if (this.failures.length === 20) this.failures.push('(more failures not listed)');
  }

  describe(): string {
    return `${this.phase}: ${this.acceptedCount} accepted, ${this.roundTrips} round trips, ${this.closed} closed; ${this.ledger.summary()}; ` +
      `failures: ${this.failures.join('; ') || 'none'}`;
  }
}

type Step = 'request' | 'reply' | 'fin' | 'disconnect' | 'close' | 'closed';

export class ScaleConn {
  private readonly d: WSK_PROVIDER_CONNECTION_DISPATCH;
  private readonly buf = new Uint8Array(SCALE_REQUEST_BYTES);
  private readonly mdl: MDL;
  private readonly io: CountedIrp;
  private got = 0;
  private step: Step = 'request';
  /** Event style: the peer's FIN arrived while the reply was still being sent. */
  private finSeen = false;
  private failed = false;

  constructor(
    private readonly run: ScaleRun,
    private readonly socket: WSK_SOCKET,
    private readonly events: boolean,
  ) {
    this.d = socket.Dispatch as WSK_PROVIDER_CONNECTION_DISPATCH;
    this.mdl = IoAllocateMdl(this.buf, this.buf.length, false, false, null)!;
    MmBuildMdlForNonPagedPool(this.mdl);
    this.io = new CountedIrp(run.ledger, (irp) => this.completed(irp));
  }

  receiveRequest(): void {
    this.io.start((irp) => this.d.WskReceive(this.socket, { Mdl: this.mdl, Offset: this.got, Length: this.buf.length - this.got }, 0, irp));
  }

  /** WskReceiveEvent: the bytes are copied out at once (the indications are the provider's). */
  indicated(ind: WSK_DATA_INDICATION | null): NTSTATUS {
    if (ind === null) return this.peerDisconnected(0);
    for (let i: WSK_DATA_INDICATION | null = ind; i !== null; i = i.Next) {
      for (const view of bufViews(i.Buffer)) {
        if (this.step !== 'request' || this.got + view.length > this.buf.length) {
          this.fail(`${view.length} bytes more than the request`);
          return STATUS_SUCCESS;
        }
        this.buf.set(view, this.got);
        this.got += view.length;
      }
    }
    if (this.got === this.buf.length) this.reply();
    return STATUS_SUCCESS;
  }

  peerDisconnected(flags: ULONG): NTSTATUS {
    if (flags & WSK_FLAG_ABORTIVE) this.fail('reset by the peer');
    else if (this.step === 'fin') this.disconnect();
    else if (this.step === 'reply') this.finSeen = true;
    else if (this.step === 'request') this.fail(`FIN after ${this.got} bytes of the request`);
    return STATUS_SUCCESS;
  }

  private completed(irp: IRP): void {
    const status = irp.IoStatus.Status;
    const n = irp.IoStatus.Information as number;
    if (this.step === 'close') {
      if (status !== STATUS_SUCCESS) this.run.failure(`WskCloseSocket: ${ntStatusName(status)}`);
      this.step = 'closed';
      return this.run.closedOne();
    }
    if (this.failed) return this.close();
    if (!NT_SUCCESS(status)) return this.fail(`${this.step}: ${ntStatusName(status)}`);
    switch (this.step) {
      case 'request':
        if (n === 0) return this.fail(`FIN after ${this.got} bytes of the request`);
        this.got += n;
        return this.got < this.buf.length ? this.receiveRequest() : this.reply();
      case 'reply':
        if (n !== this.buf.length) return this.fail(`WskSend sent ${n} of ${this.buf.length}`);
        this.step = 'fin';
        if (!this.events) return this.awaitFin();
        return this.finSeen ? this.disconnect() : undefined;
      case 'fin':
        return n === 0 ? this.disconnect() : this.fail(`${n} bytes after the request`);
      case 'disconnect':
        return this.close();
    }
  }

  private reply(): void {
    const index = scaleRequestIndex(this.buf, this.run.conns);
    if (index < 0) return this.fail('a request with wrong bytes');
    this.run.roundTrip(index);
    invert(this.buf);
    this.step = 'reply';
    this.io.start((irp) => this.d.WskSend(this.socket, { Mdl: this.mdl, Offset: 0, Length: this.buf.length }, 0, irp));
  }

  /** A 1-byte receive that stays pending while every connection is open; 0 bytes is the FIN. */
  private awaitFin(): void {
    this.io.start((irp) => this.d.WskReceive(this.socket, { Mdl: this.mdl, Offset: 0, Length: 1 }, 0, irp));
  }

  private disconnect(): void {
    this.step = 'disconnect';
    this.io.start((irp) => this.d.WskDisconnect(this.socket, null, 0, irp));
  }

  private close(): void {
    this.step = 'close';
    this.io.start((irp) => this.d.WskCloseSocket(this.socket, irp));
  }

  /** Recorded, and the connection closed anyway (abortively if need be) so that the run ends and counts it. */
  private fail(message: string): void {
    this.run.failure(message);
    if (this.failed || this.step === 'close' || this.step === 'closed') return;
    this.failed = true;
    if (!this.io.pending) this.close();
  }
}
