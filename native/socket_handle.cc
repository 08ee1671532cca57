#include "socket_handle.h"

#include <poll.h>
#ifdef __linux__
#include <linux/io_uring.h>
#else
#define IORING_CQE_F_MORE 0
#endif

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <new>
#include <string>

#include "guard.h"

namespace wsk {

// NETADDR -> sockaddr: the sockaddr length, or -errno.
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

// sockaddr -> NETADDR; anything that is not IPv4/IPv6 (an unnamed socket, a TCP
// recvfrom) becomes the all-zero "none" address.
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

namespace {

constexpr int kPollReadable = 1;
constexpr int kPollWritable = 2;
constexpr int kPollDisconnect = 4;
constexpr uint32_t kMaxViews = IOV_MAX;
// Most datagrams one recvmmsg/sendmmsg call takes (Linux's UIO_MAXIOV).
constexpr uint32_t kMaxBatch = 1024;

struct View {
  uint8_t* data = nullptr;
  size_t length = 0;
};

[[noreturn]] void ThrowType(Napi::Env env, const std::string& msg) {
  throw Napi::TypeError::New(env, msg);
}

[[noreturn]] void ThrowRange(Napi::Env env, const std::string& msg) {
  throw Napi::RangeError::New(env, msg);
}

// One call is the check and the read: napi_get_typedarray_info refuses (napi_invalid_arg,
// no exception) anything that is not a typed array.
bool ToView(napi_env env, napi_value value, View* out) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array) {
    return false;
  }
  out->data = static_cast<uint8_t*>(data);
  out->length = length;
  return true;
}

View ViewArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  View view;
  if (!ToView(info.Env(), info[i], &view)) {
    ThrowType(info.Env(), std::string(name) + " must be a Uint8Array");
  }
  return view;
}

// An optional NETADDR destination: null or undefined means the caller does not want it.
bool OptionalViewArg(const Napi::CallbackInfo& info, size_t i, const char* name, View* out) {
  if (info[i].IsNull() || info[i].IsUndefined()) return false;
  *out = ViewArg(info, i, name);
  return true;
}

// One call is the check and the read: napi_get_value_double refuses (napi_number_expected,
// no exception) anything that is not a number.
double NumberArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  double d;
  if (napi_get_value_double(info.Env(), info[i], &d) != napi_ok) {
    ThrowType(info.Env(), std::string(name) + " must be a number");
  }
  return d;
}

// A byte count or offset into a view; `max` is what the view has left.
size_t SizeArg(const Napi::CallbackInfo& info, size_t i, const char* name, size_t max) {
  double d = NumberArg(info, i, name);
  if (!(d >= 0 && d <= static_cast<double>(max)) || d != std::trunc(d)) {
    ThrowRange(info.Env(), std::string(name) + " must be an integer within the buffer");
  }
  return static_cast<size_t>(d);
}

// (buf, offset, length) starting at argument i, checked against the view's own length.
View SliceArgs(const Napi::CallbackInfo& info, size_t i) {
  View view = ViewArg(info, i, "buf");
  size_t offset = SizeArg(info, i + 1, "offset", view.length);
  size_t length = SizeArg(info, i + 2, "length", view.length - offset);
  return {view.data + offset, length};
}

// An Int32Array or Uint32Array of at least `min` elements (out-parameters of the batch calls).
int32_t* Int32ViewArg(const Napi::CallbackInfo& info, size_t i, const char* name, size_t min) {
  bool is_typed_array = false;
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_is_typedarray(info.Env(), info[i], &is_typed_array) != napi_ok || !is_typed_array ||
      napi_get_typedarray_info(info.Env(), info[i], &type, &length, &data, nullptr, nullptr) != napi_ok ||
      (type != napi_int32_array && type != napi_uint32_array)) {
    ThrowType(info.Env(), std::string(name) + " must be an Int32Array or Uint32Array");
  }
  if (length < min) ThrowRange(info.Env(), std::string(name) + " is too short");
  return static_cast<int32_t*>(data);
}

long ToSockaddr(const View& addr, sockaddr_storage* ss) { return wsk::ToSockaddr(addr.data, addr.length, ss); }

// Stack storage for the common small case, heap beyond it.
template <typename T, size_t N = 16>
class Scratch {
 public:
  explicit Scratch(size_t n) : p_(n <= N ? inline_ : (heap_ = std::make_unique<T[]>(n)).get()) {}
  T& operator[](size_t i) { return p_[i]; }
  T* get() { return p_; }

 private:
  T inline_[N];
  std::unique_ptr<T[]> heap_;
  T* p_;
};

// The views of a JS array as iovecs, for one sendmsg/recvmsg. Reading an element can run
// JS (a getter) that detaches or shrinks a view already visited, so every element is
// fetched first and the data pointers are read only after that, when no JS can run before
// the system call.
class IoVecs {
 public:
  IoVecs(const Napi::CallbackInfo& info, size_t i) : count_(Count(info, i)), iov_(count_) {
    Napi::Env env = info.Env();
    Napi::Array array = info[i].As<Napi::Array>();
    Scratch<napi_value> values(count_);
    View view;
    for (uint32_t k = 0; k < count_; k++) {
      values[k] = array.Get(k);
      if (!ToView(env, values[k], &view)) ThrowType(env, "bufs must contain only Uint8Array views");
    }
    for (uint32_t k = 0; k < count_; k++) {
      ToView(env, values[k], &view);
      iov_[k].iov_base = view.data;
      iov_[k].iov_len = view.length;
    }
  }

