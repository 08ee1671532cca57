// SocketHandle: one open OS socket of one env, and its lifetime.
//
// JS never holds one: each socket function of the module takes the socket's id and looks the
// socket up (handle_table.h), so an open socket costs JS one number instead of a wrapped
// object with its reference, finalizer and type tag (bench C idle), and a call costs a table
// lookup instead of a type-tag check. Sockets live until closed (close(), or closeAllSockets
// / env teardown), as kernel sockets do; the GC never closes one.
//
// The functions on a socket live by concern: socket_calls.cc (one system call each),
// message_calls.cc (msghdr and batch calls), readiness.cc (poll() and the handler).
#pragma once

#include <napi.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>

#include "env.h"
#include "platform.h"

namespace wsk {

struct SocketHandle {
  SocketHandle(EnvData* data, os::Fd fd, bool stream, uint32_t slot);

  // What a call on the socket showed (see ring.h): the kernel has nothing more to read, or
  // no room to write, for now, and owes a wakeup when that changes.
  void NoteRead(long result, size_t asked, int flags);
  void NoteWrite(long result, size_t asked);
  // A read of `asked` bytes would find nothing: a stream socket that a call showed drained
  // since its last readiness report. The read functions then return -EAGAIN without a
  // system call, and JS, which arms readiness on EAGAIN, hears of the next data from the
  // poller (arming reports data that came in between; see readiness.cc). Not for urgent
  // data or the error queue, whose arrival is no POLLIN; a zero-byte read still asks the OS.
  bool KnownEmpty(size_t asked, int flags) const {
    return stream && read_drained && !listening && asked > 0 && (flags & (MSG_OOB | MSG_ERRQUEUE)) == 0;
  }
  // Closes the descriptor, frees the id and deletes this. Nothing holds a SocketHandle
  // across a call into JS (readiness.cc looks the socket up again by id after its handler),
  // so the memory goes at once.
  void Close();

  const os::Fd fd;
  EnvData* const data;
  // This socket's slot in data->handles.
  const uint32_t slot;
  // A SOCK_STREAM socket: a short read or write shows the kernel's queue ran out.
  const bool stream;

  // Readiness (readiness.cc). The POLL_* bits armed by poll(), 0 when disarmed.
  int interest = 0;
  // With uv_poll: created on the first poll() and kept until close; freed only in its close
  // callback.
  uv_poll_t* watcher = nullptr;
  // With the ring: the tag of this socket's multishot poll (0: none), the poll bits it
  // watches (which may be more than interest asks: narrowing is lazy), the bits seen but
  // not yet delivered, and whether the slot is queued for delivery.
  uint64_t ring_tag = 0;
  uint32_t ring_mask = 0;
  uint32_t ring_events = 0;
  bool ring_queued = false;

  // State learnt from calls and readiness, kept here only (lib/ mirrors none of it).
  // A read found the receive queue empty since the last readiness report.
  bool read_drained = false;
  // A write found the send buffer full since the last readiness report.
  bool write_drained = false;
  // The peer's FIN (or an error) was seen: from then on reading stays possible with no
  // wakeup to come, so a short read no longer means drained.
  bool hung_up = false;
  // listen() succeeded (and no connect() since): a read is the OS's error to report, and
  // read_drained is about accept.
  bool listening = false;

  // The env's list of open sockets, for CloseAll.
  SocketHandle* prev_open = nullptr;
  SocketHandle* next_open = nullptr;

 private:
  ~SocketHandle() = default;  // only Close() deletes
};

// Gives a freshly created descriptor (`stream`: a SOCK_STREAM socket) an id and returns it as
// a JS number; -EMFILE when the env's id table is full, the descriptor closed.
Napi::Value Adopt(Napi::Env env, EnvData* data, os::Fd fd, bool stream);
// Env teardown, closeAllSockets: closes every open socket.
void CloseAll(EnvData* data);

}  // namespace wsk
