// The soak's UDP side. The server reads with WskReceiveFromEvent and answers every datagram,
// inverted, with WskSendTo from a small pool of IRPs and buffers. Each client socket sends a
// random number of datagrams (4 B to 1,472 B; the first four bytes number them) one at a time
// with WskSendTo, reads each answer with a WskReceiveFrom IRP posted beforehand, checks sender
// and bytes, then closes, and the lane opens another. A receive that waits more than 2 s is
// cancelled with IoCancelIrp (counted as lost; an answer that arrives later is skipped).
import {
  IoAllocateMdl,
  IoCancelIrp,
  IRP,
  MDL,
  MmBuildMdlForNonPagedPool,
  NT_SUCCESS,
  PSOCKADDR,
  SOCKADDR_STORAGE,
  STATUS_CANCELLED,
  STATUS_SUCCESS,
  WSK_CLIENT_DATAGRAM_DISPATCH,
  WSK_DATAGRAM_INDICATION,
  WSK_EVENT_RECEIVE_FROM,
  WSK_PROVIDER_DATAGRAM_DISPATCH,
  WSK_SOCKET,
  ntStatusName,
  sockaddrAddressString,
  sockaddrFromString,
  sockaddrPort,
} from '../lib';
import { check, Wsk } from '../bench/common';
import { CountedIrp } from './ledger';
import { Lane } from './soak-lane';
import { fillPattern, firstMismatch, invert } from './wire';
import { bufViews, enableEvents, HOST, udpLoopback } from './wsk-setup';
import { Server } from './soak-tcp-server';

const MAX_DATAGRAM = 1472;
const REPLY_TIMEOUT_MS = 2000;

function builtMdl(bytes: Uint8Array): MDL {
  const mdl = IoAllocateMdl(bytes, bytes.length, false, false, null)!;
  MmBuildMdlForNonPagedPool(mdl);
  return mdl;
}

const dgram = (s: WSK_SOCKET): WSK_PROVIDER_DATAGRAM_DISPATCH => s.Dispatch as WSK_PROVIDER_DATAGRAM_DISPATCH;

/** One answer in flight: its IRP, its bytes, where it goes. */
interface Slot {
  io: CountedIrp;
  buf: Uint8Array;
  mdl: MDL;
}

export async function udpServer(w: Wsk, lane: Lane, slots = 32): Promise<Server> {
  const free: Slot[] = [];
  for (let i = 0; i < slots; i++) {
    const buf = new Uint8Array(MAX_DATAGRAM);
    const slot: Slot = {
      buf,
      mdl: builtMdl(buf),
      io: new CountedIrp(lane.ledger, (irp) => {
        if (!NT_SUCCESS(irp.IoStatus.Status)) lane.failure(`server WskSendTo: ${ntStatusName(irp.IoStatus.Status)}`);
        free.push(slot);
      }),
    };
    free.push(slot);
  }
  let socket!: WSK_SOCKET;
  const answer = (ind: WSK_DATAGRAM_INDICATION): void => {
    const slot = free.pop();
    // Never empty while the clients have one request each in flight.
    if (slot === undefined) return lane.failure('server: no free send slot');
    let n = 0;
    for (const view of bufViews(ind.Buffer)) {
      slot.buf.set(view, n);
      n += view.length;
    }
    invert(slot.buf.subarray(0, n));
    // The indication's address is the provider's (reused by the next batch): a copy goes out.
    const to = sockaddrFromString(sockaddrAddressString(ind.RemoteAddress), sockaddrPort(ind.RemoteAddress));
    slot.io.start((irp) => dgram(socket).WskSendTo(socket, { Mdl: slot.mdl, Offset: 0, Length: n }, 0, to, 0, null, irp));
  };
  const events: WSK_CLIENT_DATAGRAM_DISPATCH = {
    WskReceiveFromEvent: (_ctx, _flags, chain) => {
      for (let ind = chain; ind !== null; ind = ind.Next) answer(ind);
      return STATUS_SUCCESS;
    },
  };
  const opened = await udpLoopback(w, lane.ledger, null, events);
  socket = opened.socket;
  enableEvents(socket, WSK_EVENT_RECEIVE_FROM);
  return {
    port: opened.port,
    close: async () => {
      const irp = await lane.ledger.call((i) => socket.Dispatch.WskCloseSocket(socket, i));
      check(irp.IoStatus.Status, 'UDP server WskCloseSocket');
    },
  };
}