  os::IoVec* data() { return iov_.get(); }
  size_t size() const { return count_; }
  size_t total() {
    size_t sum = 0;
    for (uint32_t k = 0; k < count_; k++) sum += iov_[k].iov_len;
    return sum;
  }

 private:
  static uint32_t Count(const Napi::CallbackInfo& info, size_t i) {
    if (!info[i].IsArray()) ThrowType(info.Env(), "bufs must be an array of Uint8Array views");
    uint32_t count = info[i].As<Napi::Array>().Length();
    if (count > kMaxViews) ThrowRange(info.Env(), "bufs holds more than IOV_MAX views");
    return count;
  }

  uint32_t count_;
  Scratch<os::IoVec> iov_;
};

}  // namespace

// --- socket ids ----------------------------------------------------------------------------

namespace {

constexpr uint32_t kEnvTags = 1u << HandleTable::kEnvBits;
constexpr uint32_t kMaxGeneration = (1u << HandleTable::kGenerationBits) - 1;

// Env tags in use, process-wide (envs live on different threads). A new env takes the next
// tag no live env holds, round robin, so a tag comes back as late as possible; only with
// every tag held (256 envs alive at once) is one shared, and then an id carried between
// two envs that share a tag could name a socket there.
std::mutex env_tag_mutex;
uint32_t env_tag_users[kEnvTags];
uint32_t env_tag_next = 0;

uint32_t AcquireEnvTag() {
  std::lock_guard<std::mutex> lock(env_tag_mutex);
  uint32_t tag = env_tag_next;
  for (uint32_t k = 0; k < kEnvTags; k++) {
    uint32_t t = (env_tag_next + k) % kEnvTags;
    if (env_tag_users[t] == 0) {
      tag = t;
      break;
    }
  }
  env_tag_users[tag]++;
  env_tag_next = (tag + 1) % kEnvTags;
  return tag;
}

void ReleaseEnvTag(uint32_t tag) {
  std::lock_guard<std::mutex> lock(env_tag_mutex);
  env_tag_users[tag]--;
}

}  // namespace

HandleTable::HandleTable() : env_tag_(AcquireEnvTag()) {}

HandleTable::~HandleTable() { ReleaseEnvTag(env_tag_); }

uint32_t HandleTable::Issue() {
  uint32_t slot = free_;
  if (slot != kNoSlot) {
    free_ = slots_[slot].next_free;
  } else {
    if (slots_.size() == (size_t{1} << kSlotBits)) return kNoSlot;
    slots_.push_back({-1, nullptr, 1, kNoSlot});  // may throw; nothing changed then
    slot = static_cast<uint32_t>(slots_.size() - 1);
  }
  Slot& s = slots_[slot];
  s.id = static_cast<double>((uint64_t{s.generation} << (kEnvBits + kSlotBits)) |
                             (uint64_t{env_tag_} << kSlotBits) | slot);
  return slot;
}

void HandleTable::Free(uint32_t slot) {
  Slot& s = slots_[slot];
  s.id = -1;
  s.socket = nullptr;
  if (++s.generation > kMaxGeneration) return;  // retired: every id it could give is spent
  s.next_free = free_;
  free_ = slot;
}

// --- argument checks ---------------------------------------------------------------------

int32_t Int32Arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  double d = NumberArg(info, i, name);
  if (!(d >= INT32_MIN && d <= INT32_MAX) || d != std::trunc(d)) {
    ThrowRange(info.Env(), std::string(name) + " must be a 32-bit integer");
  }
  return static_cast<int32_t>(d);
}

namespace {

long SendSlice(os::Fd fd, uint8_t* data, size_t length, int flags) {
  return os::SendTo(fd, data, length, flags, nullptr, 0);
}

long RecvSlice(os::Fd fd, uint8_t* data, size_t length, int flags) {
  return os::RecvFrom(fd, data, length, flags, nullptr, nullptr);
}

}  // namespace

// --- construction and lifetime -------------------------------------------------------

void SocketHandle::Exports(Napi::Env env, Napi::Object exports, EnvData* data) {
  auto set = [&](const char* name, napi_callback cb) { SetFunction(env, exports, name, cb, data); };
  set("fd", Entry<Fd>);
  set("setsockopt", Entry<SetSockOpt>);
  set("getsockopt", Entry<GetSockOpt>);
  set("bind", Entry<Bind>);
  set("listen", Entry<Listen>);
  set("accept", Entry<Accept>);
  set("connect", Entry<Connect>);
  set("takeError", Entry<TakeError>);
  set("send", Entry<Slice<SendSlice, false>>);
  set("sendv", Entry<SendV>);
  set("recv", Entry<Slice<RecvSlice, true>>);
  set("recvv", Entry<RecvV>);
  set("sendto", Entry<SendTo>);
  set("recvfrom", Entry<RecvFrom>);
  set("recvmsg", Entry<RecvMsg>);
  set("sendmsg", Entry<SendMsg>);
  set("recvmmsg", Entry<RecvMMsg>);
  set("sendmmsg", Entry<SendMMsg>);
  set("shutdown", Entry<Shutdown>);
  set("localAddress", Entry<LocalAddress>);
  set("peerAddress", Entry<PeerAddress>);
  set("available", Entry<Available>);
  set("poll", Entry<Poll>);
  set("close", Entry<CloseFunction>);
}

