// The OS seam: every system call the transport makes, each returning >= 0 or -errno.
// POSIX (Linux) today; a Winsock version of this header (SOCKET for Fd, WSAGetLastError
// mapped to errno names, WSASend/WSARecv for the vectored calls) is meant to fit here.
#pragma once

#include <cerrno>
#include <climits>
#include <cstddef>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

namespace wsk::os {

using Fd = int;
using IoVec = iovec;
constexpr Fd kNoFd = -1;

// Non-blocking sockets make EINTR rare, but a signal handler installed by anyone in the
// process could still interrupt a call; retrying keeps the result meaning "what the OS
// said about the socket", never "a signal happened".
template <typename Call>
inline long Retry(Call call) {
  long r;
  do r = static_cast<long>(call());
  while (r < 0 && errno == EINTR);
  return r < 0 ? -errno : r;
}

inline long Socket(int domain, int type, int protocol) {
  return Retry([&] { return ::socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol); });
}

inline long Accept(Fd fd, sockaddr* sa, socklen_t* len) {
  return Retry([&] { return ::accept4(fd, sa, len, SOCK_NONBLOCK | SOCK_CLOEXEC); });
}

inline long Connect(Fd fd, const sockaddr* sa, socklen_t len) {
  if (::connect(fd, sa, len) == 0) return 0;
  // An interrupted connect keeps going in the background (POSIX), exactly like
  // EINPROGRESS; retrying it would report EALREADY instead.
  return errno == EINTR ? -EINPROGRESS : -errno;
}

inline long Bind(Fd fd, const sockaddr* sa, socklen_t len) {
  return Retry([&] { return ::bind(fd, sa, len); });
}

inline long Listen(Fd fd, int backlog) { return Retry([&] { return ::listen(fd, backlog); }); }
inline long Shutdown(Fd fd, int how) { return Retry([&] { return ::shutdown(fd, how); }); }

// MSG_DONTWAIT as well as O_NONBLOCK: even a flag such as MSG_WAITALL from JS, or a
// descriptor someone made blocking, must never stall the event loop.
constexpr int kSendFlags = MSG_NOSIGNAL | MSG_DONTWAIT;
constexpr int kRecvFlags = MSG_DONTWAIT;

inline long SendTo(Fd fd, const void* buf, size_t len, int flags, const sockaddr* sa,
                   socklen_t salen) {
  return Retry([&] { return ::sendto(fd, buf, len, flags | kSendFlags, sa, salen); });
}

inline long RecvFrom(Fd fd, void* buf, size_t len, int flags, sockaddr* sa, socklen_t* salen) {
  return Retry([&] { return ::recvfrom(fd, buf, len, flags | kRecvFlags, sa, salen); });
}

inline long SendV(Fd fd, IoVec* iov, size_t n, int flags) {
  msghdr m{};
  m.msg_iov = iov;
  m.msg_iovlen = n;
  return Retry([&] { return ::sendmsg(fd, &m, flags | kSendFlags); });
}

inline long RecvV(Fd fd, IoVec* iov, size_t n, int flags) {
  msghdr m{};
  m.msg_iov = iov;
  m.msg_iovlen = n;
  return Retry([&] { return ::recvmsg(fd, &m, flags | kRecvFlags); });
}

// One datagram (or one stream read) with its sender and control data.
inline long RecvMsg(Fd fd, msghdr* m, int flags) {
  return Retry([&] { return ::recvmsg(fd, m, flags | kRecvFlags); });
}

inline long SendMsg(Fd fd, const msghdr* m, int flags) {
  return Retry([&] { return ::sendmsg(fd, m, flags | kSendFlags); });
}

#ifdef __linux__
using MMsgHdr = mmsghdr;
// A batch of datagrams in one system call: the number received (>= 1) or -errno.
inline long RecvMMsg(Fd fd, MMsgHdr* v, unsigned n, int flags) {
  return Retry([&] { return ::recvmmsg(fd, v, n, flags | kRecvFlags, nullptr); });
}
inline long SendMMsg(Fd fd, MMsgHdr* v, unsigned n, int flags) {
  return Retry([&] { return ::sendmmsg(fd, v, n, flags | kSendFlags); });
}
#else
struct MMsgHdr {
  msghdr msg_hdr;
  unsigned msg_len;
};
// Without recvmmsg/sendmmsg: one call per datagram, same contract (stops at the first
// failure; reports it only when nothing was done).
inline long RecvMMsg(Fd fd, MMsgHdr* v, unsigned n, int flags) {
  unsigned i = 0;
  for (; i < n; i++) {
    long r = RecvMsg(fd, &v[i].msg_hdr, flags);
    if (r < 0) return i > 0 ? static_cast<long>(i) : r;
    v[i].msg_len = static_cast<unsigned>(r);
  }
  return static_cast<long>(i);
}
inline long SendMMsg(Fd fd, MMsgHdr* v, unsigned n, int flags) {
  unsigned i = 0;
  for (; i < n; i++) {
    long r = SendMsg(fd, &v[i].msg_hdr, flags);
    if (r < 0) return i > 0 ? static_cast<long>(i) : r;
    v[i].msg_len = static_cast<unsigned>(r);
  }
  return static_cast<long>(i);
}
#endif

inline long SetSockOpt(Fd fd, int level, int name, const void* val, socklen_t len) {
  return Retry([&] { return ::setsockopt(fd, level, name, val, len); });
}

// Returns the option length the OS wrote.
inline long GetSockOpt(Fd fd, int level, int name, void* val, socklen_t len) {
  long r = Retry([&] { return ::getsockopt(fd, level, name, val, &len); });
  return r < 0 ? r : static_cast<long>(len);
}

inline long LocalName(Fd fd, sockaddr* sa, socklen_t* len) {
  return Retry([&] { return ::getsockname(fd, sa, len); });
}

inline long PeerName(Fd fd, sockaddr* sa, socklen_t* len) {
  return Retry([&] { return ::getpeername(fd, sa, len); });
}

// The pending socket error (reading it clears it), as 0 or -errno.
inline long TakeError(Fd fd) {
  int err = 0;
  socklen_t len = sizeof err;
  long r = Retry([&] { return ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len); });
  return r < 0 ? r : -static_cast<long>(err);
}

inline long Available(Fd fd) {
  int n = 0;
  long r = Retry([&] { return ::ioctl(fd, FIONREAD, &n); });
  return r < 0 ? r : static_cast<long>(n);
}

// Not retried: on Linux the descriptor is released even when close reports EINTR, and a
// second close could hit a descriptor another thread has just been given.
inline void Close(Fd fd) { ::close(fd); }

}  // namespace wsk::os
