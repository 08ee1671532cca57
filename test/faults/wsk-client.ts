// WSK connection sockets for the fault tests, driven the way a driver drives them: one IRP per
// kind of call (a Lane), statuses checked, every call counted by an IrpLedger.
import { createHash } from 'crypto';
import {
  AF_INET,
  AF_INET6,
  IoAllocateMdl,
  IPPROTO_TCP,
  MDL,
  MmBuildMdlForNonPagedPool,
  MmGetSystemAddressForMdlSafe,
  NormalPagePriority,
  NPI_WSK_INTERFACE_ID,
  NTSTATUS,
  PSOCKADDR,
  PWSK_DATA_INDICATION,
  SO_WSK_EVENT_CALLBACK,
  SOCK_STREAM,
  SOCKADDR_STORAGE,
  SOL_SOCKET,
  STATUS_SUCCESS,
  WSK_BUF,
  WSK_CLIENT_CONNECTION_DISPATCH,
  WSK_EVENT_CALLBACK_CONTROL,
  WSK_FLAG_CONNECTION_SOCKET,
  WSK_PROVIDER_CONNECTION_DISPATCH,
  WSK_SOCKET,
  WskSetOption,
  ntStatusName,
  sockaddrFromString,
  sockaddrPort,
} from '../../lib';
import { Provider, register, unregister } from '../helpers';
import { IrpLedger, Lane } from './irp-ledger';
import { within } from './netfault';

export const conn = (s: WSK_SOCKET): WSK_PROVIDER_CONNECTION_DISPATCH => s.Dispatch as WSK_PROVIDER_CONNECTION_DISPATCH;

/** Throws with both names unless `actual` is `expected`. */
export function mustBe(actual: NTSTATUS, expected: NTSTATUS, what: string): void {
  if (actual !== expected) throw new Error(`${what}: ${ntStatusName(actual)}, expected ${ntStatusName(expected)}`);
}

/** One MDL over all of `bytes`, built once; a WSK_BUF then names any range of it. */
export function mdlOver(bytes: Uint8Array): MDL {
  const mdl = IoAllocateMdl(bytes, bytes.byteLength, false, false, null)!;
  MmBuildMdlForNonPagedPool(mdl);
  return mdl;
}

/**
 * A registered WSK client that knows every socket it opened, so that a test that fails half-way
 * still closes them all (closing completes their pending IRPs) and deregisters.
 */
export class FaultClient {
  readonly ledger = new IrpLedger();
  private readonly p: Provider = register();
  private readonly open = new Set<WSK_SOCKET>();

  /** A connection socket bound to `local` port 0 (not yet connected). */
  async boundSocket(lane: Lane, local: string, dispatch: WSK_CLIENT_CONNECTION_DISPATCH | null = null): Promise<WSK_SOCKET> {
    const family = local.includes(':') ? AF_INET6 : AF_INET;
    const { Client, Dispatch } = this.p.npi;
    const made = await lane.run((irp) =>
      Dispatch.WskSocket(Client, family, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_CONNECTION_SOCKET, null, dispatch, null, null, null, irp),
    );
    mustBe(made.IoStatus.Status, STATUS_SUCCESS, 'WskSocket');
    const s = made.IoStatus.Information as WSK_SOCKET;
    this.open.add(s);
    const bound = await lane.run((irp) => conn(s).WskBind(s, sockaddrFromString(local, 0), 0, irp));
    mustBe(bound.IoStatus.Status, STATUS_SUCCESS, 'WskBind');
    return s;
  }

  /** A socket bound to `local` and connected to host:port. */
  async connected(lane: Lane, local: string, host: string, port: number, dispatch: WSK_CLIENT_CONNECTION_DISPATCH | null = null): Promise<WSK_SOCKET> {
    const s = await this.boundSocket(lane, local, dispatch);
    mustBe(await connect(s, lane, host, port), STATUS_SUCCESS, `WskConnect to ${host}:${port}`);
    return s;
  }

  async close(s: WSK_SOCKET, lane: Lane): Promise<void> {
    this.open.delete(s);
    mustBe((await lane.run((irp) => s.Dispatch.WskCloseSocket(s, irp))).IoStatus.Status, STATUS_SUCCESS, 'WskCloseSocket');
  }

  /** Closes what a failed test left open, frees the IRPs, deregisters (bounded in time). */
  async shutdown(): Promise<void> {
    const lane = this.ledger.lane();
    for (const s of [...this.open]) await within(this.close(s, lane), 10000, 'WskCloseSocket at shutdown');
    this.ledger.free();
    await within(unregister(this.p), 10000, 'WskDeregister');
  }
}

/** Runs `body` with a new client, which is shut down afterwards whatever happened. */
export async function withClient<T>(body: (client: FaultClient) => Promise<T>): Promise<T> {
  const client = new FaultClient();
  try {
    return await body(client);
  } finally {
    await client.shutdown();
  }
}

