// One API case from start to verdict: register, run the actions (awaiting the loop where the
// case says "tick"), close and release everything, and check what must hold afterwards.
import * as path from 'path';
import { Worker } from 'worker_threads';
import * as W from '../lib';
import type { IRP } from '../lib';
import { freeAddressInfo } from './api-control';
import { ApiRunner } from './api-run';
import type { Act } from './api-arbs';
import type { ApiWorld } from './api-world';
import { countCall, describeError, Finding, leakedFds, loopErrors, openFds } from './findings';
import { native } from './lib-native';
import { isOwnThrow } from './values';

/**
 * Everything closed and released, WskDeregister must settle and every pending IRP complete
 * within this (a turn or two on loopback; a numeric lookup takes microseconds on the pool).
 */
const SETTLE_MS = 500;

/** One turn of the event loop: readiness and deferred work run (loopback needs no more). */
const turn = () => new Promise<void>((r) => setImmediate(r));
const tick = (ms: number) => (ms === 0 ? turn() : new Promise<void>((r) => setTimeout(r, ms)));

function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    p.then(
      () => (clearTimeout(t), resolve(true)),
      () => (clearTimeout(t), resolve(true)),
    );
  });
}

export interface CaseOptions {
  /** In a worker thread: the process-wide checks (descriptors) belong to the main thread. */
  inWorker?: boolean;
}

export async function runApiCase(acts: Act[], options: CaseOptions = {}): Promise<Finding[]> {
  const sockets0 = native.openSockets();
  const fds0 = options.inWorker ? null : openFds();
  loopErrors.length = 0;
  const r = new ApiRunner();
  const w = r.w;
  w.quiet++; // the case's own registration is not one of its actions
  w.register();
  w.capture(W.WSK_INFINITE_WAIT);
  w.quiet--;
  const top = { sock: null, irp: null, depth: 0 };
  for (const act of acts) {
    if (act.op === 'tick') await tick(act.ms as number);
    else if (act.op === 'worker') startWorker(w, act);
    else r.exec(act, top);
  }
  await cleanup(r);
  const findings = verdict(r, sockets0);
  const leaked = await leakedFds(fds0);
  if (leaked.length > 0) w.find('fd-leak', `${leaked.length} more descriptor(s) in /proc/self/fd than before the case: ${leaked.join(', ')}`);
  return findings;
}

/**
 * A worker thread running small API cases of its own in a loop (api-worker.ts), terminated
 * after `ms` wherever it is: nothing may crash, and its sockets and descriptors must go with it.
 */
function startWorker(w: ApiWorld, act: Act): void {
  countCall('new Worker (API cases)');
  const worker = new Worker(path.join(__dirname, 'api-worker.js'), { workerData: act.acts });
  worker.on('message', (f: Finding) => w.find(f.kind, `in a worker: ${f.detail}`));
  worker.on('error', (e) => w.find('exception', `worker: ${describeError(e)}`));
  w.workers.push(new Promise<void>((resolve) => setTimeout(() => void worker.terminate().then(() => resolve()), act.ms as number)));
}

/** Closes and releases everything the case made, however its callbacks re-enter meanwhile. */
async function cleanup(r: ApiRunner): Promise<void> {
  const w = r.w;
  w.nestedBudget = Math.min(w.nestedBudget, 40);
  w.quiet++;
  for (let round = 0; round < 8; round++) {
    const known = w.sockets.length;
    closeRound(r);
    await turn();
    await turn();
    if (w.sockets.length === known && w.retained.length === 0 && w.inspects.length === 0) break;
  }
  await Promise.all(w.workers);
  for (const reg of w.regs) {
    for (; reg.captures > 0; reg.captures--) w.call('WskReleaseProviderNPI', () => W.WskReleaseProviderNPI(reg.reg));
    if (!reg.deregister) w.deregister(reg);
  }
  // Lookups finish on the thread pool, a connect on the loop: a few turns, then 1 ms steps.
  // Routines that run meanwhile (a lookup's) may still make sockets: those are closed too.
  const deadline = Date.now() + SETTLE_MS;
  for (let i = 0; Date.now() < deadline && !settled(w); i++) {
    closeRound(r);
    await tick(i < 20 ? 0 : 1);
  }
  for (const reg of w.regs) {
    if (reg.deregister && !reg.settled) {
      w.find('deregister-hang', `WskDeregister did not settle within ${SETTLE_MS} ms of everything being closed and released`);
    }
  }
  await endWaits(w);
}

/**
 * One round of the cleanup: set the events, release what is retained, reject what is held,
 * cancel the requests that would make a socket (its handle comes only with the IRP), close
 * every socket (once), free the address lists.
 */
