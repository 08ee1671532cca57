// The state one API case works on (pools of sockets, IRPs, MDLs, events), the IRP ledger that
// counts completion-routine runs per use, and the client callbacks a case's specs describe.
import * as W from '../lib';
import type { IRP, KEVENT, MDL, PSOCKADDR, WSK_PROVIDER_NPI, WSK_REGISTRATION, WSK_SOCKET } from '../lib';
import { countCall, describeError, Finding, libErrorAllowed } from './findings';
import { FuzzThrow, materialize } from './values';
import type { Act, CallbackSpec } from './api-arbs';

/** One use of an IRP: from IoAllocateIrp or IoReuseIrp to the next IoReuseIrp. */
export interface IrpUse {
  irp: IRP;
  /** The call it was passed to; '' until then. */
  where: string;
  pended: boolean;
  /**
   * Its completion routine is ours and asks to run on success, error and cancel, and was so
   * when the IRP was passed to the call: then a use that pended must see exactly one run.
   */
  observable: boolean;
  runs: number;
  /** Filled by the socket the call creates (WskSocket, WskSocketConnect, WskAccept). */
  sc: SocketContext | null;
  /** WskGetAddressInfo's Result out-parameter, to free what it receives. */
  result: { 0?: unknown } | null;
}

export interface SocketContext {
  sock: WSK_SOCKET | null;
}

/** Where a callback's own actions run: the socket and IRP that "-1" names there. */
export interface Here {
  sock: WSK_SOCKET | null;
  irp: IRP | null;
  depth: number;
}

export type NestedRunner = (acts: Act[], here: Here) => void;

/** The fields of a generated action (api-arbs.ts). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const A = (a: Act) => a as Record<string, any>;

/** One WskRegister: its block, the NPI captures it holds, and its WskDeregister once called. */
export interface Registration {
  reg: WSK_REGISTRATION;
  captures: number;
  /** WskDeregister's promise, once it was called and returned one. */
  deregister: Promise<void> | null;
  settled: boolean;
  /** WskDeregister threw (a cancel routine it ran misbehaved): when it is done cannot be known. */
  lost: boolean;
}

const MORE = W.STATUS_MORE_PROCESSING_REQUIRED;
const CLIENT_NPI = { ClientContext: null, Dispatch: { Version: W.MAKE_WSK_VERSION(1, 0), Reserved: 0, WskClientEvent: null } };

export class ApiWorld {
  /** Every registration of the case; the newest is the one registration actions act on. */
  regs: Registration[] = [];
  /** The NPI calls go through: the last one captured. */
  npi = {} as WSK_PROVIDER_NPI;
  sockets: WSK_SOCKET[] = [];
  /** Sockets the cleanup has closed (or tried to). */
  closed = new Set<WSK_SOCKET>();
  addrs: PSOCKADDR[] = [];
  irps: IRP[] = [];
  uses: IrpUse[] = [];
  current = new Map<IRP, IrpUse>();
  irpSock = new Map<IRP, WSK_SOCKET>();
  bufs = [new Uint8Array(64), new Uint8Array(4096), new Uint8Array(65536), new Uint8Array(16)];
  mdls: MDL[] = [];
  events: KEVENT[] = [{}, {}, {}];
  /**
   * Indications a handler of ours retained, with the context of their socket: the socket itself
   * may be learned only later (an accept whose routine never looked; see adoptFrom).
   */
  retained: { sc: SocketContext; ind: object }[] = [];
  released: { sc: SocketContext; ind: object }[] = [];
  inspects: { s: WSK_SOCKET | null; id: object }[] = [];
  resolutions: IrpUse[] = [];
  /** ADDRINFOEXW lists given to WskFreeAddressInfo (the case may free one twice; cleanup does not). */
  freedLists = new Set<object>();
  /** Security descriptors cached with WSK_CACHE_SD (SO_WSK_SECURITY, WskSocket take them). */
  sds: unknown[] = [];
  waits: Promise<void>[] = [];
  workers: Promise<void>[] = [];
  /** Callbacks that returned a wrong value or threw on purpose: lib may report them on the loop. */
  misbehaved = 0;
  /** Callback actions left: bounds what re-entrant callbacks can do in one case. */
  nestedBudget = 400;
  findings: Finding[] = [];
  nested: NestedRunner = () => undefined;

