// The WSK-owned receive areas of WskReceiveFromEvent: one recvmmsg fills one area and becomes
// one WSK_DATAGRAM_INDICATION chain over it. Areas are shared by every datagram socket of the
// process and reused; a chain the client retains keeps its area until WskRelease.
import { MDL, WSK_BUF, wskOwnedMdl } from '../kernel/mdl';
import { IN6_ADDR_FROM_BYTES, PSOCKADDR, SOCKADDR_IN, SOCKADDR_IN6 } from '../net/sockaddr';
import { AF_INET, AF_INET6 } from '../net/ws2def';
import { hostToControl } from '../transport/host-cmsg';
import { native, NETADDR_SIZE } from '../transport/native';
import { netaddrToSockaddr } from '../transport/netaddr';
import type { SocketObject } from '../socket/socket';
import type { WSK_DATAGRAM_INDICATION } from '../wsk/wsk-base';

/**
 * The receive pool (tunable before the first datagram socket reads; the benchmark reads them).
 * One area holds BATCH slots of SLOT bytes (any UDP datagram fits whole, so an indication is
 * never truncated); each recvmmsg fills one area and becomes one indication chain. Areas are
 * shared by every datagram socket of the process. A datagram the client retains
 * (STATUS_PENDING) keeps its area until WskRelease gives back the area's last one; the socket
 * reads on while the datagrams it holds stay within its budget (about SO_RCVBUF) and it pins
 * fewer than MAX_HELD areas (each BATCH x SLOT bytes: the bound on memory a client can pin).
 */
export const DATAGRAM_RECEIVE_POOL = {
  BATCH: 32,
  SLOT: 65536,
  // Room for every control message a dual-stack socket can get at once (msquic asks for them
  // all: both PKTINFOs, ECN, TTL, the coalesced size; an ICMP error's is 64 bytes on the host).
  CONTROL_SLOT: 256,
  MAX_HELD: 16,
  /** Batches read per readiness event before yielding to the loop. */
  ROUNDS: 8,
};

export interface Indication extends WSK_DATAGRAM_INDICATION {
  Buffer: WSK_BUF;
  ControlInfo: Uint8Array | null;
}

export class ReceiveArea {
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
  /** The socket using or holding it (an opaque owner); null when free. */
  owner: object | null = null;
  /** Datagrams read into it, and the first one not yet consumed (a refused chain). */
  count = 0;
  first = 0;
  /** The client retains the chain (returned STATUS_PENDING). */
  /** Datagrams indicated and not yet released (retention), one flag each, and their count. */
  readonly heldSlots: Uint8Array;
  heldCount = 0;
  /** Bytes of the datagrams held. */
  heldBytes = 0;

  constructor(readonly batch: number, readonly slot: number, readonly controlSlot: number) {
    this.area = new Uint8Array(batch * slot);
    this.meta = new Int32Array(3 * batch);
    this.addrs = new Uint8Array(NETADDR_SIZE * batch);
    this.hostControl = new Uint8Array(batch * controlSlot);
    this.control = new Uint8Array(batch * controlSlot);
    this.controlViews = [];
    this.indications = [];
    this.heldSlots = new Uint8Array(batch);
    for (let i = 0; i < batch; i++) {
      const mdl = wskOwnedMdl(this.area.subarray(i * slot, (i + 1) * slot));
      this.mdls.push(mdl);
      this.controlViews.push(this.control.subarray(i * controlSlot, (i + 1) * controlSlot));
      const ind: Indication = { Next: null, Buffer: { Mdl: mdl, Offset: 0, Length: 0 }, ControlInfo: null, ControlInfoLength: 0, RemoteAddress: {} };
      placeOf.set(ind, { area: this, index: i });
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
   * data, and marks them held until the client's answer; null when none is live.
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
        const t = hostToControl(this.hostControl.subarray(i * this.controlSlot), hostLength, this.controlViews[i], this.controlSlot, (this.owner as SocketObject | null)?.options?.rx);
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
      if (this.heldSlots[i] === 0) {
        this.heldSlots[i] = 1;
        this.heldCount++;
        this.heldBytes += meta[3 * i];
      }
      prev = ind;
    }
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

export function takeArea(owner: object | null): ReceiveArea {
  const { BATCH, SLOT, CONTROL_SLOT } = DATAGRAM_RECEIVE_POOL;
  let area = freeAreas.pop();
  while (area && (area.batch !== BATCH || area.slot !== SLOT || area.controlSlot !== CONTROL_SLOT)) area = freeAreas.pop();
  area ??= new ReceiveArea(BATCH, SLOT, CONTROL_SLOT);
  area.owner = owner;
  area.count = 0;
  area.first = 0;
  unhold(area);
  return area;
}

export function giveBack(area: ReceiveArea): void {
  area.owner = null;
  area.count = 0;
  unhold(area);
  if (freeAreas.length < 16) freeAreas.push(area);
}

/** No datagram of the area is with the client (it took them all, or refused them). */
export function unhold(area: ReceiveArea): void {
  if (area.heldCount > 0) area.heldSlots.fill(0);
  area.heldCount = 0;
  area.heldBytes = 0;
}

/** Which area, and which datagram of it, an indication is (WskRelease is given any). */
const placeOf = new WeakMap<Indication, { area: ReceiveArea; index: number }>();

export function placeOfDatagram(indication: unknown): { area: ReceiveArea; index: number } | undefined {
  return indication !== null && typeof indication === 'object' ? placeOf.get(indication as Indication) : undefined;
}

/**
 * The area the transport reads into on readiness (POLL_RECEIVE) for every datagram socket of
 * this env: registered once, and again only when someone keeps it (held datagrams, a refused
 * chain). Its owner is the socket whose datagrams it holds at the moment.
 */
let armed: ReceiveArea | null = null;

export function armedArea(): ReceiveArea | null {
  return armed;
}

/** A fresh area for the transport's automatic reads (the armed one is kept). */
export function rearmDatagrams(): void {
  const { BATCH, SLOT, CONTROL_SLOT } = DATAGRAM_RECEIVE_POOL;
  armed = takeArea(null);
  native.setDatagramArea(armed.area, SLOT, BATCH, armed.meta, armed.addrs, armed.hostControl, CONTROL_SLOT);
}

/** Before the first POLL_RECEIVE (or after the pool's layout changed): an area to read into. */
export function ensureArmedDatagrams(): void {
  const { BATCH, SLOT, CONTROL_SLOT } = DATAGRAM_RECEIVE_POOL;
  if (armed === null || armed.batch !== BATCH || armed.slot !== SLOT || armed.controlSlot !== CONTROL_SLOT) rearmDatagrams();
}

/** The armed area after its datagrams were taken: ready for the next read, still registered. */
export function resetArmed(area: ReceiveArea): void {
  area.owner = null;
  area.count = 0;
  area.first = 0;
  unhold(area);
}
