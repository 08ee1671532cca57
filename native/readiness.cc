#include "readiness.h"

#include <poll.h>
#ifdef __linux__
#include <linux/io_uring.h>
#else
#define IORING_CQE_F_MORE 0
#endif

#include "receive.h"
#include "ring.h"
#include "socket_call.h"

namespace wsk {

namespace {

// Automatic reads per readiness event while they fill the area (what lib/ read by itself
// per event before); then the level-triggered re-report takes over, after other sockets.
constexpr int kStreamRounds = 16;
constexpr int kDatagramRounds = 8;

// The readiness an interest waits for: POLL_RECEIVE reads, so it waits for readable.
int Wants(int interest) {
  return (interest & (kPollReadable | kPollWritable)) | (interest & kPollReceive ? kPollReadable : 0);
}

// UV_DISCONNECT (EPOLLRDHUP) goes with reading: it is how the peer's FIN shows up even
// while data is still queued.
int UvEvents(int interest) {
  int wants = Wants(interest);
  return (wants & kPollReadable ? UV_READABLE | UV_DISCONNECT : 0) | (wants & kPollWritable ? UV_WRITABLE : 0);
}

// POLL_* interest -> the poll(2) bits the kernel watches. POLLRDHUP goes with reading, as
// UV_DISCONNECT does in UvEvents; POLLERR and POLLHUP are always reported.
uint32_t KernelMask(int interest) {
  int wants = Wants(interest);
  return (wants & kPollReadable ? POLLIN | POLLRDHUP : 0) | (wants & kPollWritable ? POLLOUT : 0);
}

int Arm(SocketHandle* self, int events);

void Disarm(SocketHandle* self) {
  if (self->watcher != nullptr) uv_poll_stop(self->watcher);
  // With the ring the kernel's poll stays (lazily, as libuv leaves epoll alone) until it
  // reports something nobody asked for, or the socket closes: re-arming is then free.
  if (self->interest != 0 && self->data->ring != nullptr) self->data->ring->Release();
  self->interest = 0;
}

// A stream socket's automatic read saw the end of the stream or an error. From then on the
// socket is always readable, so native owns the end: the reading interest (POLL_RECEIVE and
// POLL_READABLE) goes, before JS hears of it; what else was asked stays. poll() with
// POLL_RECEIVE again would read again (and see the end again).
void EndReceive(SocketHandle* self) {
  if (Arm(self, self->interest & ~(kPollReceive | kPollReadable)) != 0) Disarm(self);
}

// Calls the env's handler with (slot, events, status, received) as a Node callback, inside
// the caller's handle scope; false when there is no handler or the call failed (it threw, or
// the env is shutting down).
bool CallHandler(EnvData* data, uint32_t slot, int events, int status, int32_t received) {
  if (data->handler.IsEmpty()) return false;
  napi_env env = data->env;
  napi_value argv[4] = {nullptr, nullptr, nullptr, nullptr};
  napi_create_int32(env, static_cast<int32_t>(slot), &argv[0]);  // < 2^24: a small integer
  napi_create_int32(env, events, &argv[1]);
  napi_create_int32(env, status, &argv[2]);
  napi_create_int32(env, received, &argv[3]);
  napi_value fn = nullptr;
  napi_get_reference_value(env, data->handler, &fn);
  data->stats.reports++;
  // MakeCallback (not a plain call) so process.nextTick and promise jobs run when the
  // handler returns, as after any Node handle callback. `this` is the handler itself: no
  // socket object to pass, and any object will do.
  if (napi_make_callback(env, data->async_context, fn, fn, 4, argv, nullptr) == napi_ok) return true;
  bool pending = false;
  napi_value error;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending &&
      napi_get_and_clear_last_exception(env, &error) == napi_ok) {
    napi_fatal_exception(env, error);
  }
  return false;
}

// One report's handle scope (a readiness callback runs outside any JS frame).
class Scope {
 public:
  explicit Scope(napi_env env) : env_(env), ok_(napi_open_handle_scope(env, &scope_) == napi_ok) {}
  ~Scope() {
    if (ok_) napi_close_handle_scope(env_, scope_);
  }
  bool ok() const { return ok_; }

