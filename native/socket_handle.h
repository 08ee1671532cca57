// SocketHandle: one OS socket and its readiness watcher on Node's loop, named in JS by its id.
#pragma once

#include <napi.h>
#include <uv.h>

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "platform.h"
#include "ring.h"

namespace wsk {

class SocketHandle;
struct Resolution;

// Socket ids: every socket function of the module takes the socket's id as its first
// argument. An id names one socket of one env while it is open, and nothing ever after.
// As a JS number (exact: below 2^53):
//   id = generation * 2^32 + env tag * 2^24 + slot
// slot        index into the table; freed when the socket closes, reused via a free list.
// generation  1 .. 2^21-1, bumped whenever the slot is freed, so an id of a closed socket
//             never names the slot's later socket; a slot out of generations is retired.
// env tag     0 .. 255, distinct among the envs alive at once (main thread, workers, each
//             load of the addon), so an id taken into another env names nothing there.
//             Beyond 256 live envs, tags are shared (see AcquireEnvTag).
class HandleTable {
 public:
  static constexpr uint32_t kSlotBits = 24;
  static constexpr uint32_t kEnvBits = 8;
  static constexpr uint32_t kGenerationBits = 53 - kSlotBits - kEnvBits;
  static constexpr uint32_t kNoSlot = UINT32_MAX;

  HandleTable();
  ~HandleTable();
  HandleTable(const HandleTable&) = delete;
  HandleTable& operator=(const HandleTable&) = delete;

  // A slot (and with it an id), empty until Set(); kNoSlot when every slot is taken. May
  // throw std::bad_alloc when the table grows.
  uint32_t Issue();
  // The socket closed: its id stops naming anything, for good.
  void Free(uint32_t slot);
  double IdOf(uint32_t slot) const { return slots_[slot].id; }
  void Set(uint32_t slot, SocketHandle* socket) { slots_[slot].socket = socket; }
  // The open socket in `slot`, or nullptr (any slot number is safe).
  SocketHandle* AtSlot(uint32_t slot) const { return slot < slots_.size() ? slots_[slot].socket : nullptr; }

  // The open socket `id` names, or nullptr. Any double is safe here: NaN, negative,
  // fractional, huge, stale or another env's.
  SocketHandle* Find(double id) const {
    if (!(id >= 0 && id < 9007199254740992.0)) return nullptr;  // also NaN; 2^53
    uint64_t slot = static_cast<uint64_t>(id) & ((uint64_t{1} << kSlotBits) - 1);
    if (slot >= slots_.size()) return nullptr;
    // A free slot holds id -1; a fraction never equals the integer stored.
    const Slot& s = slots_[slot];
    return s.id == id ? s.socket : nullptr;
  }

 private:
  struct Slot {
    double id;             // the id of the socket in the slot, -1 while free
    SocketHandle* socket;  // nullptr while free
    uint32_t generation;   // of the current (or next) socket in the slot
    uint32_t next_free;
  };
  std::vector<Slot> slots_;
  uint32_t free_ = kNoSlot;  // head of the free list (last freed first)
  uint32_t env_tag_;
};

// Everything one Node environment (main thread or worker) needs; kept as Node-API
// instance data so that every worker has its own handler, sockets and teardown.
struct EnvData {
  uv_loop_t* loop = nullptr;
  napi_async_context async_context = nullptr;
  Napi::FunctionReference handler;
  // Open sockets, so that teardown can close what JS left open.
  SocketHandle* open = nullptr;
  size_t open_count = 0;
  // uv_close calls not yet completed; teardown waits for them so that the loop can be
  // closed and no close callback outlives this struct.
  size_t closing = 0;
  bool tearing_down = false;
  napi_env env = nullptr;
  napi_async_cleanup_hook_handle cleanup_hook = nullptr;
  // Readiness through io_uring (ring.h), made on the first poll(); null before, and for
  // good once ring_reason says why not.
  Ring* ring = nullptr;
  const char* ring_reason = nullptr;
  bool force_uv = false;  // usePoller('uv')
  // Name resolutions on the thread pool (resolver.cc), by id; teardown waits for them.
  std::unordered_map<uint32_t, struct Resolution*> resolutions;
  uint32_t next_resolution = 1;
  // Every open socket by id (see HandleTable).
  HandleTable handles;

