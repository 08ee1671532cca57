// Integer and boolean options take a 1-, 2- or 4-byte value, as on Windows (drivers set a
// BOOLEAN or bool with one byte), and a get writes what fits the caller's buffer. Every kind of
// int option: the host table (SO_KEEPALIVE, IP_TTL), the ones WSK keeps (SO_RCVBUF, TCP_NODELAY,
// SO_REUSEADDR, SO_CONDITIONAL_ACCEPT), checked by reading back through the OS where it holds them.
import {
  AF_INET,
  IPPROTO_IP,
  IPPROTO_TCP,
  IP_TTL,
  NTSTATUS,
  SOCK_STREAM,
  SOL_SOCKET,
  SO_CONDITIONAL_ACCEPT,
  SO_KEEPALIVE,
  SO_RCVBUF,
  SO_REUSEADDR,
  STATUS_BUFFER_TOO_SMALL,
  STATUS_INVALID_PARAMETER,
  STATUS_SUCCESS,
  TCP_NODELAY,
  WSK_FLAG_CONNECTION_SOCKET,
  WSK_FLAG_LISTEN_SOCKET,
  WSK_SOCKET,
  WskGetOption,
  WskSetOption,
} from '../lib';
import { call, expectStatus, register, unregister, wskClose, wskSocket } from './helpers';

async function set(s: WSK_SOCKET, level: number, name: number, value: Uint8Array): Promise<NTSTATUS> {
  const irp = await call((i) => s.Dispatch.WskControlSocket(s, WskSetOption, name, level, value.byteLength, value, 0, null, null, i));
  return irp.IoStatus.Status;
}

async function get(s: WSK_SOCKET, level: number, name: number, size: number): Promise<{ status: NTSTATUS; bytes: unknown; out: number[] }> {
  const out = new Uint8Array(size).fill(0xee);
  const irp = await call((i) => s.Dispatch.WskControlSocket(s, WskGetOption, name, level, 0, null, size, out, null, i));
  return { status: irp.IoStatus.Status, bytes: irp.IoStatus.Information, out: [...out] };
}

const BOOL_TRUE = Uint8Array.of(1);
const BOOL_FALSE = Uint8Array.of(0);
const u16 = (v: number) => Uint8Array.of(v & 0xff, v >> 8);
const u32 = (v: number) => new Uint8Array(new Uint32Array([v]).buffer);

describe('int and boolean options: 1, 2 or 4 bytes', () => {
  test('host options (SO_KEEPALIVE, IP_TTL): a BOOLEAN, a USHORT and a ULONG set what the OS then reports', async () => {
    const p = register();
    const s = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_CONNECTION_SOCKET);
    expectStatus(await set(s, SOL_SOCKET, SO_KEEPALIVE, BOOL_TRUE), STATUS_SUCCESS);
    expect(await get(s, SOL_SOCKET, SO_KEEPALIVE, 4)).toEqual({ status: STATUS_SUCCESS, bytes: 4, out: [1, 0, 0, 0] });
    expect(await get(s, SOL_SOCKET, SO_KEEPALIVE, 1)).toEqual({ status: STATUS_SUCCESS, bytes: 1, out: [1] });
    expectStatus(await set(s, SOL_SOCKET, SO_KEEPALIVE, BOOL_FALSE), STATUS_SUCCESS);
    expect((await get(s, SOL_SOCKET, SO_KEEPALIVE, 2)).out).toEqual([0, 0]);
    expectStatus(await set(s, IPPROTO_IP, IP_TTL, u16(33)), STATUS_SUCCESS);
    expect((await get(s, IPPROTO_IP, IP_TTL, 4)).out).toEqual([33, 0, 0, 0]);
    expectStatus(await set(s, IPPROTO_IP, IP_TTL, u32(44)), STATUS_SUCCESS);
    expect((await get(s, IPPROTO_IP, IP_TTL, 2)).out).toEqual([44, 0]);
    // Three bytes or none are no C type: refused, and a get into nothing does not fit.
    expectStatus(await set(s, IPPROTO_IP, IP_TTL, Uint8Array.of(1, 2, 3)), STATUS_INVALID_PARAMETER);
    expect((await get(s, IPPROTO_IP, IP_TTL, 0)).status).toBe(STATUS_BUFFER_TOO_SMALL);
    await wskClose(s);
    await unregister(p);
  });

  test('options WSK keeps: TCP_NODELAY and SO_REUSEADDR from one byte, SO_RCVBUF from two', async () => {
    const p = register();
    const s = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_CONNECTION_SOCKET);
    expectStatus(await set(s, IPPROTO_TCP, TCP_NODELAY, BOOL_TRUE), STATUS_SUCCESS);
    expect((await get(s, IPPROTO_TCP, TCP_NODELAY, 4)).out).toEqual([1, 0, 0, 0]);
    expectStatus(await set(s, SOL_SOCKET, SO_RCVBUF, u16(20000)), STATUS_SUCCESS);
    expect(await get(s, SOL_SOCKET, SO_RCVBUF, 4)).toEqual({ status: STATUS_SUCCESS, bytes: 4, out: [...u32(20000)] });
    expect(await get(s, SOL_SOCKET, SO_RCVBUF, 2)).toEqual({ status: STATUS_SUCCESS, bytes: 2, out: [...u16(20000)] });
    expectStatus(await set(s, SOL_SOCKET, SO_REUSEADDR, BOOL_TRUE), STATUS_SUCCESS);
    expect((await get(s, SOL_SOCKET, SO_REUSEADDR, 1)).out).toEqual([1]);
    await wskClose(s);
    const l = await wskSocket(p, AF_INET, SOCK_STREAM, IPPROTO_TCP, WSK_FLAG_LISTEN_SOCKET);
    expectStatus(await set(l, SOL_SOCKET, SO_CONDITIONAL_ACCEPT, BOOL_TRUE), STATUS_SUCCESS);
    expect((await get(l, SOL_SOCKET, SO_CONDITIONAL_ACCEPT, 1)).out).toEqual([1]);
    expectStatus(await set(l, SOL_SOCKET, SO_RCVBUF, BOOL_TRUE.subarray(0, 0)), STATUS_INVALID_PARAMETER);
    await wskClose(l);
    await unregister(p);
  });
});