// Each function carries the EnvData of the load that made it: jest loads the addon again
// per test file, and an id is looked up only in its own load's table.
template <SocketHandle::Function F>
napi_value SocketHandle::Entry(napi_env env, napi_callback_info cbinfo) noexcept {
  return Guarded(env, [&]() -> napi_value {
    Napi::CallbackInfo info(env, cbinfo);
    return F(info, static_cast<EnvData*>(info.Data()));
  });
}

Napi::Value SocketHandle::Adopt(Napi::Env env, EnvData* data, os::Fd fd, bool stream) {
  uint32_t slot = HandleTable::kNoSlot;
  try {
    slot = data->handles.Issue();
  } catch (const std::bad_alloc&) {
    os::Close(fd);
    throw Napi::Error::New(env, "node-wsk: out of memory");
  }
  if (slot == HandleTable::kNoSlot) {
    // 2^24 sockets open in one env: no id to give (the process's descriptor limit).
    os::Close(fd);
    return Napi::Number::New(env, -EMFILE);
  }
  auto* socket = new (std::nothrow) SocketHandle(data, fd, stream, slot);
  if (socket == nullptr) {
    data->handles.Free(slot);
    os::Close(fd);
    throw Napi::Error::New(env, "node-wsk: out of memory");
  }
  data->handles.Set(slot, socket);
  return Napi::Number::New(env, data->handles.IdOf(slot));
}

SocketHandle::SocketHandle(EnvData* data, os::Fd fd, bool stream, uint32_t slot)
    : fd_(fd), data_(data), slot_(slot), stream_(stream) {
  next_ = data->open;
  if (next_ != nullptr) next_->prev_ = this;
  data->open = this;
  data->open_count++;
}

void SocketHandle::CloseAll(EnvData* data) {
  while (data->open != nullptr) data->open->Close();
}

// Nothing holds a SocketHandle across a call into JS (DeliverRing looks the socket up
// again by id after its handler), so the memory goes at once.
void SocketHandle::Close() {
  if (poll_ != nullptr) {
    // The watcher goes before the descriptor: a number the OS hands out again must never
    // be watched by this stale handle. libuv owns the memory until OnClosed.
    poll_->data = data_;
    data_->closing++;
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), OnClosed);
    poll_ = nullptr;
  }
  if (Ring* ring = data_->ring) {
    // The kernel's poll holds the file until it is removed, and with it the connection
    // (no FIN before that): the removal is submitted now, or at the end of this round.
    if (ring_tag_ != 0) ring->Cancel(ring_tag_);
    if (interest_ != 0) ring->Release();
  }
  os::Close(fd_);
  data_->handles.Free(slot_);
  if (prev_ != nullptr) prev_->next_ = next_;
  else data_->open = next_;
  if (next_ != nullptr) next_->prev_ = prev_;
  data_->open_count--;
  delete this;
}

void SocketHandle::OnClosed(uv_handle_t* handle) {
  auto* data = static_cast<EnvData*>(handle->data);
  delete reinterpret_cast<uv_poll_t*>(handle);
  data->closing--;
  data->MaybeFinishTeardown();
}

// UV_DISCONNECT (EPOLLRDHUP) goes with reading: it is how the peer's FIN shows up even
// while data is still queued.
int SocketHandle::UvEvents(int interest) {
  return (interest & kPollReadable ? UV_READABLE | UV_DISCONNECT : 0) |
         (interest & kPollWritable ? UV_WRITABLE : 0);
}

void SocketHandle::Disarm() {
  if (poll_ != nullptr) uv_poll_stop(poll_);
  // With the ring the kernel's poll stays (lazily, as libuv leaves epoll alone) until it
  // reports something nobody asked for, or the socket closes: re-arming is then free.
  if (interest_ != 0 && data_->ring != nullptr) data_->ring->Release();
  interest_ = 0;
}

// --- readiness ------------------------------------------------------------------------

// Looks the socket up once the arguments are checked: -EBADF for an id that names no open
// socket of this env (closed, never issued, another env's, not an integer).
#define RESULT(expr) Napi::Number::New(info.Env(), static_cast<double>(expr))
#define SOCKET_OR_EBADF(id)                              \
  SocketHandle* self = data->handles.Find(id);           \
  if (self == nullptr) return RESULT(-EBADF)

namespace {
double IdArg(const Napi::CallbackInfo& info) { return NumberArg(info, 0, "id"); }
}  // namespace

Napi::Value SocketHandle::Poll(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  int32_t events = Int32Arg(info, 1, "events");
  SOCKET_OR_EBADF(id);
  if (events & ~(kPollReadable | kPollWritable)) return RESULT(-EINVAL);
  if (events == 0) {
    self->Disarm();
    return RESULT(0);
  }
  Ring* ring = Ring::Get(data);
  return RESULT(ring != nullptr ? self->PollRing(ring, events) : self->PollUv(events));
}

