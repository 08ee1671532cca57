// Bug: STATUS_PENDING taken for a failure. On loopback a send completes inline, so the client
// only ever saw STATUS_SUCCESS; under `pending` the same call returns STATUS_PENDING and the
// client gives up on a send that in fact goes out.
import { STATUS_SUCCESS, ntStatusName } from '../../lib';
import { buf, irpWithPromise, PlantedClient } from './harness';

export const pendingAsFailure: PlantedClient = {
  bug: 'treats STATUS_PENDING as failure',
  faults: { pending: 0.3 },
  echo: true,
  async run({ s, d }) {
    for (let i = 0; i < 8; i++) {
      const { irp, done } = irpWithPromise();
      const status = d.WskSend(s, buf(Buffer.from(`request ${i}\n`)), 0, irp);
      // BUG: should be `if (!NT_SUCCESS(status))`, and wait for the routine on STATUS_PENDING.
      if (status !== STATUS_SUCCESS) throw new Error(`send ${i} "failed": ${ntStatusName(status)}`);
      await done;
    }
  },
};
