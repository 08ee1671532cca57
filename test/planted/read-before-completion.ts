// Bug: the receive buffer read as soon as WskReceive returns. On loopback, with the data already
// there (a zero-length receive waits for it), the receive completes inline and the buffer is full; under `pending` the call returns
// STATUS_PENDING and the buffer is not filled until the completion.
import { WSK_FLAG_WAITALL } from '../../lib';
import { frame, irpWithPromise, buf, PlantedClient } from './harness';

export const readBeforeCompletion: PlantedClient = {
  bug: 'reads a receive buffer before completion',
  faults: { pending: 0.5 },
  echo: true,
  async run({ s, d }) {
    for (let i = 0; i < 4; i++) {
      const sent = frame(`reply ${i}`);
      const out = irpWithPromise();
      d.WskSend(s, buf(sent), 0, out.irp);
      await out.done;
      // A zero-length receive completes once data is there: the echo has arrived.
      const there = irpWithPromise();
      d.WskReceive(s, { Mdl: null, Offset: 0, Length: 0 }, 0, there.irp);
      await there.done;
      const room = new Uint8Array(sent.length);
      const { irp, done } = irpWithPromise();
      d.WskReceive(s, buf(room), WSK_FLAG_WAITALL, irp);
      // BUG: reads `room` now, whatever WskReceive returned; waits only afterwards.
      const got = Buffer.from(room).toString('latin1');
      await done;
      if (got !== sent.toString('latin1')) throw new Error(`reply ${i} read before it arrived`);
    }
  },
};
