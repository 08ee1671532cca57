// Argument checks for the module's functions: a value of the wrong type throws TypeError, a
// number that is not an integer in range throws RangeError (both caught by Guarded()).
// Views are read straight from the typed arrays JS passed: no copy.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "platform.h"

namespace wsk {

// Most views one sendmsg/recvmsg takes.
constexpr uint32_t kMaxViews = IOV_MAX;
// Most datagrams one recvmmsg/sendmmsg call takes (Linux's UIO_MAXIOV).
constexpr uint32_t kMaxBatch = 1024;

struct View {
  uint8_t* data = nullptr;
  size_t length = 0;
};

[[noreturn]] void ThrowType(Napi::Env env, const std::string& msg);
[[noreturn]] void ThrowRange(Napi::Env env, const std::string& msg);
// "<name> <must>" as a TypeError / RangeError: out of line, so that the checks below, inline
// on every call's path, stay small.
[[noreturn]] void ThrowTypeOf(Napi::Env env, const char* name, const char* must);
[[noreturn]] void ThrowRangeOf(Napi::Env env, const char* name, const char* must);

// The checks every call makes are inline here: defined in another file they would cost the
// data path a call each (measured with callgrind when native/ was split).

// A Uint8Array's bytes; false (no exception) for anything else. One call is the check and
// the read: napi_get_typedarray_info refuses (napi_invalid_arg) anything not a typed array.
inline bool ToView(napi_env env, napi_value value, View* out) {
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

inline View ViewArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  View view;
  if (!ToView(info.Env(), info[i], &view)) ThrowTypeOf(info.Env(), name, "must be a Uint8Array");
  return view;
}

// An optional view: null or undefined means the caller does not want it (false).
inline bool OptionalViewArg(const Napi::CallbackInfo& info, size_t i, const char* name, View* out) {
  if (info[i].IsNull() || info[i].IsUndefined()) return false;
  *out = ViewArg(info, i, name);
  return true;
}

// One call is the check and the read: napi_get_value_double refuses (napi_number_expected,
// no exception) anything that is not a number.
inline double NumberArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  double d;
  if (napi_get_value_double(info.Env(), info[i], &d) != napi_ok) ThrowTypeOf(info.Env(), name, "must be a number");
  return d;
}

inline int32_t Int32Arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  double d = NumberArg(info, i, name);
  if (!(d >= INT32_MIN && d <= INT32_MAX) || d != static_cast<double>(static_cast<int32_t>(d))) {
    ThrowRangeOf(info.Env(), name, "must be a 32-bit integer");
  }
  return static_cast<int32_t>(d);
}

// A byte count or offset into a view; `max` is what the view has left.
inline size_t SizeArg(const Napi::CallbackInfo& info, size_t i, const char* name, size_t max) {
  double d = NumberArg(info, i, name);
  // In range first, so that the cast below is defined; then no fraction.
  if (!(d >= 0 && d <= static_cast<double>(max)) || d != static_cast<double>(static_cast<size_t>(d))) {
    ThrowRangeOf(info.Env(), name, "must be an integer within the buffer");
  }
  return static_cast<size_t>(d);
}

// (buf, offset, length) starting at argument i, checked against the view's own length.
inline View SliceArgs(const Napi::CallbackInfo& info, size_t i) {
  View view = ViewArg(info, i, "buf");
  size_t offset = SizeArg(info, i + 1, "offset", view.length);
  size_t length = SizeArg(info, i + 2, "length", view.length - offset);
  return {view.data + offset, length};
}

// An Int32Array or Uint32Array of at least `min` elements (the batch calls' out-parameters).
int32_t* Int32ViewArg(const Napi::CallbackInfo& info, size_t i, const char* name, size_t min);
// The same, returning its length too; false (no exception) for anything else.
bool ToInt32View(napi_env env, napi_value value, int32_t** data, size_t* length);

// Stack storage for the common small case, heap beyond it.
template <typename T, size_t N = 16>
class Scratch {
 public:
  explicit Scratch(size_t n) : p_(n <= N ? inline_ : (heap_ = std::make_unique<T[]>(n)).get()) {}
  T& operator[](size_t i) { return p_[i]; }
  T* get() { return p_; }

 private:
  T inline_[N];
  std::unique_ptr<T[]> heap_;
  T* p_;
};

// The views of a JS array as iovecs, for one sendmsg/recvmsg. Reading an element can run
// JS (a getter) that detaches or shrinks a view already visited, so every element is
// fetched first and the data pointers are read only after that, when no JS can run before
// the system call.
class IoVecs {
 public:
  IoVecs(const Napi::CallbackInfo& info, size_t i);

  os::IoVec* data() { return iov_.get(); }
  size_t size() const { return count_; }
  size_t total() {
    size_t sum = 0;
    for (uint32_t k = 0; k < count_; k++) sum += iov_[k].iov_len;
    return sum;
  }

 private:
  static uint32_t Count(const Napi::CallbackInfo& info, size_t i);

  uint32_t count_;
  Scratch<os::IoVec> iov_;
};

}  // namespace wsk