 private:
  napi_env env_;
  napi_handle_scope scope_ = nullptr;
  bool ok_;
};

// Tells JS what `self` became ready for, with both pollers. A socket armed with POLL_RECEIVE
// is read first and the report carries what was read; while reads fill the area, native reads
// and reports again, up to its kind's rounds. One call into JS per read. A read that finds
// nothing is not reported unless other events (or an error status) are. False when there is
// no handler (no JS ran); after true, `self` may be gone (the handler may close it).
bool Report(EnvData* data, SocketHandle* self, int events, int status) {
  if (data->handler.IsEmpty()) return false;
  const double id = data->handles.IdOf(self->slot);
  const uint32_t slot = self->slot;
  const int rounds = self->stream ? kStreamRounds : kDatagramRounds;
  for (int round = 1;; round++) {
    Scope scope(data->env);
    if (!scope.ok()) return true;
    AutoRead read;
    if ((events & kPollReadable) && (self->interest & kPollReceive)) {
      read = ReadIntoArea(self);
      if (read.tried && read.received == kNoReceive) events &= ~kPollReadable;  // nothing after all
      if (read.ended) EndReceive(self);
    }
    // Nothing to say, unless an error is: a POLLERR the read did not explain (an error queue,
    // say) is still JS's to hear of, or it would repeat unseen.
    if (events == 0 && status == 0) return true;
    if (!CallHandler(data, slot, events, status, read.received) || !read.more || round == rounds) return true;
    // The handler may have closed the socket, dropped POLL_RECEIVE or swapped the area.
    self = data->handles.Find(id);
    if (self == nullptr || !(self->interest & kPollReceive)) return true;
    events = kPollReadable | (events & kPollDisconnect);
    status = 0;
  }
}

// --- one uv_poll_t per socket ----------------------------------------------------------

void OnPoll(uv_poll_t* poll, int status, int uv_events) {
  auto* self = static_cast<SocketHandle*>(poll->data);
  EnvData* data = self->data;
  // What the kernel said, kept here as the ring path keeps it (OnRingCompletion).
  if ((uv_events & (UV_READABLE | UV_DISCONNECT)) || status < 0) self->read_drained = false;
  if ((uv_events & UV_DISCONNECT) || status < 0) self->hung_up = true;
  if ((uv_events & UV_WRITABLE) || status < 0) self->write_drained = false;
  int events = (uv_events & UV_READABLE ? kPollReadable : 0) | (uv_events & UV_WRITABLE ? kPollWritable : 0) |
               (uv_events & UV_DISCONNECT ? kPollDisconnect : 0);
  if (status < 0 && self->interest != 0) {
    // On POLLERR libuv stops the watcher and reports UV_EBADF with no events. As with
    // poll(2), a pending error makes the socket ready for whatever was asked (the next
    // call returns the real error), and the interest stays until poll() changes it.
    events |= Wants(self->interest);
    if (uv_poll_start(poll, UvEvents(self->interest), OnPoll) != 0) Disarm(self);
  }
  // `self` is not touched after the report unless no JS ran: the handler may close it.
  if (!Report(data, self, events, status)) Disarm(self);
}

int PollUv(SocketHandle* self, int events) {
  if (self->watcher == nullptr) {
    auto* watcher = new uv_poll_t;
    int r = uv_poll_init_socket(self->data->loop, watcher, self->fd);
    if (r != 0) {
      delete watcher;
      return r;
    }
    watcher->data = self;
    self->watcher = watcher;
  }
  // libuv's epoll is level-triggered: what is ready now is reported on the next turn.
  int r = uv_poll_start(self->watcher, UvEvents(events), OnPoll);
  if (r != 0) return r;
  self->interest = events;
  return 0;
}

// --- the ring -------------------------------------------------------------------------

void Queue(SocketHandle* self) {
  if (self->ring_queued) return;
  self->ring_queued = true;
  self->data->ring->Queue(self->slot);
}

// The readiness `bits` are reported (again) in this or the next round, but for those a call
// showed used up, whose next readiness the kernel will report itself.
void ReportAgainUnlessDrained(SocketHandle* self, int bits) {
  uint32_t owed = (bits & kPollReadable && !self->read_drained ? POLLIN : 0) |
                  (bits & kPollWritable && !self->write_drained ? POLLOUT : 0);
  if (owed == 0) return;
  self->ring_events |= owed;
  Queue(self);
}

// Replaces the kernel's poll of this socket (if any) with one for `interest`; false, and
// no poll, when the submission queue is full and cannot be flushed.
bool ArmRing(SocketHandle* self, Ring* ring, int interest) {
  if (self->ring_tag != 0) ring->Cancel(self->ring_tag);
  uint64_t tag = ring->NewTag(self->slot);
  bool armed = ring->Arm(self->fd, KernelMask(interest), tag);
  self->ring_tag = armed ? tag : 0;
  self->ring_mask = armed ? KernelMask(interest) : 0;
  return armed;
}

int PollRing(SocketHandle* self, Ring* ring, int events) {
  uint32_t want = KernelMask(events);
  if (self->ring_tag != 0 && (self->ring_mask & want) == want) {
    // The kernel's poll already covers this; it reports only what happens from now on, so
    // readiness newly asked for is reported at once unless a call showed there is nothing
    // (and then the poll, armed all along, reports what comes).
    ReportAgainUnlessDrained(self, Wants(events) & ~Wants(self->interest));
  } else {
    // A new poll: the kernel checks readiness as it arms it, so nothing is owed.
    if (!ArmRing(self, ring, events)) {
      if (self->interest != 0) ring->Release();
      self->interest = 0;
      return -EAGAIN;
    }
    self->ring_events = 0;
  }
  if (self->interest == 0) ring->Retain();
  self->interest = events;
  return 0;
}

int Arm(SocketHandle* self, int events) {
  if (events == 0) {
    Disarm(self);
    return 0;
  }
  Ring* ring = Ring::Get(self->data);
  return ring != nullptr ? PollRing(self, ring, events) : PollUv(self, events);
}

// poll(id, events): POLL_READABLE | POLL_WRITABLE | POLL_RECEIVE, 0 to stop.
Napi::Value Poll(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  int32_t events = Int32Arg(info, 1, "events");
  SOCKET_OR_EBADF(id);
  if (events & ~(kPollReadable | kPollWritable | kPollReceive)) return RESULT(-EINVAL);
  return RESULT(Arm(self, events));
}

}  // namespace

