#include "poller.h"

#include "socket_handle.h"

namespace wsk {
namespace {

void OnWatcherClosed(uv_handle_t* handle) {
  auto* data = static_cast<EnvData*>(handle->data);
  delete reinterpret_cast<uv_poll_t*>(handle);
  data->closing--;
  data->MaybeFinishTeardown();
}

long EpollCtl(os::Fd epfd, int op, os::Fd fd, uint32_t events, uint64_t key) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = key;
  return os::Retry([&] { return ::epoll_ctl(epfd, op, fd, &ev); });
}

}  // namespace

int Poller::Watch(EnvData* data, os::Fd fd, uint64_t key, uint32_t registered, uint32_t events) {
  if (watcher_ == nullptr) {
    if (data->tearing_down) return -EBADF;
    long epfd = os::Retry([] { return ::epoll_create1(EPOLL_CLOEXEC); });
    if (epfd < 0) return static_cast<int>(epfd);
    auto* watcher = new (std::nothrow) uv_poll_t;
    if (watcher == nullptr) {
      os::Close(static_cast<os::Fd>(epfd));
      return -ENOMEM;
    }
    int r = uv_poll_init(data->loop, watcher, static_cast<os::Fd>(epfd));
    if (r != 0) {
      os::Close(static_cast<os::Fd>(epfd));
      delete watcher;  // a failed init leaves libuv nothing to close
      return r;
    }
    watcher->data = data;
    r = uv_poll_start(watcher, UV_READABLE, OnReady);
    if (r != 0) {
      data->closing++;
      uv_close(reinterpret_cast<uv_handle_t*>(watcher), OnWatcherClosed);
      os::Close(static_cast<os::Fd>(epfd));
      return r;
    }
    uv_unref(reinterpret_cast<uv_handle_t*>(watcher));  // until a socket is armed
    epfd_ = static_cast<os::Fd>(epfd);
    watcher_ = watcher;
  }
  if (registered == events) return 0;
  long r = EpollCtl(epfd_, registered == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, events, key);
  return static_cast<int>(r);
}

void Poller::Forget(os::Fd fd, uint32_t registered) {
  // Closing the descriptor would drop it from the set too, but only if no other process
  // holds the same open file (a fork): removing it first keeps our set exact either way.
  if (registered != 0 && epfd_ != os::kNoFd) EpollCtl(epfd_, EPOLL_CTL_DEL, fd, 0, 0);
}

void Poller::Armed(int delta) {
  size_t before = armed_;
  if (delta > 0) armed_++;
  else if (armed_ != 0) armed_--;
  if (watcher_ == nullptr) return;
  auto* handle = reinterpret_cast<uv_handle_t*>(watcher_);
  if (before == 0 && armed_ != 0) uv_ref(handle);
  else if (before != 0 && armed_ == 0) uv_unref(handle);
}

void Poller::Close(EnvData* data) {
  if (watcher_ != nullptr) {
    data->closing++;
    uv_close(reinterpret_cast<uv_handle_t*>(watcher_), OnWatcherClosed);
    watcher_ = nullptr;
  }
  if (epfd_ != os::kNoFd) os::Close(epfd_);
  epfd_ = os::kNoFd;
  armed_ = 0;
}

void Poller::OnReady(uv_poll_t* handle, int status, int) {
  auto* data = static_cast<EnvData*>(handle->data);
  Poller& self = data->poller;
  if (status < 0) {
    // libuv stops a watcher on POLLERR; an epoll set never has one, but if it did the
    // sockets must not go deaf.
    uv_poll_start(handle, UV_READABLE, OnReady);
    return;
  }
  long n = os::Retry([&] { return ::epoll_wait(self.epfd_, self.ready_, kBatch, 0); });
  if (n > 0) SocketHandle::Deliver(data, self.ready_, static_cast<int>(n));
}

}  // namespace wsk