int SocketHandle::PollUv(int events) {
  if (poll_ == nullptr) {
    auto* poll = new uv_poll_t;
    int r = uv_poll_init_socket(data_->loop, poll, fd_);
    if (r != 0) {
      delete poll;
      return r;
    }
    poll->data = this;
    poll_ = poll;
  }
  int r = uv_poll_start(poll_, UvEvents(events), OnPoll);
  if (r != 0) return r;
  interest_ = events;
  return 0;
}

namespace {

// POLL_* interest -> the poll(2) bits the kernel watches. POLLRDHUP goes with reading, as
// UV_DISCONNECT does in UvEvents; POLLERR and POLLHUP are always reported.
uint32_t KernelMask(int interest) {
  return (interest & kPollReadable ? POLLIN | POLLRDHUP : 0) | (interest & kPollWritable ? POLLOUT : 0);
}

}  // namespace

int SocketHandle::PollRing(Ring* ring, int events) {
  uint32_t want = KernelMask(events);
  if (ring_tag_ != 0 && (ring_mask_ & want) == want) {
    // The kernel's poll already covers this; it reports only what happens from now on, so
    // a bit newly asked for is reported at once unless a call showed there is nothing.
    ReportAgainUnlessDrained(events & ~interest_);
  } else {
    // A new poll: the kernel checks readiness as it arms it, so nothing is owed.
    if (!ArmRing(ring, events)) {
      if (interest_ != 0) ring->Release();
      interest_ = 0;
      return -EAGAIN;
    }
    ring_events_ = 0;
  }
  if (interest_ == 0) ring->Retain();
  interest_ = events;
  return 0;
}

// Replaces the kernel's poll of this socket (if any) with one for `interest`; false, and
// no poll, when the submission queue is full and cannot be flushed.
bool SocketHandle::ArmRing(Ring* ring, int interest) {
  if (ring_tag_ != 0) ring->Cancel(ring_tag_);
  uint64_t tag = ring->NewTag(slot_);
  bool armed = ring->Arm(fd_, KernelMask(interest), tag);
  ring_tag_ = armed ? tag : 0;
  ring_mask_ = armed ? KernelMask(interest) : 0;
  return armed;
}

// The POLL_* `bits` are reported (again) in this or the next round, but for those a call
// showed used up, whose next readiness the kernel will report itself.
void SocketHandle::ReportAgainUnlessDrained(int bits) {
  uint32_t owed = (bits & kPollReadable && !read_drained_ ? POLLIN : 0) |
                  (bits & kPollWritable && !write_drained_ ? POLLOUT : 0);
  if (owed == 0) return;
  ring_events_ |= owed;
  Queue();
}

void SocketHandle::Queue() {
  if (ring_queued_) return;
  ring_queued_ = true;
  data_->ring->Queue(slot_);
}

void SocketHandle::OnRingCompletion(EnvData* data, uint64_t tag, int32_t res, uint32_t flags) {
  SocketHandle* self = data->handles.AtSlot(static_cast<uint32_t>(tag & ((uint64_t{1} << HandleTable::kSlotBits) - 1)));
  if (self == nullptr || self->ring_tag_ != tag) return;  // an earlier poll, or a closed socket
  uint32_t seen = res >= 0 ? static_cast<uint32_t>(res) : (res == -ECANCELED ? 0 : POLLERR);
  if ((flags & IORING_CQE_F_MORE) == 0) {
    // The kernel ended the poll (it does when completions overflow, for one). Armed again
    // while wanted, whatever the reason but the ring's own end; the new poll reports the
    // state it finds.
    self->ring_tag_ = 0;
    self->ring_mask_ = 0;
    if (self->interest_ != 0 && res != -ECANCELED) self->ArmRing(data->ring, self->interest_);
  }
  if (seen & (POLLIN | POLLRDHUP | POLLHUP | POLLERR)) self->read_drained_ = false;
  if (seen & (POLLRDHUP | POLLHUP | POLLERR)) self->hung_up_ = true;
  if (seen & (POLLOUT | POLLHUP | POLLERR)) self->write_drained_ = false;
  if (self->interest_ == 0) {
    // Disarmed since: now is the time to stop the kernel's poll.
    if (self->ring_tag_ != 0) data->ring->Cancel(self->ring_tag_);
    self->ring_tag_ = 0;
    self->ring_mask_ = 0;
    self->ring_events_ = 0;
    return;
  }
  if (seen == 0) return;
  self->ring_events_ |= seen;
  self->Queue();
}

void SocketHandle::DeliverRing(EnvData* data, uint32_t slot) {
  SocketHandle* self = data->handles.AtSlot(slot);
  if (self == nullptr || !self->ring_queued_) return;
  self->ring_queued_ = false;
  uint32_t seen = self->ring_events_;
  self->ring_events_ = 0;
  int interest = self->interest_;
  if (interest == 0 || seen == 0) return;
  // As libuv reports for uv_poll: an error or hang-up makes the socket ready for whatever
  // was asked (the next call returns the real error), POLLERR with status UV_EBADF.
  int events = (seen & POLLIN ? kPollReadable : 0) | (seen & POLLOUT ? kPollWritable : 0);
  if (seen & (POLLERR | POLLHUP)) events |= interest;
  events &= interest;
  if ((seen & POLLRDHUP) && (interest & kPollReadable)) events |= kPollDisconnect | kPollReadable;
  if (events == 0) {
    // Only bits nobody asks for any more: narrow the kernel's poll now.
    self->ArmRing(data->ring, interest);
    return;
  }
  int status = seen & POLLERR ? UV_EBADF : 0;
  // The handler may close this socket (and free `self`): it is looked up again after.
  double id = data->handles.IdOf(slot);
  if (!CallHandler(data->env, data, slot, events, status)) {
    self->Disarm();
  } else if ((self = data->handles.Find(id)) != nullptr && self->interest_ != 0) {
    // Level-triggered, as promised: what was reported and not shown used up by a call is
    // reported again (see ring.h).
    self->ReportAgainUnlessDrained(events & self->interest_);
  }
}