function closeRound(r: ApiRunner): void {
  const w = r.w;
  if (w.waits.length > 0) for (const ev of w.events.slice(0, 2)) w.call('KeSetEvent', () => W.KeSetEvent(ev, 0, false));
  // Sockets a call returned through an IRP whose routine never looked (InvokeOnSuccess off),
  // first: an indication one of them had retained is released with it.
  for (const use of w.uses) w.adoptFrom(use.irp);
  while (w.retained.length > 0) r.release(0);
  for (const pend of w.inspects.splice(0)) {
    const f = pend.s && r.method(pend.s, 'WskInspectComplete');
    if (f) closeWith(r, 'WskInspectComplete', (irp) => f(pend.s, pend.id, W.WskInspectReject, irp));
  }
  for (const [irp, use] of w.current) if (use.sc && use.pended && !use.sc.sock) w.call('IoCancelIrp', () => W.IoCancelIrp(irp));
  for (const use of w.uses) w.adoptFrom(use.irp);
  for (const s of w.sockets) {
    if (w.closed.has(s)) continue;
    w.closed.add(s);
    closeWith(r, 'WskCloseSocket', (irp) => s.Dispatch.WskCloseSocket(s, irp as IRP));
  }
  for (let i = 0; i < w.resolutions.length; i++) {
    const list = w.resolutions[i].result?.[0];
    if (list && typeof list === 'object' && !w.freedLists.has(list)) freeAddressInfo(r, i);
  }
}

/**
 * Every registration settled, and every IRP that pended with a routine of ours has seen it run.
 * A settled WskDeregister also says that every other IRP of the client completed; without one
 * (it threw), an IRP that pended unobserved gets the whole wait before the verdict looks at it.
 */
function settled(w: ApiWorld): boolean {
  if (!w.regs.every((reg) => !reg.deregister || reg.settled)) return false;
  if (w.uses.some((u) => u.pended && u.observable && u.runs === 0)) return false;
  return !(w.regs.some((reg) => reg.lost) && w.uses.some((u) => u.pended && !u.observable));
}

/** Sets the events until every wait has ended (a SynchronizationEvent wakes one waiter per set). */
async function endWaits(w: ApiWorld): Promise<void> {
  let settled = false;
  const all = Promise.all(w.waits).then(() => (settled = true));
  for (let i = 0; i < 50 && !settled; i++) {
    for (const ev of w.events.slice(0, 2)) w.call('KeSetEvent', () => W.KeSetEvent(ev, 0, false));
    await turn();
  }
  // Waits with a short timeout on the uninitialized event end by themselves.
  await within(all, 100);
}

/** Every close and reject at cleanup uses an IRP of its own, observed like the case's. */
function closeWith(r: ApiRunner, where: string, call: (irp: unknown) => unknown): void {
  const w = r.w;
  const irp = w.allocIrp();
  w.setRoutine(irp, { invoke: 7, cb: { ret: 0, do: [] } });
  const use = w.current.get(irp)!;
  use.where = `${where} (cleanup)`;
  if (w.call(where, () => call(irp)) === W.STATUS_PENDING) use.pended = true;
}

function verdict(r: ApiRunner, sockets0: number): Finding[] {
  const w = r.w;
  for (const use of w.uses) {
    if (use.pended && use.observable && use.runs === 0) w.find('irp-never-completed', `${use.where} returned STATUS_PENDING; its IRP never completed`);
  }
  stillInFlight(w);
  for (const e of loopErrors.splice(0)) {
    if (isExpectedOnLoop(e, w.misbehaved)) continue;
    w.find('uncaught', describeError(e));
  }
  const open = native.openSockets() - sockets0;
  if (open > 0) {
    w.find('socket-leak', `${open} native socket(s) still open after every WSK socket was closed and WskDeregister settled`);
    native.closeAllSockets(); // the next case starts clean
  }
  return w.findings;
}

/**
 * An IRP still in flight now that every socket is closed and every registration gone is one that
 * will never complete, whatever routine it has (none, or one that does not ask to run): lib
 * refuses IoReuseIrp on it with IRP_REUSED_WHILE_PENDING.
 */
function stillInFlight(w: ApiWorld): void {
  for (const [irp, use] of w.current) {
    if (use.pended && use.observable && use.runs === 0) continue; // reported already
    try {
      W.IoReuseIrp(irp, W.STATUS_SUCCESS);
    } catch (e) {
      if (e instanceof W.WskVerifierError && e.code === 'IRP_REUSED_WHILE_PENDING') {
        w.find('irp-never-completed', `an IRP is still in flight in ${e.message.replace(/^.*still pending in /, '')} after everything was closed (last passed to ${use.where || 'nothing'})`);
      }
    }
  }
}

function isExpectedOnLoop(e: unknown, misbehaved: number): boolean {
  if (isOwnThrow(e)) return true;
  // lib reports a callback's wrong answer (status, BytesAccepted) as a violation on the loop.
  return misbehaved > 0 && e instanceof Error && e.name === 'WskVerifierError';
}
