// Bug: IoAllocateIrp's NULL ignored. Allocation never fails on a test machine; under `lowres`
// (Driver Verifier's low-resources simulation) it does, and the client passes NULL on.
import { IoAllocateIrp, IoSetCompletionRoutine, IRP, STATUS_MORE_PROCESSING_REQUIRED } from '../../lib';
import { buf, PlantedClient } from './harness';

export const ignoreIrpNull: PlantedClient = {
  bug: 'ignores IoAllocateIrp returning NULL',
  faults: { lowres: 0.02 },
  echo: true,
  async run({ s, d }) {
    for (let i = 0; i < 16; i++) {
      // BUG: no `if (irp === null) return STATUS_INSUFFICIENT_RESOURCES`.
      const irp = IoAllocateIrp(1, false) as IRP;
      let resolve!: () => void;
      const done = new Promise<void>((r) => (resolve = r));
      IoSetCompletionRoutine(irp, () => (resolve(), STATUS_MORE_PROCESSING_REQUIRED), null, true, true, true);
      d.WskSend(s, buf(Buffer.from(`block ${i}`)), 0, irp);
      await done;
    }
  },
};
