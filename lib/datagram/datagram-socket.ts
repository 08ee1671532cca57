// Datagram sockets (WSK_FLAG_DATAGRAM_SOCKET), reference §3.7, §4.5: UDP and raw, over IPv4 and
// IPv6. Sends are tried at once and queue (in order) only when the OS would block. Receives go
// straight into the caller's MDL memory (WskReceiveFrom); with WskReceiveFromEvent enabled and no
// receive IRP waiting, each readiness event reads a batch with one recvmmsg into a WSK-owned
// receive area and indicates it as one WSK_DATAGRAM_INDICATION chain.
import { readEventControl } from '../socket/events';
import { forEachSettled, IRP, irpStart } from '../kernel/irp';
import { MDL, WSK_BUF, wskBufViews, wskOwnedMdl } from '../kernel/mdl';
import { native, NETADDR_SIZE, OS } from '../transport/native';
import { NTSTATUS, STATUS_BUFFER_OVERFLOW, STATUS_DATA_NOT_ACCEPTED, STATUS_EVENT_PENDING, STATUS_INVALID_DEVICE_STATE, STATUS_INVALID_PARAMETER, STATUS_PENDING, STATUS_SUCCESS } from '../kernel/ntstatus';
import { WskControlSocket } from '../socket/control';
import { IN6_ADDR_FROM_BYTES, PSOCKADDR, SOCKADDR_IN, SOCKADDR_IN6 } from '../net/sockaddr';
import { getAddressCall, SocketObject, socketArg, WskCloseSocket } from '../socket/socket';
import { isRefillable, isWritableSlot, violation } from '../kernel/verifier';
import { AF_INET, AF_INET6, MSG_CTRUNC, MSG_TRUNC, SOL_SOCKET } from '../net/ws2def';
import {
  PCMSGHDR,
  PULONG,
  PWSK_BUF_LIST,
  PWSK_DATAGRAM_INDICATION,
  PWSK_SOCKET,
  SIO_WSK_SET_REMOTE_ADDRESS,
  SIO_WSK_SET_SENDTO_ADDRESS,
  SO_WSK_EVENT_CALLBACK,
  WSK_CLIENT_DATAGRAM_DISPATCH,
  WSK_DATAGRAM_INDICATION,
  WSK_EVENT_RECEIVE_FROM,
  WSK_FLAG_DATAGRAM_SOCKET,
  WSK_PROVIDER_DATAGRAM_DISPATCH,
  WskIoctl,
  WskSetOption,
} from '../wsk/wsk';
import { ntStatusFromErrno } from '../transport/errno';
import { netaddrToSockaddr, sockaddrToNetaddr } from '../transport/netaddr';
import { controlToHost, hostToControl } from '../transport/host-cmsg';
import type { ControlRequest, ControlResult } from '../socket/control-request';

const DATAGRAM = 1 << WSK_FLAG_DATAGRAM_SOCKET;
const { EAGAIN, EWOULDBLOCK, ECONNREFUSED, EHOSTUNREACH, ENETUNREACH, EPROTO } = native.errno;

/**
 * The receive pool (tunable before the first datagram socket reads; the benchmark reads them).
 * One area holds BATCH slots of SLOT bytes (any UDP datagram fits whole, so an indication is
 * never truncated); each recvmmsg fills one area and becomes one indication chain. Areas are
 * shared by every datagram socket of the process; a chain the client retains (STATUS_PENDING)
 * keeps its area until WskRelease, and a socket holding MAX_HELD areas stops reading.
 */
export const DATAGRAM_RECEIVE_POOL = {
  BATCH: 32,
  SLOT: 65536,
  CONTROL_SLOT: 128,
  MAX_HELD: 4,
  /** Batches read per readiness event before yielding to the loop. */
  ROUNDS: 8,
};

/** ICMP errors the OS queues on a (connected) datagram socket: consumed, not reported to receives. */
const SOFT_ERRORS = new Set([-ECONNREFUSED, -EHOSTUNREACH, -ENETUNREACH, -(EPROTO ?? 71)]);
const isAgain = (rc: number): boolean => rc === -EAGAIN || rc === -EWOULDBLOCK;

// ---- the receive pool ----

interface Indication extends WSK_DATAGRAM_INDICATION {
  Buffer: WSK_BUF;
  ControlInfo: Uint8Array | null;
}

