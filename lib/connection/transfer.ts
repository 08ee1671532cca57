// One pending WskSend, WskReceive or graceful WskDisconnect: the caller's views and how far the
// OS got through them.
import type { IRP } from '../kernel/irp';
import { NTSTATUS, STATUS_SUCCESS } from '../kernel/ntstatus';

/**
 * `total` bounds every transfer: a single view may be a whole MDL buffer, with the WSK_BUF's
 * range given by a starting `vo` and `total` (no subarray made per pending call).
 */
export class Transfer {
  /** Bytes moved so far. */
  done = 0;
  /** The view, and the offset in it, where the next byte goes or comes from. */
  vi = 0;
  vo = 0;
  status: NTSTATUS = STATUS_SUCCESS;
  constructor(
    readonly Irp: IRP,
    readonly views: Uint8Array[],
    readonly total: number,
    readonly flags: number,
    /** A graceful WskDisconnect: shut the send side once this (and every earlier send) is out. */
    readonly disconnect: boolean,
  ) {}

  advance(n: number): void {
    this.done += n;
    const views = this.views;
    while (n > 0) {
      const left = views[this.vi].byteLength - this.vo;
      if (n < left) {
        this.vo += n;
        return;
      }
      n -= left;
      this.vi++;
      this.vo = 0;
    }
    while (this.vi < views.length && views[this.vi].byteLength === 0) this.vi++;
  }

  /** The views still to fill or send, for one recvmsg/sendmsg. */
  rest(): Uint8Array[] {
    const views = this.views;
    if (this.vo === 0) return this.vi === 0 ? views : views.slice(this.vi);
    const out = views.slice(this.vi);
    out[0] = out[0].subarray(this.vo);
    return out;
  }

  /** Whether a single view is left, so that one plain recv/send at (vi, vo) will do. */
  get oneView(): boolean {
    return this.views.length - this.vi === 1;
  }
}

/** Every connection's queues before their first pending call (never pushed to). */
export const NO_TRANSFERS: Transfer[] = [];