bool SocketHandle::CallHandler(napi_env env, EnvData* data, uint32_t slot, int events, int status) {
  if (data->handler.IsEmpty()) return false;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return false;
  napi_value argv[3] = {nullptr, nullptr, nullptr};
  napi_create_int32(env, static_cast<int32_t>(slot), &argv[0]);  // < 2^24: a small integer
  napi_create_int32(env, events, &argv[1]);
  napi_create_int32(env, status, &argv[2]);
  napi_value fn = nullptr;
  napi_get_reference_value(env, data->handler, &fn);
  // MakeCallback (not a plain call) so process.nextTick and promise jobs run when the
  // handler returns, as after any Node handle callback. `this` is the handler itself: no
  // socket object to pass, and any object will do.
  if (napi_make_callback(env, data->async_context, fn, fn, 3, argv, nullptr) != napi_ok) {
    bool pending = false;
    napi_value error;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending &&
        napi_get_and_clear_last_exception(env, &error) == napi_ok) {
      napi_fatal_exception(env, error);
    }
  }
  napi_close_handle_scope(env, scope);
  return true;
}

void SocketHandle::OnPoll(uv_poll_t* poll, int status, int uv_events) {
  auto* self = static_cast<SocketHandle*>(poll->data);
  EnvData* data = self->data_;
  int events = (uv_events & UV_READABLE ? kPollReadable : 0) |
               (uv_events & UV_WRITABLE ? kPollWritable : 0) |
               (uv_events & UV_DISCONNECT ? kPollDisconnect : 0);
  if (status < 0 && self->interest_ != 0) {
    // On POLLERR libuv stops the watcher and reports UV_EBADF with no events. As with
    // poll(2), a pending error makes the socket ready for whatever was asked (the next
    // call returns the real error), and the interest stays until poll() changes it.
    events |= self->interest_;
    if (uv_poll_start(poll, UvEvents(self->interest_), OnPoll) != 0) self->Disarm();
  }
  // `self` is not touched after the call unless no JS ran: the handler may close it.
  if (!CallHandler(data->env, data, self->slot_, events, status)) self->Disarm();
}

void SocketHandle::NoteRead(long result, size_t asked, int flags) {
  if (result == -EAGAIN || result == -EWOULDBLOCK ||
      (stream_ && !hung_up_ && result > 0 && static_cast<size_t>(result) < asked && (flags & MSG_PEEK) == 0)) {
    read_drained_ = true;
  }
}

void SocketHandle::NoteWrite(long result, size_t asked) {
  if (result == -EAGAIN || result == -EWOULDBLOCK || (stream_ && result >= 0 && static_cast<size_t>(result) < asked)) {
    write_drained_ = true;
  }
}

// --- socket calls -----------------------------------------------------------------------
// Arguments are checked (and may throw) before the closed check, so a wrong call is
// reported as such whatever the socket's state.


Napi::Value SocketHandle::Fd(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  SocketHandle* self = data->handles.Find(id);
  return RESULT(self != nullptr ? self->fd_ : -1);
}

Napi::Value SocketHandle::SetSockOpt(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  int32_t level = Int32Arg(info, 1, "level");
  int32_t name = Int32Arg(info, 2, "name");
  View value = ViewArg(info, 3, "value");
  if (value.length > INT32_MAX) ThrowRange(info.Env(), "value is too long");
  SOCKET_OR_EBADF(id);
  return RESULT(os::SetSockOpt(self->fd_, level, name, value.data, static_cast<socklen_t>(value.length)));
}

Napi::Value SocketHandle::GetSockOpt(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  int32_t level = Int32Arg(info, 1, "level");
  int32_t name = Int32Arg(info, 2, "name");
  View out = ViewArg(info, 3, "out");
  if (out.length > INT32_MAX) ThrowRange(info.Env(), "out is too long");
  SOCKET_OR_EBADF(id);
  return RESULT(os::GetSockOpt(self->fd_, level, name, out.data, static_cast<socklen_t>(out.length)));
}

Napi::Value SocketHandle::Bind(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  View addr = ViewArg(info, 1, "addr");
  SOCKET_OR_EBADF(id);
  sockaddr_storage ss;
  long len = ToSockaddr(addr, &ss);
  if (len < 0) return RESULT(len);
  return RESULT(os::Bind(self->fd_, reinterpret_cast<sockaddr*>(&ss), static_cast<socklen_t>(len)));
}

Napi::Value SocketHandle::Listen(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  int32_t backlog = Int32Arg(info, 1, "backlog");
  SOCKET_OR_EBADF(id);
  return RESULT(os::Listen(self->fd_, backlog));
}