class ReceiveArea {
  readonly area: Uint8Array;
  readonly meta: Int32Array;
  readonly addrs: Uint8Array;
  readonly hostControl: Uint8Array;
  readonly control: Uint8Array;
  readonly controlViews: Uint8Array[];
  readonly indications: Indication[];
  private readonly mdls: MDL[] = [];
  private readonly v4: SOCKADDR_IN[] = [];
  private readonly v6: SOCKADDR_IN6[] = [];
  /** The socket using or holding it; null when free. */
  owner: DatagramSocket | null = null;
  /** Datagrams read into it, and the first one not yet consumed (a refused chain). */
  count = 0;
  first = 0;
  /** The client retains the chain (returned STATUS_PENDING). */
  held = false;
  /** The head of the chain last indicated from this area. */
  head: Indication | null = null;

  constructor(readonly batch: number, readonly slot: number, readonly controlSlot: number) {
    this.area = new Uint8Array(batch * slot);
    this.meta = new Int32Array(3 * batch);
    this.addrs = new Uint8Array(NETADDR_SIZE * batch);
    this.hostControl = new Uint8Array(batch * controlSlot);
    this.control = new Uint8Array(batch * controlSlot);
    this.controlViews = [];
    this.indications = [];
    for (let i = 0; i < batch; i++) {
      const mdl = wskOwnedMdl(this.area.subarray(i * slot, (i + 1) * slot));
      this.mdls.push(mdl);
      this.controlViews.push(this.control.subarray(i * controlSlot, (i + 1) * controlSlot));
      const ind: Indication = { Next: null, Buffer: { Mdl: mdl, Offset: 0, Length: 0 }, ControlInfo: null, ControlInfoLength: 0, RemoteAddress: {} };
      Object.defineProperty(ind, '_area', { value: this, enumerable: false });
      this.indications.push(ind);
    }
  }

  /** Marks datagram i dropped (from a source a fixed remote address filters out). */
  drop(i: number): void {
    this.meta[3 * i] = -1;
  }

  /** The first datagram at or after `from` that is not dropped (count when none). */
  nextLive(from: number): number {
    while (from < this.count && this.meta[3 * from] < 0) from++;
    return from;
  }

  /**
   * Links the live datagrams of [from, count) into a chain, filling lengths, senders and control
   * data; null when none is live. `head` remembers which element WskRelease must be given.
   */
  chain(from: number, family: number): { head: Indication; flags: number } | null {
    let flags = 0;
    const { meta, indications } = this;
    let prev: Indication | null = null;
    let head: Indication | null = null;
    for (let i = from; i < this.count; i++) {
      if (meta[3 * i] < 0) continue;
      const ind = indications[i];
      // WSK_BUF as WSK built it, even if a client edited the previous chain over this slot.
      ind.Buffer.Mdl = this.mdls[i];
      ind.Buffer.Offset = 0;
      ind.Buffer.Length = meta[3 * i];
      ind.RemoteAddress = this.sender(i, family);
      const hostLength = meta[3 * i + 2];
      if (hostLength > 0) {
        const t = hostToControl(this.hostControl.subarray(i * this.controlSlot), hostLength, this.controlViews[i], this.controlSlot);
        ind.ControlInfo = t.length > 0 ? this.controlViews[i] : null;
        ind.ControlInfoLength = t.length;
        flags |= t.castFlags;
      } else {
        ind.ControlInfo = null;
        ind.ControlInfoLength = 0;
      }
      ind.Next = null;
      if (prev) prev.Next = ind;
      else head = ind;
      prev = ind;
    }
    this.head = head;
    return head ? { head, flags } : null;
  }

