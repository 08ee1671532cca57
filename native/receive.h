// Automatic reads (POLL_RECEIVE): when a socket armed for them becomes readable, native reads
// into the env's registered area and hands JS what it read in the same call that reports
// the readiness, one crossing per read instead of a report and then a recv call.
//
// The areas are per env (one for stream sockets, one for datagram sockets), registered from
// JS and replaceable at any time, also from inside the handler: a report's data is JS's
// until the handler returns, and a handler that keeps it registers another area before it
// does. Native holds a reference to each registered typed array, and looks at it afresh at
// every read (JS may detach or shrink its buffer in between): one that no longer has room
// means no automatic read.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>

namespace wsk {

struct EnvData;
struct SocketHandle;

// `received` of a report without an automatic read (constants.NO_RECEIVE): far below any
// -errno, and a small integer for V8.
constexpr int32_t kNoReceive = -(1 << 30);

// A typed array JS registered: a strong reference, or none.
class AreaRef {
 public:
  bool empty() const { return ref_ == nullptr; }
  // The array, or nullptr when none is registered (inside a handle scope).
  napi_value Get(napi_env env) const;
  // Swaps in `ref` (made by Make) and deletes the reference held before.
  void Replace(napi_env env, napi_ref ref);
  static napi_ref Make(napi_env env, napi_value value);

 private:
  napi_ref ref_ = nullptr;
};

struct ReceiveAreas {
  // Stream sockets: one recv of at most the area's length.
  AreaRef stream;
  // Datagram sockets: one recvmmsg laid out as recvmmsg() (DatagramBatch) lays it out.
  AreaRef area, meta, addrs, control;
  size_t slot = 0;
  uint32_t count = 0;
  size_t control_slot = 0;
};

// What an automatic read did.
struct AutoRead {
  // For the report: bytes (stream; 0 = the peer's FIN), datagrams, -errno, or kNoReceive.
  int32_t received = kNoReceive;
  // A system call was made (one that found nothing leaves received at kNoReceive).
  bool tried = false;
  // The read filled the area, or more is known to be waiting: read again now.
  bool more = false;
  // A stream socket's end of stream or error: its reading is over.
  bool ended = false;
};

// One automatic read for `self` into its kind of area, inside a handle scope; nothing
// (received kNoReceive, tried false) when the env has no usable area.
AutoRead ReadIntoArea(SocketHandle* self);

// setReceiveArea, setDatagramArea on `exports`.
void ReceiveExports(Napi::Env env, Napi::Object exports, EnvData* data);
// Env teardown: drops the references.
void ReleaseAreas(EnvData* data);

}  // namespace wsk
