// msquic's receive path (datapath_winkernel.c @ a9504fe1: CxPlatDataPathSocketReceive, RecvDataReturn):
// see msquic-datapath.ts for what is ported and how it differs.
import {
  IPPROTO_IP, IPPROTO_IPV6, IPPROTO_UDP, IPV6_ECN, IPV6_HOPLIMIT, IPV6_PKTINFO, IPV6_RECVERR, IP_ECN, IP_PKTINFO,
  IP_RECVERR, IP_TTL, LowPagePriority, MDL, MdlMappingNoExecute, MmGetSystemAddressForMdlSafe, NTSTATUS, PSOCKADDR,
  PWSK_DATAGRAM_INDICATION, SOCKADDR_IN, SOCKADDR_IN6, STATUS_DEVICE_NOT_READY, STATUS_PENDING, STATUS_SUCCESS,
  UDP_COALESCED_INFO, cmsgParse, sockaddrFromString, sockaddrPort,
} from '../../lib';
import {
  QUIC_ADDR, URO_MAX_DATAGRAMS_PER_INDICATION, ICMP4_DST_UNREACH, ICMP6_DST_UNREACH, IN_RECVERR_TYPE,
  CXPLAT_DBG_ASSERT, CxPlatConvertFromMappedV6, CXPLAT_RECV_DATA, DATAPATH_RX_IO_BLOCK, IoBlockOf, CXPLAT_SOCKET,
  dgrm,
} from './msquic-platform';

// ---- receive ----

/** The per-datagram information CxPlatDataPathSocketReceive parses out of the control info. */
interface Ancillary {
  LocalAddr: QUIC_ADDR | null;
  IsUnreachableError: boolean;
  MessageLength: number;
  IsCoalesced: boolean;
  ECN: number;
  HopLimitTTL: number;
}

function parseAncillary(Binding: CXPLAT_SOCKET, DataIndication: PWSK_DATAGRAM_INDICATION): Ancillary {
  const a: Ancillary = { LocalAddr: null, IsUnreachableError: false, MessageLength: 0, IsCoalesced: false, ECN: 0, HopLimitTTL: 0 };
  const port = sockaddrPort(Binding.LocalAddress as PSOCKADDR);
  const int = (d: Uint8Array) => new DataView(d.buffer, d.byteOffset, d.byteLength).getInt32(0, true);
  const control = DataIndication.ControlInfo;
  for (const CMsg of control ? cmsgParse(control, DataIndication.ControlInfoLength) : []) {
    const d = CMsg.data;
    if (CMsg.cmsg_level === IPPROTO_IPV6) {
      if (CMsg.cmsg_type === IPV6_PKTINFO) {
        const sa = sockaddrFromString(ipv6Text(d.subarray(0, 16)), port) as SOCKADDR_IN6;
        a.LocalAddr = CxPlatConvertFromMappedV6(sa);
      } else if (CMsg.cmsg_type === IPV6_RECVERR) {
        if (d[IN_RECVERR_TYPE] === ICMP6_DST_UNREACH) {
          a.IsUnreachableError = true;
          break;
        }
      } else if (CMsg.cmsg_type === IPV6_ECN) {
        a.ECN = int(d);
      } else if (CMsg.cmsg_type === IPV6_HOPLIMIT) {
        a.HopLimitTTL = int(d);
      }
    } else if (CMsg.cmsg_level === IPPROTO_IP) {
      if (CMsg.cmsg_type === IP_PKTINFO) {
        a.LocalAddr = sockaddrFromString(`${d[0]}.${d[1]}.${d[2]}.${d[3]}`, port) as SOCKADDR_IN;
      } else if (CMsg.cmsg_type === IP_RECVERR) {
        if (d[IN_RECVERR_TYPE] === ICMP4_DST_UNREACH) {
          a.IsUnreachableError = true;
          break;
        }
      } else if (CMsg.cmsg_type === IP_ECN) {
        a.ECN = int(d);
      } else if (CMsg.cmsg_type === IP_TTL) {
        a.HopLimitTTL = int(d);
      }
    } else if (CMsg.cmsg_level === IPPROTO_UDP && CMsg.cmsg_type === UDP_COALESCED_INFO) {
      a.MessageLength = int(d);
      a.IsCoalesced = true;
    }
  }
  return a;
}

function ipv6Text(b: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return groups.join(':');
}

/** CxPlatMdlMapChain: MmGetSystemAddressForMdlSafe is MmMapLockedPagesSpecifyCache when unmapped. */
function CxPlatMdlMapChain(Mdl: MDL | null): boolean {
  for (; Mdl !== null; Mdl = Mdl.Next) {
    if (MmGetSystemAddressForMdlSafe(Mdl, LowPagePriority | MdlMappingNoExecute) === null) return false;
  }
  return true;
}

/**
 * CxPlatDataPathSocketReceive (WskReceiveFromEvent). Each indication is cut from the chain; a
 * copied or dropped one goes into the release chain given back with WskRelease before
 * returning; a retained one stays WSK's memory until RecvDataReturn. Always STATUS_PENDING.
 */