  /** The sender of datagram i as a SOCKADDR, one object per slot, filled in place. */
  private sender(i: number, family: number): PSOCKADDR {
    const a = this.addrs;
    const o = i * NETADDR_SIZE;
    const port = a[o + 2] | (a[o + 3] << 8);
    if (a[o] === 4 && family === AF_INET) {
      let s = this.v4[i];
      if (!s || s.sin_family !== AF_INET) {
        s = this.v4[i] = { sin_family: AF_INET, sin_port: 0, sin_addr: { s_addr: 0 }, sin_zero: new Uint8Array(8) };
      }
      s.sin_port = port;
      s.sin_addr.s_addr = (a[o + 8] | (a[o + 9] << 8) | (a[o + 10] << 16) | (a[o + 11] << 24)) >>> 0;
      return s;
    }
    if (a[o] === 6) {
      let s = this.v6[i];
      if (!s || s.sin6_family !== AF_INET6 || s.sin6_addr?.u?.Byte?.byteLength !== 16) {
        s = this.v6[i] = { sin6_family: AF_INET6, sin6_port: 0, sin6_flowinfo: 0, sin6_addr: IN6_ADDR_FROM_BYTES(), sin6_scope_id: 0 };
      }
      s.sin6_port = port;
      s.sin6_flowinfo = (a[o + 4] | (a[o + 5] << 8) | (a[o + 6] << 16) | (a[o + 7] << 24)) >>> 0;
      s.sin6_addr.u.Byte.set(a.subarray(o + 8, o + 24));
      s.sin6_scope_id = (a[o + 24] | (a[o + 25] << 8) | (a[o + 26] << 16) | (a[o + 27] << 24)) >>> 0;
      return s;
    }
    const out = {};
    netaddrToSockaddr(a.subarray(o, o + NETADDR_SIZE), out);
    return out;
  }
}

const freeAreas: ReceiveArea[] = [];

function takeArea(owner: DatagramSocket): ReceiveArea {
  const { BATCH, SLOT, CONTROL_SLOT } = DATAGRAM_RECEIVE_POOL;
  let area = freeAreas.pop();
  while (area && (area.batch !== BATCH || area.slot !== SLOT || area.controlSlot !== CONTROL_SLOT)) area = freeAreas.pop();
  area ??= new ReceiveArea(BATCH, SLOT, CONTROL_SLOT);
  area.owner = owner;
  area.held = false;
  area.count = 0;
  area.first = 0;
  area.head = null;
  return area;
}

function giveBack(area: ReceiveArea): void {
  area.owner = null;
  area.held = false;
  area.count = 0;
  if (freeAreas.length < 16) freeAreas.push(area);
}

// ---- requests ----

interface ReceiveRequest {
  Irp: IRP;
  views: Uint8Array[];
  remote: PSOCKADDR | null;
  ControlLength: PULONG | null;
  ControlInfo: Uint8Array | null;
  /** *ControlLength on the way in, read at the call: the room in ControlInfo. */
  controlRoom: number;
  ControlFlags: PULONG | null;
}

interface SendRequest {
  Irp: IRP;
  views: Uint8Array[];
  /** Views per datagram (WskSendMessages); null for one datagram. */
  counts: Int32Array | null;
  /** Next datagram and view to send. */
  next: number;
  nextView: number;
  addr: Uint8Array | null;
  control: Uint8Array | null;
  /** Bytes of every datagram, the IRP's Information. */
  total: number;
}

const scratchAddr = new Uint8Array(NETADDR_SIZE);
const scratchFrom = new Uint8Array(NETADDR_SIZE);
const recvOut = new Int32Array(2);
const recvControl = new Uint8Array(512);
const EMPTY = new Uint8Array(0);
const MAX_VIEWS = Math.min(OS.IOV_MAX ?? 1024, OS.MAX_BATCH ?? 1024);

export class DatagramSocket extends SocketObject {
  // On the prototype, not in every socket (memory per connection, bench C idle).
  get category(): number { return WSK_FLAG_DATAGRAM_SOCKET; }
  get Dispatch(): WSK_PROVIDER_DATAGRAM_DISPATCH { return WSK_PROVIDER_DATAGRAM_DISPATCH_TABLE; }
  bound = false;
  /**
   * SIO_WSK_SET_REMOTE_ADDRESS, as a NETADDR: the default destination, and the only source
   * accepted. Filtered here rather than by connect(): on Linux, dissolving the association
   * (AF_UNSPEC) also gives up a port the OS chose at bind.
   */
  remoteAddress: Uint8Array | null = null;
  /** SIO_WSK_SET_SENDTO_ADDRESS, as a NETADDR. */
  sendtoAddress: Uint8Array | null = null;

  private readonly receives: ReceiveRequest[] = [];
  private readonly sends: SendRequest[] = [];
  /** WskReceiveFromEvent enabled, and whether statically (never disabled). */
  private eventEnabled = false;
  private eventStatic = false;
  /** Callbacks running now, and an IRP that waits for them to return (a disable). */
  private inCallback = 0;
  private disableWaiters: IRP[] = [];
  /** A chain the client refused (STATUS_DATA_NOT_ACCEPTED): indicated first when re-enabled. */
  private refused: ReceiveArea | null = null;
  private readonly held = new Set<ReceiveArea>();
  private deliverScheduled = false;

