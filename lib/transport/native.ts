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
/**
 * Requested (never reported): "when readable, read for me into this env's receive area and
 * report what was read" (implies POLL_READABLE). The handler's `received` says what the read
 * found (see NativeEventHandler); the data is in the area set by setReceiveArea (stream
 * sockets) or setDatagramArea (datagram sockets). Without an area, the report is plain.
 * After a stream socket's automatic read reports the end (0) or an error, the transport
 * drops POLL_RECEIVE and POLL_READABLE from the socket's interest itself (POLL_WRITABLE
 * stays): reading readiness means nothing past the end.
 */
export const POLL_RECEIVE = 8;

export interface NativeSocket {
  /** The OS descriptor, or -1 once closed. */
  readonly fd: number;
  /**
   * The transport's name for this socket: an exact integer (below 2^53), fixed at creation,
   * that names this socket while it is open and nothing afterwards (nor in another env:
   * worker or other load of the addon). Every call passes it to the addon.
   */
  readonly id: number;
  /** Free slot for the owner above the boundary (the WSK socket object). */
  owner: unknown;

  setsockopt(level: number, name: number, value: Uint8Array): number;
  /** Fills `out`; returns the option length or -errno. */
  getsockopt(level: number, name: number, out: Uint8Array): number;
  bind(addr: Uint8Array): number;
  listen(backlog: number): number;
  /** Try-first accept: a new non-blocking socket, or -EAGAIN / -errno. Fills addrOut (NETADDR). */
  accept(addrOut: Uint8Array | null): NativeSocket | number;
  /**
   * 0 when connected at once, -EINPROGRESS when under way (wait for POLL_WRITABLE), or -errno.
   * A NETADDR with version 0 is AF_UNSPEC: it dissolves a datagram socket's association.
   */
  connect(addr: Uint8Array): number;
  /** Reads and clears SO_ERROR: 0 or -errno (the result of a connect under way). */
  takeError(): number;
  /** Bytes sent, or -EAGAIN / -errno. Never raises SIGPIPE. */
  send(buf: Uint8Array, offset: number, length: number, flags: number): number;
  /** Gather send of whole views (one sendmsg): bytes sent or -errno. */
  sendv(bufs: Uint8Array[], flags: number): number;
  /**
   * Bytes received (0 = orderly end of stream), or -EAGAIN / -errno. On a stream socket that
   * the transport knows is drained (a read came back short or -EAGAIN since its last
   * readiness report), recv, recvv, recvfrom and recvmsg (MSG_PEEK too, not MSG_OOB) return
   * -EAGAIN without a system call: arm readiness and wait, and the next data is reported.
   */
  recv(buf: Uint8Array, offset: number, length: number, flags: number): number;
  /** Scatter receive into whole views (one recvmsg). */
  recvv(bufs: Uint8Array[], flags: number): number;
  sendto(buf: Uint8Array, offset: number, length: number, flags: number, addr: Uint8Array | null): number;
  /** Bytes of the datagram placed in buf, or -errno; fills addrOut with the sender. */
  recvfrom(buf: Uint8Array, offset: number, length: number, flags: number, addrOut: Uint8Array | null): number;
  /**
   * One recvmsg: bytes placed in `bufs` (a datagram's excess is dropped and MSG_TRUNC set), or
   * -errno. Fills addrOut with the sender and `control` with host cmsgs; out[0] = the host's
   * msg_flags, out[1] = control bytes written.
   */
  recvmsg(bufs: Uint8Array[], flags: number, addrOut: Uint8Array | null, control: Uint8Array | null, out: Int32Array): number;
  /** One sendmsg of whole views to `addr` (null: the connected peer) with host cmsgs: bytes or -errno. */
  sendmsg(bufs: Uint8Array[], flags: number, addr: Uint8Array | null, control: Uint8Array | null): number;
  /**
   * One recvmmsg: up to `count` (<= MAX_BATCH) datagrams, datagram i into
   * area[i*slotSize, +slotSize), its sender into addrs[i*NETADDR_SIZE, +NETADDR_SIZE), its host
   * cmsgs into control[i*controlSlot, +controlSlot); meta[3i], [3i+1], [3i+2] = bytes, host
   * msg_flags, control bytes. Returns how many arrived (>= 1), or -errno (-EAGAIN: none).
   */
  recvmmsg(
    area: Uint8Array,
    slotSize: number,
    count: number,
    meta: Int32Array,
    addrs: Uint8Array | null,
    control: Uint8Array | null,
    controlSlot: number,
    flags: number,
  ): number;
  /**
   * One sendmmsg: datagram i is the next counts[i] views of `bufs`, every one to `addr` (null:
   * the connected peer) with the same host cmsgs. Returns how many datagrams went (>= 1; the
   * rest may be retried), or -errno when none did.
   */
  sendmmsg(bufs: Uint8Array[], counts: Int32Array | Uint32Array, addr: Uint8Array | null, control: Uint8Array | null, flags: number): number;
  shutdown(how: number): number;
  localAddress(out: Uint8Array): number;
  peerAddress(out: Uint8Array): number;
  /** Bytes waiting in the receive queue (FIONREAD), or -errno. */
  available(): number;
  /**
   * Readiness interest: POLL_READABLE | POLL_WRITABLE | POLL_RECEIVE, 0 to stop (-EINVAL for
   * other bits). While non-zero the socket keeps the event loop alive. Level-triggered with
   * either poller: a socket stays reported while it stays ready.
   */
  poll(events: number): number;
  /**
   * Idempotent; safe with readiness armed and from inside the event handler. A socket is
   * closed only by this (or closeAllSockets / the env's end), as a kernel socket is: the
   * garbage collector never closes one, and an open socket stays reachable for its events.
   */
  close(): void;
}

