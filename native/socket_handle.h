// SocketHandle: one OS socket, its readiness watcher on Node's loop, and its JS wrapper.
#pragma once

#include <napi.h>
#include <uv.h>

#include <unordered_map>

#include "platform.h"

namespace wsk {

class SocketHandle;
struct Resolution;

// Everything one Node environment (main thread or worker) needs; kept as Node-API
// instance data so that every worker has its own handler, sockets and teardown.
struct EnvData {
  uv_loop_t* loop = nullptr;
  napi_async_context async_context = nullptr;
  Napi::FunctionReference handler;
  Napi::FunctionReference constructor;
  // The constructor's password (see SocketHandle's constructor): one External per env,
  // made once because each napi External costs an allocation until it is collected.
  Napi::Reference<Napi::External<EnvData>> token;
  // Open sockets, so that teardown can close what JS left open.
  SocketHandle* open = nullptr;
  size_t open_count = 0;
  // uv_close calls not yet completed; teardown waits for them so that the loop can be
  // closed and no close callback outlives this struct.
  size_t closing = 0;
  bool tearing_down = false;
  napi_env env = nullptr;
  napi_async_cleanup_hook_handle cleanup_hook = nullptr;
  // Hand-over slot for SocketHandle::Adopt; see the constructor.
  os::Fd adopt_fd = os::kNoFd;
  // Name resolutions on the thread pool (resolver.cc), by id; teardown waits for them.
  std::unordered_map<uint32_t, struct Resolution*> resolutions;
  uint32_t next_resolution = 1;

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

class SocketHandle : public Napi::ObjectWrap<SocketHandle> {
 public:
  static Napi::Function MakeClass(Napi::Env env, EnvData* data);
  // Wraps a freshly created descriptor; the descriptor is closed if wrapping fails.
  static Napi::Object Adopt(Napi::Env env, EnvData* data, os::Fd fd);
  // Env teardown: closes every socket JS left open.
  static void CloseAll(EnvData* data);

  explicit SocketHandle(const Napi::CallbackInfo& info);
  ~SocketHandle() override;

 private:
  using Method = Napi::Value (SocketHandle::*)(const Napi::CallbackInfo&);
  template <Method M>
  static napi_value Thunk(napi_env env, napi_callback_info cbinfo);
  static void OnPoll(uv_poll_t* poll, int status, int events);
  static int UvEvents(int interest);
  static void OnClosed(uv_handle_t* handle);

  void Close();
  void Disarm();
  bool TakeSelfRef();
  void DropSelfRef();

  Napi::Value GetFd(const Napi::CallbackInfo& info);
  Napi::Value SetSockOpt(const Napi::CallbackInfo& info);
  Napi::Value GetSockOpt(const Napi::CallbackInfo& info);
  Napi::Value Bind(const Napi::CallbackInfo& info);
  Napi::Value Listen(const Napi::CallbackInfo& info);
  Napi::Value Accept(const Napi::CallbackInfo& info);
  Napi::Value Connect(const Napi::CallbackInfo& info);
  Napi::Value TakeError(const Napi::CallbackInfo& info);
  Napi::Value Send(const Napi::CallbackInfo& info);
  Napi::Value SendV(const Napi::CallbackInfo& info);
  Napi::Value Recv(const Napi::CallbackInfo& info);
  Napi::Value RecvV(const Napi::CallbackInfo& info);
  Napi::Value SendTo(const Napi::CallbackInfo& info);
  Napi::Value RecvFrom(const Napi::CallbackInfo& info);
  Napi::Value RecvMsgMethod(const Napi::CallbackInfo& info);
  Napi::Value SendMsgMethod(const Napi::CallbackInfo& info);
  Napi::Value RecvMMsg(const Napi::CallbackInfo& info);
  Napi::Value SendMMsg(const Napi::CallbackInfo& info);
  Napi::Value Shutdown(const Napi::CallbackInfo& info);
  Napi::Value LocalAddress(const Napi::CallbackInfo& info);
  Napi::Value PeerAddress(const Napi::CallbackInfo& info);
  Napi::Value Available(const Napi::CallbackInfo& info);
  Napi::Value Poll(const Napi::CallbackInfo& info);
  Napi::Value CloseMethod(const Napi::CallbackInfo& info);

  os::Fd fd_ = os::kNoFd;
  EnvData* data_ = nullptr;
  // Created on the first poll() and kept until close; freed only in its close callback.
  uv_poll_t* poll_ = nullptr;
  // The POLL_* bits armed by poll(), 0 when disarmed.
  int interest_ = 0;
  // Whether the wrapper holds a strong reference to its own JS object: exactly while
  // readiness is armed, as Node's HandleWrap does for an active handle.
  bool self_ref_ = false;
  SocketHandle* prev_ = nullptr;
  SocketHandle* next_ = nullptr;
};

}  // namespace wsk