  constructor(...args: ConstructorParameters<typeof SocketObject>) {
    super(...args);
    if ((this.client.staticEventMask & WSK_EVENT_RECEIVE_FROM) !== 0) {
      this.eventEnabled = true;
      this.eventStatic = true;
    }
  }

  override hasAddress(remote: boolean): boolean {
    return !remote && this.bound;
  }

  private get receiveEvent(): ((SocketContext: unknown, Flags: number, DataIndication: PWSK_DATAGRAM_INDICATION | null) => NTSTATUS) | null {
    const d = this.clientDispatch as WSK_CLIENT_DATAGRAM_DISPATCH | null;
    return d && typeof d.WskReceiveFromEvent === 'function' ? d.WskReceiveFromEvent : null;
  }

  /** The event may take a new batch from the OS. */
  private eventReady(): boolean {
    return this.bound && this.eventEnabled && this.refused === null && this.held.size < DATAGRAM_RECEIVE_POOL.MAX_HELD && this.receiveEvent !== null;
  }

  private updateInterest(): void {
    if (this.closed) return;
    this.setInterest(this.bound && (this.receives.length > 0 || this.eventReady()), this.sends.length > 0);
  }

  // ---- bind ----

  bind(LocalAddress: PSOCKADDR, Flags: number): NTSTATUS {
    if (this.bound) return STATUS_INVALID_DEVICE_STATE;
    const status = this.bindTo(LocalAddress, Flags);
    if (status === STATUS_SUCCESS) {
      this.bound = true;
      this.updateInterest();
    }
    return status;
  }

  // ---- send ----

  /** Whether a datagram from the NETADDR at addrs[o] passes the fixed remote address (if any). */
  accepts(addrs: Uint8Array, o: number): boolean {
    const r = this.remoteAddress;
    if (r === null) return true;
    if (addrs[o] !== r[0] || addrs[o + 2] !== r[2] || addrs[o + 3] !== r[3]) return false;
    const end = r[0] === 4 ? 12 : 24;
    for (let i = 8; i < end; i++) if (addrs[o + i] !== r[i]) return false;
    return true;
  }

  /** The destination NETADDR of a send (scratchAddr or a fixed one), or a status. */
  destination(RemoteAddress: PSOCKADDR | null): Uint8Array | null | NTSTATUS {
    if (RemoteAddress !== null && RemoteAddress !== undefined) {
      return sockaddrToNetaddr(RemoteAddress, this.family, scratchAddr) ?? STATUS_INVALID_PARAMETER;
    }
    return this.sendtoAddress ?? this.remoteAddress ?? STATUS_INVALID_PARAMETER;
  }

  /** Tries a queued or new send; true when it is finished (completed). */
  private trySend(req: SendRequest): boolean {
    for (let retried = false; ; ) {
      let rc: number;
      if (req.counts === null) {
        const v = req.views;
        rc =
          v.length === 1 && req.control === null
            ? this.sock.sendto(v[0], 0, v[0].byteLength, 0, req.addr)
            : v.length === 0 && req.control === null
              ? this.sock.sendto(EMPTY, 0, 0, 0, req.addr)
              : this.sock.sendmsg(v, 0, req.addr, req.control);
        if (rc >= 0) {
          this.finishSend(req, STATUS_SUCCESS, req.total);
          return true;
        }
      } else {
        // As many datagrams as one sendmmsg takes (MAX_VIEWS views at most).
        let views = 0;
        let end = req.next;
        while (end < req.counts.length && end - req.next < MAX_VIEWS && views + req.counts[end] <= MAX_VIEWS) views += req.counts[end++];
        if (end === req.next) {
          this.finishSend(req, STATUS_INVALID_PARAMETER, 0); // one datagram of more than IOV_MAX views
          return true;
        }
        rc = this.sock.sendmmsg(req.views.slice(req.nextView, req.nextView + views), req.counts.subarray(req.next, end), req.addr, req.control, 0);
        if (rc > 0) {
          for (let i = 0; i < rc; i++) req.nextView += req.counts[req.next + i];
          req.next += rc;
          retried = false;
          if (req.next === req.counts.length) {
            this.finishSend(req, STATUS_SUCCESS, req.total);
            return true;
          }
          continue;
        }
      }
      if (isAgain(rc)) return false;
      // A queued ICMP error surfaces once on the next send; the datagram itself was not sent.
      if (SOFT_ERRORS.has(rc) && !retried) {
        retried = true;
        continue;
      }
      this.finishSend(req, ntStatusFromErrno(rc), 0);
      return true;
    }
  }

