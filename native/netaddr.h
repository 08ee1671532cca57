// NETADDR, the 28-byte neutral socket address of lib/transport/native.ts, <-> sockaddr.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>

namespace wsk {

constexpr size_t kNetaddrSize = 28;

// NETADDR -> sockaddr: the sockaddr length, or -errno (-EINVAL when short, -EAFNOSUPPORT
// for a version other than 4 or 6).
long ToSockaddr(const uint8_t* p, size_t length, sockaddr_storage* ss);
// sockaddr -> NETADDR; anything that is not IPv4/IPv6 (an unnamed socket, a TCP
// recvfrom) becomes the all-zero "none" address.
void FromSockaddr(const sockaddr_storage& ss, socklen_t len, uint8_t* out);

}  // namespace wsk