  constructor() {
    for (let i = 0; i < 6; i++) this.irps.push(this.allocIrp());
    for (let i = 0; i < this.bufs.length; i++) {
      const mdl = W.IoAllocateMdl(this.bufs[i], this.bufs[i].byteLength, false, false, null)!;
      W.MmBuildMdlForNonPagedPool(mdl);
      this.mdls.push(mdl);
    }
    W.KeInitializeEvent(this.events[0], W.NotificationEvent, false);
    W.KeInitializeEvent(this.events[1], W.SynchronizationEvent, false);
    // events[2] stays uninitialized: an ill-formed KEVENT.
  }

  get reg(): Registration {
    return this.regs[this.regs.length - 1];
  }

  /** WskRegister on a new block (never one still registered: that is a violation, not a finding). */
  register(): void {
    const r: Registration = { reg: {}, captures: 0, deregister: null, settled: false, lost: false };
    if (this.call('WskRegister', () => W.WskRegister(CLIENT_NPI, r.reg)) === W.STATUS_SUCCESS) this.regs.push(r);
  }

  capture(timeout: number): void {
    const r = this.reg;
    if (!r) return;
    const npi = {} as WSK_PROVIDER_NPI;
    if (this.call('WskCaptureProviderNPI', () => W.WskCaptureProviderNPI(r.reg, timeout, npi)) !== W.STATUS_SUCCESS) return;
    r.captures++;
    this.npi = npi;
  }

  /** An out-parameter for a cached security descriptor: what the call writes there is kept. */
  sdOut(): { 0: unknown } {
    const sds = this.sds;
    let value: unknown = null;
    return {
      get 0() {
        return value;
      },
      set 0(v: unknown) {
        value = v;
        if (v !== null && typeof v === 'object') sds.push(v);
      },
    };
  }

  /** WskDeregister on `r`: its promise noted, and when it settles. */
  deregister(r: Registration): void {
    const p = this.call('WskDeregister', () => W.WskDeregister(r.reg));
    if (!(p instanceof Promise)) {
      // Refused (called twice), or a cancel routine threw out of it: nothing to wait for.
      if (!r.deregister) r.lost = true;
      return;
    }
    r.deregister = p;
    const done = () => (r.settled = true);
    p.then(done, done);
  }

  find(kind: Finding['kind'], detail: string): void {
    this.findings.push({ kind, detail });
  }

  /**
   * While above 0, calls are made and checked but not counted: the IoReuseIrp and
   * IoSetCompletionRoutine that prepare an action's IRP, the lookup of a bound socket's address,
   * the cleanup. The campaign's figure counts the calls the actions make.
   */
  quiet = 0;

  /** Makes one call into the API: counted, and any exception outside the documented set is a finding. */
  call<T>(where: string, fn: () => T): T | undefined {
    if (this.quiet === 0) countCall(where);
    try {
      return fn();
    } catch (e) {
      if (!libErrorAllowed(e)) this.find('exception', `${where}: ${describeError(e)}`);
      return undefined;
    }
  }

  allocIrp(): IRP {
    const irp = W.IoAllocateIrp(1, false)!;
    this.newUse(irp);
    return irp;
  }

  newUse(irp: IRP): IrpUse {
    const use: IrpUse = { irp, where: '', pended: false, observable: false, runs: 0, sc: null, result: null };
    this.uses.push(use);
    this.current.set(irp, use);
    return use;
  }

  /** A WSK_SOCKET the API handed us (IoStatus.Information, an accept event): ours to close. */
  adopt(s: unknown): WSK_SOCKET | null {
    if (s === null || typeof s !== 'object' || !('Dispatch' in s)) return null;
    const sock = s as WSK_SOCKET;
    if (!this.sockets.includes(sock)) this.sockets.push(sock);
    return sock;
  }

  /** After a call returns: what its IRP carries is ours even when no routine of ours ran. */
  adoptFrom(irp: unknown): void {
    const use = this.current.get(irp as IRP);
    const sock = irp instanceof W.IRP ? this.adopt(irp.IoStatus.Information) : null;
    if (sock && use?.sc && !use.sc.sock) use.sc.sock = sock;
  }

