// Bug: one WskReceive taken for one whole message. The peer sends a framed message at a time;
// on loopback each receive returns the whole frame. Under `partial` a receive completes with
// part of it, and the client parses half a message.
import { frame, irpWithPromise, buf, PlantedClient } from './harness';

export const oneReceiveOneMessage: PlantedClient = {
  bug: 'assumes one receive returns one message',
  faults: { partial: true },
  echo: true,
  async run({ s, d }) {
    for (let i = 0; i < 4; i++) {
      const sent = frame(`message number ${i}`);
      const out = irpWithPromise();
      d.WskSend(s, buf(sent), 0, out.irp);
      await out.done;
      const room = new Uint8Array(256);
      const { irp, done } = irpWithPromise();
      d.WskReceive(s, buf(room), 0, irp);
      const n = (await done).IoStatus.Information as number;
      // BUG: the frame may take several receives; the client never checks it has all of it.
      const length = Buffer.from(room).readUInt16BE(0);
      const body = Buffer.from(room.subarray(2, 2 + length)).toString();
      if (n !== 2 + length || body !== `message number ${i}`) throw new Error(`message ${i} garbled: got ${n} bytes, "${body}"`);
    }
  },
};
