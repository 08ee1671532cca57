// Runs the actions of an API case: each makes its WSK call, from the top level or re-entrantly
// from a callback or a getter. Socket calls are here; the client-level calls and the socket
// control table in api-control.ts; IRPs, MDLs, events and registration in api-kernel.ts.
import * as W from '../lib';
import type { IRP, WSK_SOCKET } from '../lib';
import { A, ApiWorld, Here, IrpUse, SocketContext, sockaddr } from './api-world';
import type { Act } from './api-arbs';
import { controlSocket, controlClient, controlInfo, freeAddressInfo, getAddressInfo, getNameInfo } from './api-control';
import { execKernel } from './api-kernel';
import { FuzzThrow, isWeird, materialize, pick } from './values';

type Fn = (...args: unknown[]) => unknown;

const KINDS: { flags: number; type: number; proto: number; handlers: 'listen' | 'connection' | 'datagram' | 'stream' }[] = [
  { flags: W.WSK_FLAG_LISTEN_SOCKET, type: W.SOCK_STREAM, proto: W.IPPROTO_TCP, handlers: 'listen' },
  { flags: W.WSK_FLAG_CONNECTION_SOCKET, type: W.SOCK_STREAM, proto: W.IPPROTO_TCP, handlers: 'connection' },
  { flags: W.WSK_FLAG_DATAGRAM_SOCKET, type: W.SOCK_DGRAM, proto: W.IPPROTO_UDP, handlers: 'datagram' },
  { flags: W.WSK_FLAG_STREAM_SOCKET, type: W.SOCK_STREAM, proto: W.IPPROTO_TCP, handlers: 'stream' },
  { flags: W.WSK_FLAG_BASIC_SOCKET, type: W.SOCK_STREAM, proto: W.IPPROTO_TCP, handlers: 'connection' },
  { flags: W.WSK_FLAG_BASIC_SOCKET, type: W.SOCK_DGRAM, proto: W.IPPROTO_UDP, handlers: 'datagram' },
  // Raw ICMP only (never IPPROTO_RAW: with a header included, random bytes would pick the destination).
  { flags: W.WSK_FLAG_DATAGRAM_SOCKET, type: W.SOCK_RAW, proto: W.IPPROTO_ICMP, handlers: 'datagram' },
  { flags: W.WSK_FLAG_CONNECTION_SOCKET, type: W.SOCK_DGRAM, proto: W.IPPROTO_TCP, handlers: 'connection' },
];

export class ApiRunner {
  readonly w = new ApiWorld();

  constructor() {
    this.w.nested = (acts, here) => {
      for (const act of acts) {
        if (this.w.nestedBudget-- <= 0) return;
        this.exec(act, { ...here, depth: here.depth + 1 });
      }
    };
  }

  socketOf(a: Act, here: Here): WSK_SOCKET | null {
    const i = A(a).s as number;
    if (i === -1 && here.sock) return here.sock;
    return pick(this.w.sockets, i) ?? null;
  }

  /** A member of the socket's provider table, or null where its category has none. */
  method(s: WSK_SOCKET | null, name: string): Fn | null {
    const f = s ? (s.Dispatch as unknown as Record<string, unknown>)[name] : null;
    return typeof f === 'function' ? (f as Fn) : null;
  }

  /** The IRP an action names (a new one for 'new'), made ready (IoReuseIrp + our routine) when the action asks. */
  irpOf(a: Act, here: Here, where: string, s: WSK_SOCKET | null): { irp: unknown; use?: IrpUse } {
    const f = A(a);
    if (typeof f.irp !== 'number' && f.irp !== 'new') return { irp: materialize(f.irp) };
    let irp: IRP;
    this.w.quiet++;
    if (f.irp === 'new') {
      irp = this.w.allocIrp();
      this.w.setRoutine(irp, f.rt);
    } else {
      irp = f.irp === -1 && here.irp ? here.irp : pick(this.w.irps, f.irp)!;
      if (f.fresh && this.w.reuse(irp, W.STATUS_SUCCESS)) this.w.setRoutine(irp, f.rt);
    }
    this.w.quiet--;
    const use = this.w.current.get(irp);
    if (use) use.where = where;
    if (s) this.w.irpSock.set(irp, s);
    return { irp, use };
  }

  /** A provider call that takes an IRP: notes STATUS_PENDING on the use it started, adopts what it returned. */
  irpCall(a: Act, here: Here, where: string, s: WSK_SOCKET | null, call: (irp: unknown, inner: Here) => unknown, sc?: SocketContext): unknown {
    const { irp, use } = this.irpOf(a, here, where, s);
    if (use && sc) use.sc = sc;
    // A getter in the arguments runs with "this socket" and "this IRP" naming the call's own.
    const inner: Here = { sock: s ?? here.sock, irp: irp instanceof W.IRP ? irp : here.irp, depth: here.depth };
    const status = this.w.call(where, () => call(irp, inner));
    if (status === W.STATUS_PENDING && use) use.pended = true;
    this.w.adoptFrom(irp);
    return status;
  }

