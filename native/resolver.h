// Name resolution on libuv's thread pool (resolver.cc).
#pragma once

#include <napi.h>

#include "env.h"

namespace wsk {

// getaddrinfo, getnameinfo, cancelResolution, pendingResolutions, resolverErrors.
void ResolverExports(Napi::Env env, Napi::Object exports, EnvData* data);
// Env teardown: cancels what is still queued; teardown waits for the rest.
void CancelAllResolutions(EnvData* data);

}  // namespace wsk
