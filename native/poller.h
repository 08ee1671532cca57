// Poller: one env's readiness set. Every armed socket of the env sits in one epoll set of
// our own, and that set's descriptor is the only thing libuv watches (one uv_poll_t per
// env, not one per socket). A loop turn's ready sockets come out of one epoll_wait and go
// to JS inside one callback scope: no per-socket libuv handle (~180 B each, allocated on
// first arming) and no per-event MakeCallback. uSockets runs its loop the same way.
//
// Registration is lazy, like libuv's own: disarming a socket changes nothing in the kernel;
// the next event that nobody asked for removes (or narrows) the registration then, so a
// socket re-armed with the same interest before that costs no system call.
#pragma once

#include <sys/epoll.h>
#include <uv.h>

#include <cstdint>

#include "platform.h"

namespace wsk {

struct EnvData;

class Poller {
 public:
  // What one epoll_wait takes per loop turn; more ready sockets wait for the next turn
  // (the set stays readable, so libuv calls again).
  static constexpr int kBatch = 1024;
  Poller() = default;
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  // Sets `fd`'s kernel registration from `registered` (0: none) to `events` (EPOLL* bits,
  // not 0), creating the set and its watcher on first use. 0 or -errno.
  int Watch(EnvData* data, os::Fd fd, uint64_t key, uint32_t registered, uint32_t events);
  // Drops `fd` from the set (its registration was `registered`, 0: none).
  void Forget(os::Fd fd, uint32_t registered);
  // Armed sockets keep the loop alive; the watcher is referenced while there is one.
  void Armed(int delta);
  // Env teardown: the watcher is closed (counted in data->closing) and the set released.
  void Close(EnvData* data);

 private:
  // The set is readable: one epoll_wait, then SocketHandle::Deliver with what it gave.
  static void OnReady(uv_poll_t* handle, int status, int events);

  os::Fd epfd_ = os::kNoFd;
  uv_poll_t* watcher_ = nullptr;
  size_t armed_ = 0;
  epoll_event ready_[kBatch];
};

}  // namespace wsk