  /** Runs a callback's own actions (bounded), then answers as its spec says. */
  behave(cb: CallbackSpec, here: Here, where: string, answers: readonly unknown[], wrong: unknown): unknown {
    if (cb.do.length > 0 && this.nestedBudget > 0) this.nested(cb.do, here);
    if (cb.ret === 5) {
      this.misbehaved++;
      throw new FuzzThrow(where);
    }
    if (cb.ret === 4) {
      this.misbehaved++;
      return wrong;
    }
    return answers[cb.ret % answers.length];
  }

  /** Our completion routine: counts runs per use, adopts a socket the IRP carries, then behaves. */
  routine(cb: CallbackSpec): W.PIO_COMPLETION_ROUTINE {
    return (_device, irp) => {
      const use = this.current.get(irp);
      if (use) {
        use.runs++;
        if (use.runs === 2) this.find('irp-double-completion', `completion routine ran twice for one use of an IRP (${use.where || 'not passed to any call since IoReuseIrp'})`);
        const sock = this.adopt(irp.IoStatus.Information);
        if (sock && use.sc) use.sc.sock = sock;
      }
      const here = { sock: this.irpSock.get(irp) ?? null, irp, depth: 1 };
      return this.behave(cb, here, 'a completion routine', [MORE], W.STATUS_SUCCESS) as number;
    };
  }

  /** IoSetCompletionRoutine with our routine; `invoke` holds InvokeOnSuccess/OnError/OnCancel bits. */
  setRoutine(irp: unknown, rt: { invoke: number; cb: CallbackSpec }): boolean {
    const ok = this.call('IoSetCompletionRoutine', () => {
      W.IoSetCompletionRoutine(irp as IRP, this.routine(rt.cb), null, (rt.invoke & 1) !== 0, (rt.invoke & 2) !== 0, (rt.invoke & 4) !== 0);
      return true;
    });
    const use = this.current.get(irp as IRP);
    if (ok && use) {
      // Once the IRP went to a call, a routine set afterwards (the call completed: lib refuses
      // one while it is in flight) cannot tell whether that use completed: only a routine in
      // place when the call took the IRP can.
      use.observable = use.where === '' ? rt.invoke === 7 : use.observable && rt.invoke === 7;
    }
    return ok === true;
  }

  reuse(irp: unknown, status: number): boolean {
    // What the last use returned (a socket) is ours before IoReuseIrp clears IoStatus.
    if (irp instanceof W.IRP) this.adopt(irp.IoStatus.Information);
    const ok = this.call('IoReuseIrp', () => (W.IoReuseIrp(irp as IRP, status), true));
    if (ok && irp instanceof W.IRP) this.newUse(irp);
    return ok === true;
  }

  // ---- client dispatch tables built from a case's handler specs ----

  handlers(spec: unknown, sc: SocketContext, kind: 'listen' | 'connection' | 'datagram' | 'stream'): unknown {
    if (spec === null || typeof spec !== 'object') return null;
    const h = spec as Record<string, CallbackSpec | null>;
    const listen = {
      WskAcceptEvent: h.acc ? this.acceptEvent(h.acc, spec) : null,
      WskInspectEvent: h.insp ? this.inspectEvent(h.insp, sc) : null,
      WskAbortEvent: h.abort ? (_c: unknown) => this.behave(h.abort!, this.here(sc), 'WskAbortEvent', [W.STATUS_SUCCESS], 0x1234) : null,
    };
    const connection = this.connectionHandlers(h, sc);
    if (kind === 'listen') return listen;
    if (kind === 'connection') return connection;
    if (kind === 'stream') return { Listen: listen, Connect: connection };
    return {
      WskReceiveFromEvent: h.rf
        ? (_c: unknown, _f: number, ind: object | null) => {
            const r = this.behave(h.rf!, this.here(sc), 'WskReceiveFromEvent', [W.STATUS_SUCCESS, W.STATUS_PENDING, W.STATUS_DATA_NOT_ACCEPTED], 0x1234);
            if (r === W.STATUS_PENDING && ind) this.retained.push({ sc, ind });
            return r;
          }
        : null,
    };
  }

