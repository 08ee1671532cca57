// Name resolution on libuv's thread pool: getaddrinfo and getnameinfo never block Node's
// loop. Results cross to JS as plain data (NETADDRs, numbers, strings) in one callback;
// a request is named by an id so that cancelling a finished one is harmless.
#include "resolver.h"

#include <netdb.h>

#include <cstring>
#include <memory>
#include <string>

#include "args.h"
#include "guard.h"
#include "netaddr.h"

namespace wsk {

struct Resolution {
  EnvData* data = nullptr;
  uint32_t id = 0;
  bool name_info = false;
  uv_getaddrinfo_t addr_req;
  uv_getnameinfo_t name_req;
  Napi::FunctionReference callback;

  uv_req_t* req() {
    return name_info ? reinterpret_cast<uv_req_t*>(&name_req) : reinterpret_cast<uv_req_t*>(&addr_req);
  }
};

namespace {

// Longest node or service name accepted (DNS names are at most 255 bytes; NI_MAXHOST 1025).
constexpr size_t kMaxName = 1025;

EnvData* Data(const Napi::CallbackInfo& info) { return static_cast<EnvData*>(info.Data()); }

// A string argument, or null/undefined for "none"; names with an embedded NUL are refused.
bool OptionalName(const Napi::CallbackInfo& info, size_t i, const char* name, std::string* out) {
  if (info[i].IsNull() || info[i].IsUndefined()) return false;
  if (!info[i].IsString()) throw Napi::TypeError::New(info.Env(), std::string(name) + " must be a string or null");
  *out = info[i].As<Napi::String>().Utf8Value();
  if (out->size() > kMaxName || out->find('\0') != std::string::npos) {
    throw Napi::RangeError::New(info.Env(), std::string(name) + " is too long or holds a NUL");
  }
  return true;
}

Napi::Function CallbackArg(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsFunction()) throw Napi::TypeError::New(info.Env(), "callback must be a function");
  return info[i].As<Napi::Function>();
}

// Takes the request out of the table; false when the env is going away (no JS then).
bool Finish(Resolution* r) {
  r->data->resolutions.erase(r->id);
  return !r->data->tearing_down;
}

void Call(Resolution* r, napi_env env, size_t argc, napi_value* argv) {
  napi_value fn = nullptr, global = nullptr;
  napi_get_reference_value(env, r->callback, &fn);
  napi_get_global(env, &global);
  if (fn == nullptr) return;
  if (napi_make_callback(env, r->data->async_context, global, fn, argc, argv, nullptr) != napi_ok) {
    bool pending = false;
    napi_value error;
    if (napi_is_exception_pending(env, &pending) == napi_ok && pending &&
        napi_get_and_clear_last_exception(env, &error) == napi_ok) {
      napi_fatal_exception(env, error);
    }
  }
}

void Done(Resolution* r) {
  EnvData* data = r->data;
  delete r;
  data->MaybeFinishTeardown();
}

// callback(status, count, addrs: Uint8Array(count * 28), meta: Int32Array(count * 3) of
// [ip version, host socktype, protocol], canonname | null)
void OnAddrInfo(uv_getaddrinfo_t* req, int status, addrinfo* res) {
  auto* r = static_cast<Resolution*>(req->data);
  if (Finish(r)) {
    napi_env env = r->data->env;
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) == napi_ok) {
      size_t count = 0;
      for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET || ai->ai_family == AF_INET6) count++;
      }
      napi_value argv[5] = {};
      napi_create_int32(env, status, &argv[0]);
      napi_create_uint32(env, static_cast<uint32_t>(count), &argv[1]);
      napi_value addr_buf = nullptr, meta_buf = nullptr;
      void* addr_data = nullptr;
      void* meta_data = nullptr;
      bool ok = napi_create_arraybuffer(env, count * kNetaddrSize + 1, &addr_data, &addr_buf) == napi_ok &&
                napi_create_arraybuffer(env, count * 12 + 4, &meta_data, &meta_buf) == napi_ok &&
                napi_create_typedarray(env, napi_uint8_array, count * kNetaddrSize, addr_buf, 0, &argv[2]) == napi_ok &&
                napi_create_typedarray(env, napi_int32_array, count * 3, meta_buf, 0, &argv[3]) == napi_ok;
      if (ok) {
        auto* addrs = static_cast<uint8_t*>(addr_data);
        auto* meta = static_cast<int32_t*>(meta_data);
        size_t i = 0;
        const char* canon = nullptr;
        for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
          if (canon == nullptr && ai->ai_canonname != nullptr) canon = ai->ai_canonname;
          if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
          sockaddr_storage ss{};
          size_t len = ai->ai_addrlen < sizeof ss ? ai->ai_addrlen : sizeof ss;
          std::memcpy(&ss, ai->ai_addr, len);
          FromSockaddr(ss, static_cast<socklen_t>(len), addrs + i * kNetaddrSize);
          meta[3 * i] = ai->ai_family == AF_INET ? 4 : 6;
          meta[3 * i + 1] = ai->ai_socktype;
          meta[3 * i + 2] = ai->ai_protocol;
          i++;
        }
        if (canon != nullptr) napi_create_string_utf8(env, canon, NAPI_AUTO_LENGTH, &argv[4]);
        else napi_get_null(env, &argv[4]);
        Call(r, env, 5, argv);
      }
      napi_close_handle_scope(env, scope);
    }
  }
  uv_freeaddrinfo(res);
  Done(r);
}

