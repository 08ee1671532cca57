// Plumbing for the option and IOCTL tests: WskControlSocket with an IRP, integer options of any
// width, and receives whose control messages come back decoded.
import {
  cmsgBuild,
  cmsgParse,
  NTSTATUS,
  PSOCKADDR,
  SOCKADDR_STORAGE,
  STATUS_SUCCESS,
  WSK_BUF_LIST,
  WSK_SOCKET,
  WskGetOption,
  WskIoctl,
  WskSetOption,
} from '../lib';
import { call, expectStatus } from './helpers';
import { dg, wskBuf } from './udp-helpers';

export const int32 = (v: number): Uint8Array => new Uint8Array(new Int32Array([v]).buffer);

/** WskSetOption with an IRP; `value` is a 4-byte integer unless given as bytes. */
export async function setOption(s: WSK_SOCKET, level: number, name: number, value: number | Uint8Array): Promise<NTSTATUS> {
  const input = typeof value === 'number' ? int32(value) : value;
  const irp = await call((i) => s.Dispatch.WskControlSocket(s, WskSetOption, name, level, input.byteLength, input, 0, null, null, i));
  return irp.IoStatus.Status;
}

/** WskGetOption of an integer with an IRP (4 bytes unless `size` says otherwise); expects success. */
export async function getOption(s: WSK_SOCKET, level: number, name: number, size = 4): Promise<number> {
  const out = new Uint8Array(size);
  const irp = await call((i) => s.Dispatch.WskControlSocket(s, WskGetOption, name, level, 0, null, size, out, null, i));
  expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
  expect(irp.IoStatus.Information).toBe(Math.min(size, 4));
  let v = 0;
  for (let i = Math.min(size, 4) - 1; i >= 0; i--) v = v * 256 + out[i];
  return v;
}

/** Sets each option to `value` and expects STATUS_SUCCESS, naming the option that failed. */
export async function setAll(s: WSK_SOCKET, options: Array<[string, number, number, number]>): Promise<void> {
  for (const [name, level, code, value] of options) {
    const status = await setOption(s, level, code, value);
    expect({ name, status: status.toString(16) }).toEqual({ name, status: STATUS_SUCCESS.toString(16) });
  }
}

export async function ioctl(
  s: WSK_SOCKET,
  code: number,
  input: Uint8Array | object | null,
  output: Uint8Array | object | null = null,
  sizes: [number, number] = [input instanceof Uint8Array ? input.byteLength : 0, output instanceof Uint8Array ? output.byteLength : 0],
): Promise<{ status: NTSTATUS; information: unknown }> {
  const irp = await call((i) => s.Dispatch.WskControlSocket(s, WskIoctl, code, 0, sizes[0], input, sizes[1], output, null, i));
  return { status: irp.IoStatus.Status, information: irp.IoStatus.Information };
}

export interface Received {
  status: NTSTATUS;
  data: Buffer;
  from: SOCKADDR_STORAGE;
  flags: number;
  /** Control messages by "level:type", their data as an int (4 bytes) or the bytes. */
  control: Map<string, Uint8Array>;
}

export function controlMap(buffer: Uint8Array | null, length: number): Map<string, Uint8Array> {
  const map = new Map<string, Uint8Array>();
  if (buffer) for (const m of cmsgParse(buffer, length)) map.set(`${m.cmsg_level}:${m.cmsg_type}`, m.data.slice());
  return map;
}

export const intOf = (b: Uint8Array | undefined): number | undefined => (b ? new DataView(b.buffer, b.byteOffset, 4).getInt32(0, true) : undefined);

/** One WskReceiveFrom into a buffer of `size`, with room for control messages. */
export async function receiveFrom(s: WSK_SOCKET, size = 65536): Promise<Received> {
  const buf = new Uint8Array(size);
  const from: SOCKADDR_STORAGE = {};
  const ControlLength = { 0: 512 };
  const control = new Uint8Array(512);
  const ControlFlags = { 0: 0 };
  const irp = await call((i) => dg(s).WskReceiveFrom(s, wskBuf(buf), 0, from, ControlLength, control, ControlFlags, i));
  const bytes = irp.IoStatus.Information as number;
  return {
    status: irp.IoStatus.Status,
    data: Buffer.from(buf.subarray(0, bytes)),
    from,
    flags: ControlFlags[0],
    control: controlMap(control, ControlLength[0]),
  };
}

/** WskSendTo of `data` with control messages ([level, type, int value]). */
export async function sendTo(s: WSK_SOCKET, data: Uint8Array, to: PSOCKADDR, control: Array<[number, number, number]> = []): Promise<NTSTATUS> {
  const info = control.length ? cmsgBuild(control.map(([l, t, v]) => ({ cmsg_level: l, cmsg_type: t, data: int32(v) }))) : null;
  const irp = await call((i) => dg(s).WskSendTo(s, wskBuf(data), 0, to, info ? info.byteLength : 0, info, i));
  return irp.IoStatus.Status;
}

/** WskSendMessages of `buffers` (one datagram each) with control messages. */
export async function sendMessages(s: WSK_SOCKET, buffers: Uint8Array[], to: PSOCKADDR, control: Array<[number, number, number]> = []): Promise<{ status: NTSTATUS; bytes: unknown }> {
  let list: WSK_BUF_LIST | null = null;
  for (let i = buffers.length - 1; i >= 0; i--) list = { Next: list, Buffer: wskBuf(buffers[i]) };
  const info = control.length ? cmsgBuild(control.map(([l, t, v]) => ({ cmsg_level: l, cmsg_type: t, data: int32(v) }))) : null;
  const irp = await call((i) => dg(s).WskSendMessages(s, list!, 0, to, info ? info.byteLength : 0, info, i));
  return { status: irp.IoStatus.Status, bytes: irp.IoStatus.Information };
}

/** Bytes 0..n-1 of a recognisable pattern (each datagram of a segmented send is a slice of it). */
export function pattern(n: number, seed = 7): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed + (i >> 8)) & 0xff;
  return b;
}
