// UDP segmentation offload: UDP_SEND_MSG_SIZE (an option, or a control message per send) over
// Linux's UDP_SEGMENT, and UDP_RECV_MAX_COALESCED_SIZE over UDP_GRO with Windows'
// UDP_COALESCED_INFO control message. The peer is node:dgram, which knows nothing of either: it
// must receive the datagrams a sender without offload would have sent.
import {
  IPPROTO_UDP,
  NTSTATUS,
  PWSK_DATAGRAM_INDICATION,
  STATUS_INVALID_PARAMETER,
  STATUS_SUCCESS,
  UDP_COALESCED_INFO,
  UDP_RECV_MAX_COALESCED_SIZE,
  UDP_SEND_MSG_SIZE,
  WSK_CLIENT_DATAGRAM_DISPATCH,
  MmGetSystemAddressForMdlSafe,
  NormalPagePriority,
  sockaddrFromString,
} from '../lib';
import { expectStatus, Provider, register, unregister, wskClose } from './helpers';
import { controlMap, getOption, intOf, pattern, sendMessages, sendTo, setOption } from './option-helpers';
import { enableReceiveFrom, Family, LOOPBACK, peer, Peer, udpSocket } from './udp-helpers';

let p: Provider;
beforeEach(() => {
  p = register();
});
afterEach(async () => {
  await unregister(p);
});

/** The next `count` datagrams `to` receives, in order. */
async function datagrams(to: Peer, count: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let i = 0; i < count; i++) out.push((await to.next()).msg);
  return out;
}

/** `bytes` cut in `size`-byte pieces (the last shorter): what the peer must receive. */
function segments(bytes: Uint8Array, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.byteLength; i += size) out.push(Buffer.from(bytes.subarray(i, i + size)));
  return out;
}

/** Datagrams compared by their lengths and bytes (jest's deep equality walks Buffers byte by byte). */
function expectDatagrams(got: Buffer[], expected: Buffer[]): void {
  expect(got.map((d) => d.byteLength)).toEqual(expected.map((d) => d.byteLength));
  expect(Buffer.concat(got).equals(Buffer.concat(expected))).toBe(true);
}

const UDP_SEGMENT_MESSAGE = (size: number): Array<[number, number, number]> => [[IPPROTO_UDP, UDP_SEND_MSG_SIZE, size]];

describe('UDP_SEND_MSG_SIZE', () => {
  test.each([4, 6] as Family[])('IPv%i: one WskSendMessages of a 64 KiB buffer with 1,200-byte segments arrives as 55 datagrams (54 x 1,200 + 736)', async (family) => {
    const tx = await udpSocket(p, family);
    const to = await peer(family);
    const bytes = pattern(65536);
    const sent = await sendMessages(tx.s, [bytes], sockaddrFromString(LOOPBACK[family], to.port), UDP_SEGMENT_MESSAGE(1200));
    expectStatus(sent.status, STATUS_SUCCESS);
    expect(sent.bytes).toBe(65536);
    const got = await datagrams(to, 55);
    expect(got.map((d) => d.byteLength)).toEqual([...Array(54).fill(1200), 736]);
    expect(Buffer.concat(got).equals(Buffer.from(bytes))).toBe(true);
    await to.close();
    await wskClose(tx.s);
  });

  test('as a socket option: every WskSendTo is segmented; 0 in a control message sends one datagram whole; the option reads back', async () => {
    const tx = await udpSocket(p, 4);
    const to = await peer(4);
    const dest = sockaddrFromString('127.0.0.1', to.port);
    expect(await getOption(tx.s, IPPROTO_UDP, UDP_SEND_MSG_SIZE)).toBe(0);
    expectStatus(await setOption(tx.s, IPPROTO_UDP, UDP_SEND_MSG_SIZE, 1000), STATUS_SUCCESS);
    expect(await getOption(tx.s, IPPROTO_UDP, UDP_SEND_MSG_SIZE)).toBe(1000);
    const bytes = pattern(4500, 3);
    expectStatus(await sendTo(tx.s, bytes, dest), STATUS_SUCCESS);
    expectDatagrams(await datagrams(to, 5), segments(bytes, 1000));
    expectStatus(await sendTo(tx.s, bytes, dest, UDP_SEGMENT_MESSAGE(0)), STATUS_SUCCESS);
    expect((await datagrams(to, 1))[0].equals(Buffer.from(bytes))).toBe(true);
    // A datagram no longer than the segment goes as it is.
    expectStatus(await sendTo(tx.s, bytes.subarray(0, 700), dest), STATUS_SUCCESS);
    expect((await datagrams(to, 1))[0].byteLength).toBe(700);
    await to.close();
    await wskClose(tx.s);
  });

  test('several buffers of one WskSendMessages are segmented each, in order; a segment size past 16 bits is refused', async () => {
    const tx = await udpSocket(p, 6);
    const to = await peer(6);
    const a = pattern(2500, 1);
    const b = pattern(100, 2);
    const c = pattern(120000, 3);
    const dest = sockaddrFromString('::1', to.port);
    expectStatus((await sendMessages(tx.s, [a, b, c], dest, UDP_SEGMENT_MESSAGE(1400))).status, STATUS_SUCCESS);
    const expected = [...segments(a, 1400), Buffer.from(b), ...segments(c, 1400)];
    expectDatagrams(await datagrams(to, expected.length), expected);
    expectStatus((await sendMessages(tx.s, [a], dest, UDP_SEGMENT_MESSAGE(70000))).status, STATUS_INVALID_PARAMETER);
    expectStatus(await setOption(tx.s, IPPROTO_UDP, UDP_SEND_MSG_SIZE, 70000), STATUS_INVALID_PARAMETER);
    await to.close();
    await wskClose(tx.s);
  });
});