Napi::Value SocketHandle::Accept(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  View out;
  bool want_addr = OptionalViewArg(info, 1, "addrOut", &out);
  SOCKET_OR_EBADF(id);
  // Refused before accepting: a connection taken from the queue must not be dropped.
  if (want_addr && out.length < kNetaddrSize) return RESULT(-EINVAL);
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  long fd = os::Accept(self->fd_, reinterpret_cast<sockaddr*>(&ss), &len);
  self->NoteRead(fd, 0, 0);
  if (fd < 0) return RESULT(fd);
  if (want_addr) FromSockaddr(ss, len, out.data);
  return Adopt(info.Env(), data, static_cast<os::Fd>(fd), true);
}

Napi::Value SocketHandle::Connect(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  View addr = ViewArg(info, 1, "addr");
  SOCKET_OR_EBADF(id);
  if (addr.length >= kNetaddrSize && addr.data[0] == 0) {
    // Version 0: AF_UNSPEC, which dissolves a datagram socket's association.
    sockaddr sa{};
    sa.sa_family = AF_UNSPEC;
    return RESULT(os::Connect(self->fd_, &sa, sizeof sa));
  }
  sockaddr_storage ss;
  long len = ToSockaddr(addr, &ss);
  if (len < 0) return RESULT(len);
  long r = os::Connect(self->fd_, reinterpret_cast<sockaddr*>(&ss), static_cast<socklen_t>(len));
  // Under way: the kernel wakes the socket's pollers when it connects or fails.
  if (r == -EINPROGRESS) self->write_drained_ = true;
  return RESULT(r);
}

Napi::Value SocketHandle::TakeError(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  SOCKET_OR_EBADF(id);
  return RESULT(os::TakeError(self->fd_));
}

Napi::Value SocketHandle::SendV(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  IoVecs bufs(info, 1);
  int32_t flags = Int32Arg(info, 2, "flags");
  SOCKET_OR_EBADF(id);
  long r = os::SendV(self->fd_, bufs.data(), bufs.size(), flags);
  self->NoteWrite(r, bufs.total());
  return RESULT(r);
}

Napi::Value SocketHandle::RecvV(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  IoVecs bufs(info, 1);
  int32_t flags = Int32Arg(info, 2, "flags");
  SOCKET_OR_EBADF(id);
  long r = os::RecvV(self->fd_, bufs.data(), bufs.size(), flags);
  self->NoteRead(r, bufs.total(), flags);
  return RESULT(r);
}

Napi::Value SocketHandle::SendTo(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  View buf = SliceArgs(info, 1);
  int32_t flags = Int32Arg(info, 4, "flags");
  View addr;
  bool has_addr = OptionalViewArg(info, 5, "addr", &addr);
  SOCKET_OR_EBADF(id);
  sockaddr_storage ss;
  long len = 0;
  if (has_addr) {
    len = ToSockaddr(addr, &ss);
    if (len < 0) return RESULT(len);
  }
  long r = os::SendTo(self->fd_, buf.data, buf.length, flags, has_addr ? reinterpret_cast<sockaddr*>(&ss) : nullptr,
                      static_cast<socklen_t>(len));
  self->NoteWrite(r, buf.length);
  return RESULT(r);
}

Napi::Value SocketHandle::RecvFrom(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  View buf = SliceArgs(info, 1);
  int32_t flags = Int32Arg(info, 4, "flags");
  View out;
  bool want_addr = OptionalViewArg(info, 5, "addrOut", &out);
  SOCKET_OR_EBADF(id);
  if (want_addr && out.length < kNetaddrSize) return RESULT(-EINVAL);
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  long r = os::RecvFrom(self->fd_, buf.data, buf.length, flags, reinterpret_cast<sockaddr*>(&ss), &len);
  self->NoteRead(r, buf.length, flags);
  if (r >= 0 && want_addr) FromSockaddr(ss, len, out.data);
  return RESULT(r);
}

// recvmsg(bufs, flags, addrOut, control, out): bytes placed in bufs, or -errno;
// out[0] = the host's msg_flags (MSG_TRUNC, MSG_CTRUNC...), out[1] = control bytes written.
Napi::Value SocketHandle::RecvMsg(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  IoVecs bufs(info, 1);
  int32_t flags = Int32Arg(info, 2, "flags");
  View addr_out, control;
  bool want_addr = OptionalViewArg(info, 3, "addrOut", &addr_out);
  bool want_control = OptionalViewArg(info, 4, "control", &control);
  int32_t* out = Int32ViewArg(info, 5, "out", 2);
  SOCKET_OR_EBADF(id);
  if (want_addr && addr_out.length < kNetaddrSize) return RESULT(-EINVAL);
  if (want_control && control.length > INT32_MAX) return RESULT(-EINVAL);
  sockaddr_storage ss;
  msghdr m{};
  m.msg_name = &ss;
  m.msg_namelen = sizeof ss;
  m.msg_iov = bufs.data();
  m.msg_iovlen = bufs.size();
  if (want_control && control.length > 0) {
    m.msg_control = control.data;
    m.msg_controllen = control.length;
  }
  long r = os::RecvMsg(self->fd_, &m, flags);
  self->NoteRead(r, bufs.total(), flags);
  if (r < 0) return RESULT(r);
  if (want_addr) FromSockaddr(ss, m.msg_namelen, addr_out.data);
  out[0] = m.msg_flags;
  out[1] = static_cast<int32_t>(m.msg_control != nullptr ? m.msg_controllen : 0);
  return RESULT(r);
}

