// What a socket's options keep in lib/: the Windows meaning of options that the host expresses
// differently (one host option for two Windows ones, sizes the host does not read back,
// Windows-only flags, a linger time the host must not be given). Made on the first such option:
// most sockets never have one.

export class OptionState {
  /** The receive control messages asked for (RX_* of transport/host-cmsg.ts). */
  rx = 0;
  /** IP_RECVERR / IPV6_RECVERR as the client set them. */
  recvErr = false;
  recvErr6 = false;
  /** SIO_UDP_CONNRESET: a port unreachable completes the next WskReceiveFrom STATUS_PORT_UNREACHABLE. */
  connReset = false;
  /** UDP_SEND_MSG_SIZE: the segment size of every send (0: none). */
  segmentSize = 0;
  /** UDP_RECV_MAX_COALESCED_SIZE as set (0: coalescing off). */
  coalescedSize = 0;
  /** SO_RANDOMIZE_PORT / SO_PORT_SCALABILITY: kept and read back (see docs/SEMANTICS.md, "Choices"). */
  randomizePort = 0;
  portScalability = 0;
  /** SO_LINGER as the client set it (l_onoff, l_linger seconds); see socket/tcp-options.ts. */
  lingerOnoff = 0;
  lingerSeconds = 0;

  /** Whether the host socket must queue ICMP errors (IP_RECVERR on the host). */
  get hostRecvErr(): boolean {
    return this.recvErr || this.recvErr6 || this.connReset;
  }
}

/** The socket's option state, made on first use. */
export function optionStateOf(s: { options: OptionState | null }): OptionState {
  return (s.options ??= new OptionState());
}