  /**
   * Completes a send, taken off the queue first: a routine that throws (on the event loop) must
   * not leave it at the head, to be sent and completed again at the next readiness.
   */
  private finishSend(req: SendRequest, status: NTSTATUS, bytes: number): void {
    if (this.sends[0] === req) this.sends.shift();
    this.complete(req.Irp, status, bytes);
  }

  send(req: SendRequest): NTSTATUS {
    if (this.sends.length === 0 && this.trySend(req)) return req.Irp.IoStatus.Status;
    const refused = this.closedDuringCall(req.Irp);
    if (refused !== null) return refused;
    if (req.addr === scratchAddr) req.addr = scratchAddr.slice();
    this.sends.push(req);
    this.updateInterest();
    return this.pend(req.Irp, () => {
      const i = this.sends.indexOf(req);
      if (i >= 0) this.sends.splice(i, 1);
      this.updateInterest();
    });
  }

  private drainSends(): void {
    // trySend takes each finished send off the queue.
    while (this.sends.length > 0 && !this.closed) {
      if (!this.trySend(this.sends[0])) break;
    }
  }

  // ---- receive ----

  /** Tries one WskReceiveFrom; true when it completed. */
  private tryReceive(req: ReceiveRequest): boolean {
    if (this.refused) return this.receiveRefused(req);
    for (let i = 0; i < 16; i++) {
      const wantControl = req.ControlLength !== null;
      const rc = this.sock.recvmsg(req.views, 0, req.remote || this.remoteAddress ? scratchFrom : null, wantControl ? recvControl : null, recvOut);
      if (isAgain(rc)) return false;
      if (SOFT_ERRORS.has(rc)) continue;
      if (rc < 0) {
        this.finishReceive(req, ntStatusFromErrno(rc), 0);
        return true;
      }
      if (!this.accepts(scratchFrom, 0)) continue; // from a source the fixed remote address excludes
      let flags = 0;
      if (recvOut[0] & OS.MSG_TRUNC) flags |= MSG_TRUNC;
      if (recvOut[0] & OS.MSG_CTRUNC) flags |= MSG_CTRUNC;
      if (req.ControlLength) {
        const t = hostToControl(recvControl, recvOut[1], req.ControlInfo, req.controlRoom);
        req.ControlLength[0] = t.length;
        if (t.truncated) flags |= MSG_CTRUNC;
        flags |= t.castFlags;
        if (req.ControlFlags) req.ControlFlags[0] = flags;
      }
      if (req.remote) netaddrToSockaddr(scratchFrom, req.remote);
      // A datagram larger than the buffer: the bytes that fit, MSG_TRUNC, and STATUS_BUFFER_OVERFLOW
      // (what AFD does for a truncated datagram receive; see README "Choices").
      this.finishReceive(req, flags & MSG_TRUNC ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS, rc);
      return true;
    }
    return false;
  }

  /**
   * Completes a receive, taken off the queue first: a routine that throws (on the event loop)
   * must not leave it at the head, to be completed again with every later datagram.
   */
  private finishReceive(req: ReceiveRequest, status: NTSTATUS, bytes: number): void {
    if (this.receives[0] === req) this.receives.shift();
    this.complete(req.Irp, status, bytes);
  }

