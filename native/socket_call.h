// What every socket function of the module shares: the id is argument 0, the other
// arguments are checked (and may throw) before the socket is looked up, so a wrong call is
// reported as such whatever the socket's state; an id that names no open socket of this env
// (closed, never issued, another env's, not an integer) gives -EBADF.
#pragma once

#include <napi.h>

#include "args.h"
#include "env.h"
#include "guard.h"
#include "socket_handle.h"

namespace wsk {

using SocketFunction = Napi::Value (*)(const Napi::CallbackInfo& info, EnvData* data);

// Each function carries the EnvData of the load that made it: jest loads the addon again
// per test file, and an id is looked up only in its own load's table.
template <SocketFunction F>
napi_value SocketEntry(napi_env env, napi_callback_info cbinfo) noexcept {
  return Guarded(env, [&]() -> napi_value {
    Napi::CallbackInfo info(env, cbinfo);
    return F(info, static_cast<EnvData*>(info.Data()));
  });
}

template <SocketFunction F>
void SetSocketFunction(Napi::Env env, Napi::Object exports, const char* name, EnvData* data) {
  SetFunction(env, exports, name, SocketEntry<F>, data);
}

inline double IdArg(const Napi::CallbackInfo& info) { return NumberArg(info, 0, "id"); }

#define RESULT(expr) Napi::Number::New(info.Env(), static_cast<double>(expr))
#define SOCKET_OR_EBADF(id)                              \
  SocketHandle* self = data->handles.Find(id);           \
  if (self == nullptr) return RESULT(-EBADF)

// The socket functions, by file, on `exports`.
void SocketCallExports(Napi::Env env, Napi::Object exports, EnvData* data);
void MessageCallExports(Napi::Env env, Napi::Object exports, EnvData* data);
void ReadinessExports(Napi::Env env, Napi::Object exports, EnvData* data);

}  // namespace wsk
