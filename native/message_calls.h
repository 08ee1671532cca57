// One recvmmsg into a caller's layout, shared by recvmmsg() and the automatic datagram reads
// of receive.cc.
#pragma once

#include <cstddef>
#include <cstdint>

#include "args.h"
#include "socket_handle.h"

namespace wsk {

// Datagram i lands in area[i*slot, +slot), its sender (NETADDR) in addrs[i*28, +28) when
// addrs.data is set, its control data in control[i*control_slot, +control_slot) when
// control_slot > 0 (addrs and control may be null); meta[3i..3i+2] = bytes, host msg_flags, control bytes. The caller has
// checked that every part holds `count` entries.
struct DatagramBatch {
  View area;
  size_t slot = 0;
  uint32_t count = 0;
  int32_t* meta = nullptr;
  View addrs;
  View control;
  size_t control_slot = 0;
};

// (area, slotSize, count, meta, addrs, control, controlSlot) from argument i, checked as
// above; throws TypeError / RangeError.
DatagramBatch BatchArgs(const Napi::CallbackInfo& info, size_t i);

// One system call: the number of datagrams received (>= 1), or -errno.
long RecvBatch(SocketHandle* self, const DatagramBatch& batch, int flags);

}  // namespace wsk
