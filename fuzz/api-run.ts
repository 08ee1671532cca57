// Runs one API case: each action makes its WSK call (from the top level, or re-entrantly from a
// callback), then everything is closed and released and the oracle looks for what went wrong.
import { performance } from 'perf_hooks';
import * as W from '../lib';
import type { IRP, KEVENT, MDL, WSK_SOCKET } from '../lib';
import { ApiWorld, Here, SocketContext, sockaddr } from './api-world';
import type { Act } from './api-arbs';
import { counter, describeError, Finding, openFds } from './findings';
import { isWeird, materialize, pick } from './values';

type Fn = (...args: unknown[]) => unknown;
const A = (a: Act) => a as Record<string, any>; // the fields of a generated action (api-arbs.ts)

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

  /** The IRP an action names, made ready (IoReuseIrp + our routine) when the action asks. */
  irpOf(a: Act, here: Here, where: string, s: WSK_SOCKET | null): { irp: unknown; use?: ReturnType<ApiWorld['newUse']> } {
    const f = A(a);
    if (typeof f.irp !== 'number') return { irp: materialize(f.irp) };
    const irp = f.irp === -1 && here.irp ? here.irp : pick(this.w.irps, f.irp)!;
    if (f.fresh && this.w.reuse(irp, W.STATUS_SUCCESS)) this.w.setRoutine(irp, f.rt);
    const use = this.w.current.get(irp);
    if (use) use.where = where;
    if (s) this.w.irpSock.set(irp, s);
    return { irp, use };
  }

  /** A provider call that takes an IRP: notes STATUS_PENDING on the use it started. */
  irpCall(a: Act, here: Here, where: string, s: WSK_SOCKET | null, call: (irp: unknown) => unknown): unknown {
    const { irp, use } = this.irpOf(a, here, where, s);
    const status = this.w.call(where, () => call(irp));
    if (status === W.STATUS_PENDING && use) use.pended = true;
    return status;
  }

  socketCall(a: Act, here: Here, name: string, args: (s: WSK_SOCKET) => unknown[]): unknown {
    const s = this.socketOf(a, here);
    const f = this.method(s, name);
    if (!s || !f) return undefined;
    return this.irpCall(a, here, name, s, (irp) => f(s, ...args(s), irp));
  }

  buf(spec: unknown, here: Here): unknown {
    if (isWeird(spec)) return materialize(spec);
    const b = spec as { m: number; off: unknown; len: unknown; g?: { f: string; at: number; do: Act[] } };
    const out: Record<string, unknown> = { Mdl: pick(this.w.mdls, b.m) ?? null, Offset: materialize(b.off), Length: materialize(b.len) };
    if (b.g) {
      // A getter that calls back into the API on its at-th read (closing the socket mid-call...).
      const g = b.g;
      const value = out[g.f];
      let reads = 0;
      Object.defineProperty(out, g.f, {
        enumerable: true,
        get: () => {
          if (reads++ === g.at && this.w.nestedBudget > 0) this.w.nested(g.do, here);
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
    const irp = this.w.allocIrp();
    this.w.setRoutine(irp, { invoke: 7, cb: { ret: 0, do: [] } });
    const use = this.w.current.get(irp)!;
    use.where = 'WskGetLocalAddress';
    const out: Record<string, unknown> = {};
    const st = this.w.call('WskGetLocalAddress', () => f(s, out, irp));
    if (st === W.STATUS_PENDING) use.pended = true;
    if (st === W.STATUS_SUCCESS && ('sin_family' in out || 'sin6_family' in out)) this.w.addrs.push(out as W.PSOCKADDR);
  }

  newSocket(a: Act, here: Here): void {
    const f = A(a);
    const kind = KINDS[f.kind % KINDS.length];
    const family = f.fam === 4 ? W.AF_INET : f.fam === 6 ? W.AF_INET6 : materialize(f.fam);
    const proto = kind.proto === W.IPPROTO_ICMP && family === W.AF_INET6 ? W.IPPROTO_ICMPV6 : kind.proto;
    const flags = f.flags === null ? kind.flags : materialize(f.flags);
    const sc: SocketContext = { sock: null };
    const dispatch = this.w.handlers(f.ev, sc, kind.handlers);
    const { irp, use } = this.irpOf(a, here, 'WskSocket', null);
    if (use) use.sc = sc;
    const D = this.w.npi.Dispatch;
    if (!D) return;
    const st = this.w.call('WskSocket', () => D.WskSocket(this.w.npi.Client, family as number, kind.type, proto, flags as number, sc, dispatch, null, null, null, irp as IRP));
    if (st === W.STATUS_PENDING && use) use.pended = true;
  }

  socketConnect(a: Act, here: Here): void {
    const f = A(a);
    const sc: SocketContext = { sock: null };
    const dispatch = this.w.handlers(f.ev, sc, 'connection');
    const { irp, use } = this.irpOf(a, here, 'WskSocketConnect', null);
    if (use) use.sc = sc;
    const D = this.w.npi.Dispatch;
    if (!D) return;
    const local = sockaddr(this.w, f.local);
    const remote = sockaddr(this.w, f.remote);
    const st = this.w.call('WskSocketConnect', () =>
      D.WskSocketConnect(this.w.npi.Client, W.SOCK_STREAM, W.IPPROTO_TCP, local as W.PSOCKADDR, remote as W.PSOCKADDR, 0, sc, dispatch as null, null, null, null, irp as IRP),
    );
    if (st === W.STATUS_PENDING && use) use.pended = true;
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
      case 'accept': {
        const s = this.socketOf(a, here);
        const sc: SocketContext = { sock: null };
        const kind = s && 'WskListen' in s.Dispatch ? 'stream' : 'connection';
        const dispatch = kind === 'stream' ? w.handlers(f.ev, sc, 'connection') : w.handlers(f.ev, sc, 'connection');
        const fn = this.method(s, 'WskAccept');
        if (!s || !fn) return;
        const local = f.local === null ? null : materialize(f.local);
        const remote = f.remote === null ? null : materialize(f.remote);
        this.irpCall(a, here, 'WskAccept', s, (irp) => {
          const use = w.current.get(irp as IRP);
          if (use) use.sc = sc;
          return fn(s, materialize(f.flags), sc, dispatch, local, remote, irp);
        });
        return;
      }
      case 'connect':
        this.socketCall(a, here, 'WskConnect', () => [sockaddr(w, f.addr), materialize(f.flags)]);
        return;
      case 'send':
        this.socketCall(a, here, 'WskSend', () => [this.buf(f.buf, here), materialize(f.flags)]);
        return;
      case 'receive':
        this.socketCall(a, here, 'WskReceive', () => [this.buf(f.buf, here), materialize(f.flags)]);
        return;
      case 'disconnect':
        this.socketCall(a, here, 'WskDisconnect', () => [f.buf === null ? null : this.buf(f.buf, here), materialize(f.flags)]);
        return;
      case 'sendTo':
        this.socketCall(a, here, 'WskSendTo', () => [this.buf(f.buf, here), materialize(f.flags), f.addr === null ? null : sockaddr(w, f.addr), ...control(f.ctl)]);
        return;
      case 'receiveFrom': {
        const ctlLen = f.ctlLen === null ? null : isWeird(f.ctlLen) ? materialize(f.ctlLen) : { 0: 64 };
        const ctlFlags = f.ctlFlags === null ? null : isWeird(f.ctlFlags) ? materialize(f.ctlFlags) : { 0: 0 };
        const from = f.from === null ? null : materialize(f.from);
        this.socketCall(a, here, 'WskReceiveFrom', () => [this.buf(f.buf, here), materialize(f.flags), from, ctlLen, ctlLen === null ? null : new Uint8Array(64), ctlFlags]);
        return;
      }
      case 'sendMessages':
        this.socketCall(a, here, 'WskSendMessages', () => [this.bufList(f.bufs, here), materialize(f.flags), f.addr === null ? null : sockaddr(w, f.addr), ...control(0)]);
        return;
      case 'release':
        return this.release(f.r);
      case 'control':
        return this.control(a, here);
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
      case 'close': {
        const s = this.socketOf(a, here);
        const st = this.socketCall(a, here, 'WskCloseSocket', () => []);
        if (s && st !== undefined) w.closed.add(s);
        return;
      }
      case 'controlClient':
        return this.controlClient(a, here);
      case 'getAddressInfo':
        return this.getAddressInfo(a, here);
      case 'freeAddressInfo':
        return this.freeAddressInfo(f.i);
      case 'getNameInfo':
        return this.getNameInfo(a, here);
      default:
        return this.execKernel(a, here);
    }
  }

  /** IRPs, MDLs, events and registration: the kernel routines around WSK. */
  execKernel(a: Act, here: Here): void {
    const f = A(a);
    const w = this.w;
    const irp = f.irp === -1 && here.irp ? here.irp : (pick(w.irps, f.irp ?? 0) as IRP);
    switch (a.op) {
      case 'cancel':
        w.call('IoCancelIrp', () => W.IoCancelIrp(irp));
        return;
      case 'reuse':
        if (w.reuse(irp, f.st)) w.setRoutine(irp, f.rt);
        return;
      case 'setRoutine':
        w.setRoutine(irp, f.rt);
        return;
      case 'free':
        w.call('IoFreeIrp', () => W.IoFreeIrp(irp));
        return;
      case 'alloc': {
        const fresh = w.call('IoAllocateIrp', () => W.IoAllocateIrp(materialize(f.stack) as number, false));
        if (fresh) {
          w.adopt(irp.IoStatus.Information);
          w.irps[w.irps.indexOf(irp)] = fresh;
          w.newUse(fresh);
        }
        return;
      }
      case 'mdl':
        return this.mdl(f.m, f.what, f.b, f.len);
      case 'event':
        return this.event(w.events[f.e % 3], f.what);
      case 'wait':
        return this.wait(w.events[f.e % 3], f.t);
      case 'registration':
        return this.registration(f.what);
      case 'tick':
        return; // only meaningful at the top level (runCase awaits it)
    }
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
    const f = this.method(entry.s, 'WskRelease');
    if (f) w.call('WskRelease', () => f(entry.s, entry.ind));
  }

  control(a: Act, here: Here): void {
    const f = A(a);
    const s = this.socketOf(a, here);
    const v = materialize(f.v);
    const u32 = (n: unknown) => new Uint8Array(new Uint32Array([typeof n === 'number' ? n : 0]).buffer);
    const outRet = f.out === null ? null : materialize(f.out);
    const events = (mask: unknown) => ({ NpiId: W.NPI_WSK_INTERFACE_ID, EventMask: mask });
    const all = s ? eventMask(s) : 0;
    // [RequestType, ControlCode, Level, InputSize, InputBuffer, OutputSize, OutputBuffer]
    const table: unknown[][] = [
      [W.WskSetOption, W.SO_WSK_EVENT_CALLBACK, W.SOL_SOCKET, 16, events(all)],
      [W.WskSetOption, W.SO_WSK_EVENT_CALLBACK, W.SOL_SOCKET, 16, events((all | W.WSK_EVENT_DISABLE) >>> 0)],
      [W.WskSetOption, W.SO_WSK_EVENT_CALLBACK, W.SOL_SOCKET, 16, events(typeof v === 'number' ? v & 0x3d0 : v)],
      [W.WskSetOption, W.SO_RCVBUF, W.SOL_SOCKET, 4, u32(v)],
      [W.WskGetOption, W.SO_RCVBUF, W.SOL_SOCKET, 0, null, 4, new Uint8Array(4)],
      [W.WskSetOption, W.SO_REUSEADDR, W.SOL_SOCKET, 4, u32(1)],
      [W.WskSetOption, W.TCP_NODELAY, W.IPPROTO_TCP, 4, u32(1)],
      [W.WskSetOption, W.IPV6_V6ONLY, W.IPPROTO_IPV6, 4, u32(0)],
      [W.WskIoctl, W.SIO_WSK_QUERY_RECEIVE_BACKLOG, 0, 0, null, 8, new Uint8Array(8)],
      [W.WskIoctl, W.SIO_WSK_QUERY_IDEAL_SEND_BACKLOG, 0, 0, null, 8, new Uint8Array(8)],
      [W.WskIoctl, W.SIO_WSK_SET_REMOTE_ADDRESS, 0, 28, sockaddr(this.w, { a: 'learned', i: 0 })],
      [W.WskSetOption, W.SO_CONDITIONAL_ACCEPT, W.SOL_SOCKET, 4, u32(1)],
      [W.WskIoctl, W.SIO_WSK_QUERY_INSPECT_ID, 0, 0, null, 16, {}],
      [W.WskSetOption, typeof v === 'number' ? 0x7f00 | (v & 0xff) : v, W.SOL_SOCKET, 4, u32(1)],
      [v, W.SO_KEEPALIVE, W.SOL_SOCKET, 4, u32(1), 4, new Uint8Array(4)],
      [W.WskGetOption, W.SO_KEEPALIVE, W.SOL_SOCKET, 0, null, typeof v === 'number' ? v : 4, new Uint8Array(4)],
    ];
    const [type, code, level, inSize, inBuf, outSize = 0, outBuf = null] = table[f.c % table.length];
    this.socketCall(a, here, 'WskControlSocket', () => [type, code, level, inSize, inBuf, outSize, outBuf, outRet]);
  }

  controlClient(a: Act, here: Here): void {
    const f = A(a);
    const D = this.w.npi.Dispatch;
    if (!D) return;
    const outRet = f.out === null ? null : materialize(f.out);
    const sd = { 0: null as unknown };
    const table: unknown[][] = [
      [W.WSK_TRANSPORT_LIST_QUERY, 0, null, 4 * W.SIZEOF_WSK_TRANSPORT, new Uint8Array(4 * W.SIZEOF_WSK_TRANSPORT)],
      [W.WSK_TRANSPORT_LIST_QUERY, 0, null, 0, null],
      [W.WSK_TRANSPORT_LIST_CHANGE, 0, null, 0, null],
      [W.WSK_CACHE_SD, 8, [{ Revision: 1 }], 8, sd],
      [W.WSK_RELEASE_SD, 8, [{ Revision: 1 }], 0, null],
      [W.WSK_SET_STATIC_EVENT_CALLBACKS, 16, { NpiId: W.NPI_WSK_INTERFACE_ID, EventMask: W.WSK_EVENT_RECEIVE_FROM }, 0, null],
      [W.WSK_TDI_BEHAVIOR, 4, new Uint8Array(4), 0, null],
      [0x1234, 0, null, 0, null],
    ];
    const [code, inSize, inBuf, outSize, outBuf] = table[f.c % table.length];
    this.irpCall(a, here, 'WskControlClient', null, (irp) => D.WskControlClient(this.w.npi.Client, code as number, inSize as number, inBuf as object, outSize as number, outBuf as object, outRet as { 0: number }, irp as IRP));
  }

  getAddressInfo(a: Act, here: Here): void {
    const f = A(a);
    const D = this.w.npi.Dispatch;
    if (!D) return;
    // Numeric hosts only, and AI_NUMERICHOST always: no name ever reaches a DNS server.
    const nodes = ['127.0.0.1', '::1', 'localhost', null, '0.0.0.0', '::ffff:127.0.0.1'];
    const services = ['80', null, '0', '65536'];
    const us = (text: string | null) => {
      if (text === null) return null;
      const u = {};
      W.RtlInitUnicodeString(u, text);
      return u as W.UNICODE_STRING;
    };
    const hints = { ai_flags: W.AI_NUMERICHOST | [0, W.AI_PASSIVE, W.AI_CANONNAME, W.AI_V4MAPPED | W.AI_ALL][f.flags % 4], ai_family: [0, W.AF_INET, W.AF_INET6, 99][f.fam % 4] };
    const result = materialize(f.result) as { 0?: unknown };
    const { irp, use } = this.irpOf(a, here, 'WskGetAddressInfo', null);
    if (use) {
      use.result = result;
      this.w.resolutions.push(use);
    }
    const st = this.w.call('WskGetAddressInfo', () =>
      D.WskGetAddressInfo(this.w.npi.Client, us(nodes[f.node % nodes.length]), us(services[f.svc % services.length]), W.NS_ALL, null, hints, result as { 0: null }, null, null, irp as IRP),
    );
    if (st === W.STATUS_PENDING && use) use.pended = true;
  }

  freeAddressInfo(i: number): void {
    const D = this.w.npi.Dispatch;
    const use = pick(this.w.resolutions, i);
    if (!D || !use || !use.result || typeof use.result !== 'object') return;
    const list = use.result[0];
    this.w.call('WskFreeAddressInfo', () => D.WskFreeAddressInfo(this.w.npi.Client, list as W.ADDRINFOEXW));
  }

  getNameInfo(a: Act, here: Here): void {
    const f = A(a);
    const D = this.w.npi.Dispatch;
    if (!D) return;
    const node = { Length: 0, MaximumLength: 128, Buffer: new Uint16Array(64) };
    const service = { Length: 0, MaximumLength: 64, Buffer: new Uint16Array(32) };
    // NI_NUMERICHOST | NI_NUMERICSERV always: no reverse lookup leaves the machine.
    const flags = f.flags | W.NI_NUMERICHOST | W.NI_NUMERICSERV;
    const sa = sockaddr(this.w, f.addr);
    this.irpCall(a, here, 'WskGetNameInfo', null, (irp) => D.WskGetNameInfo(this.w.npi.Client, sa as W.PSOCKADDR, 28, node, service, flags, null, null, irp as IRP));
  }

  mdl(m: number, what: number, b: number, len: unknown): void {
    const w = this.w;
    const mdl = pick(w.mdls, m)!;
    const i = w.mdls.indexOf(mdl);
    switch (what) {
      case 0: {
        const fresh = w.call('IoAllocateMdl', () => W.IoAllocateMdl(w.bufs[b % w.bufs.length], materialize(len) as number, false, false, null));
        if (fresh) w.mdls.length < 8 ? w.mdls.push(fresh) : (w.mdls[i] = fresh);
        return;
      }
      case 1:
        w.call('IoFreeMdl', () => W.IoFreeMdl(mdl));
        return;
      case 2:
        w.call('MmBuildMdlForNonPagedPool', () => W.MmBuildMdlForNonPagedPool(mdl));
        return;
      case 3:
        w.call('MmProbeAndLockPages', () => W.MmProbeAndLockPages(mdl, W.KernelMode, W.IoWriteAccess));
        return;
      case 4:
        w.call('MmUnlockPages', () => W.MmUnlockPages(mdl));
        return;
      case 5:
        mdl.Next = pick(w.mdls, i + 1) as MDL; // may be itself: a cycle
        return;
      case 6:
        mdl.Next = null;
        return;
      default:
        w.call('MmGetSystemAddressForMdlSafe', () => W.MmGetSystemAddressForMdlSafe(mdl, W.NormalPagePriority));
        w.call('MmGetMdlByteCount', () => W.MmGetMdlByteCount(mdl));
    }
  }

  event(ev: KEVENT, what: number): void {
    const w = this.w;
    if (what === 0) w.call('KeSetEvent', () => W.KeSetEvent(ev, 0, false));
    else if (what === 1) w.call('KeClearEvent', () => W.KeClearEvent(ev));
    else if (what === 2) w.call('KeResetEvent', () => W.KeResetEvent(ev));
    else w.call('KeReadStateEvent', () => W.KeReadStateEvent(ev));
  }

  /** A wait that must not end in STATUS_TIMEOUT before its (relative) timeout; not awaited here. */
  wait(ev: KEVENT, t: unknown): void {
    const w = this.w;
    const timeout = t !== null && typeof t === 'object' && 'q' in t ? { QuadPart: materialize((t as { q: unknown }).q) } : materialize(t);
    const q = (timeout as { QuadPart?: unknown } | null)?.QuadPart;
    const wantMs = typeof q === 'number' && q < 0 ? -q / 10000 : null;
    const start = performance.now();
    const p = w.call('KeWaitForSingleObject', () => W.KeWaitForSingleObject(ev, W.Executive, W.KernelMode, false, timeout as W.LARGE_INTEGER));
    if (!(p instanceof Promise)) return;
    w.waits.push(
      p.then(
        (status) => {
          const took = performance.now() - start;
          if (status === W.STATUS_TIMEOUT && wantMs !== null && took + 1 < wantMs) {
            w.find('early-timeout', `KeWaitForSingleObject(QuadPart ${q}) returned STATUS_TIMEOUT after ${took.toFixed(1)} ms of ${wantMs} ms`);
          }
        },
        (e) => w.find('exception', `KeWaitForSingleObject rejected: ${describeError(e)}`),
      ),
    );
  }

  registration(what: number): void {
    const w = this.w;
    switch (what) {
      case 0:
        w.call('WskReleaseProviderNPI', () => (W.WskReleaseProviderNPI(w.reg), w.captures--));
        return;
      case 1:
      case 5: {
        const timeout = what === 1 ? W.WSK_INFINITE_WAIT : -1;
        const st = w.call('WskCaptureProviderNPI', () => W.WskCaptureProviderNPI(w.reg, timeout, {}));
        if (st === W.STATUS_SUCCESS) w.captures++;
        return;
      }
      case 2:
        w.call('WskQueryProviderCharacteristics', () => W.WskQueryProviderCharacteristics(w.reg, {}));
        return;
      case 3: {
        const p = w.call('WskDeregister', () => W.WskDeregister(w.reg));
        if (p instanceof Promise) w.deregister = p;
        return;
      }
      default:
        w.call('WskRegister', () => W.WskRegister({ ClientContext: null, Dispatch: { Version: W.MAKE_WSK_VERSION(1, 0), Reserved: 0, WskClientEvent: null } }, w.reg));
    }
  }
}

/** The events a socket's category can take through SO_WSK_EVENT_CALLBACK. */
function eventMask(s: WSK_SOCKET): number {
  const d = s.Dispatch as unknown as Record<string, unknown>;
  if ('WskSendTo' in d) return W.WSK_EVENT_RECEIVE_FROM;
  if ('WskListen' in d) return W.WSK_EVENT_ACCEPT | W.WSK_EVENT_RECEIVE | W.WSK_EVENT_DISCONNECT;
  if ('WskAccept' in d) return W.WSK_EVENT_ACCEPT;
  if ('WskSend' in d) return W.WSK_EVENT_RECEIVE | W.WSK_EVENT_DISCONNECT | W.WSK_EVENT_SEND_BACKLOG;
  return 0;
}

/** [ControlInfoLength, ControlInfo]: none, a well-formed IP_TTL, garbage, a length past the buffer. */
function control(c: number): unknown[] {
  if (c === 1) {
    const ttl = W.cmsgBuild([{ cmsg_level: W.IPPROTO_IP, cmsg_type: W.IP_TTL, data: new Uint8Array([64, 0, 0, 0]) }]);
    return [ttl.byteLength, ttl];
  }
  if (c === 2) return [8, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8])];
  if (c === 3) return [100, new Uint8Array(8)];
  return [0, null];
}

export { Finding, counter };
