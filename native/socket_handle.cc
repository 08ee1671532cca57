#include "socket_handle.h"

#include <new>

#include "ring.h"

namespace wsk {

namespace {

void OnWatcherClosed(uv_handle_t* handle) {
  auto* data = static_cast<EnvData*>(handle->data);
  delete reinterpret_cast<uv_poll_t*>(handle);
  data->closing--;
  data->MaybeFinishTeardown();
}

}  // namespace

Napi::Value Adopt(Napi::Env env, EnvData* data, os::Fd fd, bool stream) {
  uint32_t slot = HandleTable::kNoSlot;
  try {
    slot = data->handles.Issue();
  } catch (const std::bad_alloc&) {
    os::Close(fd);
    throw Napi::Error::New(env, "node-wsk: out of memory");
  }
  if (slot == HandleTable::kNoSlot) {
    // 2^24 sockets open in one env: no id to give (the process's descriptor limit).
    os::Close(fd);
    return Napi::Number::New(env, -EMFILE);
  }
  auto* socket = new (std::nothrow) SocketHandle(data, fd, stream, slot);
  if (socket == nullptr) {
    data->handles.Free(slot);
    os::Close(fd);
    throw Napi::Error::New(env, "node-wsk: out of memory");
  }
  data->handles.Set(slot, socket);
  return Napi::Number::New(env, data->handles.IdOf(slot));
}

SocketHandle::SocketHandle(EnvData* data, os::Fd fd, bool stream, uint32_t slot)
    : fd(fd), data(data), slot(slot), stream(stream) {
  next_open = data->open;
  if (next_open != nullptr) next_open->prev_open = this;
  data->open = this;
  data->open_count++;
}

void CloseAll(EnvData* data) {
  while (data->open != nullptr) data->open->Close();
}

void SocketHandle::Close() {
  if (watcher != nullptr) {
    // The watcher goes before the descriptor: a number the OS hands out again must never
    // be watched by this stale handle. libuv owns the memory until OnWatcherClosed.
    watcher->data = data;
    data->closing++;
    uv_close(reinterpret_cast<uv_handle_t*>(watcher), OnWatcherClosed);
    watcher = nullptr;
  }
  if (Ring* ring = data->ring) {
    // The kernel's poll holds the file until it is removed, and with it the connection
    // (no FIN before that): the removal is submitted now, or at the end of this round.
    if (ring_tag != 0) ring->Cancel(ring_tag);
    if (interest != 0) ring->Release();
  }
  os::Close(fd);
  data->handles.Free(slot);
  if (prev_open != nullptr) prev_open->next_open = next_open;
  else data->open = next_open;
  if (next_open != nullptr) next_open->prev_open = prev_open;
  data->open_count--;
  delete this;
}

void SocketHandle::NoteRead(long result, size_t asked, int flags) {
  if (flags & (MSG_OOB | MSG_ERRQUEUE)) return;  // another queue than the one POLLIN is about
  if (result == -EAGAIN || result == -EWOULDBLOCK ||
      (stream && !hung_up && result > 0 && static_cast<size_t>(result) < asked && (flags & MSG_PEEK) == 0)) {
    read_drained = true;
  }
}

void SocketHandle::NoteWrite(long result, size_t asked) {
  if (result == -EAGAIN || result == -EWOULDBLOCK || (stream && result >= 0 && static_cast<size_t>(result) < asked)) {
    write_drained = true;
  }
}

}  // namespace wsk
