// The socket functions that are one system call each (fd, setsockopt ... close). Arguments
// are checked (and may throw) before the socket is looked up (socket_call.h).
#include "netaddr.h"
#include "socket_call.h"

namespace wsk {

namespace {

Napi::Value Fd(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  SocketHandle* self = data->handles.Find(id);
  return RESULT(self != nullptr ? self->fd : -1);
}

Napi::Value SetSockOpt(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  int32_t level = Int32Arg(info, 1, "level");
  int32_t name = Int32Arg(info, 2, "name");
  View value = ViewArg(info, 3, "value");
  if (value.length > INT32_MAX) ThrowRange(info.Env(), "value is too long");
  SOCKET_OR_EBADF(id);
  return RESULT(os::SetSockOpt(self->fd, level, name, value.data, static_cast<socklen_t>(value.length)));
}

Napi::Value GetSockOpt(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  int32_t level = Int32Arg(info, 1, "level");
  int32_t name = Int32Arg(info, 2, "name");
  View out = ViewArg(info, 3, "out");
  if (out.length > INT32_MAX) ThrowRange(info.Env(), "out is too long");
  SOCKET_OR_EBADF(id);
  return RESULT(os::GetSockOpt(self->fd, level, name, out.data, static_cast<socklen_t>(out.length)));
}

Napi::Value Bind(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  View addr = ViewArg(info, 1, "addr");
  SOCKET_OR_EBADF(id);
  sockaddr_storage ss;
  long len = ToSockaddr(addr.data, addr.length, &ss);
  if (len < 0) return RESULT(len);
  return RESULT(os::Bind(self->fd, reinterpret_cast<sockaddr*>(&ss), static_cast<socklen_t>(len)));
}

Napi::Value Listen(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  int32_t backlog = Int32Arg(info, 1, "backlog");
  SOCKET_OR_EBADF(id);
  long r = os::Listen(self->fd, backlog);
  if (r == 0) self->listening = true;
  return RESULT(r);
}

Napi::Value Accept(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  View out;
  bool want_addr = OptionalViewArg(info, 1, "addrOut", &out);
  SOCKET_OR_EBADF(id);
  // Refused before accepting: a connection taken from the queue must not be dropped.
  if (want_addr && out.length < kNetaddrSize) return RESULT(-EINVAL);
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  long fd = os::Accept(self->fd, reinterpret_cast<sockaddr*>(&ss), &len);
  self->NoteRead(fd, 0, 0);
  if (fd < 0) return RESULT(fd);
  if (want_addr) FromSockaddr(ss, len, out.data);
  return Adopt(info.Env(), data, static_cast<os::Fd>(fd), true);
}

Napi::Value Connect(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  View addr = ViewArg(info, 1, "addr");
  SOCKET_OR_EBADF(id);
  // A listening TCP socket that connects (even to AF_UNSPEC) stops listening.
  self->listening = false;
  if (addr.length >= kNetaddrSize && addr.data[0] == 0) {
    // Version 0: AF_UNSPEC, which dissolves a datagram socket's association.
    sockaddr sa{};
    sa.sa_family = AF_UNSPEC;
    return RESULT(os::Connect(self->fd, &sa, sizeof sa));
  }
  sockaddr_storage ss;
  long len = ToSockaddr(addr.data, addr.length, &ss);
  if (len < 0) return RESULT(len);
  long r = os::Connect(self->fd, reinterpret_cast<sockaddr*>(&ss), static_cast<socklen_t>(len));
  // Under way: the kernel wakes the socket's pollers when it connects or fails.
  if (r == -EINPROGRESS) self->write_drained = true;
  return RESULT(r);
}

Napi::Value TakeError(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  SOCKET_OR_EBADF(id);
  return RESULT(os::TakeError(self->fd));
}

// send(id, buf, offset, length, flags) and recv(...): the data path, kept to the checks and
// one system call.
long SendSlice(os::Fd fd, uint8_t* data, size_t length, int flags) {
  return os::SendTo(fd, data, length, flags, nullptr, 0);
}

long RecvSlice(os::Fd fd, uint8_t* data, size_t length, int flags) {
  return os::RecvFrom(fd, data, length, flags, nullptr, nullptr);
}

using SliceOp = long (*)(os::Fd fd, uint8_t* data, size_t length, int flags);

template <SliceOp Op, bool kRead>
Napi::Value Slice(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  View buf = SliceArgs(info, 1);
  int32_t flags = Int32Arg(info, 4, "flags");
  SOCKET_OR_EBADF(id);
  if (kRead) {
    if (self->KnownEmpty(buf.length, flags)) return RESULT(-EAGAIN);
    data->stats.reads++;
  }
  long r = Op(self->fd, buf.data, buf.length, flags);
  if (kRead) self->NoteRead(r, buf.length, flags);
  else self->NoteWrite(r, buf.length);
  return RESULT(r);
}

Napi::Value SendV(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  IoVecs bufs(info, 1);
  int32_t flags = Int32Arg(info, 2, "flags");
  SOCKET_OR_EBADF(id);
  long r = os::SendV(self->fd, bufs.data(), bufs.size(), flags);
  self->NoteWrite(r, bufs.total());
  return RESULT(r);
}

Napi::Value RecvV(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  IoVecs bufs(info, 1);
  int32_t flags = Int32Arg(info, 2, "flags");
  SOCKET_OR_EBADF(id);
  if (self->KnownEmpty(bufs.total(), flags)) return RESULT(-EAGAIN);
  data->stats.reads++;
  long r = os::RecvV(self->fd, bufs.data(), bufs.size(), flags);
  self->NoteRead(r, bufs.total(), flags);
  return RESULT(r);
}

Napi::Value SendTo(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  View buf = SliceArgs(info, 1);
  int32_t flags = Int32Arg(info, 4, "flags");
  View addr;
  bool has_addr = OptionalViewArg(info, 5, "addr", &addr);
  SOCKET_OR_EBADF(id);
  sockaddr_storage ss;
  long len = 0;
  if (has_addr) {
    len = ToSockaddr(addr.data, addr.length, &ss);
    if (len < 0) return RESULT(len);
  }
  long r = os::SendTo(self->fd, buf.data, buf.length, flags, has_addr ? reinterpret_cast<sockaddr*>(&ss) : nullptr,
                      static_cast<socklen_t>(len));
  self->NoteWrite(r, buf.length);
  return RESULT(r);
}

Napi::Value RecvFrom(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  View buf = SliceArgs(info, 1);
  int32_t flags = Int32Arg(info, 4, "flags");
  View out;
  bool want_addr = OptionalViewArg(info, 5, "addrOut", &out);
  SOCKET_OR_EBADF(id);
  if (want_addr && out.length < kNetaddrSize) return RESULT(-EINVAL);
  if (self->KnownEmpty(buf.length, flags)) return RESULT(-EAGAIN);
  data->stats.reads++;
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  long r = os::RecvFrom(self->fd, buf.data, buf.length, flags, reinterpret_cast<sockaddr*>(&ss), &len);
  self->NoteRead(r, buf.length, flags);
  if (r >= 0 && want_addr) FromSockaddr(ss, len, out.data);
  return RESULT(r);
}

Napi::Value Shutdown(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  int32_t how = Int32Arg(info, 1, "how");
  SOCKET_OR_EBADF(id);
  long r = os::Shutdown(self->fd, how);
  if (r == 0 && (how == SHUT_RD || how == SHUT_RDWR)) {
    // Reads end at once now (0), whatever a read showed before.
    self->read_drained = false;
    self->hung_up = true;
  }
  return RESULT(r);
}

// getsockname / getpeername into the NETADDR `out` (argument 1).
template <long (*Name)(os::Fd, sockaddr*, socklen_t*)>
Napi::Value NameInto(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  View out = ViewArg(info, 1, "out");
  SOCKET_OR_EBADF(id);
  if (out.length < kNetaddrSize) return RESULT(-EINVAL);
  sockaddr_storage ss;
  socklen_t len = sizeof ss;
  long r = Name(self->fd, reinterpret_cast<sockaddr*>(&ss), &len);
  if (r >= 0) FromSockaddr(ss, len, out.data);
  return RESULT(r);
}

Napi::Value Available(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  SOCKET_OR_EBADF(id);
  return RESULT(os::Available(self->fd));
}

// Closing an id that names nothing (already closed) does nothing: close is idempotent.
Napi::Value CloseFunction(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  if (SocketHandle* self = data->handles.Find(id)) self->Close();
  return info.Env().Undefined();
}

}  // namespace

void SocketCallExports(Napi::Env env, Napi::Object exports, EnvData* data) {
  SetSocketFunction<Fd>(env, exports, "fd", data);
  SetSocketFunction<SetSockOpt>(env, exports, "setsockopt", data);
  SetSocketFunction<GetSockOpt>(env, exports, "getsockopt", data);
  SetSocketFunction<Bind>(env, exports, "bind", data);
  SetSocketFunction<Listen>(env, exports, "listen", data);
  SetSocketFunction<Accept>(env, exports, "accept", data);
  SetSocketFunction<Connect>(env, exports, "connect", data);
  SetSocketFunction<TakeError>(env, exports, "takeError", data);
  SetSocketFunction<Slice<SendSlice, false>>(env, exports, "send", data);
  SetSocketFunction<SendV>(env, exports, "sendv", data);
  SetSocketFunction<Slice<RecvSlice, true>>(env, exports, "recv", data);
  SetSocketFunction<RecvV>(env, exports, "recvv", data);
  SetSocketFunction<SendTo>(env, exports, "sendto", data);
  SetSocketFunction<RecvFrom>(env, exports, "recvfrom", data);
  SetSocketFunction<Shutdown>(env, exports, "shutdown", data);
  SetSocketFunction<NameInto<os::LocalName>>(env, exports, "localAddress", data);
  SetSocketFunction<NameInto<os::PeerName>>(env, exports, "peerAddress", data);
  SetSocketFunction<Available>(env, exports, "available", data);
  SetSocketFunction<CloseFunction>(env, exports, "close", data);
}

}  // namespace wsk