/**
 * Readiness of one socket. `events`: POLL_* bits (POLL_READABLE is left out when an automatic
 * read found nothing); `status`: 0, or a negative libuv error (UV_EBADF for POLLERR).
 * `received`: NO_RECEIVE when no automatic read happened; otherwise, for a stream socket, the
 * bytes now at the start of the receive area (> 0), 0 for the peer's orderly end of stream,
 * or -errno (-ECONNRESET...); for a datagram socket, the number of datagrams in the datagram
 * area (>= 1, laid out as recvmmsg lays them out) or -errno (an ICMP error on a connected
 * socket, consumed by the read: more may follow). An automatic read that finds nothing is not
 * reported at all unless other events (or an error status) are. The area's bytes are the
 * handler's until it returns: to keep them, register another area before returning.
 */
export type NativeEventHandler = (sock: NativeSocket, events: number, status: number, received: number) => void;

/** getaddrinfo's answer: `count` addresses as NETADDRs and [ip version, host socktype, protocol] triples. */
export type AddrInfoCallback = (status: number, count: number, addrs: Uint8Array, meta: Int32Array, canonname: string | null) => void;
export type NameInfoCallback = (status: number, host: string | null, service: string | null) => void;

export interface NativeBinding {
  /** A non-blocking, close-on-exec OS socket, or -errno. */
  socket(domain: number, type: number, protocol: number): NativeSocket | number;
  /** One handler for every socket's readiness (called inside a callback scope). */
  setEventHandler(fn: NativeEventHandler): void;
  /** Number of native sockets currently open (for leak checks). */
  openSockets(): number;
  /**
   * The area of every stream socket's automatic reads (POLL_RECEIVE) in this env: one recv of
   * at most area.byteLength bytes per report. null: none (reports are plain). Replaceable at
   * any time, also inside the handler (the next read uses the new one); the transport holds
   * the array until it is replaced or the env ends, and looks at it afresh at every read (a
   * detached or emptied one means no read). TypeError for anything but a Uint8Array or null,
   * RangeError for an empty one.
   */
  setReceiveArea(area: Uint8Array | null): void;
  /**
   * The layout of every datagram socket's automatic reads in this env: one recvmmsg of up to
   * `count` datagrams exactly as recvmmsg() lays them out (datagram i in
   * area[i*slotSize, +slotSize); meta[3i..3i+2] = bytes, host msg_flags, control bytes; senders
   * as NETADDRs in addrs; host cmsgs in control slots). Checked as recvmmsg checks it (TypeError,
   * RangeError); null clears it. Replaceable at any time, as setReceiveArea.
   */
  setDatagramArea(
    area: Uint8Array | null,
    slotSize?: number,
    count?: number,
    meta?: Int32Array,
    addrs?: Uint8Array | null,
    control?: Uint8Array | null,
    controlSlot?: number,
  ): void;
  /**
   * This env's counts since it loaded: read system calls made (explicit and automatic; a
   * read answered from the transport's state, without one, is not counted), and calls into
   * the event handler. For tests and benchmarks.
   */
  stats(): { reads: number; reports: number };
  /**
   * How this env learns readiness: 'io_uring' (one multishot poll per armed socket, all
   * through one ring; Linux 5.17+) or 'uv' (one uv_poll_t per socket), with why not
   * io_uring. Decided on the first poll() and fixed from then on; NODE_WSK_POLLER=uv in the
   * environment asks for 'uv'.
   */
  poller(): { poller: 'io_uring' | 'uv'; reason: string };
  /**
   * Picks the mechanism before this env's first poll(), as NODE_WSK_POLLER does: 0, -EBUSY
   * when the env already uses the other one, -EINVAL for another name. 'io_uring' still
   * falls back to 'uv' where the kernel refuses it (see poller()).
   */
  usePoller(name: 'io_uring' | 'uv'): number;
  /**
   * Closes every native socket still open and returns how many there were: for test
   * harnesses, so that a test failing half-way cannot keep the process alive. The WSK objects
   * over them see -EBADF from then on.
   */
  closeAllSockets(): number;
  /**
   * `send` of the socket `id` names (see NativeSocket.id), without going through the object:
   * the fast path for hot loops. Same checks (TypeError / RangeError, before the socket is
   * looked at) and results; a number that names no open socket of this env gives -EBADF.
   */
  sendById(id: number, buf: Uint8Array, offset: number, length: number, flags: number): number;
  /** `recv` of the socket `id` names; -EBADF for a number that names no open socket. */
  recvById(id: number, buf: Uint8Array, offset: number, length: number, flags: number): number;
  /**
   * getaddrinfo on libuv's thread pool (host flag and family values). Returns a request id
   * (> 0), or a negative libuv error; the callback runs once from the event loop, with status
   * 0 or a libuv error (resolverErrors), EAI_CANCELED after a successful cancel.
   */
  getaddrinfo(
    node: string | null,
    service: string | null,
    flags: number,
    family: number,
    socktype: number,
    protocol: number,
    callback: AddrInfoCallback,
  ): number;
  /** getnameinfo of a NETADDR on the thread pool (host NI_* flags): id or negative libuv error. */
  getnameinfo(addr: Uint8Array, flags: number, callback: NameInfoCallback): number;
  /** 0 when the request was still queued (its callback reports EAI_CANCELED), else a negative libuv error. */
  cancelResolution(id: number): number;
  /** Resolutions whose callback has not run yet. */
  pendingResolutions(): number;
  /** libuv's error numbers for resolution (EAI_NONAME, EAI_CANCELED, ...). */
  resolverErrors: Record<string, number>;
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

/**
 * The addon's own exports. It keeps no JS object per socket: `socket` and `accept` return
 * the new socket's id, every socket call takes the id first, and the event handler is
 * called with the socket's slot (id modulo SOCKET_SLOTS, a small integer). The objects
 * below are made here, in JS, where an object costs a few fields instead of a wrapped
 * object with its reference, finalizer and type tag (bench C idle).
 */
type ById<T> = { [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (id: number, ...args: A) => R : never };
type SocketCalls = Omit<NativeSocket, 'fd' | 'id' | 'owner' | 'accept'>;
export interface Addon
  extends Omit<NativeBinding, 'socket' | 'setEventHandler' | 'sendById' | 'recvById'>,
    ById<SocketCalls> {
  socket(domain: number, type: number, protocol: number): number;
  accept(id: number, addrOut: Uint8Array | null): number;
  /** The descriptor, or -1 for an id that names no open socket. */
  fd(id: number): number;
  setEventHandler(fn: ((slot: number, events: number, status: number, received: number) => void) | null): void;
}

/**
 * The addon, loaded afresh each time this module is evaluated: once per env (main thread,
 * worker), and under jest once per test file. require() would hand every test file of a jest
 * worker process the same instance (it caches by file name), so a file's poller choice or
 * leftover sockets would carry over to the next; process.dlopen makes each its own env.
 * node-gyp-build finds the file (build/Release; NODE_WSK_PREBUILD=dir loads dir/build/Release
 * instead, as `npm run test:asan` does).
 */
function loadAddon(): Addon {
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const file: string = require('node-gyp-build').resolve(packageRoot());
  const module = { exports: {} as Addon };
  process.dlopen(module, file);
  return module.exports;
}

const loaded: Addon = loadAddon();
/**
 * The addon itself, for its own tests; the rest of lib/ goes through `native`. Node-API
 * builds the exports and their tables one property at a time, which leaves them in V8's
 * dictionary mode: every `addon.poll` or `OS.SOL_SOCKET` was then a hash lookup through
 * Builtins_LoadIC (3-4% of user time in the C profile). Spread copies are fast-mode objects.
 */
export const addon: Addon = {
  ...loaded,
  constants: { ...loaded.constants },
  errno: { ...loaded.errno },
  resolverErrors: { ...loaded.resolverErrors },
};
const SLOTS = addon.constants.SOCKET_SLOTS;

/**
 * Open sockets by slot: how an event, reported by slot, finds its socket. It also keeps
 * every open socket reachable, so that one armed and forgotten by JS still gets its events.
 */
const bySlot: (Socket | undefined)[] = [];

class Socket implements NativeSocket {
  owner: unknown = undefined;

  constructor(readonly id: number) {
    bySlot[id % SLOTS] = this;
  }

  get fd(): number {
    return addon.fd(this.id);
  }

  setsockopt(level: number, name: number, value: Uint8Array): number {
    return addon.setsockopt(this.id, level, name, value);
  }
  getsockopt(level: number, name: number, out: Uint8Array): number {
    return addon.getsockopt(this.id, level, name, out);
  }
  bind(addr: Uint8Array): number {
    return addon.bind(this.id, addr);
  }
  listen(backlog: number): number {
    return addon.listen(this.id, backlog);
  }
  accept(addrOut: Uint8Array | null): NativeSocket | number {
    const id = addon.accept(this.id, addrOut);
    return id < 0 ? id : new Socket(id);
  }
  connect(addr: Uint8Array): number {
    return addon.connect(this.id, addr);
  }
  takeError(): number {
    return addon.takeError(this.id);
  }
  send(buf: Uint8Array, offset: number, length: number, flags: number): number {
    return addon.send(this.id, buf, offset, length, flags);
  }
  sendv(bufs: Uint8Array[], flags: number): number {
    return addon.sendv(this.id, bufs, flags);
  }
  recv(buf: Uint8Array, offset: number, length: number, flags: number): number {
    return addon.recv(this.id, buf, offset, length, flags);
  }
  recvv(bufs: Uint8Array[], flags: number): number {
    return addon.recvv(this.id, bufs, flags);
  }
  sendto(buf: Uint8Array, offset: number, length: number, flags: number, addr: Uint8Array | null): number {
    return addon.sendto(this.id, buf, offset, length, flags, addr);
  }
  recvfrom(buf: Uint8Array, offset: number, length: number, flags: number, addrOut: Uint8Array | null): number {
    return addon.recvfrom(this.id, buf, offset, length, flags, addrOut);
  }
  recvmsg(bufs: Uint8Array[], flags: number, addrOut: Uint8Array | null, control: Uint8Array | null, out: Int32Array): number {
    return addon.recvmsg(this.id, bufs, flags, addrOut, control, out);
  }
  sendmsg(bufs: Uint8Array[], flags: number, addr: Uint8Array | null, control: Uint8Array | null): number {
    return addon.sendmsg(this.id, bufs, flags, addr, control);
  }
  recvmmsg(
    area: Uint8Array,
    slotSize: number,
    count: number,
    meta: Int32Array,
    addrs: Uint8Array | null,
    control: Uint8Array | null,
    controlSlot: number,
    flags: number,
  ): number {
    return addon.recvmmsg(this.id, area, slotSize, count, meta, addrs, control, controlSlot, flags);
  }
  sendmmsg(bufs: Uint8Array[], counts: Int32Array | Uint32Array, addr: Uint8Array | null, control: Uint8Array | null, flags: number): number {
    return addon.sendmmsg(this.id, bufs, counts, addr, control, flags);
  }
  shutdown(how: number): number {
    return addon.shutdown(this.id, how);
  }
  localAddress(out: Uint8Array): number {
    return addon.localAddress(this.id, out);
  }
  peerAddress(out: Uint8Array): number {
    return addon.peerAddress(this.id, out);
  }
  available(): number {
    return addon.available(this.id);
  }
  poll(events: number): number {
    return addon.poll(this.id, events);
  }
  close(): void {
    addon.close(this.id);
    // A socket closed twice must not forget the slot's next socket.
    const slot = this.id % SLOTS;
    if (bySlot[slot] === this) bySlot[slot] = undefined;
  }
}

export const native: NativeBinding = {
  ...addon,
  socket(domain, type, protocol) {
    const id = addon.socket(domain, type, protocol);
    return id < 0 ? id : new Socket(id);
  },
  setEventHandler(fn) {
    // null resets, anything else that is not a function is the addon's TypeError.
    if (typeof fn !== 'function') return addon.setEventHandler(fn);
    addon.setEventHandler((slot, events, status, received) => {
      const sock = bySlot[slot];
      if (sock !== undefined) fn(sock, events, status, received);
    });
  },
  closeAllSockets() {
    bySlot.length = 0;
    return addon.closeAllSockets();
  },
  sendById: addon.send,
  recvById: addon.recv,
};

/** errno number -> name, for the NTSTATUS table and messages. */
export const errnoName: Map<number, string> = new Map(
  Object.entries(native.errno).map(([name, value]) => [value, name]),
);

export const OS = native.constants;

/** The event handler's `received` when no automatic read happened (see POLL_RECEIVE). */
export const NO_RECEIVE: number = OS.NO_RECEIVE;
