// Readiness: poll(id, events) arms a socket, and the env's one handler is called with what it
// became ready for, through io_uring (ring.h) or one uv_poll_t per socket. Level-triggered
// either way: a socket stays reported while it stays ready. A socket armed with POLL_RECEIVE
// is read first, and the report carries what was read (receive.h).
#pragma once

#include <cstdint>

#include "env.h"

namespace wsk {

// The POLL_* bits of lib/transport/native.ts. POLL_RECEIVE is asked for, never reported:
// "when readable, read for me into this env's area" (receive.h); it waits for readable.
constexpr int kPollReadable = 1;
constexpr int kPollWritable = 2;
constexpr int kPollDisconnect = 4;
constexpr int kPollReceive = 8;

// From Ring: a completion of the multishot poll `tag`, and delivery of what the socket in
// `slot` has become ready for.
void OnRingCompletion(EnvData* data, uint64_t tag, int32_t res, uint32_t flags);
void DeliverRing(EnvData* data, uint32_t slot);

}  // namespace wsk
