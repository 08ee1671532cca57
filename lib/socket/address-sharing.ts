// Sharing transport addresses (https://learn.microsoft.com/windows-hardware/drivers/network/sharing-transport-addresses): SO_REUSEADDR and SO_EXCLUSIVEADDRUSE as Windows
// means them. Linux's SO_REUSEADDR means something else (TIME_WAIT rebinds), so the OS cannot
// be asked to apply Windows' rules. Instead every WSK socket is bound with SO_REUSEPORT (the OS
// then lets our sockets share any port among themselves) and this process-wide registry of bound
// (family, address, port, option) applies the second-bind matrix *before* the OS bind.
//
// CHECK cells (an access check of the second socket's owner against the first socket's
// security descriptor): every socket here belongs to this one process, the same security
// principal, and a default descriptor grants its own principal access, so CHECK is SUCCESS.
import { addon, native, NETADDR_SIZE, OS } from '../transport/native';
import { NTSTATUS, STATUS_ACCESS_DENIED, STATUS_ADDRESS_ALREADY_EXISTS, STATUS_INVALID_PARAMETER, STATUS_SUCCESS } from '../kernel/ntstatus';
import { PSOCKADDR } from '../net/sockaddr';
import type { SocketObject } from './socket';
import { SO_EXCLUSIVEADDRUSE, SO_REUSEADDR, SOCK_DGRAM, SOL_SOCKET } from '../net/ws2def';
import { WskGetOption, WskIoctl } from '../wsk/wsk-base';
import { ntStatusFromErrno } from '../transport/errno';
import { sockaddrToNetaddr } from '../transport/netaddr';
import { ControlRequest, ControlResult, intOptionResult, readIntOption } from './control-request';

/** The sharing option a socket was bound with. */
export const SHARE_NONE = 0;
export const SHARE_REUSEADDR = 1;
export const SHARE_EXCLUSIVE = 2;

const S = STATUS_SUCCESS;
const I = STATUS_ADDRESS_ALREADY_EXISTS;
const D = STATUS_ACCESS_DENIED;
const C = STATUS_SUCCESS; // CHECK: same process, same principal (see above)

/**
 * Rows: the second socket (option * 2 + specific); columns: the first socket, same order:
 * none/wildcard, none/specific, reuse/wildcard, reuse/specific, exclusive/wildcard, exclusive/specific.
 */
const MATRIX: NTSTATUS[][] = [
  [I, S, I, S, I, S],
  [C, I, C, D, D, I],
  [D, S, S, S, D, S],
  [C, D, S, S, D, D],
  [I, I, I, I, I, I],
  [C, I, C, I, D, I],
];

interface Binding {
  owner: SocketObject;
  /** 4 or 6, as in NETADDR byte 0. */
  version: number;
  /** Address bytes as text (a map key); '' for a wildcard. */
  address: string;
  port: number;
  option: number;
  /** An IPv6 wildcard with IPV6_V6ONLY off also holds the IPv4 wildcard. */
  dual: boolean;
}

const byPort = new Map<number, Set<Binding>>();
const byOwner = new Map<SocketObject, Binding>();
const scratch = new Uint8Array(NETADDR_SIZE);
const ONE = new Uint8Array(new Int32Array([1]).buffer);
const intOut = new Uint8Array(4);

function addressKey(net: Uint8Array): string {
  const end = net[0] === 4 ? 12 : 24;
  let key = '';
  let zero = true;
  for (let i = 8; i < end; i++) {
    key += net[i].toString(16).padStart(2, '0');
    if (net[i] !== 0) zero = false;
  }
  return zero ? '' : key;
}

function v6only(s: SocketObject): boolean {
  if (addon.getsockopt(s.id, OS.IPPROTO_IPV6, OS.IPV6_V6ONLY, intOut) < 0) return true;
  return new Int32Array(intOut.buffer)[0] !== 0;
}

/** Whether two bindings name overlapping addresses (the port is already the same). */
function overlaps(a: Binding, b: Binding): boolean {
  if (a.version === b.version) return a.address === '' || b.address === '' || a.address === b.address;
  // IPv4 against a dual-stack IPv6 wildcard: the IPv6 one covers every IPv4 address.
  const v6 = a.version === 6 ? a : b;
  return v6.dual;
}

function verdict(second: Binding, first: Binding): NTSTATUS {
  const row = second.option * 2 + (second.address === '' ? 0 : 1);
  const col = first.option * 2 + (first.address === '' ? 0 : 1);
  return MATRIX[row][col];
}

/**
 * WskBind's work for the categories that share addresses: the matrix, then the OS bind (with
 * SO_REUSEPORT, so that the OS allows what the matrix allowed), then the registry entry.
 */
