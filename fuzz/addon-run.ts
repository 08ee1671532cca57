// One case against the raw addon: the actions, then every socket closed, every resolution
// settled, and the checks: exceptions only from the addon's own argument checks, each
// resolution callback exactly once, no socket or descriptor left over.
import * as path from 'path';
import { Worker } from 'worker_threads';
import { addon } from './lib-native';
import type { AddonAct } from './addon-arbs';
import { addonCall, AddonState, areaCall, makeSocket, receiverCall } from './addon-exec';
import { addonErrorAllowed, countCall, describeError, Finding, leakedFds, loopErrors, openFds } from './findings';
import { FuzzThrow, isOwnThrow, materialize, pick } from './values';

const OS = addon.constants;
const tick = (ms: number) => new Promise<void>((r) => (ms === 0 ? setImmediate(r) : setTimeout(r, ms)));

class AddonCase {
  st: AddonState = { ids: [], ports: [], here: null };
  findings: Finding[] = [];
  resolutions = new Map<number, { what: string; runs: number }>();
  budget = 300;

  find(kind: Finding['kind'], detail: string): void {
    this.findings.push({ kind, detail });
  }

  /** While above 0, calls are checked but not counted (the cleanup's). */
  quiet = 0;

  /** One addon call, counted; an exception is a finding unless it is the addon's own argument check. */
  call<T>(where: string, fn: () => T): T | undefined {
    if (this.quiet === 0) countCall(`addon.${where}`);
    try {
      return fn();
    } catch (e) {
      if (!addonErrorAllowed(e)) this.find('exception', `addon.${where}: ${describeError(e)}`);
      return undefined;
    }
  }

  closeId = (id: unknown): void => {
    this.call('close', () => addon.close(id as number));
  };

  /** Actions run from inside a callback (event handler, resolution callback), bounded. */
  nested(acts: AddonAct[], here: number | null): void {
    const saved = this.st.here;
    this.st.here = here;
    for (const a of acts) if (this.budget-- > 0) this.exec(a);
    this.st.here = saved;
  }

  exec(a: AddonAct): void {
    switch (a.op) {
      case 'call':
        this.call(a.fn as string, () => addonCall(a, this.st, this.closeId));
        return;
      case 'socket': {
        const id = this.call('socket', () => makeSocket(a.kind as number));
        if (typeof id === 'number' && id >= 0) this.st.ids.push(id);
        return;
      }
      case 'handler':
        return this.handler(a);
      case 'getaddrinfo':
        return this.getaddrinfo(a);
      case 'getnameinfo': {
        const addr = new Uint8Array(28);
        addr[0] = 4;
        addr.set([127, 0, 0, 1], 8);
        const flags = (a.flags as number) | OS.NI_NUMERICHOST | OS.NI_NUMERICSERV; // never a reverse lookup
        const cb = this.resolved('getnameinfo', a.cbDo as AddonAct[]);
        const req = this.call('getnameinfo', () => addon.getnameinfo(addr, flags, cb));
        if (typeof req === 'number') cb.setId(req);
        this.track(req, 'getnameinfo');
        return;
      }
      case 'cancelResolution': {
        const id = a.raw !== null ? materialize(a.raw) : (pick([...this.resolutions.keys()], a.i as number) ?? 1);
        this.call('cancelResolution', () => addon.cancelResolution(id as number));
        return;
      }
      case 'misc':
        return this.misc(a.what as number, materialize(a.v));
      case 'area':
        this.call('area', () => areaCall(a.what as number, a.n as number, a.bad ?? null));
        return;
      case 'receiver':
        this.call('receiver', () => receiverCall(a, this.st));
        return;
    }
  }

  handler(a: AddonAct): void {
    const set = (a.set as number) % 4;
    const fn = (slot: number) => {
      const here = this.st.ids.find((id) => id % OS.SOCKET_SLOTS === slot) ?? null;
      this.nested(a.do as AddonAct[], here);
      if (a.throws) throw new FuzzThrow('the event handler');
    };
    const value = set === 1 ? null : set === 2 ? 42 : fn;
    this.call('setEventHandler', () => addon.setEventHandler(value as null));
  }

  /** A resolution callback: counts its runs (exactly one is right), then runs its own actions. */
  resolved(what: string, acts: AddonAct[]) {
    let id = 0;
    const cb = () => {
      const r = this.resolutions.get(id);
      if (r && ++r.runs === 2) this.find('callback-count', `${what} callback ran twice`);
      this.nested(acts, null);
    };
    return Object.assign(cb, { setId: (n: number) => (id = n) });
  }