// callback(status, host | null, service | null)
void OnNameInfo(uv_getnameinfo_t* req, int status, const char* host, const char* service) {
  auto* r = static_cast<Resolution*>(req->data);
  if (Finish(r)) {
    napi_env env = r->data->env;
    napi_handle_scope scope;
    if (napi_open_handle_scope(env, &scope) == napi_ok) {
      napi_value argv[3];
      napi_create_int32(env, status, &argv[0]);
      if (status == 0 && host != nullptr) napi_create_string_utf8(env, host, NAPI_AUTO_LENGTH, &argv[1]);
      else napi_get_null(env, &argv[1]);
      if (status == 0 && service != nullptr) napi_create_string_utf8(env, service, NAPI_AUTO_LENGTH, &argv[2]);
      else napi_get_null(env, &argv[2]);
      Call(r, env, 3, argv);
      napi_close_handle_scope(env, scope);
    }
  }
  Done(r);
}

// A new request, started by `start` (uv_getaddrinfo or uv_getnameinfo; 0 or a libuv
// error): its id, or the error. It is in the table before libuv has it, so that neither its
// completion nor teardown's wait can miss it; whatever throws (std::bad_alloc) throws
// before libuv has it, and nothing is left behind.
template <typename Start>
Napi::Value Begin(Napi::Env env, EnvData* data, Napi::Function callback, bool name_info, Start start) {
  auto r = std::make_unique<Resolution>();
  r->data = data;
  r->name_info = name_info;
  r->callback = Napi::Persistent(callback);
  do r->id = data->next_resolution++;
  while (r->id == 0 || data->resolutions.count(r->id) != 0);
  r->addr_req.data = r.get();
  r->name_req.data = r.get();
  data->resolutions.emplace(r->id, r.get());
  int rc = start(r.get());
  if (rc != 0) {
    data->resolutions.erase(r->id);
    return Napi::Number::New(env, rc);
  }
  return Napi::Number::New(env, r.release()->id);
}

