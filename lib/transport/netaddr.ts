// SOCKADDR (Windows layout, C's byte order) <-> NETADDR, the transport's neutral address.
import { IN6_ADDR_FROM_BYTES, PSOCKADDR, SOCKADDR_IN, SOCKADDR_IN6 } from '../net/sockaddr';
import { AF_INET, AF_INET6 } from '../net/ws2def';
import { NETADDR_SIZE } from './native';

/**
 * The NETADDR for a SOCKADDR of the expected family, or null when it is not one (the caller
 * reports STATUS_INVALID_PARAMETER, as WSK does for a malformed address).
 */
export function sockaddrToNetaddr(sa: unknown, family: number, out: Uint8Array = new Uint8Array(NETADDR_SIZE)): Uint8Array | null {
  if (sa === null || typeof sa !== 'object') return null;
  const dv = new DataView(out.buffer, out.byteOffset, NETADDR_SIZE);
  out.fill(0);
  if (family === AF_INET) {
    const a = sa as Partial<SOCKADDR_IN>;
    if (a.sin_family !== AF_INET || !a.sin_addr) return null;
    const port = a.sin_port;
    const s = a.sin_addr.s_addr;
    if (!Number.isInteger(port) || port! < 0 || port! > 0xffff || !Number.isInteger(s)) return null;
    out[0] = 4;
    dv.setUint16(2, port!, true); // sin_port is already network order in memory: store as the LE machine would
    dv.setUint32(8, s >>> 0, true);
    return out;
  }
  if (family === AF_INET6) {
    const a = sa as Partial<SOCKADDR_IN6>;
    if (a.sin6_family !== AF_INET6 || !a.sin6_addr?.u?.Byte || a.sin6_addr.u.Byte.byteLength !== 16) return null;
    const port = a.sin6_port;
    const flowinfo = a.sin6_flowinfo ?? 0;
    const scope = a.sin6_scope_id ?? 0;
    if (!Number.isInteger(port) || port! < 0 || port! > 0xffff || typeof flowinfo !== 'number' || typeof scope !== 'number') return null;
    out[0] = 6;
    dv.setUint16(2, port!, true);
    dv.setUint32(4, flowinfo >>> 0, true);
    out.set(a.sin6_addr.u.Byte, 8);
    dv.setUint32(24, scope >>> 0, true);
    return out;
  }
  return null;
}

/** Fills an out-parameter SOCKADDR in place from a NETADDR. */
export function netaddrToSockaddr(net: Uint8Array, out: PSOCKADDR): void {
  const dv = new DataView(net.buffer, net.byteOffset, NETADDR_SIZE);
  const target = out as Record<string, unknown>;
  for (const key of Object.keys(target)) delete target[key];
  if (net[0] === 4) {
    target.sin_family = AF_INET;
    target.sin_port = dv.getUint16(2, true);
    target.sin_addr = { s_addr: dv.getUint32(8, true) };
    target.sin_zero = new Uint8Array(8);
  } else {
    target.sin6_family = AF_INET6;
    target.sin6_port = dv.getUint16(2, true);
    target.sin6_flowinfo = dv.getUint32(4, true);
    target.sin6_addr = IN6_ADDR_FROM_BYTES(net.subarray(8, 24));
    target.sin6_scope_id = dv.getUint32(24, true);
  }
}