  /** A WskReceiveFrom served from a refused chain, which WSK keeps buffered. */
  private receiveRefused(req: ReceiveRequest): boolean {
    const area = this.refused!;
    const i = area.nextLive(area.first);
    if (i >= area.count) {
      this.refused = null;
      giveBack(area);
      return this.tryReceive(req);
    }
    area.first = i + 1;
    const length = area.meta[3 * i];
    const data = area.area.subarray(i * area.slot, i * area.slot + length);
    let copied = 0;
    for (const v of req.views) {
      if (copied >= length) break;
      const n = Math.min(v.byteLength, length - copied);
      v.set(data.subarray(copied, copied + n));
      copied += n;
    }
    if (req.remote) netaddrToSockaddr(area.addrs.subarray(i * NETADDR_SIZE, (i + 1) * NETADDR_SIZE), req.remote);
    let flags = copied < length ? MSG_TRUNC : 0;
    if (req.ControlLength) {
      const t = hostToControl(area.hostControl.subarray(i * area.controlSlot), area.meta[3 * i + 2], req.ControlInfo, req.controlRoom);
      req.ControlLength[0] = t.length;
      if (t.truncated) flags |= MSG_CTRUNC;
      flags |= t.castFlags;
      if (req.ControlFlags) req.ControlFlags[0] = flags;
    }
    if (area.nextLive(area.first) >= area.count) {
      this.refused = null;
      giveBack(area);
    }
    this.finishReceive(req, flags & MSG_TRUNC ? STATUS_BUFFER_OVERFLOW : STATUS_SUCCESS, copied);
    return true;
  }

  receive(req: ReceiveRequest): NTSTATUS {
    if (this.receives.length === 0 && this.tryReceive(req)) return req.Irp.IoStatus.Status;
    const refused = this.closedDuringCall(req.Irp);
    if (refused !== null) return refused;
    this.receives.push(req);
    this.updateInterest();
    return this.pend(req.Irp, () => {
      const i = this.receives.indexOf(req);
      if (i >= 0) this.receives.splice(i, 1);
      this.updateInterest();
    });
  }

  private drainReceives(): void {
    // tryReceive takes each finished receive off the queue.
    while (this.receives.length > 0 && !this.closed) {
      if (!this.tryReceive(this.receives[0])) break;
    }
  }

  // ---- WskReceiveFromEvent ----

  /**
   * Calls the event with one chain from `area` and settles the area by its answer (the socket
   * may be closed after); then completes the disables that waited for the callback to return,
   * every one even if a routine throws.
   */
  private indicateChain(area: ReceiveArea, head: Indication, flags: number): void {
    const fn = this.receiveEvent!;
    this.inCallback++;
    try {
      this.settle(area, fn(this.context, flags, head));
    } finally {
      this.inCallback--;
      if (this.inCallback === 0 && this.disableWaiters.length > 0) {
        forEachSettled(this.disableWaiters.splice(0), (irp) => this.complete(irp, STATUS_SUCCESS, 0));
      }
    }
  }

  /** What the client's answer means for the area its chain lives in. */
  private settle(area: ReceiveArea, status: NTSTATUS): void {
    if (status === STATUS_PENDING) {
      area.held = true;
      this.held.add(area);
    } else if (status === STATUS_DATA_NOT_ACCEPTED && !this.eventStatic && !this.closed) {
      // The event turns itself off; the datagrams stay buffered for a re-enable or WskReceiveFrom.
      this.eventEnabled = false;
      this.refused = area;
    } else {
      // STATUS_SUCCESS, or a static event refusing (it stays on; the datagrams are dropped).
      giveBack(area);
    }
  }

  /** Reads batches and indicates them while the event may take them. */
  private indicate(): void {
    if (this.refused && this.eventEnabled && this.receives.length === 0) {
      const area = this.refused;
      this.refused = null;
      const c = area.chain(area.first, this.family);
      if (c) this.indicateChain(area, c.head, c.flags);
      else giveBack(area);
    }
    const { ROUNDS, BATCH, SLOT, CONTROL_SLOT } = DATAGRAM_RECEIVE_POOL;
    for (let round = 0; round < ROUNDS && !this.closed && this.receives.length === 0 && this.eventReady(); round++) {
      const area = takeArea(this);
      let n = area.batch === BATCH ? this.sock.recvmmsg(area.area, SLOT, BATCH, area.meta, area.addrs, area.hostControl, CONTROL_SLOT, 0) : -EAGAIN;
      for (let i = 0; i < 16 && SOFT_ERRORS.has(n); i++) {
        n = this.sock.recvmmsg(area.area, SLOT, BATCH, area.meta, area.addrs, area.hostControl, CONTROL_SLOT, 0);
      }
      if (n <= 0) {
        giveBack(area);
        break;
      }
      area.count = n;
      if (this.remoteAddress) for (let i = 0; i < n; i++) if (!this.accepts(area.addrs, i * NETADDR_SIZE)) area.drop(i);
      const c = area.chain(0, this.family);
      if (c) this.indicateChain(area, c.head, c.flags);
      else giveBack(area);
      if (n < BATCH) break;
    }
  }