  connectionHandlers(h: Record<string, CallbackSpec | null>, sc: SocketContext): unknown {
    return {
      WskReceiveEvent: h.recv
        ? (_c: unknown, _f: number, ind: object | null, indicated: number, accepted: { 0: number }) => {
            const answers = [W.STATUS_SUCCESS, W.STATUS_PENDING, W.STATUS_DATA_NOT_ACCEPTED, W.STATUS_SUCCESS];
            if (h.recv!.ret === 3 && accepted && typeof accepted === 'object') accepted[0] = Math.floor(indicated / 2);
            const r = this.behave(h.recv!, this.here(sc), 'WskReceiveEvent', answers, 0x1234);
            if (r === W.STATUS_PENDING && ind) this.retained.push({ sc, ind });
            return r;
          }
        : null,
      WskDisconnectEvent: h.disc ? () => this.behave(h.disc!, this.here(sc), 'WskDisconnectEvent', [W.STATUS_SUCCESS], 0x1234) : null,
      WskSendBacklogEvent: h.backlog ? () => this.behave(h.backlog!, this.here(sc), 'WskSendBacklogEvent', [W.STATUS_SUCCESS], 0x1234) : null,
    };
  }

  acceptEvent(cb: CallbackSpec, spec: object) {
    return (_c: unknown, _f: number, _l: unknown, _r: unknown, acceptSock: unknown, outCtx: { 0: unknown }, outDispatch: { 0: unknown }) => {
      // Declining (answer 1) gives the socket back to the provider; anything else keeps it ours.
      const mine = cb.ret !== 1 ? this.adopt(acceptSock) : null;
      const sc: SocketContext = { sock: mine };
      if (mine && outCtx && typeof outCtx === 'object') outCtx[0] = sc;
      if (mine && outDispatch && typeof outDispatch === 'object') {
        outDispatch[0] = cb.ret === 2 ? null : this.connectionHandlers(spec as Record<string, CallbackSpec | null>, sc);
      }
      return this.behave(cb, this.here(sc), 'WskAcceptEvent', [W.STATUS_SUCCESS, W.STATUS_REQUEST_NOT_ACCEPTED, W.STATUS_SUCCESS], 0x1234);
    };
  }

  inspectEvent(cb: CallbackSpec, sc: SocketContext) {
    return (_c: unknown, _l: unknown, _r: unknown, id: object | null) => {
      const r = this.behave(cb, this.here(sc), 'WskInspectEvent', [W.WskInspectAccept, W.WskInspectReject, W.WskInspectPend], 77);
      if (r === W.WskInspectPend && id) this.inspects.push({ s: sc.sock, id });
      return r;
    };
  }

  here(sc: SocketContext): Here {
    return { sock: sc.sock, irp: null, depth: 1 };
  }
}

// ---- addresses: loopback, unspecified, learned from our own sockets, or malformed ----

function base(a: string): PSOCKADDR {
  const text = a === 'lo6' ? '::1' : a === 'any4' ? '0.0.0.0' : a === 'any6' ? '::' : a === 'mapped' ? '::ffff:127.0.0.1' : '127.0.0.1';
  return W.sockaddrFromString(text, 0);
}

export function sockaddr(world: ApiWorld, spec: unknown): unknown {
  if (spec === null || typeof spec !== 'object' || !('a' in spec)) return materialize(spec);
  const s = spec as { a: string; i?: number; field?: string; v?: unknown };
  if (s.a === 'learned') {
    const n = world.addrs.length;
    return n === 0 ? base('lo4') : { ...world.addrs[(((s.i ?? 0) % n) + n) % n] };
  }
  if (s.a !== 'bad') return base(s.a);
  const v6 = s.field === 'sin6_addr' || s.field === 'Byte';
  const sa = base(v6 ? 'lo6' : 'lo4') as unknown as Record<string, unknown>;
  const v = materialize(s.v);
  if (s.field === 's_addr') sa.sin_addr = { s_addr: v };
  else if (s.field === 'Byte') sa.sin6_addr = { u: { Byte: v } };
  else sa[s.field!] = v;
  return sa;
}