// sendmsg(bufs, flags, addr, control): bytes sent, or -errno. `control` holds host cmsgs.
Napi::Value SocketHandle::SendMsg(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  IoVecs bufs(info, 1);
  int32_t flags = Int32Arg(info, 2, "flags");
  View addr, control;
  bool has_addr = OptionalViewArg(info, 3, "addr", &addr);
  bool has_control = OptionalViewArg(info, 4, "control", &control);
  SOCKET_OR_EBADF(id);
  if (has_control && control.length > INT32_MAX) return RESULT(-EINVAL);
  sockaddr_storage ss;
  msghdr m{};
  if (has_addr) {
    long len = ToSockaddr(addr, &ss);
    if (len < 0) return RESULT(len);
    m.msg_name = &ss;
    m.msg_namelen = static_cast<socklen_t>(len);
  }
  m.msg_iov = bufs.data();
  m.msg_iovlen = bufs.size();
  if (has_control && control.length > 0) {
    m.msg_control = control.data;
    m.msg_controllen = control.length;
  }
  long r = os::SendMsg(self->fd_, &m, flags);
  self->NoteWrite(r, bufs.total());
  return RESULT(r);
}

// recvmmsg(area, slotSize, count, meta, addrs, control, controlSlot, flags): up to `count`
// datagrams, datagram i into area[i*slotSize, +slotSize), its sender into addrs[i*28, +28)
// and its control data into control[i*controlSlot, +controlSlot). meta[3i..3i+2] = bytes,
// host msg_flags, control bytes. Returns the number received (one system call), or -errno.
Napi::Value SocketHandle::RecvMMsg(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  Napi::Env env = info.Env();
  View area = ViewArg(info, 1, "area");
  double slot_d = NumberArg(info, 2, "slotSize");
  double count_d = NumberArg(info, 3, "count");
  if (!(slot_d >= 1 && slot_d <= static_cast<double>(area.length)) || slot_d != std::trunc(slot_d)) {
    ThrowRange(env, "slotSize must be an integer from 1 to the area's length");
  }
  if (!(count_d >= 1 && count_d <= kMaxBatch) || count_d != std::trunc(count_d)) {
    ThrowRange(env, "count must be an integer from 1 to 1024");
  }
  size_t slot = static_cast<size_t>(slot_d);
  uint32_t count = static_cast<uint32_t>(count_d);
  if (slot * count > area.length) ThrowRange(env, "slotSize * count exceeds the area");
  int32_t* meta = Int32ViewArg(info, 4, "meta", 3 * static_cast<size_t>(count));
  View addrs, control;
  bool want_addrs = OptionalViewArg(info, 5, "addrs", &addrs);
  bool want_control = OptionalViewArg(info, 6, "control", &control);
  size_t control_slot = 0;
  if (want_control) {
    double c = NumberArg(info, 7, "controlSlot");
    if (!(c >= 0 && c <= 65536) || c != std::trunc(c)) ThrowRange(env, "controlSlot must be an integer from 0 to 65536");
    control_slot = static_cast<size_t>(c);
    if (control_slot * count > control.length) ThrowRange(env, "controlSlot * count exceeds control");
  }
  int32_t flags = Int32Arg(info, 8, "flags");
  if (want_addrs && addrs.length < kNetaddrSize * count) ThrowRange(env, "addrs is shorter than count NETADDRs");
  SOCKET_OR_EBADF(id);
  Scratch<os::MMsgHdr, 64> msgs(count);
  Scratch<os::IoVec, 64> iov(count);
  Scratch<sockaddr_storage, 64> names(count);
  for (uint32_t i = 0; i < count; i++) {
    iov[i].iov_base = area.data + i * slot;
    iov[i].iov_len = slot;
    msghdr& m = msgs[i].msg_hdr;
    m = msghdr{};
    m.msg_iov = &iov[i];
    m.msg_iovlen = 1;
    m.msg_name = &names[i];
    m.msg_namelen = sizeof(sockaddr_storage);
    if (control_slot > 0) {
      m.msg_control = control.data + i * control_slot;
      m.msg_controllen = control_slot;
    }
    msgs[i].msg_len = 0;
  }
  long n = os::RecvMMsg(self->fd_, msgs.get(), count, flags);
  // Fewer datagrams than asked: the queue ran empty (recvmmsg stops at EAGAIN).
  if (n == -EAGAIN || n == -EWOULDBLOCK || (n >= 0 && n < static_cast<long>(count) && (flags & MSG_PEEK) == 0)) self->read_drained_ = true;
  if (n < 0) return RESULT(n);
  for (long i = 0; i < n; i++) {
    const msghdr& m = msgs[i].msg_hdr;
    meta[3 * i] = static_cast<int32_t>(msgs[i].msg_len);
    meta[3 * i + 1] = m.msg_flags;
    meta[3 * i + 2] = static_cast<int32_t>(m.msg_control != nullptr ? m.msg_controllen : 0);
    if (want_addrs) FromSockaddr(names[i], m.msg_namelen, addrs.data + i * kNetaddrSize);
  }
  return RESULT(n);
}

