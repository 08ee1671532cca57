// The socket functions built on a msghdr: one datagram (or stream read) with its address and
// control data (recvmsg, sendmsg), and batches of datagrams in one system call (recvmmsg,
// sendmmsg). Arguments are checked before the socket is looked up (socket_call.h).
#include <cmath>

#include "netaddr.h"
#include "socket_call.h"

namespace wsk {

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
// datagrams, datagram i into area[i*slotSize, +slotSize), its sender into addrs[i*28, +28)
// and its control data into control[i*controlSlot, +controlSlot). meta[3i..3i+2] = bytes,
// host msg_flags, control bytes. Returns the number received (one system call), or -errno.
Napi::Value RecvMMsg(const Napi::CallbackInfo& info, EnvData* data) {
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
  long n = os::RecvMMsg(self->fd, msgs.get(), count, flags);
  // Fewer datagrams than asked: the queue ran empty (recvmmsg stops at EAGAIN).
  if (n == -EAGAIN || n == -EWOULDBLOCK || (n >= 0 && n < static_cast<long>(count) && (flags & MSG_PEEK) == 0)) self->read_drained = true;
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
