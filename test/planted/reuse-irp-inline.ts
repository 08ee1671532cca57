// Bug: one IRP reused for the next call as soon as the first returns, because on loopback the
// first has always completed inline by then. Under `pending` it is still in flight: reusing it
// is what corrupts the kernel's lists, a verifier error here (IRP_REUSED_WHILE_PENDING).
import { IoReuseIrp, IoSetCompletionRoutine, STATUS_MORE_PROCESSING_REQUIRED, STATUS_SUCCESS } from '../../lib';
import { buf, irpWithPromise, PlantedClient } from './harness';

export const reuseIrpInline: PlantedClient = {
  bug: 'reuses one IRP for two calls that happen to complete inline',
  faults: { pending: 0.3 },
  echo: false,
  async run({ s, d }) {
    const { irp } = irpWithPromise();
    let completions = 0;
    for (let i = 0; i < 8; i++) {
      // BUG: IoReuseIrp without waiting for the completion of the call before.
      IoReuseIrp(irp, STATUS_SUCCESS);
      IoSetCompletionRoutine(irp, () => (completions++, STATUS_MORE_PROCESSING_REQUIRED), null, true, true, true);
      d.WskSend(s, buf(Buffer.from(`part ${i};`)), 0, irp);
    }
    if (completions !== 8) throw new Error(`only ${completions} of 8 sends had completed`);
  },
};
