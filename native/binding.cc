// The module object behind lib/transport/native.ts: socket() and the functions on a socket
// id (socket_calls.cc, message_calls.cc, readiness.cc), setEventHandler(), openSockets(),
// name resolution (resolver.cc), constants and errno. The contract (types, NETADDR, POLL_*
// bits) is documented there.
#include <netdb.h>
#include <netinet/ip.h>

#include <string>

#include "args.h"
#include "guard.h"
#include "receive.h"
#include "resolver.h"
#include "ring.h"
#include "socket_call.h"

namespace wsk {
namespace {

// Each module function carries the EnvData of the load that made it (Function::New's data):
// jest loads the addon again per test file, and each load must keep its own.
EnvData* Data(const Napi::CallbackInfo& info) { return static_cast<EnvData*>(info.Data()); }

Napi::Value Socket(const Napi::CallbackInfo& info) {
  int32_t domain = Int32Arg(info, 0, "domain");
  int32_t type = Int32Arg(info, 1, "type");
  int32_t protocol = Int32Arg(info, 2, "protocol");
  long fd = os::Socket(domain, type, protocol);
  if (fd < 0) return Napi::Number::New(info.Env(), static_cast<double>(fd));
  bool stream = (type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) == SOCK_STREAM;
  return Adopt(info.Env(), Data(info), static_cast<os::Fd>(fd), stream);
}

Napi::Value SetEventHandler(const Napi::CallbackInfo& info) {
  EnvData* data = Data(info);
  if (info[0].IsFunction()) {
    data->handler = Napi::Persistent(info[0].As<Napi::Function>());
  } else if (info[0].IsNull() || info[0].IsUndefined()) {
    data->handler.Reset();  // sockets stop polling at their next event
  } else {
    throw Napi::TypeError::New(info.Env(), "handler must be a function");
  }
  return info.Env().Undefined();
}

// Which readiness mechanism this env's sockets use: { poller: 'io_uring' | 'uv', reason }.
Napi::Value Poller(const Napi::CallbackInfo& info) {
  const char* reason = "";
  const char* poller = Ring::Describe(Data(info), &reason);
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("poller", poller);
  out.Set("reason", reason);
  return out;
}

// usePoller('uv' | 'io_uring'): the choice NODE_WSK_POLLER makes, from JS, before this env's
// first poll(). 0, -EBUSY once the env has decided otherwise, -EINVAL for another name.
Napi::Value UsePoller(const Napi::CallbackInfo& info) {
  EnvData* data = Data(info);
  if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), "poller must be 'uv' or 'io_uring'");
  std::string name = info[0].As<Napi::String>();
  if (name != "uv" && name != "io_uring") return Napi::Number::New(info.Env(), -EINVAL);
  bool decided = data->ring != nullptr || data->ring_reason != nullptr;
  if (decided) {
    bool uv = data->ring == nullptr;
    return Napi::Number::New(info.Env(), uv == (name == "uv") ? 0 : -EBUSY);
  }
  data->force_uv = name == "uv";
  return Napi::Number::New(info.Env(), 0);
}

Napi::Value OpenSockets(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(Data(info)->open_count));
}

// stats(): { reads, reports }: read system calls this env made (explicit and automatic) and
// calls into its handler. For tests (a read answered without a system call) and benchmarks.
Napi::Value Stats(const Napi::CallbackInfo& info) {
  EnvData* data = Data(info);
  Napi::Object out = Napi::Object::New(info.Env());
  out.Set("reads", data->stats.reads);
  out.Set("reports", data->stats.reports);
  return out;
}

// Closes every socket of this env that is still open; returns how many. For test harnesses:
// a test that fails half-way must not leave armed sockets keeping the process alive.
Napi::Value CloseAllSockets(const Napi::CallbackInfo& info) {
  EnvData* data = Data(info);
  size_t count = data->open_count;
  CloseAll(data);
  return Napi::Number::New(info.Env(), static_cast<double>(count));
}

#define SET(name) table.Set(#name, Napi::Number::New(env, name))

// The host's names for what lib/ translates Windows' IP, UDP and TCP options and IOCTLs to
// (UDP segmentation offload, path MTU, ICMP error queue, TCP_INFO, address-list netlink).
#ifdef __linux__
#include <netinet/udp.h>
#include <time.h>
#include <linux/errqueue.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

