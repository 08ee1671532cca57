// Guard: no C++ exception ever leaves the addon. One that reaches V8's frames (or libuv's)
// is std::terminate, so every function JS can call runs through Guarded(), which turns
// what the body throws into a JS exception, or into nothing once JS cannot take one.
#pragma once

#include <napi.h>

#include <new>

namespace wsk {

// Throwing into JS can itself fail: after Worker.terminate() (or during process exit)
// every Node-API call that could run JS fails, napi_throw included. With
// NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS (binding.gyp) node-addon-api then returns quietly
// instead of throwing a C++ exception from inside our catch; the catch here covers the
// rest (it throws when an exception is already pending, and that one is what JS sees).
inline void ThrowIntoJs(const Napi::Error& error) noexcept {
  try {
    error.ThrowAsJavaScriptException();
  } catch (...) {
  }
}

// Runs `body` (returning a napi_value) for a function JS called; what it throws becomes
// the function's JS exception, and the function returns nothing (undefined).
template <typename Body>
napi_value Guarded(napi_env env, Body&& body) noexcept {
  try {
    return body();
  } catch (const Napi::Error& e) {
    ThrowIntoJs(e);
  } catch (const std::bad_alloc&) {
    napi_throw_error(env, "ENOMEM", "node-wsk: out of memory");
  } catch (...) {
    napi_throw_error(env, nullptr, "node-wsk: unexpected C++ exception");
  }
  return nullptr;
}

// A module function: `info.Data()` is the EnvData of the load that made it.
using Method = Napi::Value (*)(const Napi::CallbackInfo& info);

template <Method F>
napi_value CallGuarded(napi_env env, napi_callback_info cbinfo) noexcept {
  return Guarded(env, [&]() -> napi_value {
    Napi::CallbackInfo info(env, cbinfo);
    return F(info);
  });
}

// exports[name] = a JS function calling `cb` with `data`. Throws Napi::Error (for module
// init, itself guarded).
inline void SetFunction(Napi::Env env, Napi::Object exports, const char* name, napi_callback cb, void* data) {
  napi_value fn;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, data, &fn) != napi_ok) throw Napi::Error::New(env);
  exports.Set(name, Napi::Value(env, fn));
}

template <Method F>
void SetFunction(Napi::Env env, Napi::Object exports, const char* name, void* data) {
  SetFunction(env, exports, name, CallGuarded<F>, data);
}

}  // namespace wsk
