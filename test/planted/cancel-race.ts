// Bug: IoCancelIrp taken for the end of the IRP. The client cancels a receive that waits and
// frees the IRP at once, because on loopback the cancel routine completes it before
// IoCancelIrp returns. Cancellation is only a request: under `delay` the completion comes
// later from the loop, and the IRP is freed while still pending (IRP_FREED_WHILE_PENDING).
import { IoCancelIrp, IoFreeIrp } from '../../lib';
import { buf, irpWithPromise, PlantedClient, sleep } from './harness';

export const cancelRace: PlantedClient = {
  bug: 'races IoCancelIrp against completion',
  faults: { delay: 5 },
  echo: false,
  async run({ s, d }) {
    for (let i = 0; i < 4; i++) {
      const { irp } = irpWithPromise();
      d.WskReceive(s, buf(new Uint8Array(64)), 0, irp);
      await sleep(2);
      IoCancelIrp(irp);
      // BUG: must wait for the completion routine before freeing (or reusing) the IRP.
      IoFreeIrp(irp);
    }
  },
};