/** WskConnect's completion status. */
export async function connect(s: WSK_SOCKET, lane: Lane, host: string, port: number): Promise<NTSTATUS> {
  return (await lane.run((irp) => conn(s).WskConnect(s, sockaddrFromString(host, port), 0, irp))).IoStatus.Status;
}

export async function localPort(s: WSK_SOCKET, lane: Lane): Promise<number> {
  const local: SOCKADDR_STORAGE = {};
  mustBe((await lane.run((irp) => conn(s).WskGetLocalAddress(s, local, irp))).IoStatus.Status, STATUS_SUCCESS, 'WskGetLocalAddress');
  return sockaddrPort(local as PSOCKADDR);
}

/**
 * Turns on connection events (SO_WSK_EVENT_CALLBACK) for `mask`. Without an IRP, as the WSK
 * documentation has it: node-wsk refuses one with STATUS_INVALID_PARAMETER.
 */
export function enableEvents(s: WSK_SOCKET, mask: number): void {
  const ctl: WSK_EVENT_CALLBACK_CONTROL = { NpiId: NPI_WSK_INTERFACE_ID, EventMask: mask };
  mustBe(s.Dispatch.WskControlSocket(s, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, ctl, 0, null, null, null), STATUS_SUCCESS, 'SO_WSK_EVENT_CALLBACK');
}

/** The bytes a WSK_BUF describes, in order, as views of the MDLs' memory (no copy). */
export function* bufferBytes(buf: WSK_BUF): Generator<Uint8Array> {
  let left = buf.Length;
  let offset = buf.Offset;
  for (let mdl = buf.Mdl; mdl && left > 0; mdl = mdl.Next, offset = 0) {
    const view = MmGetSystemAddressForMdlSafe(mdl, NormalPagePriority)!;
    const n = Math.min(view.byteLength - offset, left);
    yield view.subarray(offset, offset + n);
    left -= n;
  }
}

/** Every byte of an indication chain, in order. */
export function* indicationBytes(chain: PWSK_DATA_INDICATION | null): Generator<Uint8Array> {
  for (let d = chain; d; d = d.Next) yield* bufferBytes(d.Buffer);
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Checks a received stream piece by piece against the bytes that were sent: `take` the next
 * piece; `received` counts them; `firstBad` is the stream offset of the first wrong byte (-1).
 */
export class StreamCheck {
  received = 0;
  firstBad = -1;

  constructor(private readonly expected: Uint8Array) {}

  take(piece: Uint8Array): void {
    const at = this.received;
    this.received += piece.byteLength;
    if (this.firstBad >= 0) return;
    const want = this.expected.subarray(at, at + piece.byteLength);
    if (want.byteLength === piece.byteLength && Buffer.compare(piece, want) === 0) return;
    let i = 0;
    while (i < want.byteLength && piece[i] === want[i]) i++;
    this.firstBad = at + i;
  }

  get complete(): boolean {
    return this.firstBad < 0 && this.received === this.expected.byteLength;
  }

  describe(): string {
    return this.firstBad >= 0
      ? `first wrong byte at offset ${this.firstBad} of ${this.expected.byteLength}`
      : `${this.received} of ${this.expected.byteLength} bytes, all matching`;
  }
}

const CHUNK = 64 * 1024;

export interface Ended {
  status: NTSTATUS;
  bytes: number;
}

/** WskSend of the stream in CHUNKs until one fails; its status and the bytes sent before. */
export async function sendUntilFailure(client: FaultClient, s: WSK_SOCKET, data: Uint8Array): Promise<Ended> {
  const lane = client.ledger.lane();
  const mdl = mdlOver(data);
  let bytes = 0;
  for (;;) {
    const buf: WSK_BUF = { Mdl: mdl, Offset: bytes, Length: CHUNK };
    const done = await lane.run((irp) => conn(s).WskSend(s, buf, 0, irp));
    if (done.IoStatus.Status !== STATUS_SUCCESS) return { status: done.IoStatus.Status, bytes };
    bytes += CHUNK;
    if (bytes + CHUNK > data.byteLength) throw new Error(`${bytes} bytes sent and no failure yet: the stream ran out`);
  }
}

/** WskReceive until one fails (or the peer's FIN: a success with 0 bytes). */
export async function receiveUntilFailure(client: FaultClient, s: WSK_SOCKET, check: StreamCheck): Promise<Ended> {
  const lane = client.ledger.lane();
  const space = new Uint8Array(CHUNK);
  const buf: WSK_BUF = { Mdl: mdlOver(space), Offset: 0, Length: CHUNK };
  for (;;) {
    const done = await lane.run((irp) => conn(s).WskReceive(s, buf, 0, irp));
    const n = done.IoStatus.Information as number;
    if (done.IoStatus.Status !== STATUS_SUCCESS || n === 0) return { status: done.IoStatus.Status, bytes: check.received };
    check.take(space.subarray(0, n));
  }
}