export function CxPlatDataPathSocketReceive(Context: unknown, _Flags: number, DataIndicationHead: PWSK_DATAGRAM_INDICATION | null): NTSTATUS {
  // "a NULL DataIndication indicates that the socket has been closed".
  if (DataIndicationHead === null) return STATUS_SUCCESS;
  CXPLAT_DBG_ASSERT(Context !== null, 'receive Context');
  const Binding = Context as CXPLAT_SOCKET;
  if (Binding.RundownClosed) return STATUS_DEVICE_NOT_READY;

  let ReleaseChain: PWSK_DATAGRAM_INDICATION | null = null;
  let ReleaseTail: PWSK_DATAGRAM_INDICATION | null = null;
  const RecvDataChain: CXPLAT_RECV_DATA[] = [];
  while (DataIndicationHead !== null) {
    const DataIndication: PWSK_DATAGRAM_INDICATION = DataIndicationHead;
    DataIndicationHead = DataIndicationHead.Next;
    DataIndication.Next = null;
    const IoBlock = receiveOne(Binding, DataIndication, RecvDataChain);
    if (IoBlock === null || IoBlock.IsCopiedBuffer) {
      if (ReleaseTail === null) ReleaseChain = DataIndication;
      else ReleaseTail.Next = DataIndication;
      ReleaseTail = DataIndication;
    }
  }
  for (let i = 0; i + 1 < RecvDataChain.length; i++) RecvDataChain[i]!.Next = RecvDataChain[i + 1]!;
  // Indicate all accepted datagrams.
  if (RecvDataChain.length > 0) Binding.Datapath.UdpHandlers.Receive(Binding, Binding.ClientContext, RecvDataChain[0]!);
  // Release any dropped or copied datagrams.
  if (ReleaseChain !== null) dgrm(Binding).WskRelease(Binding.Socket!, ReleaseChain);
  return STATUS_PENDING;
}

/** The body of the loop for one indication: its IoBlock, or null when it was dropped. */
function receiveOne(Binding: CXPLAT_SOCKET, DataIndication: PWSK_DATAGRAM_INDICATION, Chain: CXPLAT_RECV_DATA[]): DATAPATH_RX_IO_BLOCK | null {
  if (DataIndication.Buffer.Mdl === null || DataIndication.Buffer.Length === 0) return null; // DatapathDropEmptyMdl
  const a = parseAncillary(Binding, DataIndication);
  // "The underlying data path does not guarantee ancillary data ... under memory pressure."
  if (a.LocalAddr === null && !a.IsUnreachableError) return null;
  const RemoteAddr = CxPlatConvertFromMappedV6(DataIndication.RemoteAddress as QUIC_ADDR);
  if (a.IsUnreachableError) {
    Binding.Datapath.UdpHandlers.Unreachable(Binding, Binding.ClientContext, RemoteAddr);
    return null;
  }
  let Mdl: MDL = DataIndication.Buffer.Mdl;
  let MdlOffset = DataIndication.Buffer.Offset;
  let DataLength = DataIndication.Buffer.Length;
  let MessageLength = a.MessageLength;
  if (MessageLength === 0) {
    // "the entire datagram constitutes a single message"
    if (DataLength > 0xffff) return null;
    MessageLength = DataLength;
  }
  if (!CxPlatMdlMapChain(Mdl)) return null;

  let IoBlock: DATAPATH_RX_IO_BLOCK | null = null;
  let CurrentCopied = 0;
  for (; DataLength !== 0; DataLength -= MessageLength) {
    if (MessageLength > DataLength) MessageLength = DataLength; // the last message is smaller
    if (MessageLength > Mdl.ByteCount - MdlOffset) return dropBlock(IoBlock); // "We require contiguous buffers."
    if (IoBlock === null) IoBlock = newIoBlock(Binding, DataIndication, DataLength, a.LocalAddr!, RemoteAddr);
    const mapped = MmGetSystemAddressForMdlSafe(Mdl, LowPagePriority)!;
    let Buffer: Uint8Array;
    if (IoBlock.IsCopiedBuffer) {
      Buffer = IoBlock.DataBufferStart!.subarray(CurrentCopied, CurrentCopied + MessageLength);
      Buffer.set(mapped.subarray(MdlOffset, MdlOffset + MessageLength));
      CurrentCopied += MessageLength;
    } else {
      Buffer = mapped.subarray(MdlOffset, MdlOffset + MessageLength);
    }
    const Datagram: CXPLAT_RECV_DATA = {
      Next: null, Route: IoBlock.Route, Buffer, BufferLength: MessageLength, TypeOfService: a.ECN, HopLimitTTL: a.HopLimitTTL,
      Allocated: true, QueuedOnConnection: false,
    };
    IoBlockOf.set(Datagram, IoBlock);
    Chain.push(Datagram);
    if (++IoBlock.ReferenceCount === URO_MAX_DATAGRAMS_PER_INDICATION) break; // DatapathUroExceeded
    // Walk the MDL chain.
    MdlOffset += MessageLength;
    if (MdlOffset === Mdl.ByteCount) {
      if (Mdl.Next === null) break;
      Mdl = Mdl.Next;
      MdlOffset = 0;
    }
  }
  return IoBlock;
}