  track(req: unknown, what: string): void {
    if (typeof req === 'number' && req > 0) this.resolutions.set(req, { what, runs: 0 });
  }

  getaddrinfo(a: AddonAct): void {
    const nodes = ['127.0.0.1', '::1', 'localhost', null, '0.0.0.0'];
    const services = ['80', null, '0'];
    // AI_NUMERICHOST always: nothing reaches a DNS server.
    const flags = OS.AI_NUMERICHOST | [0, OS.AI_PASSIVE, OS.AI_CANONNAME, OS.AI_V4MAPPED][(a.flags as number) % 4];
    const family = [0, OS.AF_INET, OS.AF_INET6, 12345][(a.family as number) % 4];
    const socktype = a.bad !== null ? materialize(a.bad) : 0;
    const cb = this.resolved('getaddrinfo', a.cbDo as AddonAct[]);
    const node = nodes[(a.node as number) % nodes.length];
    const req = this.call('getaddrinfo', () => addon.getaddrinfo(node, services[(a.svc as number) % 3], flags, family, socktype as number, 0, cb));
    if (typeof req === 'number') cb.setId(req);
    this.track(req, 'getaddrinfo');
  }

  misc(what: number, v: unknown): void {
    if (what === 0) this.call('openSockets', () => addon.openSockets());
    else if (what === 1) this.call('poller', () => addon.poller());
    else if (what === 2) this.call('usePoller', () => addon.usePoller((typeof v === 'boolean' ? (v ? 'uv' : 'io_uring') : v) as 'uv'));
    else if (what === 3) this.call('pendingResolutions', () => addon.pendingResolutions());
    else if (what === 4) this.call('closeAllSockets', () => addon.closeAllSockets());
    else this.call('fd', () => addon.fd(v as number));
  }

  /** A worker making these calls in a loop, terminated after `ms`. */
  async worker(a: AddonAct): Promise<void> {
    countCall('new Worker (addon calls)');
    const w = new Worker(path.join(__dirname, 'addon-worker.js'), { workerData: a.calls });
    w.on('error', (e) => this.find('exception', `worker: ${describeError(e)}`));
    await tick(a.ms as number);
    await w.terminate();
  }
}

/**
 * Closes every socket and waits for every resolution callback, again while callbacks make new
 * sockets or lookups (their budget is small now). A numeric lookup takes microseconds on the
 * pool: loop turns first, then 1 ms steps, 2 s in all.
 */
async function settle(c: AddonCase): Promise<void> {
  c.budget = Math.min(c.budget, 20);
  c.quiet++;
  const deadline = Date.now() + 2000;
  const waiting = () => [...c.resolutions.values()].some((r) => r.runs === 0);
  let closed = 0;
  for (let i = 0; Date.now() < deadline; i++) {
    const known = c.st.ids.length;
    for (const id of c.st.ids.slice(closed)) c.closeId(id);
    closed = known;
    await tick(i < 50 ? 0 : 1);
    if (c.st.ids.length === known && !waiting()) break;
  }
}

export async function runAddonCase(acts: AddonAct[]): Promise<Finding[]> {
  const sockets0 = addon.openSockets();
  const fds0 = openFds();
  loopErrors.length = 0;
  const c = new AddonCase();
  for (const a of acts) {
    if (a.op === 'tick') await tick(a.ms as number);
    else if (a.op === 'worker') await c.worker(a);
    else c.exec(a);
  }
  await settle(c);
  addon.setEventHandler(null);
  addon.setReceiveArea(null);
  addon.setDatagramArea(null);
  for (const [id, r] of c.resolutions) if (r.runs === 0) c.find('callback-count', `${r.what} request ${id} never called back`);
  for (const e of loopErrors.splice(0)) if (!isOwnThrow(e)) c.find('uncaught', describeError(e));
  const open = addon.openSockets() - sockets0;
  if (open > 0) {
    c.find('socket-leak', `${open} native socket(s) open after every id the case made was closed`);
    addon.closeAllSockets();
  }
  const leaked = await leakedFds(fds0);
  if (leaked.length > 0) c.find('fd-leak', `${leaked.length} more descriptor(s) in /proc/self/fd than before the case: ${leaked.join(', ')}`);
  return c.findings;
}
