// Winsock numbers (ws2def.h, ws2ipdef.h) with Windows values: ported code passes these, never
// the host's. lib/options.ts and lib/sockaddr.ts translate them for the transport.

/**
 * AF_*: address families (ws2def.h), Windows' values (`AF_INET6` is 23, not Linux's 10).
 * @see https://learn.microsoft.com/windows-hardware/drivers/network/af-inet6
 */
export const AF_UNSPEC = 0;
export const AF_INET = 2;
export const AF_INET6 = 23;
/** ADDRESS_FAMILY (ws2def.h): an `AF_*` value. */
export type ADDRESS_FAMILY = number;

/**
 * SOCK_*: socket types (ws2def.h), the `SocketType` of `WskSocket` and `WskSocketConnect`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_socket
 */
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_RDM = 4;
export const SOCK_SEQPACKET = 5;

/**
 * IPPROTO_*: protocol numbers (ws2def.h), the `Protocol` of `WskSocket` and the `Level` of
 * protocol options in `WskControlSocket`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_socket
 */
export const IPPROTO_IP = 0;
export const IPPROTO_HOPOPTS = 0;
export const IPPROTO_ICMP = 1;
export const IPPROTO_IGMP = 2;
export const IPPROTO_GGP = 3;
export const IPPROTO_IPV4 = 4;
export const IPPROTO_ST = 5;
export const IPPROTO_TCP = 6;
export const IPPROTO_CBT = 7;
export const IPPROTO_EGP = 8;
export const IPPROTO_IGP = 9;
export const IPPROTO_PUP = 12;
export const IPPROTO_UDP = 17;
export const IPPROTO_IDP = 22;
export const IPPROTO_RDP = 27;
export const IPPROTO_IPV6 = 41;
export const IPPROTO_ROUTING = 43;
export const IPPROTO_FRAGMENT = 44;
export const IPPROTO_ESP = 50;
export const IPPROTO_AH = 51;
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_NONE = 59;
export const IPPROTO_DSTOPTS = 60;
export const IPPROTO_ND = 77;
export const IPPROTO_ICLFXBM = 78;
export const IPPROTO_PIM = 103;
export const IPPROTO_PGM = 113;
export const IPPROTO_L2TP = 115;
export const IPPROTO_SCTP = 132;
export const IPPROTO_RAW = 255;

/**
 * SOL_SOCKET (ws2def.h): the `Level` of socket options, Windows' 0xFFFF.
 * @see https://learn.microsoft.com/windows/win32/winsock/sol-socket-socket-options
 */
export const SOL_SOCKET = 0xffff;

/**
 * SO_*: `SOL_SOCKET` options (ws2def.h, winsock2.h, mswsock.h), Windows' values. Which ones
 * WSK supports, and how each maps to Linux, is in docs/SEMANTICS.md ("Options and IOCTLs").
 * @see https://learn.microsoft.com/windows/win32/winsock/sol-socket-socket-options
 * @see https://learn.microsoft.com/windows-hardware/drivers/network/wsk-socket-options
 */
export const SO_DEBUG = 0x0001;
export const SO_ACCEPTCONN = 0x0002;
export const SO_REUSEADDR = 0x0004;
export const SO_KEEPALIVE = 0x0008;
export const SO_DONTROUTE = 0x0010;
export const SO_BROADCAST = 0x0020;
export const SO_USELOOPBACK = 0x0040;
export const SO_LINGER = 0x0080;
export const SO_OOBINLINE = 0x0100;
export const SO_DONTLINGER = 0xffffff7f;
/** (int)(~SO_REUSEADDR), kept unsigned like every option name here. */
export const SO_EXCLUSIVEADDRUSE = 0xfffffffb;
export const SO_SNDBUF = 0x1001;
export const SO_RCVBUF = 0x1002;
export const SO_SNDLOWAT = 0x1003;
export const SO_RCVLOWAT = 0x1004;
export const SO_SNDTIMEO = 0x1005;
export const SO_RCVTIMEO = 0x1006;
export const SO_ERROR = 0x1007;
export const SO_TYPE = 0x1008;
export const SO_CONDITIONAL_ACCEPT = 0x3002;
export const SO_RANDOMIZE_PORT = 0x3005;
export const SO_PORT_SCALABILITY = 0x3006;
export const SO_REUSE_UNICASTPORT = 0x3007;

