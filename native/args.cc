#include "args.h"

namespace wsk {

void ThrowType(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }

void ThrowRange(Napi::Env env, const std::string& msg) { throw Napi::RangeError::New(env, msg); }

void ThrowTypeOf(Napi::Env env, const char* name, const char* must) {
  throw Napi::TypeError::New(env, std::string(name) + " " + must);
}

void ThrowRangeOf(Napi::Env env, const char* name, const char* must) {
  throw Napi::RangeError::New(env, std::string(name) + " " + must);
}

bool ToInt32View(napi_env env, napi_value value, int32_t** data, size_t* length) {
  bool is_typed_array = false;
  napi_typedarray_type type;
  void* p = nullptr;
  if (napi_is_typedarray(env, value, &is_typed_array) != napi_ok || !is_typed_array ||
      napi_get_typedarray_info(env, value, &type, length, &p, nullptr, nullptr) != napi_ok ||
      (type != napi_int32_array && type != napi_uint32_array)) {
    return false;
  }
  *data = static_cast<int32_t*>(p);
  return true;
}

int32_t* Int32ViewArg(const Napi::CallbackInfo& info, size_t i, const char* name, size_t min) {
  int32_t* data = nullptr;
  size_t length = 0;
  if (!ToInt32View(info.Env(), info[i], &data, &length)) {
    ThrowType(info.Env(), std::string(name) + " must be an Int32Array or Uint32Array");
  }
  if (length < min) ThrowRange(info.Env(), std::string(name) + " is too short");
  return data;
}

IoVecs::IoVecs(const Napi::CallbackInfo& info, size_t i) : count_(Count(info, i)), iov_(count_) {
  Napi::Env env = info.Env();
  Napi::Array array = info[i].As<Napi::Array>();
  Scratch<napi_value> values(count_);
  View view;
  for (uint32_t k = 0; k < count_; k++) {
    values[k] = array.Get(k);
    if (!ToView(env, values[k], &view)) ThrowType(env, "bufs must contain only Uint8Array views");
  }
  for (uint32_t k = 0; k < count_; k++) {
    ToView(env, values[k], &view);
    iov_[k].iov_base = view.data;
    iov_[k].iov_len = view.length;
  }
}

uint32_t IoVecs::Count(const Napi::CallbackInfo& info, size_t i) {
  if (!info[i].IsArray()) ThrowType(info.Env(), "bufs must be an array of Uint8Array views");
  uint32_t count = info[i].As<Napi::Array>().Length();
  if (count > kMaxViews) ThrowRange(info.Env(), "bufs holds more than IOV_MAX views");
  return count;
}

}  // namespace wsk