  /** Runs indications from the loop (after a re-enable, where the OS may have nothing new). */
  private scheduleDeliver(): void {
    if (this.deliverScheduled) return;
    this.deliverScheduled = true;
    setImmediate(() => {
      this.deliverScheduled = false;
      if (this.closed) return;
      this.indicate();
      this.updateInterest();
    });
  }

  override onPoll(events: number): void {
    if (!this.bound) return;
    this.drainReceives();
    if (this.closed) return;
    if (this.sends.length > 0) this.drainSends();
    if (this.closed) return;
    if (this.receives.length === 0) this.indicate();
    this.updateInterest();
    void events;
  }

  release(DatagramIndication: unknown): NTSTATUS {
    const area = (DatagramIndication as { _area?: ReceiveArea } | null)?._area;
    if (!area || area.owner !== this || !area.held || area.head !== DatagramIndication) {
      return STATUS_INVALID_PARAMETER;
    }
    this.held.delete(area);
    giveBack(area);
    this.updateInterest();
    return STATUS_SUCCESS;
  }

  // ---- control ----

  private eventControl(req: ControlRequest): ControlResult {
    const ctl = readEventControl(req, WSK_EVENT_RECEIVE_FROM);
    if (typeof ctl === 'number') return { status: ctl };
    if (!ctl.disable) {
      if (!this.bound) return { status: STATUS_INVALID_DEVICE_STATE };
      if (this.receiveEvent === null) return { status: STATUS_INVALID_PARAMETER };
      this.eventEnabled = true;
      if (this.refused) this.scheduleDeliver();
      this.updateInterest();
      return { status: STATUS_SUCCESS };
    }
    if (this.eventStatic) return { status: STATUS_INVALID_PARAMETER };
    this.eventEnabled = false;
    this.updateInterest();
    if (this.inCallback === 0) return { status: STATUS_SUCCESS };
    if (!req.Irp) return { status: STATUS_EVENT_PENDING };
    this.disableWaiters.push(req.Irp);
    const irp = req.Irp;
    return {
      status: this.pend(irp, () => {
        const i = this.disableWaiters.indexOf(irp);
        if (i >= 0) this.disableWaiters.splice(i, 1);
      }),
      pended: true,
    };
  }