  // Releasing the hook lets Node finish tearing the environment down (and later free
  // this struct), so it happens only once the last close callback has run.
  void MaybeFinishTeardown() {
    if (!tearing_down || closing != 0 || !resolutions.empty() || cleanup_hook == nullptr) return;
    napi_async_cleanup_hook_handle hook = cleanup_hook;
    cleanup_hook = nullptr;
    napi_remove_async_cleanup_hook(hook);
  }
};

// Argument checks shared by the module functions and the socket methods: a value of the
// wrong type throws TypeError, a number that is not an integer in range throws RangeError.
int32_t Int32Arg(const Napi::CallbackInfo& info, size_t i, const char* name);

// NETADDR (see lib/native.ts) <-> sockaddr.
constexpr size_t kNetaddrSize = 28;
long ToSockaddr(const uint8_t* p, size_t length, sockaddr_storage* ss);
void FromSockaddr(const sockaddr_storage& ss, socklen_t len, uint8_t* out);

// Name resolution on libuv's thread pool (resolver.cc).
void ResolverExports(Napi::Env env, Napi::Object exports, EnvData* data);
void CancelAllResolutions(EnvData* data);

// One open OS socket. JS never holds it: each socket function of the module takes the id
// and looks the socket up, so an open socket costs JS one number instead of a wrapped
// object with its reference, finalizer and type tag (bench C idle), and a call costs a
// table lookup instead of a type-tag check. Sockets live until closed (close(), or
// closeAllSockets / env teardown), as kernel sockets do; the GC never closes one.
class SocketHandle {
 public:
  // The socket functions (fd, setsockopt, ..., poll, close) on `exports`.
  static void Exports(Napi::Env env, Napi::Object exports, EnvData* data);
  // Gives a freshly created descriptor (`stream`: a SOCK_STREAM socket) an id and returns
  // it as a JS number; -EMFILE when the env's id table is full, the descriptor closed.
  static Napi::Value Adopt(Napi::Env env, EnvData* data, os::Fd fd, bool stream);
  // Env teardown, closeAllSockets: closes every open socket.
  static void CloseAll(EnvData* data);

  // From Ring: a completion of the multishot poll `tag`, and delivery of what a socket in
  // `slot` has become ready for.
  static void OnRingCompletion(EnvData* data, uint64_t tag, int32_t res, uint32_t flags);
  static void DeliverRing(EnvData* data, uint32_t slot);

 private:
  SocketHandle(EnvData* data, os::Fd fd, bool stream, uint32_t slot);
  ~SocketHandle() = default;  // only Close() deletes

  // A socket function: arguments from index 1 (0 is the id), checked before the socket is
  // looked up, so a wrong call is reported as such whatever the socket's state.
  using Function = Napi::Value (*)(const Napi::CallbackInfo& info, EnvData* data);
  template <Function F>
  static napi_value Entry(napi_env env, napi_callback_info cbinfo) noexcept;
  // One transfer into or out of a slice of a view: what send/recv do after the checks.
  using SliceOp = long (*)(os::Fd fd, uint8_t* data, size_t length, int flags);
  template <SliceOp Op, bool kRead>
  static Napi::Value Slice(const Napi::CallbackInfo& info, EnvData* data);
  static void OnPoll(uv_poll_t* poll, int status, int events);
  static int UvEvents(int interest);
  // Calls the env's handler with (slot, events, status) as a Node callback; false when
  // there is no handler (no JS ran).
  static bool CallHandler(napi_env env, EnvData* data, uint32_t slot, int events, int status);
  int PollUv(int events);
  int PollRing(Ring* ring, int events);
  bool ArmRing(Ring* ring, int interest);
  void ReportAgainUnlessDrained(int bits);
  void Queue();
  // What a call on the socket showed (see ring.h): the kernel has nothing more to read, or
  // no room to write, for now, and owes a wakeup when that changes.
  void NoteRead(long result, size_t asked, int flags);
  void NoteWrite(long result, size_t asked);
  static void OnClosed(uv_handle_t* handle);