  socketCall(a: Act, here: Here, name: string, args: (s: WSK_SOCKET, inner: Here) => unknown[]): unknown {
    const s = this.socketOf(a, here);
    const f = this.method(s, name);
    if (!s || !f) return undefined;
    return this.irpCall(a, here, name, s, (irp, inner) => f(s, ...args(s, inner), irp));
  }

  buf(spec: unknown, here: Here): unknown {
    if (isWeird(spec)) return materialize(spec);
    const b = spec as { m: number; off: unknown; len: unknown; g?: { f: string; at: number; do: Act[]; throws?: boolean } };
    const out: Record<string, unknown> = { Mdl: pick(this.w.mdls, b.m) ?? null, Offset: materialize(b.off), Length: materialize(b.len) };
    if (b.g) {
      // A getter that calls back into the API on its at-th read (closing the socket mid-call...).
      const g = b.g;
      const value = out[g.f];
      let reads = 0;
      Object.defineProperty(out, g.f, {
        enumerable: true,
        get: () => {
          if (reads++ !== g.at) return value;
          if (this.w.nestedBudget > 0) this.w.nested(g.do, here);
          if (g.throws) throw new FuzzThrow('a getter on a WSK_BUF');
          return value;
        },
      });
    }
    return out;
  }

  bufList(specs: unknown[], here: Here): unknown {
    let head: unknown = null;
    for (let i = specs.length - 1; i >= 0; i--) head = { Next: head, Buffer: this.buf(specs[i], here) };
    return head;
  }

  /** Learns the local address of a socket just bound, so that later actions can reach it. */
  learn(s: WSK_SOCKET): void {
    const f = this.method(s, 'WskGetLocalAddress');
    if (!f) return;
    this.w.quiet++;
    const irp = this.w.allocIrp();
    this.w.setRoutine(irp, { invoke: 7, cb: { ret: 0, do: [] } });
    const use = this.w.current.get(irp)!;
    use.where = 'WskGetLocalAddress';
    const out: Record<string, unknown> = {};
    const st = this.w.call('WskGetLocalAddress', () => f(s, out, irp));
    this.w.quiet--;
    if (st === W.STATUS_PENDING) use.pended = true;
    if (st === W.STATUS_SUCCESS && ('sin_family' in out || 'sin6_family' in out)) this.w.addrs.push(out as W.PSOCKADDR);
  }

  newSocket(a: Act, here: Here): void {
    const f = A(a);
    const D = this.w.npi.Dispatch;
    if (!D) return;
    const kind = KINDS[f.kind % KINDS.length];
    const family = f.fam === 4 ? W.AF_INET : f.fam === 6 ? W.AF_INET6 : materialize(f.fam);
    const proto = kind.proto === W.IPPROTO_ICMP && family === W.AF_INET6 ? W.IPPROTO_ICMPV6 : kind.proto;
    const flags = f.flags === null ? kind.flags : materialize(f.flags);
    const sc: SocketContext = { sock: null };
    const dispatch = this.w.handlers(f.ev, sc, kind.handlers);
    // SecurityDescriptor: none, a cached one (maybe released since), or one never cached.
    const sd = f.sd === 1 ? (pick(this.w.sds, 0) ?? null) : f.sd === 2 ? { Revision: 1 } : null;
    this.irpCall(a, here, 'WskSocket', null, (irp) => D.WskSocket(this.w.npi.Client, family as number, kind.type, proto, flags as number, sc, dispatch, null, null, sd, irp as IRP), sc);
  }

  socketConnect(a: Act, here: Here): void {
    const f = A(a);
    const D = this.w.npi.Dispatch;
    if (!D) return;
    const sc: SocketContext = { sock: null };
    const dispatch = this.w.handlers(f.ev, sc, 'connection');
    const local = sockaddr(this.w, f.local);
    const remote = sockaddr(this.w, f.remote);
    this.irpCall(a, here, 'WskSocketConnect', null, (irp) =>
      D.WskSocketConnect(this.w.npi.Client, W.SOCK_STREAM, W.IPPROTO_TCP, local as W.PSOCKADDR, remote as W.PSOCKADDR, 0, sc, dispatch as null, null, null, null, irp as IRP), sc);
  }

