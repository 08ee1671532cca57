// Socket ids: every socket function of the module takes the socket's id as its first
// argument. An id names one socket of one env while it is open, and nothing ever after.
// As a JS number (exact: below 2^53):
//   id = generation * 2^32 + env tag * 2^24 + slot
// slot        index into the table; freed when the socket closes, reused via a free list.
// generation  1 .. 2^21-1, bumped whenever the slot is freed, so an id of a closed socket
//             never names the slot's later socket; a slot out of generations is retired.
// env tag     0 .. 255, distinct among the envs alive at once (main thread, workers, each
//             load of the addon), so an id taken into another env names nothing there.
//             Beyond 256 live envs, tags are shared (see AcquireEnvTag).
#pragma once

#include <cstdint>
#include <vector>

namespace wsk {

struct SocketHandle;

class HandleTable {
 public:
  static constexpr uint32_t kSlotBits = 24;
  static constexpr uint32_t kEnvBits = 8;
  static constexpr uint32_t kGenerationBits = 53 - kSlotBits - kEnvBits;
  static constexpr uint32_t kNoSlot = UINT32_MAX;

  HandleTable();
  ~HandleTable();
  HandleTable(const HandleTable&) = delete;
  HandleTable& operator=(const HandleTable&) = delete;

  // A slot (and with it an id), empty until Set(); kNoSlot when every slot is taken. May
  // throw std::bad_alloc when the table grows.
  uint32_t Issue();
  // The socket closed: its id stops naming anything, for good.
  void Free(uint32_t slot);
  double IdOf(uint32_t slot) const { return slots_[slot].id; }
  void Set(uint32_t slot, SocketHandle* socket) { slots_[slot].socket = socket; }
  // The open socket in `slot`, or nullptr (any slot number is safe).
  SocketHandle* AtSlot(uint32_t slot) const { return slot < slots_.size() ? slots_[slot].socket : nullptr; }
  // The slot a ring tag or an id names in its low bits.
  static uint32_t SlotOf(uint64_t bits) { return static_cast<uint32_t>(bits & ((uint64_t{1} << kSlotBits) - 1)); }

  // The open socket `id` names, or nullptr. Any double is safe here: NaN, negative,
  // fractional, huge, stale or another env's.
  SocketHandle* Find(double id) const {
    if (!(id >= 0 && id < 9007199254740992.0)) return nullptr;  // also NaN; 2^53
    uint32_t slot = SlotOf(static_cast<uint64_t>(id));
    if (slot >= slots_.size()) return nullptr;
    // A free slot holds id -1; a fraction never equals the integer stored.
    const Slot& s = slots_[slot];
    return s.id == id ? s.socket : nullptr;
  }

 private:
  struct Slot {
    double id;             // the id of the socket in the slot, -1 while free
    SocketHandle* socket;  // nullptr while free
    uint32_t generation;   // of the current (or next) socket in the slot
    uint32_t next_free;
  };
  std::vector<Slot> slots_;
  uint32_t free_ = kNoSlot;  // head of the free list (last freed first)
  uint32_t env_tag_;
};

}  // namespace wsk
