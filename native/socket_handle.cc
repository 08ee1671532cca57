#include "socket_handle.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string>

namespace wsk {
namespace {

constexpr size_t kNetaddrSize = 28;
constexpr int kPollReadable = 1;
constexpr int kPollWritable = 2;
constexpr int kPollDisconnect = 4;

// Marks objects built by this class, so that a method borrowed onto any other object
// (even one wrapped by another addon) throws instead of reinterpreting foreign memory.
constexpr napi_type_tag kSocketTag = {0x6e6f64652d77736bULL, 0x4e6174697665536bULL};

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

bool ToView(napi_env env, napi_value value, View* out) {
  bool is_typed_array = false;
  if (napi_is_typedarray(env, value, &is_typed_array) != napi_ok || !is_typed_array) return false;
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

double NumberArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  if (!info[i].IsNumber()) ThrowType(info.Env(), std::string(name) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
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

// NETADDR -> sockaddr: the sockaddr length, or -errno.
long ToSockaddr(const View& addr, sockaddr_storage* ss) {
  if (addr.length < kNetaddrSize) return -EINVAL;
  const uint8_t* p = addr.data;
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

 private:
  static uint32_t Count(const Napi::CallbackInfo& info, size_t i) {
    if (!info[i].IsArray()) ThrowType(info.Env(), "bufs must be an array of Uint8Array views");
    uint32_t count = info[i].As<Napi::Array>().Length();
    if (count > IOV_MAX) ThrowRange(info.Env(), "bufs holds more than IOV_MAX views");
    return count;
  }

  uint32_t count_;
  Scratch<os::IoVec> iov_;
};

}  // namespace

int32_t Int32Arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  double d = NumberArg(info, i, name);
  if (!(d >= INT32_MIN && d <= INT32_MAX) || d != std::trunc(d)) {
    ThrowRange(info.Env(), std::string(name) + " must be a 32-bit integer");
  }
  return static_cast<int32_t>(d);
}

// --- construction and lifetime -------------------------------------------------------

Napi::Function SocketHandle::MakeClass(Napi::Env env) {
  using Descriptor = Napi::ClassPropertyDescriptor<SocketHandle>;
  auto method = [](const char* name, napi_callback cb) {
    return Descriptor({name, nullptr, cb, nullptr, nullptr, nullptr, napi_default_method, nullptr});
  };
  // Raw descriptors rather than InstanceMethod(): node-addon-api's wrappers unwrap `this`
  // unchecked (and quietly return undefined for a foreign object); Thunk checks the type
  // tag first.
  return ObjectWrap<SocketHandle>::DefineClass(
      env, "NativeSocket",
      {
          Descriptor({"fd", nullptr, nullptr, Thunk<&SocketHandle::GetFd>, nullptr, nullptr,
                      napi_configurable, nullptr}),
          method("setsockopt", Thunk<&SocketHandle::SetSockOpt>),
          method("getsockopt", Thunk<&SocketHandle::GetSockOpt>),
          method("bind", Thunk<&SocketHandle::Bind>),
          method("listen", Thunk<&SocketHandle::Listen>),
          method("accept", Thunk<&SocketHandle::Accept>),
          method("connect", Thunk<&SocketHandle::Connect>),
          method("takeError", Thunk<&SocketHandle::TakeError>),
          method("send", Thunk<&SocketHandle::Send>),
          method("sendv", Thunk<&SocketHandle::SendV>),
          method("recv", Thunk<&SocketHandle::Recv>),
          method("recvv", Thunk<&SocketHandle::RecvV>),
          method("sendto", Thunk<&SocketHandle::SendTo>),
          method("recvfrom", Thunk<&SocketHandle::RecvFrom>),
          method("shutdown", Thunk<&SocketHandle::Shutdown>),
          method("localAddress", Thunk<&SocketHandle::LocalAddress>),
          method("peerAddress", Thunk<&SocketHandle::PeerAddress>),
          method("available", Thunk<&SocketHandle::Available>),
          method("poll", Thunk<&SocketHandle::Poll>),
          method("close", Thunk<&SocketHandle::CloseMethod>),
      });
}

template <SocketHandle::Method M>
napi_value SocketHandle::Thunk(napi_env env, napi_callback_info cbinfo) {
  try {
    Napi::CallbackInfo info(env, cbinfo);
    bool tagged = false;
    SocketHandle* self = nullptr;
    if (info.This().IsObject() &&
        napi_check_object_type_tag(env, info.This(), &kSocketTag, &tagged) == napi_ok && tagged) {
      self = Unwrap(info.This().As<Napi::Object>());
    }
    if (self == nullptr) ThrowType(info.Env(), "Illegal invocation: `this` is not a native socket");
    return (self->*M)(info);
  } catch (const Napi::Error& e) {
    e.ThrowAsJavaScriptException();
  } catch (const std::bad_alloc&) {
    napi_throw_error(env, "ENOMEM", "node-wsk: out of memory");
  }
  return nullptr;
}

Napi::Object SocketHandle::Adopt(Napi::Env env, EnvData* data, os::Fd fd) {
  data->adopt_fd = fd;
  try {
    if (data->token.IsEmpty()) {
      data->token = Napi::Persistent(Napi::External<EnvData>::New(env, data));
    }
    return data->constructor.New({data->token.Value()});
  } catch (...) {
    if (data->adopt_fd != os::kNoFd) os::Close(data->adopt_fd);
    data->adopt_fd = os::kNoFd;
    throw;
  }
}

SocketHandle::SocketHandle(const Napi::CallbackInfo& info) : ObjectWrap(info) {
  Napi::Env env = info.Env();
  auto* data = env.GetInstanceData<EnvData>();
  // Only Adopt() constructs: it passes an External of this env's data, which JS never
  // sees and cannot forge, so `new sock.constructor()` from JS is refused.
  if (data == nullptr || info.Length() != 1 || !info[0].IsExternal() ||
      info[0].As<Napi::External<EnvData>>().Data() != data || data->adopt_fd == os::kNoFd) {
    ThrowType(env, "Illegal constructor");
  }
  if (napi_type_tag_object(env, info.This(), &kSocketTag) != napi_ok) throw Napi::Error::New(env);
  // Nothing below can throw: once the descriptor is taken, this object owns it.
  fd_ = data->adopt_fd;
  data->adopt_fd = os::kNoFd;
  data_ = data;
  next_ = data->open;
  if (next_ != nullptr) next_->prev_ = this;
  data->open = this;
  data->open_count++;
}

// Runs when the GC collects a socket JS forgot while unarmed (an armed one holds a strong
// reference to itself) and, at env teardown, after CloseAll has already closed it.
SocketHandle::~SocketHandle() { Close(); }

void SocketHandle::CloseAll(EnvData* data) {
  while (data->open != nullptr) data->open->Close();
}

void SocketHandle::Close() {
  if (fd_ == os::kNoFd) return;
  if (poll_ != nullptr) {
    // The watcher goes before the descriptor: a number the OS hands out again must never
    // be watched by this stale handle. libuv owns the memory until OnClosed.
    poll_->data = data_;
    data_->closing++;
    uv_close(reinterpret_cast<uv_handle_t*>(poll_), OnClosed);
    poll_ = nullptr;
  }
  os::Close(fd_);
  fd_ = os::kNoFd;
  if (prev_ != nullptr) prev_->next_ = next_;
  else data_->open = next_;
  if (next_ != nullptr) next_->prev_ = prev_;
  prev_ = next_ = nullptr;
  data_->open_count--;
  DropSelfRef();
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
  interest_ = 0;
  DropSelfRef();
}

// Raw Node-API calls: these also run in the uv callback and in env teardown, where a C++
// exception from node-addon-api would have nowhere to go.
bool SocketHandle::TakeSelfRef() {
  if (!self_ref_) self_ref_ = napi_reference_ref(Env(), *this, nullptr) == napi_ok;
  return self_ref_;
}

void SocketHandle::DropSelfRef() {
  if (self_ref_) napi_reference_unref(Env(), *this, nullptr);
  self_ref_ = false;
}

// --- readiness ------------------------------------------------------------------------

Napi::Value SocketHandle::Poll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int32_t events = Int32Arg(info, 0, "events");
  if (fd_ == os::kNoFd) return Napi::Number::New(env, -EBADF);
  if (events & ~(kPollReadable | kPollWritable)) return Napi::Number::New(env, -EINVAL);
  if (events == 0) {
    Disarm();
    return Napi::Number::New(env, 0);
  }
  if (poll_ == nullptr) {
    auto* poll = new uv_poll_t;
    int r = uv_poll_init_socket(data_->loop, poll, fd_);
    if (r != 0) {
      delete poll;
      return Napi::Number::New(env, r);
    }
    poll->data = this;
    poll_ = poll;
  }
  int r = uv_poll_start(poll_, UvEvents(events), OnPoll);
  if (r != 0) return Napi::Number::New(env, r);
  if (!TakeSelfRef()) {
    uv_poll_stop(poll_);
    return Napi::Number::New(env, -ENOMEM);
  }
  interest_ = events;
  return Napi::Number::New(env, 0);
}

void SocketHandle::OnPoll(uv_poll_t* poll, int status, int uv_events) {
  auto* self = static_cast<SocketHandle*>(poll->data);
  napi_env env = self->Env();
  EnvData* data = self->data_;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  // This local keeps the wrapper alive through the call even if the handler closes the
  // socket and drops the last reference; `self` is not touched after the call.
  napi_value object = nullptr;
  napi_get_reference_value(env, *self, &object);
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
  if (data->handler.IsEmpty() || object == nullptr) {
    self->Disarm();
  } else {
    napi_value argv[3] = {object, nullptr, nullptr};
    napi_create_int32(env, events, &argv[1]);
    napi_create_int32(env, status, &argv[2]);
    napi_value fn = nullptr;
    napi_get_reference_value(env, data->handler, &fn);
    // MakeCallback (not a plain call) so process.nextTick and promise jobs run when the
    // handler returns, as after any Node handle callback.
    if (napi_make_callback(env, data->async_context, object, fn, 3, argv, nullptr) != napi_ok) {
      bool pending = false;
      napi_value error;
      if (napi_is_exception_pending(env, &pending) == napi_ok && pending &&
          napi_get_and_clear_last_exception(env, &error) == napi_ok) {
        napi_fatal_exception(env, error);
      }
    }
  }
  napi_close_handle_scope(env, scope);
}

// --- socket calls -----------------------------------------------------------------------
// Arguments are checked (and may throw) before the closed check, so a wrong call is
// reported as such whatever the socket's state.

#define RESULT(expr) Napi::Number::New(info.Env(), static_cast<double>(expr))
#define RETURN_IF_CLOSED() \
  if (fd_ == os::kNoFd) return RESULT(-EBADF)

Napi::Value SocketHandle::GetFd(const Napi::CallbackInfo& info) { return RESULT(fd_); }

Napi::Value SocketHandle::SetSockOpt(const Napi::CallbackInfo& info) {
  int32_t level = Int32Arg(info, 0, "level");
  int32_t name = Int32Arg(info, 1, "name");
  View value = ViewArg(info, 2, "value");
  if (value.length > INT32_MAX) ThrowRange(info.Env(), "value is too long");
  RETURN_IF_CLOSED();
  return RESULT(os::SetSockOpt(fd_, level, name, value.data, static_cast<socklen_t>(value.length)));
}

Napi::Value SocketHandle::GetSockOpt(const Napi::CallbackInfo& info) {
  int32_t level = Int32Arg(info, 0, "level");
  int32_t name = Int32Arg(info, 1, "name");
  View out = ViewArg(info, 2, "out");
  if (out.length > INT32_MAX) ThrowRange(info.Env(), "out is too long");
  RETURN_IF_CLOSED();
  return RESULT(os::GetSockOpt(fd_, level, name, out.data, static_cast<socklen_t>(out.length)));
}

Napi::Value SocketHandle::Bind(const Napi::CallbackInfo& info) {
  View addr = ViewArg(info, 0, "addr");
  RETURN_IF_CLOSED();
  sockaddr_storage ss;
  long len = ToSockaddr(addr, &ss);
  if (len < 0) return RESULT(len);
  return RESULT(os::Bind(fd_, reinterpret_cast<sockaddr*>(&ss), static_cast<socklen_t>(len)));
}

Napi::Value SocketHandle::Listen(const Napi::CallbackInfo& info) {
  int32_t backlog = Int32Arg(info, 0, "backlog");
  RETURN_IF_CLOSED();
  return RESULT(os::Listen(fd_, backlog));
}

Napi::Value SocketHandle::Accept(const Napi::CallbackInfo& info) {
  View out;
  bool want_addr = OptionalViewArg(info, 0, "addrOut", &out);
  RETURN_IF_CLOSED();
  // Refused before accepting: a connection taken from the queue must not be dropped.
  if (want_addr && out.length < kNetaddrSize) return RESULT(-EINVAL);
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  long fd = os::Accept(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
  if (fd < 0) return RESULT(fd);
  if (want_addr) FromSockaddr(ss, len, out.data);
  return Adopt(info.Env(), data_, static_cast<os::Fd>(fd));
}

Napi::Value SocketHandle::Connect(const Napi::CallbackInfo& info) {
  View addr = ViewArg(info, 0, "addr");
  RETURN_IF_CLOSED();
  sockaddr_storage ss;
  long len = ToSockaddr(addr, &ss);
  if (len < 0) return RESULT(len);
  return RESULT(os::Connect(fd_, reinterpret_cast<sockaddr*>(&ss), static_cast<socklen_t>(len)));
}

Napi::Value SocketHandle::TakeError(const Napi::CallbackInfo& info) {
  RETURN_IF_CLOSED();
  return RESULT(os::TakeError(fd_));
}

Napi::Value SocketHandle::Send(const Napi::CallbackInfo& info) {
  View buf = SliceArgs(info, 0);
  int32_t flags = Int32Arg(info, 3, "flags");
  RETURN_IF_CLOSED();
  return RESULT(os::SendTo(fd_, buf.data, buf.length, flags, nullptr, 0));
}

Napi::Value SocketHandle::SendV(const Napi::CallbackInfo& info) {
  IoVecs bufs(info, 0);
  int32_t flags = Int32Arg(info, 1, "flags");
  RETURN_IF_CLOSED();
  return RESULT(os::SendV(fd_, bufs.data(), bufs.size(), flags));
}

Napi::Value SocketHandle::Recv(const Napi::CallbackInfo& info) {
  View buf = SliceArgs(info, 0);
  int32_t flags = Int32Arg(info, 3, "flags");
  RETURN_IF_CLOSED();
  return RESULT(os::RecvFrom(fd_, buf.data, buf.length, flags, nullptr, nullptr));
}

Napi::Value SocketHandle::RecvV(const Napi::CallbackInfo& info) {
  IoVecs bufs(info, 0);
  int32_t flags = Int32Arg(info, 1, "flags");
  RETURN_IF_CLOSED();
  return RESULT(os::RecvV(fd_, bufs.data(), bufs.size(), flags));
}

Napi::Value SocketHandle::SendTo(const Napi::CallbackInfo& info) {
  View buf = SliceArgs(info, 0);
  int32_t flags = Int32Arg(info, 3, "flags");
  View addr;
  bool has_addr = OptionalViewArg(info, 4, "addr", &addr);
  RETURN_IF_CLOSED();
  if (!has_addr) return RESULT(os::SendTo(fd_, buf.data, buf.length, flags, nullptr, 0));
  sockaddr_storage ss;
  long len = ToSockaddr(addr, &ss);
  if (len < 0) return RESULT(len);
  return RESULT(os::SendTo(fd_, buf.data, buf.length, flags, reinterpret_cast<sockaddr*>(&ss),
                           static_cast<socklen_t>(len)));
}

Napi::Value SocketHandle::RecvFrom(const Napi::CallbackInfo& info) {
  View buf = SliceArgs(info, 0);
  int32_t flags = Int32Arg(info, 3, "flags");
  View out;
  bool want_addr = OptionalViewArg(info, 4, "addrOut", &out);
  RETURN_IF_CLOSED();
  if (want_addr && out.length < kNetaddrSize) return RESULT(-EINVAL);
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  long r = os::RecvFrom(fd_, buf.data, buf.length, flags, reinterpret_cast<sockaddr*>(&ss), &len);
  if (r >= 0 && want_addr) FromSockaddr(ss, len, out.data);
  return RESULT(r);
}

Napi::Value SocketHandle::Shutdown(const Napi::CallbackInfo& info) {
  int32_t how = Int32Arg(info, 0, "how");
  RETURN_IF_CLOSED();
  return RESULT(os::Shutdown(fd_, how));
}

Napi::Value SocketHandle::LocalAddress(const Napi::CallbackInfo& info) {
  View out = ViewArg(info, 0, "out");
  RETURN_IF_CLOSED();
  if (out.length < kNetaddrSize) return RESULT(-EINVAL);
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  long r = os::LocalName(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
  if (r >= 0) FromSockaddr(ss, len, out.data);
  return RESULT(r);
}

Napi::Value SocketHandle::PeerAddress(const Napi::CallbackInfo& info) {
  View out = ViewArg(info, 0, "out");
  RETURN_IF_CLOSED();
  if (out.length < kNetaddrSize) return RESULT(-EINVAL);
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  long r = os::PeerName(fd_, reinterpret_cast<sockaddr*>(&ss), &len);
  if (r >= 0) FromSockaddr(ss, len, out.data);
  return RESULT(r);
}

Napi::Value SocketHandle::Available(const Napi::CallbackInfo& info) {
  RETURN_IF_CLOSED();
  return RESULT(os::Available(fd_));
}

Napi::Value SocketHandle::CloseMethod(const Napi::CallbackInfo& info) {
  Close();
  return info.Env().Undefined();
}

}  // namespace wsk
