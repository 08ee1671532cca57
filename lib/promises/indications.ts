// What the two receive iterators share: indication chains a WSK event handed over (the event
// returned STATUS_PENDING, so the chain is ours until WskRelease), given to the consumer one
// item at a time, each chain released with WskRelease when the consumer pulls past its last
// item. While chains are retained WSK reads no more from the OS socket, so a slow consumer
// slows the peer down (TCP's window closes; UDP's socket buffer fills and drops).
import { NtStatusError } from './ntstatus-error';
import { STATUS_CANCELLED } from '../index';

/** One retained chain: its head (for WskRelease) and the items the consumer gets from it. */
export interface Chain<Head, Item> {
  head: Head;
  items: Item[];
  bytes: number;
}

interface Waiter<Item> {
  resolve: (result: IteratorResult<Item, undefined>) => void;
  reject: (error: unknown) => void;
}

const DONE: IteratorResult<never, undefined> = Object.freeze({ done: true, value: undefined });

/**
 * An async iterator over retained indications. Subclasses turn an event's chain into items
 * (`retain`), give chains back (`releaseChain`), and say when no more will come (`end`).
 */
export abstract class IndicationIterator<Head, Item> implements AsyncIterableIterator<Item> {
  private readonly queue: Chain<Head, Item>[] = [];
  private current: Chain<Head, Item> | null = null;
  private index = 0;
  /** Pulls waiting for WSK, oldest first (for await makes one at a time; others may queue). */
  private readonly waiters: Waiter<Item>[] = [];
  private wakeScheduled = false;
  /** Set once no more items will come: null for a clean end, else the error to throw. */
  private ending: { error: unknown } | null = null;
  /** return() or an abort: every chain is given back, and later indications are refused. */
  protected stopped = false;
  private readonly signal: AbortSignal | null;
  private readonly onAbort = (): void => this.stop(new NtStatusError(STATUS_CANCELLED, 0, { cause: this.signal?.reason }));

  constructor(options: { signal?: AbortSignal | undefined } = {}) {
    this.signal = options.signal ?? null;
    if (this.signal?.aborted) this.onAbort();
    else this.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Gives one retained chain back to WSK (WskRelease). */
  protected abstract releaseChain(head: Head): void;

  /** Bytes WSK has indicated that this iterator still holds (the consumer's and the queued). */
  get retainedBytes(): number {
    let bytes = this.current?.bytes ?? 0;
    for (const chain of this.queue) bytes += chain.bytes;
    return bytes;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * The next item: releases the chain of the item before it once that chain is used up, then
   * waits for WSK to indicate more if nothing is queued.
   */
  next(): Promise<IteratorResult<Item, undefined>> {
    if (this.waiters.length === 0) {
      try {
        const result = this.advance();
        if (result !== null) return Promise.resolve(result);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Stops: gives back everything held (WskRelease) and refuses later indications; waiting pulls resolve done. */
  return(): Promise<IteratorResult<Item, undefined>> {
    try {
      this.stop(null);
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve(DONE);
  }

  /** An event handed over a chain (the event returns STATUS_PENDING). */
  protected retain(chain: Chain<Head, Item>): void {
    this.queue.push(chain);
    this.wakeSoon();
  }

  /** No more indications will come: after the queued items, end cleanly or throw `error`. */
  protected end(error: unknown = null): void {
    if (this.ending === null) this.ending = { error };
    this.wakeSoon();
  }

  /**
   * Serves the waiting pulls once the event callback has returned: serving a second pull
   * releases the chain before it, and a chain is WSK's to take back only after its event
   * returned STATUS_PENDING.
   */
  private wakeSoon(): void {
    if (this.wakeScheduled || this.waiters.length === 0) return;
    this.wakeScheduled = true;
    queueMicrotask(() => {
      this.wakeScheduled = false;
      this.wake();
    });
  }

  /** The item to give now, the end, or null when the consumer has to wait. */
  private advance(): IteratorResult<Item, undefined> | null {
    const current = this.current;
    if (current !== null && this.index < current.items.length) return { done: false, value: current.items[this.index++]! };
    if (current !== null) {
      this.current = null;
      this.releaseChain(current.head);
    }
    const chain = this.queue.shift();
    if (chain !== undefined) {
      this.current = chain;
      this.index = 0;
      return this.advance();
    }
    if (this.ending === null) return null;
    const { error } = this.ending;
    this.ending = { error: null }; // thrown once; done after that, as a generator is
    this.detach();
    if (error !== null) throw error;
    return DONE;
  }

  /** Serves the waiting pulls, in order, while there is something to give them. */
  private wake(): void {
    while (this.waiters.length > 0) {
      let result: IteratorResult<Item, undefined> | null;
      try {
        result = this.advance();
      } catch (error) {
        this.waiters.shift()!.reject(error);
        continue;
      }
      if (result === null) return;
      this.waiters.shift()!.resolve(result);
    }
  }

  private stop(error: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.detach();
    const held = this.current === null ? this.queue.splice(0) : [this.current, ...this.queue.splice(0)];
    this.current = null;
    this.ending = { error };
    for (const chain of held) this.releaseChain(chain.head);
    this.wake();
  }

  private detach(): void {
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}
