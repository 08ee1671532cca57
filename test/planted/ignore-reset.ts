// Bug: a failed receive ignored. The client's receive routine only handles data; a reset
// (STATUS_CONNECTION_RESET) is dropped on the floor, and the client waits for the reply
// forever. Loopback connections never reset; under `reset` they do, for real.
import { IoSetCompletionRoutine, NT_SUCCESS, STATUS_MORE_PROCESSING_REQUIRED } from '../../lib';
import { buf, irpWithPromise, PlantedClient } from './harness';

export const ignoreReset: PlantedClient = {
  bug: 'ignores a reset',
  faults: { reset: 0.05 },
  echo: true,
  async run({ s, d }) {
    for (let i = 0; i < 10; i++) {
      const out = irpWithPromise();
      d.WskSend(s, buf(Buffer.from(`ping ${i}`)), 0, out.irp);
      await out.done;
      const room = new Uint8Array(64);
      const { irp } = irpWithPromise();
      await new Promise<void>((resolve) => {
        IoSetCompletionRoutine(
          irp,
          (_d, done) => {
            // BUG: a failure (the connection reset) neither resolves nor reports anything.
            if (NT_SUCCESS(done.IoStatus.Status) && (done.IoStatus.Information as number) > 0) resolve();
            return STATUS_MORE_PROCESSING_REQUIRED;
          },
          null,
          true,
          true,
          true,
        );
        d.WskReceive(s, buf(room), 0, irp);
      });
    }
  },
};