// sendmmsg(bufs, counts, addr, control, flags): datagram i is the next counts[i] views of
// bufs; all go to `addr` (null: the connected peer) with the same host control data.
// Returns the number of datagrams sent (one system call), or -errno when none was.
Napi::Value SocketHandle::SendMMsg(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  Napi::Env env = info.Env();
  IoVecs bufs(info, 1);
  bool is_typed_array = false;
  napi_typedarray_type type;
  size_t count = 0;
  void* counts_data = nullptr;
  if (napi_is_typedarray(env, info[2], &is_typed_array) != napi_ok || !is_typed_array ||
      napi_get_typedarray_info(env, info[2], &type, &count, &counts_data, nullptr, nullptr) != napi_ok ||
      (type != napi_int32_array && type != napi_uint32_array)) {
    ThrowType(env, "counts must be an Int32Array or Uint32Array");
  }
  if (count < 1 || count > kMaxBatch) ThrowRange(env, "counts must hold 1 to 1024 datagrams");
  const int32_t* counts = static_cast<const int32_t*>(counts_data);
  size_t total = 0;
  for (size_t i = 0; i < count; i++) {
    if (counts[i] < 0 || static_cast<uint32_t>(counts[i]) > kMaxViews) ThrowRange(env, "counts holds a bad view count");
    total += static_cast<size_t>(counts[i]);
  }
  if (total != bufs.size()) ThrowRange(env, "counts does not add up to the number of views");
  View addr, control;
  bool has_addr = OptionalViewArg(info, 3, "addr", &addr);
  bool has_control = OptionalViewArg(info, 4, "control", &control);
  int32_t flags = Int32Arg(info, 5, "flags");
  SOCKET_OR_EBADF(id);
  if (has_control && control.length > INT32_MAX) return RESULT(-EINVAL);
  sockaddr_storage ss;
  long salen = 0;
  if (has_addr) {
    salen = ToSockaddr(addr, &ss);
    if (salen < 0) return RESULT(salen);
  }
  Scratch<os::MMsgHdr, 64> msgs(count);
  size_t next = 0;
  for (size_t i = 0; i < count; i++) {
    msghdr& m = msgs[i].msg_hdr;
    m = msghdr{};
    if (has_addr) {
      m.msg_name = &ss;
      m.msg_namelen = static_cast<socklen_t>(salen);
    }
    m.msg_iov = bufs.data() + next;
    m.msg_iovlen = static_cast<size_t>(counts[i]);
    next += static_cast<size_t>(counts[i]);
    if (has_control && control.length > 0) {
      m.msg_control = control.data;
      m.msg_controllen = control.length;
    }
    msgs[i].msg_len = 0;
  }
  long r = os::SendMMsg(self->fd_, msgs.get(), static_cast<unsigned>(count), flags);
  if (r == -EAGAIN || r == -EWOULDBLOCK || (r >= 0 && r < static_cast<long>(count))) self->write_drained_ = true;
  return RESULT(r);
}

Napi::Value SocketHandle::Shutdown(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  int32_t how = Int32Arg(info, 1, "how");
  SOCKET_OR_EBADF(id);
  return RESULT(os::Shutdown(self->fd_, how));
}

// getsockname / getpeername into the NETADDR `out` (argument 1).
Napi::Value SocketHandle::NameInto(const Napi::CallbackInfo& info, EnvData* data,
                                   long (*name)(os::Fd, sockaddr*, socklen_t*)) {
  double id = IdArg(info);
  View out = ViewArg(info, 1, "out");
  SOCKET_OR_EBADF(id);
  if (out.length < kNetaddrSize) return RESULT(-EINVAL);
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  long r = name(self->fd_, reinterpret_cast<sockaddr*>(&ss), &len);
  if (r >= 0) FromSockaddr(ss, len, out.data);
  return RESULT(r);
}

Napi::Value SocketHandle::LocalAddress(const Napi::CallbackInfo& info, EnvData* data) {
  return NameInto(info, data, os::LocalName);
}

Napi::Value SocketHandle::PeerAddress(const Napi::CallbackInfo& info, EnvData* data) {
  return NameInto(info, data, os::PeerName);
}

Napi::Value SocketHandle::Available(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  SOCKET_OR_EBADF(id);
  return RESULT(os::Available(self->fd_));
}

// Closing an id that names nothing (already closed) does nothing: close is idempotent.
Napi::Value SocketHandle::CloseFunction(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  if (SocketHandle* self = data->handles.Find(id)) self->Close();
  return info.Env().Undefined();
}

// send(id, buf, offset, length, flags) and recv(...): the data path, kept to the checks and
// one system call.
template <SocketHandle::SliceOp Op, bool kRead>
Napi::Value SocketHandle::Slice(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  View buf = SliceArgs(info, 1);
  int32_t flags = Int32Arg(info, 4, "flags");
  SOCKET_OR_EBADF(id);
  long r = Op(self->fd_, buf.data, buf.length, flags);
  if (kRead) self->NoteRead(r, buf.length, flags);
  else self->NoteWrite(r, buf.length);
  return RESULT(r);
}

}  // namespace wsk
