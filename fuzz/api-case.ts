// One API case from start to verdict: register, run the actions (awaiting the loop where the
// case says "tick"), close and release everything, and check what must hold afterwards.
import * as W from '../lib';
import { native } from '../lib/transport/native';
import { ApiRunner } from './api-run';
import type { Act } from './api-arbs';
import { describeError, Finding, loopErrors, openFds } from './findings';
import { isOwnThrow } from './values';

const DEREGISTER_TIMEOUT_MS = 500;

const tick = (ms: number) => new Promise<void>((r) => (ms === 0 ? setImmediate(r) : setTimeout(r, ms)));

function within<T>(p: Promise<T>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    p.then(
      () => (clearTimeout(t), resolve(true)),
      () => (clearTimeout(t), resolve(true)),
    );
  });
}


export async function runApiCase(acts: Act[]): Promise<Finding[]> {
  const sockets0 = native.openSockets();
  const fds0 = openFds();
  loopErrors.length = 0;
  const r = new ApiRunner();
  const w = r.w;
  w.call('WskRegister', () => W.WskRegister({ ClientContext: null, Dispatch: { Version: W.MAKE_WSK_VERSION(1, 0), Reserved: 0, WskClientEvent: null } }, w.reg));
  if (w.call('WskCaptureProviderNPI', () => W.WskCaptureProviderNPI(w.reg, W.WSK_INFINITE_WAIT, w.npi)) === W.STATUS_SUCCESS) w.captures++;
  const top = { sock: null, irp: null, depth: 0 };
  for (const act of acts) {
    if (act.op === 'tick') await tick(act.ms as number);
    else r.exec(act, top);
  }
  await cleanup(r);
  return verdict(r, sockets0, fds0);
}

/** Closes and releases everything the case made, however its callbacks re-enter meanwhile. */
async function cleanup(r: ApiRunner): Promise<void> {
  const w = r.w;
  w.nestedBudget = Math.min(w.nestedBudget, 40);
  for (let round = 0; round < 6; round++) {
    const known = w.sockets.length;
    for (const ev of w.events.slice(0, 2)) w.call('KeSetEvent', () => W.KeSetEvent(ev, 0, false));
    while (w.retained.length > 0) r.release(0);
    for (const pend of w.inspects.splice(0)) {
      const f = pend.s && r.method(pend.s, 'WskInspectComplete');
      if (f) closeWith(r, 'WskInspectComplete', (irp) => f(pend.s, pend.id, W.WskInspectReject, irp));
    }
    for (const s of w.sockets) {
      if (w.closed.has(s)) continue;
      w.closed.add(s);
      closeWith(r, 'WskCloseSocket', (irp) => s.Dispatch.WskCloseSocket(s, irp as W.IRP));
    }
    for (const use of w.resolutions) if (use.result && typeof use.result === 'object' && use.result[0]) r.freeAddressInfo(w.resolutions.indexOf(use));
    await tick(0);
    await tick(1);
    if (w.sockets.length === known && w.retained.length === 0 && w.inspects.length === 0) break;
  }
  while (w.captures > 0) {
    w.call('WskReleaseProviderNPI', () => W.WskReleaseProviderNPI(w.reg));
    w.captures--;
  }
  if (!w.deregister) {
    const p = w.call('WskDeregister', () => W.WskDeregister(w.reg));
    if (p instanceof Promise) w.deregister = p;
  }
  if (w.deregister && !(await within(w.deregister, DEREGISTER_TIMEOUT_MS))) {
    w.find('deregister-hang', `WskDeregister did not settle within ${DEREGISTER_TIMEOUT_MS} ms of everything being closed and released`);
  }
  for (const ev of w.events.slice(0, 2)) w.call('KeSetEvent', () => W.KeSetEvent(ev, 0, false));
  await within(Promise.all(w.waits), 100);
  await tick(2);
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

function verdict(r: ApiRunner, sockets0: number, fds0: number): Finding[] {
  const w = r.w;
  for (const use of w.uses) {
    if (use.pended && use.observable && use.runs === 0) w.find('irp-never-completed', `${use.where} returned STATUS_PENDING; its IRP never completed`);
  }
  for (const e of loopErrors.splice(0)) {
    if (isExpectedOnLoop(e, w.misbehaved)) continue;
    w.find('uncaught', describeError(e));
  }
  const open = native.openSockets() - sockets0;
  if (open > 0) {
    w.find('socket-leak', `${open} native socket(s) still open after every WSK socket was closed and WskDeregister settled`);
    native.closeAllSockets(); // the next case starts clean
  }
  const fds = openFds();
  if (fds0 >= 0 && fds > fds0) w.find('fd-leak', `${fds - fds0} more descriptor(s) in /proc/self/fd than before the case`);
  return w.findings;
}

function isExpectedOnLoop(e: unknown, misbehaved: number): boolean {
  if (isOwnThrow(e)) return true;
  // lib reports a callback's wrong answer (status, BytesAccepted) as a violation on the loop.
  return misbehaved > 0 && e instanceof Error && e.name === 'WskVerifierError';
}
