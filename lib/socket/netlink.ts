// Changes of the host's address list, from the kernel's routing netlink: one AF_NETLINK socket
// (the transport opens any family), a member of the IPv4 and IPv6 address groups, open only
// while someone waits (SIO_ADDRESS_LIST_CHANGE). Every RTM_NEWADDR / RTM_DELADDR tells which
// family changed.
import { native, NativeSocket, OS, POLL_READABLE } from '../transport/native';

/** Told which families (the host's AF_INET / AF_INET6) changed; returns whether it still wants to hear. */
export type AddressListener = (families: Set<number>) => void;

const NLMSG_HDRLEN = 16;
/** linux/netlink.h: a message that asks for nothing. */
const NLMSG_NOOP = 1;
const listeners = new Set<AddressListener>();
let watcher: NativeSocket | null = null;
const buffer = new Uint8Array(16384);

function open(): NativeSocket | number {
  const sock = native.socket(OS.AF_NETLINK, OS.SOCK_RAW, OS.NETLINK_ROUTE);
  if (typeof sock === 'number') return sock;
  const group = new Int32Array(1);
  for (const g of [OS.RTNLGRP_IPV4_IFADDR, OS.RTNLGRP_IPV6_IFADDR]) {
    group[0] = g;
    const rc = sock.setsockopt(OS.SOL_NETLINK, OS.NETLINK_ADD_MEMBERSHIP, new Uint8Array(group.buffer));
    if (rc < 0) {
      sock.close();
      return rc;
    }
  }
  // A netlink socket receives its groups' messages only once it has a port id of its own (the
  // kernel's is 0, and a group message is not sent back to its sender's id): any message sent
  // binds it. NLMSG_NOOP asks nothing and gets no answer.
  const noop = new Uint8Array(NLMSG_HDRLEN);
  new DataView(noop.buffer).setUint32(0, NLMSG_HDRLEN, true);
  new DataView(noop.buffer).setUint16(4, NLMSG_NOOP, true);
  const sent = sock.send(noop, 0, noop.byteLength, 0);
  if (sent < 0) {
    sock.close();
    return sent;
  }
  // The socket's readiness comes through the provider's one handler, which calls its owner.
  sock.owner = { closed: false, onPoll: readChanges };
  sock.poll(POLL_READABLE);
  return sock;
}

/** The families the messages in buffer[0, length) speak of. */
function familiesIn(length: number, into: Set<number>): void {
  const dv = new DataView(buffer.buffer, 0, length);
  for (let off = 0; off + NLMSG_HDRLEN <= length; ) {
    const len = dv.getUint32(off, true);
    const type = dv.getUint16(off + 4, true);
    if (len < NLMSG_HDRLEN || off + len > length) break;
    // struct ifaddrmsg { u8 ifa_family; ... } follows the header.
    if ((type === OS.RTM_NEWADDR || type === OS.RTM_DELADDR) && len > NLMSG_HDRLEN) into.add(buffer[off + NLMSG_HDRLEN]);
    off += (len + 3) & ~3;
  }
}

function readChanges(): void {
  const families = new Set<number>();
  for (let i = 0; i < 64 && watcher; i++) {
    const n = watcher.recv(buffer, 0, buffer.byteLength, 0);
    if (n === -native.errno.ENOBUFS) {
      // The kernel dropped messages: any family may have changed.
      families.add(OS.AF_INET).add(OS.AF_INET6);
      continue;
    }
    if (n <= 0) break;
    familiesIn(n, families);
  }
  if (families.size === 0) return;
  for (const listener of [...listeners]) listener(families);
}

/** Starts telling `listener` about address changes; 0, or the -errno that kept the watcher from opening. */
export function watchAddresses(listener: AddressListener): number {
  // A test harness may have closed every native socket (closeAllSockets) under us.
  if (watcher && watcher.fd < 0) watcher = null;
  if (!watcher) {
    const sock = open();
    if (typeof sock === 'number') return sock;
    watcher = sock;
  }
  listeners.add(listener);
  return 0;
}

/** Stops telling `listener`; the netlink socket closes with the last one. */
export function unwatchAddresses(listener: AddressListener): void {
  listeners.delete(listener);
  if (listeners.size === 0 && watcher) {
    (watcher.owner as { closed: boolean }).closed = true;
    watcher.close();
    watcher = null;
  }
}
