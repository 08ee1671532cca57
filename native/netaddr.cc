#include "netaddr.h"

#include <netinet/in.h>

#include <cerrno>
#include <cstring>

namespace wsk {

long ToSockaddr(const uint8_t* p, size_t length, sockaddr_storage* ss) {
  if (length < kNetaddrSize) return -EINVAL;
  std::memset(ss, 0, sizeof *ss);
  if (p[0] == 4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(ss);
    sin->sin_family = AF_INET;
    std::memcpy(&sin->sin_port, p + 2, 2);
    std::memcpy(&sin->sin_addr, p + 8, 4);
    return sizeof *sin;
  }
  if (p[0] == 6) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(ss);
    sin6->sin6_family = AF_INET6;
    std::memcpy(&sin6->sin6_port, p + 2, 2);
    std::memcpy(&sin6->sin6_flowinfo, p + 4, 4);
    std::memcpy(&sin6->sin6_addr, p + 8, 16);
    std::memcpy(&sin6->sin6_scope_id, p + 24, 4);
    return sizeof *sin6;
  }
  return -EAFNOSUPPORT;
}

void FromSockaddr(const sockaddr_storage& ss, socklen_t len, uint8_t* out) {
  std::memset(out, 0, kNetaddrSize);
  if (ss.ss_family == AF_INET && len >= sizeof(sockaddr_in)) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
    out[0] = 4;
    std::memcpy(out + 2, &sin->sin_port, 2);
    std::memcpy(out + 8, &sin->sin_addr, 4);
  } else if (ss.ss_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    out[0] = 6;
    std::memcpy(out + 2, &sin6->sin6_port, 2);
    std::memcpy(out + 4, &sin6->sin6_flowinfo, 4);
    std::memcpy(out + 8, &sin6->sin6_addr, 16);
    std::memcpy(out + 24, &sin6->sin6_scope_id, 4);
  }
}

}  // namespace wsk