/** The IoBlock allocation of the loop: copy past PENDING_BUFFER_LIMIT, else keep the indication. */
function newIoBlock(Binding: CXPLAT_SOCKET, DataIndication: PWSK_DATAGRAM_INDICATION, DataLength: number, LocalAddress: QUIC_ADDR, RemoteAddress: QUIC_ADDR): DATAPATH_RX_IO_BLOCK {
  const Datapath = Binding.Datapath;
  const IoBlock: DATAPATH_RX_IO_BLOCK = {
    Binding, DataIndication: null, DataBufferStart: null, IsCopiedBuffer: false, ReferenceCount: 0, DataIndicationSize: 0,
    Route: { LocalAddress, RemoteAddress },
  };
  if (Datapath.OutstandingPendingBytes >= Datapath.PendingBufferLimit) {
    IoBlock.IsCopiedBuffer = true;
    IoBlock.DataBufferStart = new Uint8Array(DataLength > 4096 ? 65536 : 4096); // RecvBufferPools[0 or 1]
  } else {
    IoBlock.DataIndication = DataIndication;
    CXPLAT_DBG_ASSERT(DataIndication.Next === null, 'a retained indication is cut from its chain');
    IoBlock.DataIndicationSize = DataLength;
    Datapath.OutstandingPendingBytes += DataLength;
  }
  return IoBlock;
}

/**
 * `Drop:` mid-indication. An IoBlock that produced no datagram is freed and its indication
 * released (null); one that did keeps its datagrams, and its indication if it is retained.
 */
function dropBlock(IoBlock: DATAPATH_RX_IO_BLOCK | null): DATAPATH_RX_IO_BLOCK | null {
  if (IoBlock !== null && IoBlock.ReferenceCount === 0) {
    CxPlatDataPathFreeRxIoBlock(IoBlock);
    return null;
  }
  return IoBlock;
}

/** CxPlatDataPathFreeRxIoBlock: returns the retained indication, if any, for WskRelease. */
function CxPlatDataPathFreeRxIoBlock(IoBlock: DATAPATH_RX_IO_BLOCK): PWSK_DATAGRAM_INDICATION | null {
  if (IoBlock.IsCopiedBuffer || IoBlock.DataIndication === null) return null;
  IoBlock.Binding.Datapath.OutstandingPendingBytes -= IoBlock.DataIndicationSize;
  return IoBlock.DataIndication;
}

/**
 * RecvDataReturn: the app gives datagrams back (any subset, any order). An IoBlock whose last
 * datagram comes back frees its indication; those are linked into one chain for one WskRelease.
 */
export function RecvDataReturn(RecvDataChain: CXPLAT_RECV_DATA | null): void {
  let Binding: CXPLAT_SOCKET | null = null;
  let Head: PWSK_DATAGRAM_INDICATION | null = null;
  let Tail: PWSK_DATAGRAM_INDICATION | null = null;
  let BatchedIoBlock: DATAPATH_RX_IO_BLOCK | null = null;
  let BatchedBufferCount = 0;
  const flush = () => {
    if (BatchedIoBlock !== null && (BatchedIoBlock.ReferenceCount -= BatchedBufferCount) === 0) {
      const DataIndication = CxPlatDataPathFreeRxIoBlock(BatchedIoBlock);
      if (DataIndication !== null) {
        CXPLAT_DBG_ASSERT(DataIndication.Next === null, 'a returned indication stands alone');
        if (Tail === null) Head = DataIndication;
        else Tail.Next = DataIndication;
        Tail = DataIndication;
      }
    }
  };
  for (let Datagram = RecvDataChain; Datagram !== null; ) {
    const Next: CXPLAT_RECV_DATA | null = Datagram.Next;
    CXPLAT_DBG_ASSERT(Datagram.Allocated && !Datagram.QueuedOnConnection, 'RecvDataReturn of a datagram not held');
    const IoBlock = IoBlockOf.get(Datagram)!;
    CXPLAT_DBG_ASSERT(Binding === null || Binding === IoBlock.Binding, 'one binding per chain');
    Binding = IoBlock.Binding;
    Datagram.Allocated = false;
    if (BatchedIoBlock === IoBlock) {
      BatchedBufferCount++;
    } else {
      flush();
      BatchedIoBlock = IoBlock;
      BatchedBufferCount = 1;
    }
    Datagram = Next;
  }
  flush();
  // Return the datagram indications back to Wsk.
  if (Head !== null) dgrm(Binding!).WskRelease(Binding!.Socket!, Head);
}
