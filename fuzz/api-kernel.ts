// The kernel routines around WSK in an API case: IRPs (IoCancelIrp at any point, reuse, free,
// a new routine), MDLs and chains, KEVENTs and KeWaitForSingleObject, and registration.
import { performance } from 'perf_hooks';
import * as W from '../lib';
import type { IRP, KEVENT, MDL } from '../lib';
import type { Act } from './api-arbs';
import type { ApiRunner } from './api-run';
import { A, ApiWorld, Here } from './api-world';
import { describeError } from './findings';
import { materialize, pick } from './values';

export function execKernel(r: ApiRunner, a: Act, here: Here): void {
  const f = A(a);
  const w = r.w;
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
      return mdl(w, f.m, f.what, f.b, f.len);
    case 'event':
      return event(w, w.events[f.e % 3], f.what);
    case 'wait':
      return wait(w, w.events[f.e % 3], f.t);
    case 'registration':
      return registration(w, f.what);
    default:
      return; // 'tick' and 'worker' are only meaningful at the top level (api-case.ts awaits them)
  }
}

function mdl(w: ApiWorld, m: number, what: number, b: number, len: unknown): void {
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

function event(w: ApiWorld, ev: KEVENT, what: number): void {
  if (what === 0) w.call('KeSetEvent', () => W.KeSetEvent(ev, 0, false));
  else if (what === 1) w.call('KeClearEvent', () => W.KeClearEvent(ev));
  else if (what === 2) w.call('KeResetEvent', () => W.KeResetEvent(ev));
  else w.call('KeReadStateEvent', () => W.KeReadStateEvent(ev));
}

/**
 * A wait that must not end in STATUS_TIMEOUT before its (relative) timeout; not awaited here:
 * the case's end sets the events, which ends the long ones.
 */
function wait(w: ApiWorld, ev: KEVENT, t: unknown): void {
  const timeout = t !== null && typeof t === 'object' && 'q' in t ? { QuadPart: materialize((t as { q: unknown }).q) } : materialize(t);
  const q = (timeout as { QuadPart?: unknown } | null)?.QuadPart;
  const relative = typeof q === 'number' || typeof q === 'bigint' ? Number(q) : NaN;
  const wantMs = relative < 0 ? -relative / 10000 : null;
  const start = performance.now();
  const p = w.call('KeWaitForSingleObject', () => W.KeWaitForSingleObject(ev, W.Executive, W.KernelMode, false, timeout as W.LARGE_INTEGER));
  if (!(p instanceof Promise)) return;
  w.waits.push(
    p.then(
      (status) => {
        const took = performance.now() - start;
        if (status === W.STATUS_TIMEOUT && wantMs !== null && took + 1 < wantMs) {
          w.find('early-timeout', `KeWaitForSingleObject(QuadPart ${String(q)}) returned STATUS_TIMEOUT after ${took.toFixed(1)} ms of ${wantMs} ms`);
        }
      },
      (e) => w.find('exception', `KeWaitForSingleObject rejected: ${describeError(e)}`),
    ),
  );
}

function registration(w: ApiWorld, what: number): void {
  const r = w.reg;
  switch (what) {
    case 0:
      if (r) w.call('WskReleaseProviderNPI', () => (W.WskReleaseProviderNPI(r.reg), r.captures--));
      return;
    case 1:
    case 5:
      // WSK_INFINITE_WAIT, or a timeout out of range.
      return w.capture(what === 1 ? W.WSK_INFINITE_WAIT : -1);
    case 2:
      if (r) w.call('WskQueryProviderCharacteristics', () => W.WskQueryProviderCharacteristics(r.reg, {}));
      return;
    case 3:
      if (r) w.deregister(r);
      return;
    default:
      return w.register();
  }
}
