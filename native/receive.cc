#include "receive.h"

#include <algorithm>

#include "args.h"
#include "env.h"
#include "guard.h"
#include "message_calls.h"
#include "netaddr.h"
#include "socket_handle.h"

namespace wsk {

namespace {

// Most bytes one automatic stream read asks for, so that `received` fits an int32.
constexpr size_t kMaxRead = size_t{1} << 30;

bool IsNullish(const Napi::Value& v) { return v.IsNull() || v.IsUndefined(); }

// --- registration -------------------------------------------------------------------------

// setReceiveArea(area | null): the area of every stream socket's automatic reads.
Napi::Value SetReceiveArea(const Napi::CallbackInfo& info) {
  EnvData* data = static_cast<EnvData*>(info.Data());
  napi_env env = info.Env();
  if (IsNullish(info[0])) {
    data->areas.stream.Replace(env, nullptr);
    return info.Env().Undefined();
  }
  View area = ViewArg(info, 0, "area");
  if (area.length == 0) ThrowRange(info.Env(), "area must hold at least one byte");
  data->areas.stream.Replace(env, AreaRef::Make(env, info[0]));
  return info.Env().Undefined();
}

// setDatagramArea(area, slotSize, count, meta, addrs, control, controlSlot) | (null): the
// layout of every datagram socket's automatic reads, checked as recvmmsg checks it.
Napi::Value SetDatagramArea(const Napi::CallbackInfo& info) {
  EnvData* data = static_cast<EnvData*>(info.Data());
  napi_env env = info.Env();
  ReceiveAreas& a = data->areas;
  if (IsNullish(info[0])) {
    for (AreaRef* r : {&a.area, &a.meta, &a.addrs, &a.control}) r->Replace(env, nullptr);
    a.slot = a.count = a.control_slot = 0;
    return info.Env().Undefined();
  }
  DatagramBatch b = BatchArgs(info, 0);
  // Every reference is made before any is swapped in: a failure changes nothing.
  napi_ref made[4] = {nullptr, nullptr, nullptr, nullptr};
  try {
    made[0] = AreaRef::Make(env, info[0]);
    made[1] = AreaRef::Make(env, info[3]);
    if (!IsNullish(info[4])) made[2] = AreaRef::Make(env, info[4]);
    if (b.control_slot > 0) made[3] = AreaRef::Make(env, info[5]);
  } catch (...) {
    for (napi_ref r : made) {
      if (r != nullptr) napi_delete_reference(env, r);
    }
    throw;
  }
  a.area.Replace(env, made[0]);
  a.meta.Replace(env, made[1]);
  a.addrs.Replace(env, made[2]);
  a.control.Replace(env, made[3]);
  a.slot = b.slot;
  a.count = b.count;
  a.control_slot = b.control_slot;
  return info.Env().Undefined();
}

// --- reading ------------------------------------------------------------------------------

AutoRead ReadStream(SocketHandle* self) {
  EnvData* data = self->data;
  View area;
  napi_value value = data->areas.stream.Get(data->env);
  if (value == nullptr || !ToView(data->env, value, &area) || area.length == 0) return {};
  size_t asked = std::min(area.length, kMaxRead);
  data->stats.reads++;
  long n = os::RecvFrom(self->fd, area.data, asked, 0, nullptr, nullptr);
  self->NoteRead(n, asked, 0);
  AutoRead read;
  read.tried = true;
  if (n == -EAGAIN || n == -EWOULDBLOCK) return read;
  read.received = static_cast<int32_t>(n);
  read.ended = n <= 0;
  // Past the peer's FIN a short read does not mean drained: the rest, or the end, is there.
  read.more = n > 0 && (static_cast<size_t>(n) == asked || self->hung_up);
  return read;
}

// The registered datagram layout as it is now, or false when a part no longer holds
// `count` entries (its buffer detached or shrunk since it was registered).
bool CurrentBatch(napi_env env, const ReceiveAreas& a, DatagramBatch* b) {
  napi_value area = a.area.Get(env), meta = a.meta.Get(env);
  size_t meta_length = 0;
  if (area == nullptr || meta == nullptr || !ToView(env, area, &b->area) || !ToInt32View(env, meta, &b->meta, &meta_length)) {
    return false;
  }
  b->slot = a.slot;
  b->count = a.count;
  b->control_slot = a.control_slot;
  if (b->area.length < b->slot * b->count || meta_length < 3 * size_t{b->count}) return false;
  if (napi_value addrs = a.addrs.Get(env)) {
    if (!ToView(env, addrs, &b->addrs) || b->addrs.length < kNetaddrSize * b->count) return false;
  }
  if (b->control_slot > 0) {
    napi_value control = a.control.Get(env);
    if (control == nullptr || !ToView(env, control, &b->control) || b->control.length < b->control_slot * b->count) return false;
  }
  return true;
}

AutoRead ReadDatagrams(SocketHandle* self) {
  DatagramBatch batch;
  if (!CurrentBatch(self->data->env, self->data->areas, &batch)) return {};
  long n = RecvBatch(self, batch, 0);
  AutoRead read;
  read.tried = true;
  if (n == -EAGAIN || n == -EWOULDBLOCK) return read;
  read.received = static_cast<int32_t>(n);
  // An error (an ICMP report on a connected socket) is consumed by the read that returns
  // it, and datagrams may wait behind it.
  read.more = n < 0 || n == static_cast<long>(batch.count);
  return read;
}

}  // namespace

napi_value AreaRef::Get(napi_env env) const {
  napi_value v = nullptr;
  if (ref_ != nullptr) napi_get_reference_value(env, ref_, &v);
  return v;
}

void AreaRef::Replace(napi_env env, napi_ref ref) {
  if (ref_ != nullptr) napi_delete_reference(env, ref_);
  ref_ = ref;
}

napi_ref AreaRef::Make(napi_env env, napi_value value) {
  napi_ref ref = nullptr;
  if (napi_create_reference(env, value, 1, &ref) != napi_ok) throw Napi::Error::New(env);
  return ref;
}

AutoRead ReadIntoArea(SocketHandle* self) { return self->stream ? ReadStream(self) : ReadDatagrams(self); }

void ReceiveExports(Napi::Env env, Napi::Object exports, EnvData* data) {
  SetFunction<SetReceiveArea>(env, exports, "setReceiveArea", data);
  SetFunction<SetDatagramArea>(env, exports, "setDatagramArea", data);
}

void ReleaseAreas(EnvData* data) {
  ReceiveAreas& a = data->areas;
  for (AreaRef* r : {&a.stream, &a.area, &a.meta, &a.addrs, &a.control}) r->Replace(data->env, nullptr);
}

}  // namespace wsk