  // Closes the descriptor, frees the id and deletes this.
  void Close();
  void Disarm();

  static Napi::Value Fd(const Napi::CallbackInfo& info, EnvData* data);
  static Napi::Value SetSockOpt(const Napi::CallbackInfo& info, EnvData* data);
  static Napi::Value GetSockOpt(const Napi::CallbackInfo& info, EnvData* data);
  static Napi::Value Bind(const Napi::CallbackInfo& info, EnvData* data);
  static Napi::Value Listen(const Napi::CallbackInfo& info, EnvData* data);
  static Napi::Value Accept(const Napi::CallbackInfo& info, EnvData* data);
  static Napi::Value Connect(const Napi::CallbackInfo& info, EnvData* data);
  static Napi::Value TakeError(const Napi::CallbackInfo& info, EnvData* data);
  static Napi::Value SendV(const Napi::CallbackInfo& info, EnvData* data);
  static Napi::Value RecvV(const Napi::CallbackInfo& info, EnvData* data);
  static Napi::Value SendTo(const Napi::CallbackInfo& info, EnvData* data);
  static Napi::Value RecvFrom(const Napi::CallbackInfo& info, EnvData* data);
  static Napi::Value RecvMsg(const Napi::CallbackInfo& info, EnvData* data);
  static Napi::Value SendMsg(const Napi::CallbackInfo& info, EnvData* data);
  static Napi::Value RecvMMsg(const Napi::CallbackInfo& info, EnvData* data);
  static Napi::Value SendMMsg(const Napi::CallbackInfo& info, EnvData* data);
  static Napi::Value Shutdown(const Napi::CallbackInfo& info, EnvData* data);
  static Napi::Value NameInto(const Napi::CallbackInfo& info, EnvData* data,
                              long (*name)(os::Fd, sockaddr*, socklen_t*));
  static Napi::Value LocalAddress(const Napi::CallbackInfo& info, EnvData* data);
  static Napi::Value PeerAddress(const Napi::CallbackInfo& info, EnvData* data);
  static Napi::Value Available(const Napi::CallbackInfo& info, EnvData* data);
  static Napi::Value Poll(const Napi::CallbackInfo& info, EnvData* data);
  static Napi::Value CloseFunction(const Napi::CallbackInfo& info, EnvData* data);

  os::Fd fd_;
  EnvData* data_;
  // This socket's slot in data_->handles.
  uint32_t slot_;
  // Created on the first poll() and kept until close; freed only in its close callback.
  uv_poll_t* poll_ = nullptr;
  // The POLL_* bits armed by poll(), 0 when disarmed.
  int interest_ = 0;
  // With the ring: the tag of this socket's multishot poll (0: none), the poll bits it
  // watches (which may be more than interest_ asks: narrowing is lazy) and the bits seen
  // but not yet delivered.
  uint64_t ring_tag_ = 0;
  uint32_t ring_mask_ = 0;
  uint32_t ring_events_ = 0;
  bool stream_;
  bool ring_queued_ = false;
  bool read_drained_ = false;
  bool write_drained_ = false;
  // The peer's FIN (or an error) was seen: from then on reading stays possible with no
  // wakeup to come, so a short read no longer means drained.
  bool hung_up_ = false;
  SocketHandle* prev_ = nullptr;
  SocketHandle* next_ = nullptr;
};

}  // namespace wsk
