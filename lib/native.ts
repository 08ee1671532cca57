// The one boundary between the WSK model (lib/) and the C++ transport (native/).
//
// The transport knows nothing of WSK: it speaks OS socket numbers (the host's AF_INET6,
// SOL_SOCKET, ...), returns plain integers (>= 0 is a result, < 0 is a negated errno) and
// reports readiness through one process-wide handler. Every WSK rule lives above this file.
import * as fs from 'fs';
import * as path from 'path';

/**
 * Neutral socket address exchanged with the transport: 28 bytes, laid out like a Windows
 * SOCKADDR_IN6 except for byte 0, which is the IP version (4 or 6, 0 = none).
 *   [0]      4 | 6            [1]      0
 *   [2..3]   port, network order
 *   [4..7]   IPv6 flowinfo, as on the wire
 *   [8..23]  address bytes, network order (IPv4 uses 8..11)
 *   [24..27] IPv6 scope id, host byte order
 */
export const NETADDR_SIZE = 28;

/** Readiness bits for `poll()` and the event handler. */
export const POLL_READABLE = 1;
export const POLL_WRITABLE = 2;
/** Reported (never requested): the peer shut its sending side or the connection broke. */
export const POLL_DISCONNECT = 4;

export interface NativeSocket {
  /** The OS descriptor, or -1 once closed. */
  readonly fd: number;
  /** Free slot for the owner above the boundary (the WSK socket object). */
  owner?: unknown;

  setsockopt(level: number, name: number, value: Uint8Array): number;
  /** Fills `out`; returns the option length or -errno. */
  getsockopt(level: number, name: number, out: Uint8Array): number;
  bind(addr: Uint8Array): number;
  listen(backlog: number): number;
  /** Try-first accept: a new non-blocking socket, or -EAGAIN / -errno. Fills addrOut (NETADDR). */
  accept(addrOut: Uint8Array | null): NativeSocket | number;
  /** 0 when connected at once, -EINPROGRESS when under way (wait for POLL_WRITABLE), or -errno. */
  connect(addr: Uint8Array): number;
  /** Reads and clears SO_ERROR: 0 or -errno (the result of a connect under way). */
  takeError(): number;
  /** Bytes sent, or -EAGAIN / -errno. Never raises SIGPIPE. */
  send(buf: Uint8Array, offset: number, length: number, flags: number): number;
  /** Gather send of whole views (one sendmsg): bytes sent or -errno. */
  sendv(bufs: Uint8Array[], flags: number): number;
  /** Bytes received (0 = orderly end of stream), or -EAGAIN / -errno. */
  recv(buf: Uint8Array, offset: number, length: number, flags: number): number;
  /** Scatter receive into whole views (one recvmsg). */
  recvv(bufs: Uint8Array[], flags: number): number;
  sendto(buf: Uint8Array, offset: number, length: number, flags: number, addr: Uint8Array | null): number;
  /** Bytes of the datagram placed in buf, or -errno; fills addrOut with the sender. */
  recvfrom(buf: Uint8Array, offset: number, length: number, flags: number, addrOut: Uint8Array | null): number;
  shutdown(how: number): number;
  localAddress(out: Uint8Array): number;
  peerAddress(out: Uint8Array): number;
  /** Bytes waiting in the receive queue (FIONREAD), or -errno. */
  available(): number;
  /**
   * Readiness interest: POLL_READABLE | POLL_WRITABLE, 0 to stop. While non-zero the socket
   * keeps the event loop alive and cannot be garbage-collected.
   */
  poll(events: number): number;
  /** Idempotent; safe with readiness armed and from inside the event handler. */
  close(): void;
}

export type NativeEventHandler = (sock: NativeSocket, events: number, status: number) => void;

export interface NativeBinding {
  /** A non-blocking, close-on-exec OS socket, or -errno. */
  socket(domain: number, type: number, protocol: number): NativeSocket | number;
  /** One handler for every socket's readiness (called inside a callback scope). */
  setEventHandler(fn: NativeEventHandler): void;
  /** Number of native sockets currently open (for leak checks). */
  openSockets(): number;
  /** The host's values for socket-level names (AF_INET6, SOL_SOCKET, TCP_NODELAY, ...). */
  constants: Record<string, number>;
  /** errno name -> number on this host. */
  errno: Record<string, number>;
}

function packageRoot(): string {
  // lib/native.ts runs from lib/ (ts-jest) or from dist/lib/ (compiled).
  for (let dir = __dirname, i = 0; i < 4; i++, dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'binding.gyp'))) return dir;
  }
  throw new Error(`node-wsk: cannot find the package root above ${__dirname}`);
}

// eslint-disable-next-line @typescript-eslint/no-var-requires
export const native: NativeBinding = require('node-gyp-build')(packageRoot());

/** errno number -> name, for the NTSTATUS table and messages. */
export const errnoName: Map<number, string> = new Map(
  Object.entries(native.errno).map(([name, value]) => [value, name]),
);

export const OS = native.constants;
