#include "handle_table.h"

#include <mutex>

namespace wsk {

namespace {

constexpr uint32_t kEnvTags = 1u << HandleTable::kEnvBits;
constexpr uint32_t kMaxGeneration = (1u << HandleTable::kGenerationBits) - 1;

// Env tags in use, process-wide (envs live on different threads). A new env takes the next
// tag no live env holds, round robin, so a tag comes back as late as possible; only with
// every tag held (256 envs alive at once) is one shared, and then an id carried between
// two envs that share a tag could name a socket there.
std::mutex env_tag_mutex;
uint32_t env_tag_users[kEnvTags];
uint32_t env_tag_next = 0;

uint32_t AcquireEnvTag() {
  std::lock_guard<std::mutex> lock(env_tag_mutex);
  uint32_t tag = env_tag_next;
  for (uint32_t k = 0; k < kEnvTags; k++) {
    uint32_t t = (env_tag_next + k) % kEnvTags;
    if (env_tag_users[t] == 0) {
      tag = t;
      break;
    }
  }
  env_tag_users[tag]++;
  env_tag_next = (tag + 1) % kEnvTags;
  return tag;
}

void ReleaseEnvTag(uint32_t tag) {
  std::lock_guard<std::mutex> lock(env_tag_mutex);
  env_tag_users[tag]--;
}

}  // namespace

HandleTable::HandleTable() : env_tag_(AcquireEnvTag()) {}

HandleTable::~HandleTable() { ReleaseEnvTag(env_tag_); }

uint32_t HandleTable::Issue() {
  uint32_t slot = free_;
  if (slot != kNoSlot) {
    free_ = slots_[slot].next_free;
  } else {
    if (slots_.size() == (size_t{1} << kSlotBits)) return kNoSlot;
    slots_.push_back({-1, nullptr, 1, kNoSlot});  // may throw; nothing changed then
    slot = static_cast<uint32_t>(slots_.size() - 1);
  }
  Slot& s = slots_[slot];
  s.id = static_cast<double>((uint64_t{s.generation} << (kEnvBits + kSlotBits)) |
                             (uint64_t{env_tag_} << kSlotBits) | slot);
  return slot;
}

void HandleTable::Free(uint32_t slot) {
  Slot& s = slots_[slot];
  s.id = -1;
  s.socket = nullptr;
  if (++s.generation > kMaxGeneration) return;  // retired: every id it could give is spent
  s.next_free = free_;
  free_ = slot;
}

}  // namespace wsk