/**
 * TCP_*: `IPPROTO_TCP` options (ws2ipdef.h, mstcpip.h), Windows' values; mapped to Linux or refused
 * as docs/SEMANTICS.md ("Options and IOCTLs") lists.
 * @see https://learn.microsoft.com/windows/win32/winsock/ipproto-tcp-socket-options
 */
export const TCP_NODELAY = 0x0001;
export const TCP_EXPEDITED_1122 = 0x0002;
export const TCP_KEEPALIVE = 3;
export const TCP_KEEPIDLE = 3;
export const TCP_MAXSEG = 4;
export const TCP_MAXRT = 5;
export const TCP_TIMESTAMPS = 10;
export const TCP_FASTOPEN = 15;
export const TCP_KEEPCNT = 16;
export const TCP_KEEPINTVL = 17;
export const TCP_FAIL_CONNECT_ON_ICMP_ERROR = 18;
export const TCP_STDURG = 6;
export const TCP_NOURG = 7;
export const TCP_ATMARK = 8;
export const TCP_NOSYNRETRIES = 9;
export const TCP_OFFLOAD_PREFERENCE = 11;
export const TCP_CONGESTION_ALGORITHM = 12;
export const TCP_DELAY_FIN_ACK = 13;
export const TCP_MAXRTMS = 14;
export const TCP_ICMP_ERROR_INFO = 19;

/**
 * IP_*: `IPPROTO_IP` options and control-message types (ws2ipdef.h), Windows' values; mapped to
 * Linux or refused as docs/SEMANTICS.md ("Options and IOCTLs") lists.
 * @see https://learn.microsoft.com/windows/win32/winsock/ipproto-ip-socket-options
 */
export const IP_OPTIONS = 1;
export const IP_HDRINCL = 2;
export const IP_TOS = 3;
export const IP_TTL = 4;
export const IP_MULTICAST_IF = 9;
export const IP_MULTICAST_TTL = 10;
export const IP_MULTICAST_LOOP = 11;
export const IP_ADD_MEMBERSHIP = 12;
export const IP_DROP_MEMBERSHIP = 13;
export const IP_DONTFRAGMENT = 14;
export const IP_PKTINFO = 19;
export const IP_HOPLIMIT = 21;
export const IP_RECVTTL = 21;
export const IP_RECEIVE_BROADCAST = 22;
export const IP_UNICAST_IF = 31;
export const IP_TCLASS = 39;
export const IP_RECVTCLASS = 40;
export const IP_RECVTOS = 40;
export const IP_ECN = 50;
export const IP_RECVECN = 50;
export const IP_MTU_DISCOVER = 71;
export const IP_MTU = 73;
export const IP_RECVERR = 75;
export const IP_USER_MTU = 76;

/** PMTUD_STATE (ws2ipdef.h): the values of IP_MTU_DISCOVER / IPV6_MTU_DISCOVER. */
export const IP_PMTUDISC_NOT_SET = 0;
export const IP_PMTUDISC_DO = 1;
export const IP_PMTUDISC_DONT = 2;
export const IP_PMTUDISC_PROBE = 3;

/**
 * IPV6_*: `IPPROTO_IPV6` options and control-message types (ws2ipdef.h), Windows' values;
 * mapped to Linux or refused as docs/SEMANTICS.md ("Options and IOCTLs") lists.
 * @see https://learn.microsoft.com/windows/win32/winsock/ipproto-ipv6-socket-options
 */