  /** Runs one action. Top level: `here` names nothing; in a callback it names its socket and IRP. */
  exec(a: Act, here: Here): void {
    const f = A(a);
    const w = this.w;
    switch (a.op) {
      case 'socket':
        return this.newSocket(a, here);
      case 'socketConnect':
        return this.socketConnect(a, here);
      case 'bind': {
        const st = this.socketCall(a, here, 'WskBind', () => [sockaddr(w, f.addr), materialize(f.flags)]);
        const s = this.socketOf(a, here);
        if (st === W.STATUS_SUCCESS && s) this.learn(s);
        return;
      }
      case 'listen':
        this.socketCall(a, here, 'WskListen', () => []);
        return;
      case 'accept':
        return this.accept(a, here);
      case 'connect':
        this.socketCall(a, here, 'WskConnect', () => [sockaddr(w, f.addr), materialize(f.flags)]);
        return;
      case 'send':
        this.socketCall(a, here, 'WskSend', (_s, inner) => [this.buf(f.buf, inner), materialize(f.flags)]);
        return;
      case 'receive':
        this.socketCall(a, here, 'WskReceive', (_s, inner) => [this.buf(f.buf, inner), materialize(f.flags)]);
        return;
      case 'disconnect':
        this.socketCall(a, here, 'WskDisconnect', (_s, inner) => [f.buf === null ? null : this.buf(f.buf, inner), materialize(f.flags)]);
        return;
      case 'sendTo':
        this.socketCall(a, here, 'WskSendTo', (_s, inner) => [this.buf(f.buf, inner), materialize(f.flags), f.addr === null ? null : sockaddr(w, f.addr), ...controlInfo(f.ctl)]);
        return;
      case 'receiveFrom': {
        const ctlLen = f.ctlLen === null ? null : isWeird(f.ctlLen) ? materialize(f.ctlLen) : { 0: 64 };
        const ctlFlags = f.ctlFlags === null ? null : isWeird(f.ctlFlags) ? materialize(f.ctlFlags) : { 0: 0 };
        const from = f.from === null ? null : materialize(f.from);
        this.socketCall(a, here, 'WskReceiveFrom', (_s, inner) => [this.buf(f.buf, inner), materialize(f.flags), from, ctlLen, ctlLen === null ? null : new Uint8Array(64), ctlFlags]);
        return;
      }
      case 'sendMessages':
        this.socketCall(a, here, 'WskSendMessages', (_s, inner) => [this.bufList(f.bufs, inner), materialize(f.flags), f.addr === null ? null : sockaddr(w, f.addr), ...controlInfo(f.ctl ?? 0)]);
        return;
      case 'release':
        return this.release(f.r);
      case 'control':
        return controlSocket(this, a, here);
      case 'localAddress':
      case 'remoteAddress': {
        const out = materialize(f.out);
        const st = this.socketCall(a, here, a.op === 'localAddress' ? 'WskGetLocalAddress' : 'WskGetRemoteAddress', () => [out]);
        if (st === W.STATUS_SUCCESS && out && typeof out === 'object' && ('sin_family' in out || 'sin6_family' in out)) w.addrs.push(out as W.PSOCKADDR);
        return;
      }
      case 'inspectComplete': {
        const pend = pick(w.inspects, f.id);
        this.socketCall(a, here, 'WskInspectComplete', () => [pend ? pend.id : { Key: 1, SerialNumber: 1 }, materialize(f.action)]);
        return;
      }
      case 'ex':
        return this.extended(a, here);
      case 'close':
        // Not noted as closed: a close refused with a status (no IRP...) closed nothing. The
        // cleanup closes every socket once more; SOCKET_CLOSED there is expected.
        this.socketCall(a, here, 'WskCloseSocket', () => []);
        return;
      case 'controlClient':
        return controlClient(this, a, here);
      case 'getAddressInfo':
        return getAddressInfo(this, a, here);
      case 'freeAddressInfo':
        return freeAddressInfo(this, f.i);
      case 'getNameInfo':
        return getNameInfo(this, a, here);
      default:
        return execKernel(this, a, here);
    }
  }

  accept(a: Act, here: Here): void {
    const f = A(a);
    const s = this.socketOf(a, here);
    const fn = this.method(s, 'WskAccept');
    if (!s || !fn) return;
    const sc: SocketContext = { sock: null };
    const dispatch = this.w.handlers(f.ev, sc, 'connection');
    const local = f.local === null ? null : materialize(f.local);
    const remote = f.remote === null ? null : materialize(f.remote);
    this.irpCall(a, here, 'WskAccept', s, (irp) => fn(s, materialize(f.flags), sc, dispatch, local, remote, irp), sc);
  }

  /** WskConnectEx, WskSendEx, WskReceiveEx. */
  extended(a: Act, here: Here): void {
    const f = A(a);
    const name = ['WskConnectEx', 'WskSendEx', 'WskReceiveEx'][f.fn % 3];
    this.socketCall(a, here, name, (_s, inner) => {
      const buf = this.buf(f.buf, inner);
      if (name === 'WskConnectEx') return [sockaddr(this.w, f.addr), buf, 0];
      if (name === 'WskSendEx') return [buf, 0, ...controlInfo(1)];
      return [buf, 0, { 0: 64 }, new Uint8Array(64), { 0: 0 }];
    });
  }

  release(r: number): void {
    const w = this.w;
    const fromReleased = r % 2 === 1 && w.released.length > 0;
    const list = fromReleased ? w.released : w.retained;
    const entry = pick(list, r >> 1);
    if (!entry) return;
    if (!fromReleased) {
      w.retained.splice(w.retained.indexOf(entry), 1);
      w.released.push(entry);
    }
    const s = entry.sc.sock;
    const f = s && this.method(s, 'WskRelease');
    if (f) w.call('WskRelease', () => f(s, entry.ind));
  }
}
