#include "args.h"

#include <cmath>

namespace wsk {

void ThrowType(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }

void ThrowRange(Napi::Env env, const std::string& msg) { throw Napi::RangeError::New(env, msg); }

// One call is the check and the read: napi_get_typedarray_info refuses (napi_invalid_arg,
// no exception) anything that is not a typed array.
bool ToView(napi_env env, napi_value value, View* out) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, value, &type, &length, &data, nullptr, nullptr) != napi_ok ||
      type != napi_uint8_array) {
    return false;
  }
  out->data = static_cast<uint8_t*>(data);
  out->length = length;
  return true;
}

View ViewArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  View view;
  if (!ToView(info.Env(), info[i], &view)) {
    ThrowType(info.Env(), std::string(name) + " must be a Uint8Array");
  }
  return view;
}

bool OptionalViewArg(const Napi::CallbackInfo& info, size_t i, const char* name, View* out) {
  if (info[i].IsNull() || info[i].IsUndefined()) return false;
  *out = ViewArg(info, i, name);
  return true;
}

// One call is the check and the read: napi_get_value_double refuses (napi_number_expected,
// no exception) anything that is not a number.
double NumberArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  double d;
  if (napi_get_value_double(info.Env(), info[i], &d) != napi_ok) {
    ThrowType(info.Env(), std::string(name) + " must be a number");
  }
  return d;
}

int32_t Int32Arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  double d = NumberArg(info, i, name);
  if (!(d >= INT32_MIN && d <= INT32_MAX) || d != std::trunc(d)) {
    ThrowRange(info.Env(), std::string(name) + " must be a 32-bit integer");
  }
  return static_cast<int32_t>(d);
}

size_t SizeArg(const Napi::CallbackInfo& info, size_t i, const char* name, size_t max) {
  double d = NumberArg(info, i, name);
  if (!(d >= 0 && d <= static_cast<double>(max)) || d != std::trunc(d)) {
    ThrowRange(info.Env(), std::string(name) + " must be an integer within the buffer");
  }
  return static_cast<size_t>(d);
}

View SliceArgs(const Napi::CallbackInfo& info, size_t i) {
  View view = ViewArg(info, i, "buf");
  size_t offset = SizeArg(info, i + 1, "offset", view.length);
  size_t length = SizeArg(info, i + 2, "length", view.length - offset);
  return {view.data + offset, length};
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
