#include "ring.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <new>

#include "env.h"
#include "readiness.h"

#ifdef __linux__
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace wsk {

#ifdef __linux__

namespace {

// Rounds of delivery per wakeup of the watcher before libuv gets the thread back (timers,
// immediates, other handles). A round is one pass over the sockets ready at its start.
constexpr int kMaxRounds = 64;
constexpr unsigned kSqEntries = 1024;
// Multishot polls post as many completions as there are wakeups; a big queue keeps
// overflow (which the kernel handles, slowly) rare even with thousands of sockets.
constexpr unsigned kCqEntries = 16384;

int SetupRing(unsigned entries, io_uring_params* p) {
  return static_cast<int>(syscall(__NR_io_uring_setup, entries, p));
}

int Enter(int fd, unsigned to_submit, unsigned min_complete, unsigned flags) {
  return static_cast<int>(syscall(__NR_io_uring_enter, fd, to_submit, min_complete, flags, nullptr, 0));
}

unsigned LoadAcquire(const unsigned* p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
void StoreRelease(unsigned* p, unsigned v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

}  // namespace

Ring* Ring::Get(EnvData* data) {
  if (data->ring != nullptr || data->ring_reason != nullptr || data->tearing_down) return data->ring;
  if (data->force_uv) {
    data->ring_reason = "usePoller('uv')";
    return nullptr;
  }
  const char* choice = std::getenv("NODE_WSK_POLLER");
  if (choice != nullptr && std::strcmp(choice, "uv") == 0) {
    data->ring_reason = "NODE_WSK_POLLER=uv";
    return nullptr;
  }
  auto* ring = new Ring(data);
  if (!ring->Setup()) {
    delete ring;
    return nullptr;
  }
  data->ring = ring;
  return ring;
}

bool Ring::Setup() {
  io_uring_params p{};
  // A wakeup's completion is made on the thread's way back from a system call: right after
  // a send on loopback, the peer's readiness is already in the queue. COOP_TASKRUN: a
  // wakeup from another process does not interrupt this thread with an IPI to make it
  // (with two processes on two cores that cost ~10 µs of system time per message; the
  // thread makes system calls all the time anyway); IORING_SQ_TASKRUN says one is owed.
  // Not DEFER_TASKRUN: with it, a socket closed while its poll was armed sometimes stayed
  // open (no FIN reached the peer; seen in tcp-bulk), and it measured no faster.
  p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
  p.cq_entries = kCqEntries;
  fd_ = SetupRing(kSqEntries, &p);
  if (fd_ < 0 && errno == EINVAL) {  // before 6.0
    p = io_uring_params{};
    p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
    p.cq_entries = kCqEntries;
    fd_ = SetupRing(kSqEntries, &p);
  }
  if (fd_ < 0) {
    data_->ring_reason = errno == ENOSYS ? "io_uring_setup: ENOSYS (kernel without io_uring)"
                         : errno == EPERM ? "io_uring_setup: EPERM (io_uring_disabled or seccomp)"
                                          : "io_uring_setup failed";
    return false;
  }
  // Multishot poll came in 5.13, skipping success completions in 5.17: ask for the
  // features of 5.17 and up.
  const unsigned needed = IORING_FEAT_SINGLE_MMAP | IORING_FEAT_NODROP | IORING_FEAT_CQE_SKIP;
  if ((p.features & needed) != needed) {
    return GiveUp("io_uring without the features of Linux 5.17");
  }
  size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe);
  rings_size_ = sq_size > cq_size ? sq_size : cq_size;
  void* rings = mmap(nullptr, rings_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_SQ_RING);
  if (rings != MAP_FAILED) rings_ = rings;
  sqes_size_ = p.sq_entries * sizeof(io_uring_sqe);
  void* sqes = mmap(nullptr, sqes_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd_, IORING_OFF_SQES);
  if (sqes != MAP_FAILED) sqes_ = static_cast<io_uring_sqe*>(sqes);
  if (rings_ == nullptr || sqes_ == nullptr) return GiveUp("mmap of the io_uring failed");
  auto* base = static_cast<char*>(rings);
  sq_head_ = reinterpret_cast<unsigned*>(base + p.sq_off.head);
  sq_tail_ = reinterpret_cast<unsigned*>(base + p.sq_off.tail);
  sq_flags_ = reinterpret_cast<unsigned*>(base + p.sq_off.flags);
  sq_array_ = reinterpret_cast<unsigned*>(base + p.sq_off.array);
  sq_mask_ = *reinterpret_cast<unsigned*>(base + p.sq_off.ring_mask);
  sq_entries_ = p.sq_entries;
  cq_head_ = reinterpret_cast<unsigned*>(base + p.cq_off.head);
  cq_tail_ = reinterpret_cast<unsigned*>(base + p.cq_off.tail);
  cq_mask_ = *reinterpret_cast<unsigned*>(base + p.cq_off.ring_mask);
  cqes_ = reinterpret_cast<io_uring_cqe*>(base + p.cq_off.cqes);

  if (uv_poll_init(data_->loop, &watcher_, fd_) != 0) return GiveUp("libuv could not watch the io_uring");
  uv_idle_init(data_->loop, &idle_);
  watcher_.data = this;
  idle_.data = this;
  open_handles_ = 2;
  // Readable while completions wait; started once and for all. It keeps the loop alive
  // only while some socket is armed (Retain / Release), as the sockets' own watchers did.
  uv_poll_start(&watcher_, UV_READABLE, OnReadable);
  uv_unref(reinterpret_cast<uv_handle_t*>(&watcher_));
  return true;
}

void Ring::Close(EnvData* data) {
  Ring* ring = data->ring;
  if (ring == nullptr) return;
  data->ring = nullptr;
  data->ring_reason = "the env is shutting down";
  data->closing += 2;
  uv_close(reinterpret_cast<uv_handle_t*>(&ring->watcher_), OnClosed);
  uv_close(reinterpret_cast<uv_handle_t*>(&ring->idle_), OnClosed);
}

void Ring::OnClosed(uv_handle_t* handle) {
  auto* ring = static_cast<Ring*>(handle->data);
  EnvData* data = ring->data_;
  data->closing--;
  if (--ring->open_handles_ == 0) {
    // Closing the ring cancels every poll still armed; the kernel drops its references
    // to the sockets' files.
    ring->Unmap();
    delete ring;
  }
  data->MaybeFinishTeardown();
}

const char* Ring::Describe(EnvData* data, const char** reason) {
  Ring* ring = Get(data);
  *reason = ring != nullptr ? "" : data->ring_reason != nullptr ? data->ring_reason : "the env is shutting down";
  return ring != nullptr ? "io_uring" : "uv";
}

uint64_t Ring::NewTag(uint32_t slot) {
  return (++sequence_ << HandleTable::kSlotBits) | slot;
}

io_uring_sqe* Ring::NextSqe() {
  unsigned tail = *sq_tail_;
  if (tail - LoadAcquire(sq_head_) >= sq_entries_) {
    Flush();
    if (tail - LoadAcquire(sq_head_) >= sq_entries_) return nullptr;
  }
  io_uring_sqe* sqe = &sqes_[tail & sq_mask_];
  std::memset(sqe, 0, sizeof *sqe);
  sq_array_[tail & sq_mask_] = tail & sq_mask_;
  return sqe;
}

void Ring::Push() {
  StoreRelease(sq_tail_, *sq_tail_ + 1);
  unsubmitted_++;
  // Inside Run() the round's submissions go in one system call at its end.
  if (!running_) Flush();
}

bool Ring::Arm(int fd, uint32_t mask, uint64_t tag) {
  io_uring_sqe* sqe = NextSqe();
  if (sqe == nullptr) return false;
  sqe->opcode = IORING_OP_POLL_ADD;
  sqe->fd = fd;
  sqe->poll32_events = mask;
  sqe->len = IORING_POLL_ADD_MULTI;
  sqe->user_data = tag;
  Push();
  return true;
}

void Ring::Cancel(uint64_t tag) {
  io_uring_sqe* sqe = NextSqe();
  // A full queue that cannot be flushed: the poll stays, and its completions, tagged with
  // a tag no socket holds any more, are dropped as they come.
  if (sqe == nullptr) return;
  sqe->opcode = IORING_OP_POLL_REMOVE;
  sqe->fd = -1;
  sqe->addr = tag;
  sqe->flags = IOSQE_CQE_SKIP_SUCCESS;
  sqe->user_data = 0;
  Push();
}

// io_uring_enter took `count` of the queued submissions.
void Ring::Submitted(int count) {
  unsubmitted_ -= static_cast<unsigned>(count) < unsubmitted_ ? static_cast<unsigned>(count) : unsubmitted_;
}

// Setup cannot go on: what was mapped is unmapped, the ring closed, the reason kept.
bool Ring::GiveUp(const char* reason) {
  Unmap();
  data_->ring_reason = reason;
  return false;
}

void Ring::Unmap() {
  if (sqes_ != nullptr) munmap(sqes_, sqes_size_);
  if (rings_ != nullptr) munmap(rings_, rings_size_);
  if (fd_ >= 0) close(fd_);
  sqes_ = nullptr;
  rings_ = nullptr;
  fd_ = -1;
}

void Ring::Flush() {
  while (unsubmitted_ > 0) {
    int r = Enter(fd_, unsubmitted_, 0, 0);
    if (r > 0) {
      Submitted(r);
    } else if (r < 0 && errno == EINTR) {
      continue;
    } else {
      // EBUSY / EAGAIN: completions must be reaped first; Run() tries again.
      break;
    }
  }
}

void Ring::Queue(uint32_t slot) {
  // Called from libuv's callbacks too, where an exception would be std::terminate, and the
  // socket already counts as queued: losing the slot would lose its events for good.
  try {
    ready_.push_back(slot);
  } catch (const std::bad_alloc&) {
    napi_fatal_error("node-wsk", NAPI_AUTO_LENGTH, "out of memory queueing a socket's readiness", NAPI_AUTO_LENGTH);
  }
  if (!running_) uv_idle_start(&idle_, OnIdle);
}

void Ring::Retain() {
  if (armed_++ == 0) uv_ref(reinterpret_cast<uv_handle_t*>(&watcher_));
}

void Ring::Release() {
  if (armed_ > 0 && --armed_ == 0) uv_unref(reinterpret_cast<uv_handle_t*>(&watcher_));
}

void Ring::OnReadable(uv_poll_t* watcher, int, int) { static_cast<Ring*>(watcher->data)->Run(); }

void Ring::OnIdle(uv_idle_t* idle) { static_cast<Ring*>(idle->data)->Run(); }

void Ring::Reap() {
  // Wakeups still owed their completion: any system call makes them; this one also
  // submits what is queued.
  if (LoadAcquire(sq_flags_) & IORING_SQ_TASKRUN) {
    int r = Enter(fd_, unsubmitted_, 0, IORING_ENTER_GETEVENTS);
    if (r > 0) Submitted(r);
  }
  for (;;) {
    unsigned head = *cq_head_;
    unsigned tail = LoadAcquire(cq_tail_);
    for (; head != tail; head++) {
      const io_uring_cqe& cqe = cqes_[head & cq_mask_];
      if (cqe.user_data != 0) OnRingCompletion(data_, cqe.user_data, cqe.res, cqe.flags);
    }
    StoreRelease(cq_head_, head);
    // Completions the kernel kept aside while the queue was full come back on request.
    if ((LoadAcquire(sq_flags_) & IORING_SQ_CQ_OVERFLOW) == 0) return;
    if (Enter(fd_, 0, 0, IORING_ENTER_GETEVENTS) < 0 && errno != EINTR) return;
  }
}

void Ring::Run() {
  running_ = true;
  for (int round = 0; round < kMaxRounds && data_->ring == this; round++) {
    Reap();
    if (ready_.empty()) break;
    round_.swap(ready_);
    for (uint32_t slot : round_) {
      if (data_->ring != this) break;  // the env is tearing down
      DeliverRing(data_, slot);
    }
    round_.clear();
    Flush();
  }
  running_ = false;
  if (data_->ring != this) return;
  Flush();
  // Readiness still owed (rounds ran out, or a report repeats): come back without blocking.
  if (ready_.empty()) uv_idle_stop(&idle_);
  else uv_idle_start(&idle_, OnIdle);
}

#else  // not Linux: sockets keep their own uv_poll_t

Ring* Ring::Get(EnvData* data) {
  data->ring_reason = "io_uring is Linux only";
  return nullptr;
}
void Ring::Close(EnvData*) {}
const char* Ring::Describe(EnvData* data, const char** reason) {
  *reason = "io_uring is Linux only";
  return "uv";
}
uint64_t Ring::NewTag(uint32_t) { return 0; }
bool Ring::Arm(int, uint32_t, uint64_t) { return false; }
void Ring::Cancel(uint64_t) {}
void Ring::Queue(uint32_t) {}
void Ring::Retain() {}
void Ring::Release() {}

#endif

}  // namespace wsk
