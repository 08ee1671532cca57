// Ring: readiness for every socket of one env through one io_uring, behind one libuv watcher.
//
// Why: with one uv_poll_t per socket, every readiness costs a libuv loop turn and an
// epoll_wait. Here each armed socket has a multishot IORING_OP_POLL_ADD; a wakeup posts a
// completion to memory we share with the kernel, and the kernel does so before the system
// call that caused it (a send on loopback, say) returns. So after a handler has run, the
// next readiness is already in the completion queue: Run() keeps delivering without going
// back to the loop or into the kernel (a request/response exchange in one process makes
// no epoll_wait at all), for at most kMaxRounds rounds, then yields to libuv.
//
// Multishot poll reports wakeups, i.e. edges; the sockets' contract is level-triggered
// (lib/ reads until a read comes back short, not always to EAGAIN). readiness.cc bridges
// the two: after a handler ran, a bit it reported is reported again unless a call on the
// socket showed the kernel has nothing more for now (EAGAIN, or a short stream read or
// write), after which the kernel owes a wakeup for anything new. See ReportAgainUnlessDrained.
//
// Falls back to uv_poll_t per socket (EnvData::ring stays null) where io_uring cannot be
// set up (old kernel, io_uring_disabled, seccomp) or NODE_WSK_POLLER=uv asks for it.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <vector>

struct io_uring_sqe;
struct io_uring_cqe;

namespace wsk {

struct EnvData;

class Ring {
 public:
  // The env's ring, made on first use; nullptr when io_uring is not to be had (the
  // reason is kept for poller()).
  static Ring* Get(EnvData* data);
  // Teardown: the watchers close (counted in data->closing), then the ring goes.
  static void Close(EnvData* data);
  // "io_uring" or "uv", and why not io_uring, for native.poller().
  static const char* Describe(EnvData* data, const char** reason);

  // A tag for the next poll of the socket in `slot`: unique for the env's lifetime, so a
  // completion of an earlier poll (of this socket or of the slot's former socket) never
  // passes for one of the current poll.
  uint64_t NewTag(uint32_t slot);
  // Arms a multishot poll of `fd` for the POLL* `mask`, tagged `tag` (never 0; its low
  // 24 bits name the socket's slot). Submitted now, or at the end of the round inside Run().
  bool Arm(int fd, uint32_t mask, uint64_t tag);
  // Stops the poll tagged `tag`; its completions, and any still queued, are ignored by tag.
  void Cancel(uint64_t tag);
  // The socket in `slot` has undelivered readiness: deliver it in this or the next round.
  void Queue(uint32_t slot);
  // Counts armed sockets: the watcher keeps the loop alive only while one is.
  void Retain();
  void Release();

 private:
  explicit Ring(EnvData* data) : data_(data) {}
  bool Setup();
  static void OnReadable(uv_poll_t* watcher, int status, int events);
  static void OnIdle(uv_idle_t* idle);
  static void OnClosed(uv_handle_t* handle);
  void Run();
  void Reap();
  void Flush();
  void Submitted(int count);
  bool GiveUp(const char* reason);
  void Unmap();
  ::io_uring_sqe* NextSqe();
  void Push();

  EnvData* data_;
  int fd_ = -1;
  void* rings_ = nullptr;  // SQ and CQ rings, one mapping (IORING_FEAT_SINGLE_MMAP)
  size_t rings_size_ = 0;
  ::io_uring_sqe* sqes_ = nullptr;
  size_t sqes_size_ = 0;
  unsigned* sq_head_ = nullptr;
  unsigned* sq_tail_ = nullptr;
  unsigned* sq_flags_ = nullptr;
  unsigned* sq_array_ = nullptr;
  unsigned sq_mask_ = 0;
  unsigned sq_entries_ = 0;
  unsigned* cq_head_ = nullptr;
  unsigned* cq_tail_ = nullptr;
  unsigned cq_mask_ = 0;
  ::io_uring_cqe* cqes_ = nullptr;
  unsigned unsubmitted_ = 0;
  uint64_t sequence_ = 0;
  bool running_ = false;
  size_t armed_ = 0;
  int open_handles_ = 0;
  uv_poll_t watcher_;
  uv_idle_t idle_;
  // Slots with readiness to deliver (may hold stale or repeated slots: delivery checks).
  std::vector<uint32_t> ready_;
  std::vector<uint32_t> round_;
};

}  // namespace wsk