export const IPV6_HOPOPTS = 1;
export const IPV6_HDRINCL = 2;
export const IPV6_UNICAST_HOPS = 4;
export const IPV6_MULTICAST_IF = 9;
export const IPV6_MULTICAST_HOPS = 10;
export const IPV6_MULTICAST_LOOP = 11;
export const IPV6_ADD_MEMBERSHIP = 12;
export const IPV6_JOIN_GROUP = 12;
export const IPV6_DROP_MEMBERSHIP = 13;
export const IPV6_LEAVE_GROUP = 13;
export const IPV6_DONTFRAG = 14;
export const IPV6_PKTINFO = 19;
export const IPV6_HOPLIMIT = 21;
export const IPV6_V6ONLY = 27;
export const IPV6_UNICAST_IF = 31;
export const IPV6_TCLASS = 39;
export const IPV6_RECVTCLASS = 40;
export const IPV6_ECN = 50;
export const IPV6_RECVECN = 50;
export const IPV6_MTU_DISCOVER = 71;
export const IPV6_MTU = 72;
export const IPV6_RECVERR = 75;
export const IPV6_USER_MTU = 76;

/**
 * UDP_*: `IPPROTO_UDP` options (ws2ipdef.h), Windows' values (`UDP_SEND_MSG_SIZE` and
 * `UDP_RECV_MAX_COALESCED_SIZE` map to Linux's GSO and GRO).
 * @see https://learn.microsoft.com/windows/win32/winsock/ipproto-udp-socket-options
 */
export const UDP_NOCHECKSUM = 1;
export const UDP_SEND_MSG_SIZE = 2;
export const UDP_RECV_MAX_COALESCED_SIZE = 3;
/** The control message (level IPPROTO_UDP) that carries a coalesced receive's segment size: a DWORD. */
export const UDP_COALESCED_INFO = 3;
export const UDP_CHECKSUM_COVERAGE = 20;

/**
 * MSG_*: message flags (ws2def.h), as reported in `ControlFlags` and indication `Flags`
 * (`MSG_TRUNC`, `MSG_CTRUNC`, `MSG_BCAST`, `MSG_MCAST`).
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_receive_from
 */
export const MSG_OOB = 0x1;
export const MSG_PEEK = 0x2;
export const MSG_DONTROUTE = 0x4;
export const MSG_WAITALL = 0x8;
export const MSG_TRUNC = 0x0100;
export const MSG_CTRUNC = 0x0200;
export const MSG_BCAST = 0x0400;
export const MSG_MCAST = 0x0800;
export const MSG_ERRQUEUE = 0x1000;

/**
 * AI_*: `ADDRINFOEXW.ai_flags` hints (ws2def.h) for `WskGetAddressInfo`; unknown bits give
 * `STATUS_INVALID_PARAMETER`.
 * @see https://learn.microsoft.com/windows/win32/api/ws2def/ns-ws2def-addrinfoexw
 */
export const AI_PASSIVE = 0x01;
export const AI_CANONNAME = 0x02;
export const AI_NUMERICHOST = 0x04;
export const AI_NUMERICSERV = 0x08;
export const AI_ALL = 0x0100;
export const AI_ADDRCONFIG = 0x0400;
export const AI_V4MAPPED = 0x0800;
export const AI_FQDN = 0x00020000;

/**
 * NS_*: name spaces (winsock2.h) for `WskGetAddressInfo`; only `NS_ALL` and `NS_DNS` are served
 * (another gives `STATUS_NOT_SUPPORTED`).
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_get_address_info
 */
export const NS_ALL = 0;
export const NS_DNS = 12;
export const NS_NETBT = 13;
export const NS_WINS = 14;
export const NS_NLA = 15;

/**
 * NI_*: `WskGetNameInfo` flags and buffer sizes (ws2def.h); unknown bits give
 * `STATUS_INVALID_PARAMETER`.
 * @see https://learn.microsoft.com/windows-hardware/drivers/ddi/wsk/nc-wsk-pfn_wsk_get_name_info
 */
