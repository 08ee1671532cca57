// Readiness: poll(id, events) arms a socket, and the env's one handler is called with what it
// became ready for, through io_uring (ring.h) or one uv_poll_t per socket. Level-triggered
// either way: a socket stays reported while it stays ready.
#pragma once

#include <cstdint>

#include "env.h"

namespace wsk {

// The POLL_* bits of lib/transport/native.ts.
constexpr int kPollReadable = 1;
constexpr int kPollWritable = 2;
constexpr int kPollDisconnect = 4;

// From Ring: a completion of the multishot poll `tag`, and delivery of what the socket in
// `slot` has become ready for.
void OnRingCompletion(EnvData* data, uint64_t tag, int32_t res, uint32_t flags);
void DeliverRing(EnvData* data, uint32_t slot);

}  // namespace wsk
