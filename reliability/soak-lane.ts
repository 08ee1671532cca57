// A lane of the soak workload (TCP with IRPs, TCP with events, UDP): its counters, its
// failures, and the workers it keeps running until told to stop.
import { Ledger } from './ledger';
import { Rng } from './wire';

export class Lane {
  readonly failures: string[] = [];
  /** Request/response exchanges (TCP) or datagram round trips (UDP) whose every byte was checked. */
  roundTrips = 0;
  bytes = 0;
  /** Sockets this lane opened and closed (client and server side). */
  opened = 0;
  closed = 0;
  /** UDP: requests that got no reply in time (the receive was cancelled); late replies skipped. */
  lost = 0;
  late = 0;
  stopping = false;
  private alive = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(
    readonly name: string,
    readonly ledger: Ledger,
    readonly rng: Rng,
  ) {}

  failure(message: string): void {
    if (this.failures.length < 20) this.failures.push(message);
    else if (this.failures.length === 20) this.failures.push('(more failures not listed)');
  }

  /** Something with a socket (a client, a server connection) begins; `ended` when its socket is closed. */
  began(): void {
    this.alive++;
    this.opened++;
  }

  ended(): void {
    this.closed++;
    if (--this.alive === 0) for (const w of this.idleWaiters.splice(0)) w();
  }

  /** Resolves once nothing this lane started holds a socket any more. */
  idle(): Promise<void> {
    return this.alive === 0 ? Promise.resolve() : new Promise((r) => this.idleWaiters.push(r));
  }

  /**
   * Keeps `slots` workers running: each `start(done)` opens one socket's lifetime and calls
   * `done` at its end; a new one starts (on a later turn of the loop, never inside the
   * completion that ended the last) until the lane stops.
   */
  keep(slots: number, start: (done: () => void) => void): void {
    const run = (): void => {
      if (this.stopping) return;
      start(() => setImmediate(run));
    };
    for (let i = 0; i < slots; i++) run();
  }
}