void OnRingCompletion(EnvData* data, uint64_t tag, int32_t res, uint32_t flags) {
  SocketHandle* self = data->handles.AtSlot(HandleTable::SlotOf(tag));
  if (self == nullptr || self->ring_tag != tag) return;  // an earlier poll, or a closed socket
  uint32_t seen = res >= 0 ? static_cast<uint32_t>(res) : (res == -ECANCELED ? 0 : POLLERR);
  if ((flags & IORING_CQE_F_MORE) == 0) {
    // The kernel ended the poll (it does when completions overflow, for one). Armed again
    // while wanted, whatever the reason but the ring's own end; the new poll reports the
    // state it finds.
    self->ring_tag = 0;
    self->ring_mask = 0;
    if (self->interest != 0 && res != -ECANCELED) ArmRing(self, data->ring, self->interest);
  }
  if (seen & (POLLIN | POLLRDHUP | POLLHUP | POLLERR)) self->read_drained = false;
  if (seen & (POLLRDHUP | POLLHUP | POLLERR)) self->hung_up = true;
  if (seen & (POLLOUT | POLLHUP | POLLERR)) self->write_drained = false;
  if (self->interest == 0) {
    // Disarmed since: now is the time to stop the kernel's poll.
    if (self->ring_tag != 0) data->ring->Cancel(self->ring_tag);
    self->ring_tag = 0;
    self->ring_mask = 0;
    self->ring_events = 0;
    return;
  }
  if (seen == 0) return;
  self->ring_events |= seen;
  Queue(self);
}

void DeliverRing(EnvData* data, uint32_t slot) {
  SocketHandle* self = data->handles.AtSlot(slot);
  if (self == nullptr || !self->ring_queued) return;
  self->ring_queued = false;
  uint32_t seen = self->ring_events;
  self->ring_events = 0;
  int interest = self->interest;
  if (interest == 0 || seen == 0) return;
  // As libuv reports for uv_poll: an error or hang-up makes the socket ready for whatever
  // was asked (the next call returns the real error), POLLERR with status UV_EBADF.
  int wants = Wants(interest);
  int events = (seen & POLLIN ? kPollReadable : 0) | (seen & POLLOUT ? kPollWritable : 0);
  if (seen & (POLLERR | POLLHUP)) events |= wants;
  events &= wants;
  if ((seen & POLLRDHUP) && (wants & kPollReadable)) events |= kPollDisconnect | kPollReadable;
  if (events == 0) {
    // Only bits nobody asks for any more: narrow the kernel's poll now.
    ArmRing(self, data->ring, interest);
    return;
  }
  int status = seen & POLLERR ? UV_EBADF : 0;
  // The handler may close this socket (and free `self`): it is looked up again after.
  double id = data->handles.IdOf(slot);
  if (!Report(data, self, events, status)) {
    Disarm(self);
  } else if ((self = data->handles.Find(id)) != nullptr && self->interest != 0) {
    // Level-triggered, as promised: what was reported and not shown used up by a call is
    // reported again (see ring.h).
    ReportAgainUnlessDrained(self, events & Wants(self->interest));
  }
}

void ReadinessExports(Napi::Env env, Napi::Object exports, EnvData* data) {
  SetSocketFunction<Poll>(env, exports, "poll", data);
}

}  // namespace wsk