void SetHostOptionConstants(Napi::Env env, Napi::Object table) {
  SET(SOL_UDP); SET(UDP_SEGMENT); SET(UDP_GRO);
  SET(IP_MTU); SET(IP_PMTUDISC_DONT); SET(IP_PMTUDISC_WANT); SET(IP_PMTUDISC_DO); SET(IP_PMTUDISC_PROBE);
  SET(IPV6_MTU_DISCOVER); SET(IPV6_MTU); SET(IPV6_DONTFRAG); SET(IPV6_PMTUDISC_DONT);
  SET(IPV6_PMTUDISC_WANT); SET(IPV6_PMTUDISC_DO); SET(IPV6_PMTUDISC_PROBE);
  SET(IP_RECVERR); SET(IPV6_RECVERR); SET(MSG_ERRQUEUE); SET(SO_EE_ORIGIN_ICMP); SET(SO_EE_ORIGIN_ICMP6);
  SET(IP_UNICAST_IF); SET(IPV6_UNICAST_IF); SET(IP_BIND_ADDRESS_NO_PORT);
  SET(TCP_USER_TIMEOUT); SET(TCP_INFO); SET(TCP_SYNCNT);
  SET(SO_NO_CHECK); SET(IP_OPTIONS);
  SET(AF_NETLINK); SET(NETLINK_ROUTE); SET(SOL_NETLINK); SET(NETLINK_ADD_MEMBERSHIP);
  SET(RTNLGRP_IPV4_IFADDR); SET(RTNLGRP_IPV6_IFADDR); SET(RTM_NEWADDR); SET(RTM_DELADDR);
  SET(RTM_GETADDR); SET(NLM_F_REQUEST); SET(NLM_F_DUMP); SET(NLMSG_DONE); SET(NLMSG_ERROR);
  SET(IFA_ADDRESS); SET(IFA_LOCAL);
}
#else
void SetHostOptionConstants(Napi::Env, Napi::Object) {}
#endif

Napi::Object Constants(Napi::Env env) {
  Napi::Object table = Napi::Object::New(env);
  SET(AF_UNSPEC); SET(AF_INET); SET(AF_INET6);
  SET(SOCK_STREAM); SET(SOCK_DGRAM); SET(SOCK_RAW);
  SET(SOL_SOCKET); SET(SO_REUSEADDR); SET(SO_REUSEPORT); SET(SO_KEEPALIVE); SET(SO_BROADCAST);
  SET(SO_RCVBUF); SET(SO_SNDBUF); SET(SO_LINGER); SET(SO_ERROR); SET(SO_TYPE);
  SET(SO_ACCEPTCONN); SET(SO_OOBINLINE);
  SET(IPPROTO_IP); SET(IPPROTO_IPV6); SET(IPPROTO_TCP); SET(IPPROTO_UDP); SET(IPPROTO_ICMP);
  SET(IPPROTO_ICMPV6); SET(IPPROTO_RAW);
  SET(TCP_NODELAY); SET(TCP_KEEPIDLE); SET(TCP_KEEPINTVL); SET(TCP_KEEPCNT); SET(TCP_MAXSEG);
  SET(TCP_FASTOPEN);
  SET(IP_TOS); SET(IP_TTL); SET(IP_HDRINCL); SET(IP_PKTINFO); SET(IP_RECVTOS);
  SET(IP_MULTICAST_IF); SET(IP_MULTICAST_TTL); SET(IP_MULTICAST_LOOP); SET(IP_ADD_MEMBERSHIP);
  SET(IP_DROP_MEMBERSHIP); SET(IP_MTU_DISCOVER);
  SET(IPV6_V6ONLY); SET(IPV6_UNICAST_HOPS); SET(IPV6_MULTICAST_IF); SET(IPV6_MULTICAST_HOPS);
  SET(IPV6_MULTICAST_LOOP); SET(IPV6_ADD_MEMBERSHIP); SET(IPV6_DROP_MEMBERSHIP);
  SET(IPV6_PKTINFO); SET(IPV6_RECVPKTINFO); SET(IPV6_HOPLIMIT); SET(IPV6_RECVHOPLIMIT);
  SET(SHUT_RD); SET(SHUT_WR); SET(SHUT_RDWR);
  SET(MSG_OOB); SET(MSG_PEEK); SET(MSG_WAITALL); SET(MSG_TRUNC); SET(MSG_CTRUNC);
  SET(MSG_DONTWAIT);
  SET(SOMAXCONN); SET(IOV_MAX);
  SET(IP_RECVTTL); SET(IPV6_TCLASS); SET(IPV6_RECVTCLASS);
  SET(AI_PASSIVE); SET(AI_CANONNAME); SET(AI_NUMERICHOST); SET(AI_NUMERICSERV); SET(AI_ALL);
  SET(AI_ADDRCONFIG); SET(AI_V4MAPPED);
  SET(NI_NOFQDN); SET(NI_NUMERICHOST); SET(NI_NAMEREQD); SET(NI_NUMERICSERV); SET(NI_DGRAM);
  SET(NI_MAXHOST); SET(NI_MAXSERV);
  SetHostOptionConstants(env, table);
  // Control-message layout on this host, for building and reading cmsgs in lib/.
  table.Set("CMSG_HDRLEN", Napi::Number::New(env, CMSG_LEN(0)));
  table.Set("CMSG_ALIGNTO", Napi::Number::New(env, CMSG_ALIGN(1)));
  table.Set("CMSG_LENSIZE", Napi::Number::New(env, sizeof(static_cast<cmsghdr*>(nullptr)->cmsg_len)));
  table.Set("SIZEOF_IN_PKTINFO", Napi::Number::New(env, sizeof(in_pktinfo)));
  table.Set("SIZEOF_IN6_PKTINFO", Napi::Number::New(env, sizeof(in6_pktinfo)));
  table.Set("MAX_BATCH", Napi::Number::New(env, kMaxBatch));
  // The event handler's `received` when no automatic read happened (receive.h).
  table.Set("NO_RECEIVE", Napi::Number::New(env, kNoReceive));
  // A socket id modulo this is its slot, the number the event handler is called with.
  table.Set("SOCKET_SLOTS", Napi::Number::New(env, static_cast<double>(uint32_t{1} << HandleTable::kSlotBits)));
  return table;
}

