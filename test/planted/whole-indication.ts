// Bug: one WskReceiveEvent taken for one whole message, read from the chain's first element.
// On loopback each framed message the peer writes arrives in one indication of one element;
// under `partial` indications come split (across callbacks and as chains of several elements).
import { MmGetSystemAddressForMdlSafe, NormalPagePriority, PWSK_DATA_INDICATION, STATUS_SUCCESS, WSK_CLIENT_CONNECTION_DISPATCH } from '../../lib';
import { frame, PlantedClient, sleep } from './harness';

const messages: string[] = [];
const errors: string[] = [];

const dispatch: WSK_CLIENT_CONNECTION_DISPATCH = {
  WskReceiveEvent: (_context, _flags, indication: PWSK_DATA_INDICATION | null) => {
    if (indication === null) return STATUS_SUCCESS;
    // BUG: the message may go on in later elements and in later indications.
    const b = indication.Buffer;
    const view = MmGetSystemAddressForMdlSafe(b.Mdl!, NormalPagePriority)!.subarray(b.Offset, b.Offset + b.Length);
    const length = view.length >= 2 ? (view[0] << 8) | view[1] : -1;
    if (length !== view.length - 2) errors.push(`an indication of ${view.length} bytes for a message of ${length}`);
    else messages.push(Buffer.from(view.subarray(2)).toString());
    return STATUS_SUCCESS;
  },
  WskDisconnectEvent: null,
  WskSendBacklogEvent: null,
};

export const wholeIndication: PlantedClient = {
  bug: 'assumes an indication holds the whole message',
  faults: { partial: true },
  echo: false,
  dispatch,
  async run({ peer }) {
    messages.length = errors.length = 0;
    for (let i = 0; i < 4; i++) {
      peer.write(frame(`notification ${i} `.repeat(20)));
      for (let t = 0; t < 200 && messages.length + errors.length <= i; t++) await sleep(2);
      await sleep(10);
    }
    if (errors.length > 0) throw new Error(errors[0]);
    if (messages.length !== 4) throw new Error(`${messages.length} of 4 messages`);
  },
};