  private fixedAddress(req: ControlRequest, remote: boolean): ControlResult | NTSTATUS {
    if (!req.Irp) return STATUS_INVALID_PARAMETER;
    if (!this.bound) return { status: STATUS_INVALID_DEVICE_STATE };
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

  override control(req: ControlRequest): ControlResult | undefined {
    if (req.Level === SOL_SOCKET && req.ControlCode === SO_WSK_EVENT_CALLBACK && req.RequestType === WskSetOption) {
      return this.eventControl(req);
    }
    if (req.RequestType === WskIoctl && (req.ControlCode === SIO_WSK_SET_REMOTE_ADDRESS || req.ControlCode === SIO_WSK_SET_SENDTO_ADDRESS)) {
      const r = this.fixedAddress(req, req.ControlCode === SIO_WSK_SET_REMOTE_ADDRESS);
      // No IRP where one is required: returned, not completed (there is nothing to complete).
      return typeof r === 'number' ? { status: r } : r;
    }
    return undefined;
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
}

// ---- the provider table ----

function bufViews(Buffer: WSK_BUF, where: string): Uint8Array[] {
  return wskBufViews(Buffer, where);
}

export function WskBind(Socket: PWSK_SOCKET, LocalAddress: PSOCKADDR, Flags: number, Irp: IRP | null): NTSTATUS {
  const s = socketArg<DatagramSocket>(Socket, DATAGRAM, 'WskBind');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskBind');
  return s.complete(Irp, s.bind(LocalAddress, Flags), 0);
}

/** The host control bytes for a send, or a status. */
function sendControl(ControlInfoLength: number, ControlInfo: PCMSGHDR | null): Uint8Array | null | NTSTATUS {
  if (!ControlInfoLength) return null;
  if (!ControlInfo) return STATUS_INVALID_PARAMETER;
  return controlToHost(ControlInfo, ControlInfoLength) ?? STATUS_INVALID_PARAMETER;
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
  const s = socketArg<DatagramSocket>(Socket, DATAGRAM, 'WskSendTo');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskSendTo');
  const views = bufViews(Buffer, 'WskSendTo');
  if (Flags !== 0) return s.complete(Irp, STATUS_INVALID_PARAMETER, 0);
  if (!s.bound) return s.complete(Irp, STATUS_INVALID_DEVICE_STATE, 0);
  const addr = s.destination(RemoteAddress);
  if (typeof addr === 'number') return s.complete(Irp, addr, 0);
  const control = sendControl(ControlInfoLength, ControlInfo);
  if (typeof control === 'number') return s.complete(Irp, control, 0);
  return s.send({ Irp, views, counts: null, next: 0, nextView: 0, addr, control, total: Buffer.Length });
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
  const s = socketArg<DatagramSocket>(Socket, DATAGRAM, 'WskSendMessages');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskSendMessages');
  const views: Uint8Array[] = [];
  const counts: number[] = [];
  let total = 0;
  for (let e: PWSK_BUF_LIST | null = BufferList; e !== null && e !== undefined; e = e.Next) {
    const v = bufViews(e.Buffer, 'WskSendMessages');
    for (const x of v) views.push(x);
    counts.push(v.length);
    total += e.Buffer.Length;
    if (counts.length > 1 << 20) violation('INVALID_ARGUMENT', 'WskSendMessages', 'the WSK_BUF_LIST does not end (a cycle through Next?)');
  }
  if (Flags !== 0 || counts.length === 0) return s.complete(Irp, STATUS_INVALID_PARAMETER, 0);
  if (!s.bound) return s.complete(Irp, STATUS_INVALID_DEVICE_STATE, 0);
  const addr = s.destination(RemoteAddress);
  if (typeof addr === 'number') return s.complete(Irp, addr, 0);
  const control = sendControl(ControlInfoLength, ControlInfo);
  if (typeof control === 'number') return s.complete(Irp, control, 0);
  return s.send({ Irp, views, counts: Int32Array.from(counts), next: 0, nextView: 0, addr, control, total });
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
  const s = socketArg<DatagramSocket>(Socket, DATAGRAM, 'WskReceiveFrom');
  if (!Irp) return STATUS_INVALID_PARAMETER;
  irpStart(Irp, 'WskReceiveFrom');
  const views = bufViews(Buffer, 'WskReceiveFrom');
  if (Flags !== 0) return s.complete(Irp, STATUS_INVALID_PARAMETER, 0);
  if (!s.bound) return s.complete(Irp, STATUS_INVALID_DEVICE_STATE, 0);
  // The out-parameters are written when a datagram comes, maybe later on the event loop: each
  // must be one the call can fill, checked now.
  if (RemoteAddress !== null && RemoteAddress !== undefined && !isRefillable(RemoteAddress)) {
    return s.complete(Irp, STATUS_INVALID_PARAMETER, 0);
  }
  const hasControl = ControlLength !== null && ControlLength !== undefined;
  const info = hasControl && ControlInfo instanceof Uint8Array ? ControlInfo : null;
  const room = info ? ControlLength![0] : 0;
  if (hasControl && (!isWritableSlot(ControlLength, 0) || typeof room !== 'number')) return s.complete(Irp, STATUS_INVALID_PARAMETER, 0);
  if (hasControl && ControlFlags !== null && ControlFlags !== undefined && !isWritableSlot(ControlFlags, 0)) {
    return s.complete(Irp, STATUS_INVALID_PARAMETER, 0);
  }
  return s.receive({
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
  const s = socketArg<DatagramSocket>(Socket, DATAGRAM, 'WskRelease');
  return s.release(DatagramIndication);
}

export const WSK_PROVIDER_DATAGRAM_DISPATCH_TABLE = Object.freeze<WSK_PROVIDER_DATAGRAM_DISPATCH>({
  WskControlSocket,
  WskCloseSocket,
  WskBind,
  WskSendTo,
  WskReceiveFrom,
  WskRelease,
  WskGetLocalAddress: (Socket, LocalAddress, Irp) =>
    getAddressCall(Socket, DATAGRAM, false, LocalAddress, Irp, 'WskGetLocalAddress'),
  WskSendMessages,
});