// Aliases come before their usual name (EWOULDBLOCK before EAGAIN), because lib/ builds
// its number -> name map from this order and the last name wins.
Napi::Object Errnos(Napi::Env env) {
  Napi::Object table = Napi::Object::New(env);
  SET(EPERM); SET(ENOENT); SET(EINTR); SET(EIO); SET(EBADF); SET(EWOULDBLOCK); SET(EAGAIN);
  SET(ENOMEM); SET(EACCES); SET(EFAULT); SET(EBUSY); SET(EEXIST); SET(ENODEV); SET(EINVAL);
  SET(ENFILE); SET(EMFILE); SET(ENOSPC); SET(EPIPE); SET(ERANGE); SET(ENOSYS); SET(ENOTSOCK);
  SET(EDESTADDRREQ); SET(EMSGSIZE); SET(EPROTOTYPE); SET(ENOPROTOOPT); SET(EPROTONOSUPPORT);
  SET(ESOCKTNOSUPPORT); SET(EOPNOTSUPP); SET(EPFNOSUPPORT); SET(EAFNOSUPPORT);
  SET(EADDRINUSE); SET(EADDRNOTAVAIL); SET(ENETDOWN); SET(ENETUNREACH); SET(ENETRESET);
  SET(ECONNABORTED); SET(ECONNRESET); SET(ENOBUFS); SET(EISCONN); SET(ENOTCONN);
  SET(ESHUTDOWN); SET(ETIMEDOUT); SET(ECONNREFUSED); SET(EHOSTDOWN); SET(EHOSTUNREACH);
  SET(EALREADY); SET(EINPROGRESS);
  return table;
}

#undef SET

// Env teardown (process or worker exit): close what JS left open. The hook is async so
// that Node keeps turning the loop until every uv_close has called back; only then is it
// released, and Node may free the env (and EnvData) and close the loop.
void Teardown(napi_async_cleanup_hook_handle, void* arg) {
  auto* data = static_cast<EnvData*>(arg);
  data->tearing_down = true;
  CloseAll(data);
  Ring::Close(data);
  CancelAllResolutions(data);
  ReleaseAreas(data);
  // Reset() throws if napi_delete_reference fails, and nothing may leave a cleanup hook.
  try {
    data->handler.Reset();
  } catch (...) {
  }
  if (data->async_context != nullptr) napi_async_destroy(data->env, data->async_context);
  data->async_context = nullptr;
  data->MaybeFinishTeardown();
}

void Check(Napi::Env env, napi_status status) {
  if (status != napi_ok) throw Napi::Error::New(env);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new EnvData;
  env.SetInstanceData(data);
  data->env = env;
  Check(env, napi_get_uv_event_loop(env, &data->loop));
  // One async context for every readiness callback in this env, like a single resource.
  Check(env, napi_async_init(env, nullptr, Napi::String::New(env, "node-wsk:socket"),
                             &data->async_context));
  Check(env, napi_add_async_cleanup_hook(env, Teardown, data, &data->cleanup_hook));

  SetFunction<Socket>(env, exports, "socket", data);
  SetFunction<SetEventHandler>(env, exports, "setEventHandler", data);
  SetFunction<Poller>(env, exports, "poller", data);
  SetFunction<UsePoller>(env, exports, "usePoller", data);
  SetFunction<OpenSockets>(env, exports, "openSockets", data);
  SetFunction<CloseAllSockets>(env, exports, "closeAllSockets", data);
  SetFunction<Stats>(env, exports, "stats", data);
  SocketCallExports(env, exports, data);
  MessageCallExports(env, exports, data);
  ReadinessExports(env, exports, data);
  ReceiveExports(env, exports, data);
  ResolverExports(env, exports, data);
  exports.Set("constants", Constants(env));
  exports.Set("errno", Errnos(env));
  return exports;
}

}  // namespace
}  // namespace wsk

// Not NODE_API_MODULE: its wrapper lets anything but a Napi::Error (std::bad_alloc) and a
// failed rethrow (a worker terminated while it loads the addon) reach std::terminate.
NAPI_MODULE_INIT() {
  return wsk::Guarded(env, [&]() -> napi_value { return wsk::Init(Napi::Env(env), Napi::Object(env, exports)); });
}