export const NI_NOFQDN = 0x01;
export const NI_NUMERICHOST = 0x02;
export const NI_NAMEREQD = 0x04;
export const NI_NUMERICSERV = 0x08;
export const NI_DGRAM = 0x10;
export const NI_MAXHOST = 1025;
export const NI_MAXSERV = 32;

/**
 * INADDR_*: IPv4 addresses (ws2def.h) in host order, as C writes them before `htonl`; a
 * `sin_addr.s_addr` holds the network-order bytes instead (see docs/PORTING.md, "Byte order and
 * addresses").
 * @see https://learn.microsoft.com/windows/win32/api/inaddr/ns-inaddr-in_addr
 */
export const INADDR_ANY = 0x00000000;
export const INADDR_LOOPBACK = 0x7f000001;
export const INADDR_BROADCAST = 0xffffffff;
export const INADDR_NONE = 0xffffffff;

/**
 * IOC_*: the bits Winsock IOCTL codes are built from (ws2def.h): direction and vendor family.
 * @see https://learn.microsoft.com/windows/win32/winsock/winsock-ioctls
 */
export const IOC_VOID = 0x20000000;
export const IOC_OUT = 0x40000000;
export const IOC_IN = 0x80000000;
export const IOC_INOUT = 0xc0000000;
export const IOC_WS2 = 0x08000000;
export const IOC_VENDOR = 0x18000000;

/**
 * SIO_*: Winsock IOCTL codes (ws2def.h, mstcpip.h) for `WskControlSocket` with `WskIoctl`,
 * unsigned; what each does here is in docs/SEMANTICS.md ("Options and IOCTLs").
 * @see https://learn.microsoft.com/windows/win32/winsock/winsock-ioctls
 * @see https://learn.microsoft.com/windows-hardware/drivers/network/wsk-socket-ioctl-operations
 */
export const SIO_ADDRESS_LIST_QUERY = 0x48000016;
export const SIO_ADDRESS_LIST_CHANGE = 0x28000017;
export const SIO_ADDRESS_LIST_SORT = 0xc8000019;
export const SIO_ROUTING_INTERFACE_QUERY = 0xc8000014;
export const SIO_ROUTING_INTERFACE_CHANGE = 0x88000015;
export const SIO_KEEPALIVE_VALS = 0x98000004;
export const SIO_UDP_CONNRESET = 0x9800000c;
export const SIO_UDP_NETRESET = 0x9800000f;
export const SIO_LOOPBACK_FAST_PATH = 0x98000010;
/** _WSAIORW(IOC_VENDOR, 39) (mstcpip.h): input a DWORD version (0 or 1), output TCP_INFO_v0 / _v1. */
export const SIO_TCP_INFO = 0xd8000027;
/** _WSAIOR(IOC_VENDOR, 210) (mstcpip.h): output RSS_SCALABILITY_INFO. */
export const SIO_QUERY_RSS_SCALABILITY_INFO = 0x580000d2;

/**
 * TCPSTATE (mstcpip.h): TCP_INFO_v0.State.
 * @see https://learn.microsoft.com/windows/win32/api/mstcpip/ne-mstcpip-tcpstate
 */
export const TCPSTATE_CLOSED = 0;
export const TCPSTATE_LISTEN = 1;
export const TCPSTATE_SYN_SENT = 2;
export const TCPSTATE_SYN_RCVD = 3;
export const TCPSTATE_ESTABLISHED = 4;
export const TCPSTATE_FIN_WAIT_1 = 5;
export const TCPSTATE_FIN_WAIT_2 = 6;
export const TCPSTATE_CLOSE_WAIT = 7;
export const TCPSTATE_CLOSING = 8;
export const TCPSTATE_LAST_ACK = 9;
export const TCPSTATE_TIME_WAIT = 10;
export const TCPSTATE_MAX = 11;