export class UdpClient {
  private socket!: WSK_SOCKET;
  private readonly request = new Uint8Array(MAX_DATAGRAM);
  private readonly reply = new Uint8Array(MAX_DATAGRAM + 1);
  private readonly requestMdl = builtMdl(this.request);
  private readonly replyMdl = builtMdl(this.reply);
  private readonly from: SOCKADDR_STORAGE = {};
  private readonly send: CountedIrp;
  private readonly recv: CountedIrp;
  private readonly close: CountedIrp;
  private readonly datagrams: number;
  private number = 0;
  private length = 0;
  private sent = false;
  private answered = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly lane: Lane,
    private readonly serverPort: number,
    private readonly onEnd: () => void,
  ) {
    this.send = new CountedIrp(lane.ledger, (irp) => this.sendDone(irp));
    this.recv = new CountedIrp(lane.ledger, (irp) => this.received(irp));
    this.close = new CountedIrp(lane.ledger, (irp) => this.closed(irp));
    this.datagrams = lane.rng.int(20, 400);
  }

  async open(w: Wsk): Promise<void> {
    this.lane.began();
    this.socket = (await udpLoopback(w, this.lane.ledger)).socket;
    this.next();
  }

  /** The next request: its receive posted first, then the send. */
  private next(): void {
    if (this.number === this.datagrams || this.lane.stopping) {
      this.close.start((irp) => this.socket.Dispatch.WskCloseSocket(this.socket, irp));
      return;
    }
    this.number++;
    this.length = this.lane.rng.int(4, MAX_DATAGRAM);
    fillPattern(this.request.subarray(4, this.length), this.number);
    new DataView(this.request.buffer).setUint32(0, this.number, true);
    this.sent = this.answered = false;
    this.postReceive();
    const to = sockaddrFromString(HOST, this.serverPort);
    this.send.start((irp) => dgram(this.socket).WskSendTo(this.socket, { Mdl: this.requestMdl, Offset: 0, Length: this.length }, 0, to, 0, null, irp));
  }

  private postReceive(): void {
    this.timer = setTimeout(() => IoCancelIrp(this.recv.irp), REPLY_TIMEOUT_MS);
    this.recv.start((irp) => dgram(this.socket).WskReceiveFrom(this.socket, { Mdl: this.replyMdl, Offset: 0, Length: this.reply.length }, 0, this.from as PSOCKADDR, null, null, null, irp));
  }

  private sendDone(irp: IRP): void {
    const { Status, Information } = irp.IoStatus;
    if (!NT_SUCCESS(Status) || Information !== this.length) this.lane.failure(`client WskSendTo: ${ntStatusName(Status)}, ${Information} of ${this.length}`);
    this.sent = true;
    if (this.answered) this.next();
  }

  private received(irp: IRP): void {
    clearTimeout(this.timer!);
    const { Status, Information } = irp.IoStatus;
    if (Status === STATUS_CANCELLED) this.lane.lost++;
    else if (!NT_SUCCESS(Status)) this.lane.failure(`client WskReceiveFrom: ${ntStatusName(Status)}`);
    else if (this.isLate(Information as number)) return this.postReceive();
    else this.check(Information as number);
    this.answered = true;
    if (this.sent) this.next();
  }

  /** The request number an answer carries (inverted, as every byte of it). */
  private answerNumber(n: number): number {
    return n >= 4 ? ~new DataView(this.reply.buffer).getUint32(0, true) >>> 0 : 0;
  }

  /** An answer to an earlier request, whose receive was cancelled: skipped. */
  private isLate(n: number): boolean {
    const number = this.answerNumber(n);
    if (number === 0 || number >= this.number) return false;
    this.lane.late++;
    return true;
  }

  private check(n: number): void {
    const number = this.answerNumber(n);
    if (sockaddrPort(this.from as PSOCKADDR) !== this.serverPort) return this.lane.failure('client: an answer from another port');
    if (n !== this.length || number !== this.number) return this.lane.failure(`client: answer ${number} of ${n} B for request ${this.number} of ${this.length} B`);
    const at = firstMismatch(this.reply.subarray(4, n), this.number, true);
    if (at !== -1) return this.lane.failure(`client: answer byte ${at + 4} wrong`);
    this.lane.roundTrips++;
    this.lane.bytes += 2 * n;
  }

  private closed(irp: IRP): void {
    if (irp.IoStatus.Status !== STATUS_SUCCESS) this.lane.failure(`client WskCloseSocket: ${ntStatusName(irp.IoStatus.Status)}`);
    this.lane.ended();
    this.onEnd();
  }
}
