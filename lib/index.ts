/**
 * node-wsk: the WSK client API over real OS sockets. Names, argument order and values are
 * those of wsk.h, ntddk.h, ws2def.h and ws2ipdef.h (docs/PORTING.md is the porting rule;
 * docs/SEMANTICS.md says what the calls do).
 * @module node-wsk
 */

export * from './kernel/ntstatus';
export { ntStatusFromErrno } from './transport/errno';
export * from './net/ws2def';
export * from './wsk/wsk';
export * from './kernel/kevent';
export * from './kernel/rtl';
export * from './net/ip-string';
export {
  IRP,
  PIRP,
  IO_STATUS_BLOCK,
  PIO_COMPLETION_ROUTINE,
  PDEVICE_OBJECT,
  IoAllocateIrp,
  IoSetCompletionRoutine,
  IoFreeIrp,
  IoReuseIrp,
  IoCancelIrp,
  IoInitializeIrp,
  IoSizeOfIrp,
} from './kernel/irp';
export {
  MDL,
  PMDL,
  WSK_BUF,
  PWSK_BUF,
  IoAllocateMdl,
  IoFreeMdl,
  MmBuildMdlForNonPagedPool,
  MmProbeAndLockPages,
  MmUnlockPages,
  MmGetSystemAddressForMdlSafe,
  MmGetMdlByteCount,
  MDL_PAGES_LOCKED,
  MDL_SOURCE_IS_NONPAGED_POOL,
  MDL_PARTIAL,
  LowPagePriority,
  NormalPagePriority,
  HighPagePriority,
  MdlMappingNoExecute,
  KernelMode,
  UserMode,
  IoReadAccess,
  IoWriteAccess,
  IoModifyAccess,
} from './kernel/mdl';
export {
  IN_ADDR,
  IN6_ADDR,
  SOCKADDR,
  SOCKADDR_IN,
  SOCKADDR_IN6,
  SOCKADDR_STORAGE,
  PSOCKADDR,
  PSOCKADDR_IN,
  PSOCKADDR_IN6,
  IN6_ADDR_FROM_BYTES,
  in6addr_any,
  in6addr_loopback,
  IN6ADDR_SETANY,
  IN6ADDR_SETLOOPBACK,
  IN4ADDR_SETANY,
  IN4ADDR_SETLOOPBACK,
  SOCKADDR_IN_INIT,
  SOCKADDR_IN6_INIT,
  sockaddrFromString,
  sockaddrToString,
  sockaddrAddressString,
  sockaddrPort,
} from './net/sockaddr';
export {
  WskRegister,
  WskCaptureProviderNPI,
  WskReleaseProviderNPI,
  WskQueryProviderCharacteristics,
  WskDeregister,
} from './wsk/registration';
export { WSK_PROVIDER_VERSION } from './wsk/client';
export {
  CMSG_LEN,
  CMSG_SPACE,
  CMSG_DATA,
  WSA_CMSG_LEN,
  WSA_CMSG_SPACE,
  WSA_CMSG_DATA,
  ControlMessage,
  cmsgBuild,
  cmsgParse,
} from './net/cmsg';
export { SIZEOF_WSK_TRANSPORT, WSK_TCPIP_PROVIDER_ID } from './wsk/control-client';
export {
  tcp_keepalive,
  LINGER,
  RSS_SCALABILITY_INFO,
  IN_RECVERR,
  TCP_INFO_v0,
  TCP_INFO_v1,
  TCP_INFO_v2,
  SIZEOF_TCP_KEEPALIVE,
  SIZEOF_LINGER,
  SIZEOF_RSS_SCALABILITY_INFO,
  SIZEOF_IN_RECVERR,
  SIZEOF_TCP_INFO_v0,
  SIZEOF_TCP_INFO_v1,
  SIZEOF_TCP_INFO_v2,
} from './net/mstcpip';
export { SOCKET_ADDRESS, SOCKET_ADDRESS_LIST } from './socket/address-list';
export { CachedSecurityDescriptor } from './wsk/security';
export { WskVerifierError, WskVerifierCode, WskVerifierHandler, setWskVerifierHandler } from './kernel/verifier';
export { WskFaultKind, WskFaultOptions, WskFaultState, parseWskFaults, setWskFaults, wskFaults } from './kernel/fault';
// The IRP timeline (NODE_WSK_TRACE, README "Timeline"): its channels, its records, and the recorder.
export { WSK_TRACE_IRP_CHANNEL, WSK_TRACE_EVENT_CHANNEL, WskTraceRecord, WskTraceKind, WskTraceValue } from './kernel/trace';
export { WSK_TRACE_DEFAULT_MAX, WskTraceOptions, startWskTrace, stopWskTrace, writeWskTrace, wskTraceRecords } from './trace/recorder';

import { native } from './transport/native';
/**
 * Native sockets open in this process (every one a WSK socket not yet closed, and the address
 * watcher while an SIO_ADDRESS_LIST_CHANGE waits): for leak checks.
 */
export function openSocketCount(): number {
  return native.openSockets();
}
/**
 * How this thread's sockets learn readiness: 'io_uring' (Linux 5.19+) or 'uv' (a uv_poll_t per
 * socket), and why not io_uring. NODE_WSK_POLLER=uv in the environment asks for 'uv'.
 */
export function socketPoller(): { poller: 'io_uring' | 'uv'; reason: string } {
  return native.poller();
}

// Every export above is a binding that never changes. CommonJS compiles re-exports to getters,
// and `export *` gives all its names one shared getter (`m[k]`), so each use of a constant or
// function from user code costs a megamorphic keyed load: measured ~25 ns per access and ~7,400
// instructions per round trip in bench C. The package object is rebuilt with plain data
// properties. They are defined read-only: V8 keeps an object built this way in fast mode (a
// keyed store `flat[key] = v` turns it into a dictionary past ~16 names, and every load from a
// dictionary goes through the LoadIC builtin: ~2% of bench B), and a WSK constant is a constant.
const flat: Record<string, unknown> = {};
for (const key of Object.keys(exports)) {
  Object.defineProperty(flat, key, { value: (exports as Record<string, unknown>)[key], enumerable: true });
}
Object.defineProperty(flat, '__esModule', { value: true });
module.exports = flat;
