// EnvData: everything one Node environment (main thread or worker) needs. Kept as Node-API
// instance data, so that every worker has its own handler, sockets and teardown.
#pragma once

#include <napi.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <unordered_map>

#include "handle_table.h"
#include "receive.h"

namespace wsk {

class Ring;
struct Resolution;
struct SocketHandle;

struct EnvData {
  uv_loop_t* loop = nullptr;
  napi_env env = nullptr;
  napi_async_context async_context = nullptr;
  napi_async_cleanup_hook_handle cleanup_hook = nullptr;
  // The one readiness handler of this env (readiness.cc), and the areas its automatic
  // reads fill (receive.h).
  Napi::FunctionReference handler;
  ReceiveAreas areas;
  // For tests and benchmarks (stats()): read system calls made (explicit and automatic),
  // and calls into the handler.
  struct {
    double reads = 0;
    double reports = 0;
  } stats;
  // Every open socket by id (see HandleTable), and as a list, so that teardown can close
  // what JS left open.
  HandleTable handles;
  SocketHandle* open = nullptr;
  size_t open_count = 0;
  // uv_close calls not yet completed; teardown waits for them so that the loop can be
  // closed and no close callback outlives this struct.
  size_t closing = 0;
  bool tearing_down = false;
  // Readiness through io_uring (ring.h), made on the first poll(); null before, and for
  // good once ring_reason says why not.
  Ring* ring = nullptr;
  const char* ring_reason = nullptr;
  bool force_uv = false;  // usePoller('uv')
  // Name resolutions on the thread pool (resolver.cc), by id; teardown waits for them.
  std::unordered_map<uint32_t, Resolution*> resolutions;
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

}  // namespace wsk
