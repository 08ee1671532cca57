// Changes of the host's address list, from the kernel's routing netlink: one AF_NETLINK socket
// (the transport opens any family), a member of the IPv4 and IPv6 address groups, open only
// while someone waits (SIO_ADDRESS_LIST_CHANGE). Every RTM_NEWADDR / RTM_DELADDR tells which
// family changed.
import { addon, claimReadiness, native, OS, POLL_READABLE, ReadinessOwner, releaseReadiness } from '../transport/native';

/** Told which families (the host's AF_INET / AF_INET6) changed; returns whether it still wants to hear. */
export type AddressListener = (families: Set<number>) => void;

const NLMSG_HDRLEN = 16;
/** linux/netlink.h: a message that asks for nothing. */
const NLMSG_NOOP = 1;
const listeners = new Set<AddressListener>();
/** The netlink socket's transport id, or -1 while none is open. */
let watcher = -1;
/** Its readiness goes to readChanges. */
const owner: ReadinessOwner = { onReadiness: readChanges };
const buffer = new Uint8Array(16384);

/** Opens the watcher: its id, or -errno. */
function open(): number {
  const id = addon.socket(OS.AF_NETLINK, OS.SOCK_RAW, OS.NETLINK_ROUTE);
  if (id < 0) return id;
  const group = new Int32Array(1);
  for (const g of [OS.RTNLGRP_IPV4_IFADDR, OS.RTNLGRP_IPV6_IFADDR]) {
    group[0] = g;
    const rc = addon.setsockopt(id, OS.SOL_NETLINK, OS.NETLINK_ADD_MEMBERSHIP, new Uint8Array(group.buffer));
    if (rc < 0) {
      addon.close(id);
      return rc;
    }
  }
  // A netlink socket receives its groups' messages only once it has a port id of its own (the
  // kernel's is 0, and a group message is not sent back to its sender's id): any message sent
  // binds it. NLMSG_NOOP asks nothing and gets no answer.
  const noop = new Uint8Array(NLMSG_HDRLEN);
  new DataView(noop.buffer).setUint32(0, NLMSG_HDRLEN, true);
  new DataView(noop.buffer).setUint16(4, NLMSG_NOOP, true);
  const sent = addon.send(id, noop, 0, noop.byteLength, 0);
  if (sent < 0) {
    addon.close(id);
    return sent;
  }
  claimReadiness(id, owner);
  addon.poll(id, POLL_READABLE);
  return id;
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
  for (let i = 0; i < 64 && watcher >= 0; i++) {
    const n = addon.recv(watcher, buffer, 0, buffer.byteLength, 0);
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
  if (watcher >= 0 && addon.fd(watcher) < 0) watcher = -1;
  if (watcher < 0) {
    const id = open();
    if (id < 0) return id;
    watcher = id;
  }
  listeners.add(listener);
  return 0;
}

/** Stops telling `listener`; the netlink socket closes with the last one. */
export function unwatchAddresses(listener: AddressListener): void {
  listeners.delete(listener);
  if (listeners.size === 0 && watcher >= 0) {
    addon.close(watcher);
    releaseReadiness(watcher, owner);
    watcher = -1;
  }
}