export function bindShared(s: SocketObject, LocalAddress: PSOCKADDR, Flags: number, option: number): NTSTATUS {
  if (Flags !== 0) return STATUS_INVALID_PARAMETER;
  const net = sockaddrToNetaddr(LocalAddress, s.family, scratch);
  if (!net) return STATUS_INVALID_PARAMETER;
  const port = (net[2] << 8) | net[3];
  const binding: Binding = {
    owner: s,
    version: net[0],
    address: addressKey(net),
    port,
    option,
    dual: false,
  };
  binding.dual = binding.version === 6 && binding.address === '' && !v6only(s);
  if (port !== 0) {
    const status = check(binding);
    if (status !== STATUS_SUCCESS) return status;
  }
  // A UDP socket bound to port 0 with SO_REUSEPORT may be given a port another of ours holds
  // (Linux's UDP autobind skips the ports it could share): it gets the option after the bind.
  const reuseAfter = port === 0 && s.type === SOCK_DGRAM;
  if (OS.SO_REUSEPORT !== undefined && !reuseAfter) addon.setsockopt(s.id, OS.SOL_SOCKET, OS.SO_REUSEPORT, ONE);
  const rc = addon.bind(s.id, net);
  if (rc < 0) {
    // WSK reports a taken address as INUSE in its sharing table, not as AFD's SHARING_VIOLATION.
    return rc === -native.errno.EADDRINUSE ? STATUS_ADDRESS_ALREADY_EXISTS : ntStatusFromErrno(rc);
  }
  if (OS.SO_REUSEPORT !== undefined && reuseAfter) addon.setsockopt(s.id, OS.SOL_SOCKET, OS.SO_REUSEPORT, ONE);
  if (port === 0 && addon.localAddress(s.id, scratch) >= 0) binding.port = (scratch[2] << 8) | scratch[3];
  register(binding);
  return STATUS_SUCCESS;
}

function check(binding: Binding): NTSTATUS {
  const others = byPort.get(binding.port);
  if (!others) return STATUS_SUCCESS;
  for (const first of others) {
    if (first.owner.closed || !overlaps(binding, first)) continue;
    const status = verdict(binding, first);
    if (status !== STATUS_SUCCESS) return status;
  }
  return STATUS_SUCCESS;
}

function register(binding: Binding): void {
  let set = byPort.get(binding.port);
  if (!set) byPort.set(binding.port, (set = new Set()));
  set.add(binding);
  byOwner.set(binding.owner, binding);
}

/** Forgets the socket's binding (at close). */
export function unbindShared(s: SocketObject): void {
  const binding = byOwner.get(s);
  if (!binding) return;
  byOwner.delete(s);
  const set = byPort.get(binding.port);
  if (!set) return;
  set.delete(binding);
  if (set.size === 0) byPort.delete(binding.port);
}

export function isBoundShared(s: SocketObject): boolean {
  return byOwner.has(s);
}

/** What a category keeps about the socket-level options of this file. */
export interface SharingHolder {
  shareOption: number;
  /** Bound already: the options must be set before bind. */
  readonly isBound: boolean;
}


/**
 * SO_REUSEADDR and SO_EXCLUSIVEADDRUSE (SOL_SOCKET) for listen, datagram, connection and stream sockets:
 * kept here, not on the OS socket. An IRP is required (https://learn.microsoft.com/windows-hardware/drivers/network/wsk-socket-options); set after bind, or set
 * one while the other is on, gives STATUS_INVALID_PARAMETER (Winsock's WSAEINVAL).
 */
export function sharingControl(h: SharingHolder, req: ControlRequest): ControlResult | undefined {
  const which = req.ControlCode === SO_REUSEADDR ? SHARE_REUSEADDR : req.ControlCode === SO_EXCLUSIVEADDRUSE ? SHARE_EXCLUSIVE : 0;
  if (req.Level !== SOL_SOCKET || which === 0 || req.RequestType === WskIoctl) return undefined;
  if (!req.Irp) return { status: STATUS_INVALID_PARAMETER };
  if (req.RequestType === WskGetOption) return intOptionResult(req, h.shareOption === which ? 1 : 0);
  const value = readIntOption(req.input);
  if (value === null || h.isBound) return { status: STATUS_INVALID_PARAMETER };
  if (value !== 0) {
    if (h.shareOption !== SHARE_NONE && h.shareOption !== which) return { status: STATUS_INVALID_PARAMETER };
    h.shareOption = which;
  } else if (h.shareOption === which) {
    h.shareOption = SHARE_NONE;
  }
  return { status: STATUS_SUCCESS };
}
