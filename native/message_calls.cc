// The socket functions built on a msghdr: one datagram (or stream read) with its address and
// control data (recvmsg, sendmsg), and batches of datagrams in one system call (recvmmsg,
// sendmmsg). Arguments are checked before the socket is looked up (socket_call.h).
#include "message_calls.h"

#include <cmath>

#include "netaddr.h"
#include "socket_call.h"

namespace wsk {

long RecvBatch(SocketHandle* self, const DatagramBatch& b, int flags) {
  Scratch<os::MMsgHdr, 64> msgs(b.count);
  Scratch<os::IoVec, 64> iov(b.count);
  Scratch<sockaddr_storage, 64> names(b.count);
  for (uint32_t i = 0; i < b.count; i++) {
    iov[i].iov_base = b.area.data + i * b.slot;
    iov[i].iov_len = b.slot;
    msghdr& m = msgs[i].msg_hdr;
    m = msghdr{};
    m.msg_iov = &iov[i];
    m.msg_iovlen = 1;
    m.msg_name = &names[i];
    m.msg_namelen = sizeof(sockaddr_storage);
    if (b.control_slot > 0) {
      m.msg_control = b.control.data + i * b.control_slot;
      m.msg_controllen = b.control_slot;
    }
    msgs[i].msg_len = 0;
  }
  self->data->stats.reads++;
  long n = os::RecvMMsg(self->fd, msgs.get(), b.count, flags);
  // Fewer datagrams than asked: the queue ran empty (recvmmsg stops at EAGAIN).
  if (n == -EAGAIN || n == -EWOULDBLOCK || (n >= 0 && n < static_cast<long>(b.count) && (flags & MSG_PEEK) == 0)) {
    self->read_drained = true;
  }
  for (long i = 0; i < n; i++) {
    const msghdr& m = msgs[i].msg_hdr;
    b.meta[3 * i] = static_cast<int32_t>(msgs[i].msg_len);
    b.meta[3 * i + 1] = m.msg_flags;
    b.meta[3 * i + 2] = static_cast<int32_t>(m.msg_control != nullptr ? m.msg_controllen : 0);
    if (b.addrs.data != nullptr) FromSockaddr(names[i], m.msg_namelen, b.addrs.data + i * kNetaddrSize);
  }
  return n;
}

DatagramBatch BatchArgs(const Napi::CallbackInfo& info, size_t i) {
  Napi::Env env = info.Env();
  DatagramBatch b;
  b.area = ViewArg(info, i, "area");
  double slot = NumberArg(info, i + 1, "slotSize");
  double count = NumberArg(info, i + 2, "count");
  if (!(slot >= 1 && slot <= static_cast<double>(b.area.length)) || slot != std::trunc(slot)) {
    ThrowRange(env, "slotSize must be an integer from 1 to the area's length");
  }
  if (!(count >= 1 && count <= kMaxBatch) || count != std::trunc(count)) {
    ThrowRange(env, "count must be an integer from 1 to 1024");
  }
  b.slot = static_cast<size_t>(slot);
  b.count = static_cast<uint32_t>(count);
  if (b.slot * b.count > b.area.length) ThrowRange(env, "slotSize * count exceeds the area");
  b.meta = Int32ViewArg(info, i + 3, "meta", 3 * static_cast<size_t>(b.count));
  bool want_addrs = OptionalViewArg(info, i + 4, "addrs", &b.addrs);
  if (OptionalViewArg(info, i + 5, "control", &b.control)) {
    double c = NumberArg(info, i + 6, "controlSlot");
    if (!(c >= 0 && c <= 65536) || c != std::trunc(c)) ThrowRange(env, "controlSlot must be an integer from 0 to 65536");
    b.control_slot = static_cast<size_t>(c);
    if (b.control_slot * b.count > b.control.length) ThrowRange(env, "controlSlot * count exceeds control");
  }
  if (want_addrs && b.addrs.length < kNetaddrSize * b.count) ThrowRange(env, "addrs is shorter than count NETADDRs");
  return b;
}

namespace {

// recvmsg(bufs, flags, addrOut, control, out): bytes placed in bufs, or -errno;
// out[0] = the host's msg_flags (MSG_TRUNC, MSG_CTRUNC...), out[1] = control bytes written.
Napi::Value RecvMsg(const Napi::CallbackInfo& info, EnvData* data) {
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
  if (self->KnownEmpty(bufs.total(), flags)) return RESULT(-EAGAIN);
  data->stats.reads++;
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
  long r = os::RecvMsg(self->fd, &m, flags);
  self->NoteRead(r, bufs.total(), flags);
  if (r < 0) return RESULT(r);
  if (want_addr) FromSockaddr(ss, m.msg_namelen, addr_out.data);
  out[0] = m.msg_flags;
  out[1] = static_cast<int32_t>(m.msg_control != nullptr ? m.msg_controllen : 0);
  return RESULT(r);
}

// sendmsg(bufs, flags, addr, control): bytes sent, or -errno. `control` holds host cmsgs.
Napi::Value SendMsg(const Napi::CallbackInfo& info, EnvData* data) {
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
    long len = ToSockaddr(addr.data, addr.length, &ss);
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
  long r = os::SendMsg(self->fd, &m, flags);
  self->NoteWrite(r, bufs.total());
  return RESULT(r);
}

// recvmmsg(area, slotSize, count, meta, addrs, control, controlSlot, flags): up to `count`
// datagrams laid out as DatagramBatch says. Returns the number received (one system call),
// or -errno.
Napi::Value RecvMMsg(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  DatagramBatch batch = BatchArgs(info, 1);
  int32_t flags = Int32Arg(info, 8, "flags");
  SOCKET_OR_EBADF(id);
  return RESULT(RecvBatch(self, batch, flags));
}

// sendmmsg(bufs, counts, addr, control, flags): datagram i is the next counts[i] views of
// bufs; all go to `addr` (null: the connected peer) with the same host control data.
// Returns the number of datagrams sent (one system call), or -errno when none was.
Napi::Value SendMMsg(const Napi::CallbackInfo& info, EnvData* data) {
  double id = IdArg(info);
  Napi::Env env = info.Env();
  IoVecs bufs(info, 1);
  int32_t* counts = nullptr;
  size_t count = 0;
  if (!ToInt32View(env, info[2], &counts, &count)) ThrowType(env, "counts must be an Int32Array or Uint32Array");
  if (count < 1 || count > kMaxBatch) ThrowRange(env, "counts must hold 1 to 1024 datagrams");
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
    salen = ToSockaddr(addr.data, addr.length, &ss);
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
  long r = os::SendMMsg(self->fd, msgs.get(), static_cast<unsigned>(count), flags);
  if (r == -EAGAIN || r == -EWOULDBLOCK || (r >= 0 && r < static_cast<long>(count))) self->write_drained = true;
  return RESULT(r);
}

}  // namespace

void MessageCallExports(Napi::Env env, Napi::Object exports, EnvData* data) {
  SetSocketFunction<RecvMsg>(env, exports, "recvmsg", data);
  SetSocketFunction<SendMsg>(env, exports, "sendmsg", data);
  SetSocketFunction<RecvMMsg>(env, exports, "recvmmsg", data);
  SetSocketFunction<SendMMsg>(env, exports, "sendmmsg", data);
}

}  // namespace wsk
