// The one scheduler of the provider: work that must run from the event loop, never inside the
// client's own call (event callbacks after an enable, indications after a release, an accept
// after WskInspectComplete). One setImmediate runs every due task of a turn: a closure and an
// Immediate per socket would otherwise cost memory on every idle connection (bench C idle).
import { irpStretchBegin, irpStretchEnd } from '../kernel/irp';

/** Something that runs later from the event loop; it keeps its own "already due" bit. */
export interface Deferred {
  runDeferred(): void;
}

let due: Deferred[] = [];

/**
 * Runs `task.runDeferred()` from the event loop, in the order of defer() calls. A task deferred
 * while the queue runs waits for the next turn, as with setImmediate. The caller makes sure a
 * task is not queued twice.
 */
export function defer(task: Deferred): void {
  due.push(task);
  if (due.length === 1) setImmediate(runDue);
}

function runDue(): void {
  const batch = due;
  due = [];
  // Nothing escapes the loop (each task's exception is caught), so the stretch always ends.
  irpStretchBegin();
  for (let i = 0; i < batch.length; i++) {
    try {
      batch[i].runDeferred();
    } catch (e) {
      // A client callback threw: it surfaces as an uncaught exception, as it would from its
      // own Immediate, and the tasks after it still run.
      process.nextTick(rethrow, e);
    }
  }
  irpStretchEnd();
}

function rethrow(e: unknown): never {
  throw e;
}