// getaddrinfo(node, service, flags, family, socktype, protocol, callback): an id (> 0) or a
// negative libuv error. Host values throughout.
Napi::Value GetAddrInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnvData* data = Data(info);
  std::string node, service;
  bool has_node = OptionalName(info, 0, "node", &node);
  bool has_service = OptionalName(info, 1, "service", &service);
  addrinfo hints{};
  hints.ai_flags = Int32Arg(info, 2, "flags");
  hints.ai_family = Int32Arg(info, 3, "family");
  hints.ai_socktype = Int32Arg(info, 4, "socktype");
  hints.ai_protocol = Int32Arg(info, 5, "protocol");
  Napi::Function callback = CallbackArg(info, 6);
  if (!has_node && !has_service) return Napi::Number::New(env, UV_EINVAL);
  if (data->tearing_down) return Napi::Number::New(env, UV_ECANCELED);
  return Begin(env, data, callback, false, [&](Resolution* r) {
    return uv_getaddrinfo(data->loop, &r->addr_req, OnAddrInfo, has_node ? node.c_str() : nullptr,
                          has_service ? service.c_str() : nullptr, &hints);
  });
}

// getnameinfo(addr: NETADDR, flags, callback): an id (> 0) or a negative libuv error.
Napi::Value GetNameInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnvData* data = Data(info);
  bool is_typed_array = false;
  napi_typedarray_type type;
  size_t length = 0;
  void* bytes = nullptr;
  if (napi_is_typedarray(env, info[0], &is_typed_array) != napi_ok || !is_typed_array ||
      napi_get_typedarray_info(env, info[0], &type, &length, &bytes, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array) {
    throw Napi::TypeError::New(env, "addr must be a Uint8Array");
  }
  int32_t flags = Int32Arg(info, 1, "flags");
  Napi::Function callback = CallbackArg(info, 2);
  sockaddr_storage ss;
  long len = ToSockaddr(static_cast<const uint8_t*>(bytes), length, &ss);
  if (len < 0) return Napi::Number::New(env, static_cast<double>(len));
  if (data->tearing_down) return Napi::Number::New(env, UV_ECANCELED);
  return Begin(env, data, callback, true, [&](Resolution* r) {
    return uv_getnameinfo(data->loop, &r->name_req, OnNameInfo, reinterpret_cast<sockaddr*>(&ss), flags);
  });
}

// cancelResolution(id): 0 when the request was still queued (its callback then reports
// EAI_CANCELED), a negative libuv error when it is running or already done.
Napi::Value CancelResolution(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  EnvData* data = Data(info);
  double d = info[0].IsNumber() ? info[0].As<Napi::Number>().DoubleValue() : -1;
  if (!(d >= 0 && d <= UINT32_MAX)) throw Napi::TypeError::New(env, "id must be a resolution id");
  auto it = data->resolutions.find(static_cast<uint32_t>(d));
  if (it == data->resolutions.end()) return Napi::Number::New(env, UV_ENOENT);
  return Napi::Number::New(env, uv_cancel(it->second->req()));
}

Napi::Value Pending(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(Data(info)->resolutions.size()));
}

}  // namespace

void CancelAllResolutions(EnvData* data) {
  for (auto& entry : data->resolutions) uv_cancel(entry.second->req());
}

#define SET(name) errors.Set(#name, Napi::Number::New(env, UV_##name))

void ResolverExports(Napi::Env env, Napi::Object exports, EnvData* data) {
  SetFunction<GetAddrInfo>(env, exports, "getaddrinfo", data);
  SetFunction<GetNameInfo>(env, exports, "getnameinfo", data);
  SetFunction<CancelResolution>(env, exports, "cancelResolution", data);
  SetFunction<Pending>(env, exports, "pendingResolutions", data);
  Napi::Object errors = Napi::Object::New(env);
  SET(EAI_ADDRFAMILY); SET(EAI_AGAIN); SET(EAI_BADFLAGS); SET(EAI_CANCELED); SET(EAI_FAIL);
  SET(EAI_FAMILY); SET(EAI_MEMORY); SET(EAI_NODATA); SET(EAI_NONAME); SET(EAI_OVERFLOW);
  SET(EAI_SERVICE); SET(EAI_SOCKTYPE); SET(ECANCELED); SET(EINVAL); SET(ENOENT); SET(EBUSY);
  exports.Set("resolverErrors", errors);
}

#undef SET

}  // namespace wsk