describe('UDP_RECV_MAX_COALESCED_SIZE', () => {
  /** A socket receiving with WskReceiveFromEvent: each datagram's bytes and control messages. */
  async function receiver(family: Family, coalesce: boolean): Promise<{ s: ReturnType<typeof udpSocket> extends Promise<infer T> ? T : never; got: Array<{ data: Buffer; control: Map<string, Uint8Array> }> }> {
    const got: Array<{ data: Buffer; control: Map<string, Uint8Array> }> = [];
    const dispatch: WSK_CLIENT_DATAGRAM_DISPATCH = {
      WskReceiveFromEvent: (_ctx: unknown, _flags: number, ind: PWSK_DATAGRAM_INDICATION | null): NTSTATUS => {
        for (let d = ind; d; d = d.Next) {
          const va = MmGetSystemAddressForMdlSafe(d.Buffer.Mdl!, NormalPagePriority)!;
          got.push({ data: Buffer.from(va.subarray(d.Buffer.Offset, d.Buffer.Offset + d.Buffer.Length)), control: controlMap(d.ControlInfo, d.ControlInfoLength) });
        }
        return STATUS_SUCCESS;
      },
    };
    const s = await udpSocket(p, family, null, dispatch);
    if (coalesce) expectStatus(await setOption(s.s, IPPROTO_UDP, UDP_RECV_MAX_COALESCED_SIZE, 65527), STATUS_SUCCESS);
    expectStatus(enableReceiveFrom(s.s), STATUS_SUCCESS);
    return { s, got };
  }

  async function until(cond: () => boolean): Promise<void> {
    for (let i = 0; i < 400 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  }

  test.each([4, 6] as Family[])('IPv%i: a segmented send arrives coalesced, with its segment size in UDP_COALESCED_INFO; without the option, as datagrams', async (family) => {
    const tx = await udpSocket(p, family);
    const on = await receiver(family, true);
    const off = await receiver(family, false);
    expect(await getOption(on.s.s, IPPROTO_UDP, UDP_RECV_MAX_COALESCED_SIZE)).toBe(65527);
    const bytes = pattern(12000, 9);
    expectStatus(await sendTo(tx.s, bytes, on.s.addr, UDP_SEGMENT_MESSAGE(1200)), STATUS_SUCCESS);
    expectStatus(await sendTo(tx.s, bytes, off.s.addr, UDP_SEGMENT_MESSAGE(1200)), STATUS_SUCCESS);
    await until(() => Buffer.concat(on.got.map((g) => g.data)).byteLength >= 12000 && off.got.length >= 10);
    // Loopback hands a segmented send to a coalescing socket whole (Linux keeps the GSO packet).
    expect(Buffer.concat(on.got.map((g) => g.data)).equals(Buffer.from(bytes))).toBe(true);
    expect(on.got.map((g) => [g.data.byteLength, intOf(g.control.get(`${IPPROTO_UDP}:${UDP_COALESCED_INFO}`))])).toEqual([[12000, 1200]]);
    expectDatagrams(off.got.map((g) => g.data), segments(bytes, 1200));
    expect(off.got.every((g) => !g.control.has(`${IPPROTO_UDP}:${UDP_COALESCED_INFO}`))).toBe(true);
    await wskClose(on.s.s);
    await wskClose(off.s.s);
    await wskClose(tx.s);
  });
});
