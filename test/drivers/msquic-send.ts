// msquic's send path and name resolution (datapath_winkernel.c @ a9504fe1: SocketSend and its
// send-data helpers, CxPlatDataPathResolveAddress): see msquic-datapath.ts.
import {
  AF_INET, AI_CANONNAME, AI_NUMERICHOST, CMSG_SPACE, IPPROTO_IP, IPPROTO_IPV6, IPPROTO_UDP, IPV6_ECN, IPV6_PKTINFO,
  IPV6_TCLASS, IP_ECN, IP_PKTINFO, IP_TOS, IRP, IoAllocateIrp, IoAllocateMdl, IoFreeIrp, IoInitializeIrp,
  IoSetCompletionRoutine, IoSizeOfIrp, LowPagePriority, MmBuildMdlForNonPagedPool, MmGetSystemAddressForMdlSafe,
  NS_ALL, NTSTATUS, NT_SUCCESS, PADDRINFOEXW, PSOCKADDR, RtlInitUnicodeString, SOCKADDR_IN, SOCKADDR_IN6,
  STATUS_INSUFFICIENT_RESOURCES, STATUS_INVALID_PARAMETER, STATUS_MORE_PROCESSING_REQUIRED, STATUS_NOT_FOUND,
  STATUS_PENDING, UDP_SEND_MSG_SIZE, UNICODE_STRING, WSK_BUF_LIST,
} from '../../lib';
import { cmsgWrite } from '../../lib/net/cmsg';
import { sockaddrFamily } from '../../lib/net/sockaddr';
import {
  QUIC_ADDR, CXPLAT_DATAPATH_FEATURE_SEND_DSCP, CXPLAT_LARGE_SEND_BUFFER_SIZE, CxPlatConvertToMappedV6, CXPLAT_ROUTE,
  CXPLAT_DATAPATH, CXPLAT_SOCKET, dgrm, CxPlatEventInitialize, CxPlatEventWaitForever, CxPlatDataPathIoCompletion,
} from './msquic-platform';

// ---- send ----

/** CXPLAT_SEND_DATA: the buffers of one WskSendMessages, and how they are to be sent. */
export interface CXPLAT_SEND_DATA {
  Binding: CXPLAT_SOCKET | null;
  Irp: IRP;
  WskBufs: WSK_BUF_LIST | null;
  Tail: WSK_BUF_LIST | null;
  WskBufferCount: number;
  TotalSize: number;
  SegmentSize: number;
  ECN: number;
  DSCP: number;
  Completed: Promise<NTSTATUS>;
  Complete: (Status: NTSTATUS) => void;
}

export function SendDataAlloc(Config: { ECN: number; DSCP: number; MaxPacketSize: number }, SegmentSize = 0): CXPLAT_SEND_DATA | null {
  let Complete!: (Status: NTSTATUS) => void;
  const Completed = new Promise<NTSTATUS>((r) => (Complete = r));
  // C allocates SendData (its IRP inside) from a pool and returns NULL when that fails.
  const Irp = IoAllocateIrp(1, false);
  if (Irp === null) return null;
  return {
    Binding: null, Irp, WskBufs: null, Tail: null, WskBufferCount: 0, TotalSize: 0, SegmentSize,
    ECN: Config.ECN, DSCP: Config.DSCP, Completed, Complete,
  };
}

/**
 * SendDataAllocBuffer: room for one packet. Unsegmented, each packet is its own WSK_BUF_LIST
 * entry (one datagram each); segmented, packets are appended to one buffer of up to
 * CXPLAT_LARGE_SEND_BUFFER_SIZE that UDP_SEND_MSG_SIZE cuts into datagrams.
 */
export function SendDataAllocBuffer(SendData: CXPLAT_SEND_DATA, MaxBufferLength: number): Uint8Array | null {
  const last = SendData.Tail;
  if (SendData.SegmentSize > 0 && last !== null) {
    if (MaxBufferLength > SendData.SegmentSize || last.Buffer.Length + MaxBufferLength > CXPLAT_LARGE_SEND_BUFFER_SIZE) return null;
    const view = MmGetSystemAddressForMdlSafe(last.Buffer.Mdl!, LowPagePriority)!;
    const at = last.Buffer.Length;
    last.Buffer.Length += MaxBufferLength;
    SendData.TotalSize += MaxBufferLength;
    return view.subarray(at, at + MaxBufferLength);
  }
  const Raw = new Uint8Array(SendData.SegmentSize > 0 ? CXPLAT_LARGE_SEND_BUFFER_SIZE : MaxBufferLength);
  const Mdl = IoAllocateMdl(Raw, Raw.byteLength, false, false, null);
  if (Mdl === null) return null;
  MmBuildMdlForNonPagedPool(Mdl);
  const Link: WSK_BUF_LIST = { Next: null, Buffer: { Mdl, Offset: 0, Length: MaxBufferLength } };
  if (last === null) SendData.WskBufs = Link;
  else last.Next = Link;
  SendData.Tail = Link;
  SendData.WskBufferCount++;
  SendData.TotalSize += MaxBufferLength;
  return Raw.subarray(0, MaxBufferLength);
}

/** CxPlatDataPathSendComplete: frees the send data whatever the status. */
function CxPlatDataPathSendComplete(_DeviceObject: null, Irp: IRP, Context: unknown): NTSTATUS {
  const SendData = Context as CXPLAT_SEND_DATA;
  SendData.Complete(Irp.IoStatus.Status); // SendDataFree
  return STATUS_MORE_PROCESSING_REQUIRED;
}

/** SocketSend: PKTINFO (unconnected), TOS/ECN, UDP_SEND_MSG_SIZE control info; one WskSendMessages. */
export function SocketSend(Binding: CXPLAT_SOCKET, Route: CXPLAT_ROUTE, SendData: CXPLAT_SEND_DATA): void {
  IoInitializeIrp(SendData.Irp, IoSizeOfIrp(1), 1); // CxPlatSocketPrepareSendData
  IoSetCompletionRoutine(SendData.Irp, CxPlatDataPathSendComplete, SendData, true, true, true);
  SendData.Binding = Binding;
  const MappedAddress = CxPlatConvertToMappedV6(Route.RemoteAddress);
  const CMsgBuffer = new Uint8Array(CMSG_SPACE(20) + CMSG_SPACE(4) + CMSG_SPACE(4));
  let CMsgLen = 0;
  const int = (v: number) => new Uint8Array(new Int32Array([v]).buffer);
  const local = Route.LocalAddress;
  const isV4 = sockaddrFamily(local) === AF_INET;
  if (!Binding.Connected) {
    if (isV4) {
      // IN_PKTINFO { ipi_addr; ipi_ifindex }
      const PktInfo = new Uint8Array(8);
      new DataView(PktInfo.buffer).setUint32(0, (local as SOCKADDR_IN).sin_addr.s_addr, true);
      CMsgLen = cmsgWrite(CMsgBuffer, CMsgLen, CMsgBuffer.byteLength, IPPROTO_IP, IP_PKTINFO, PktInfo);
    } else {
      const PktInfo6 = new Uint8Array(20);
      PktInfo6.set((local as SOCKADDR_IN6).sin6_addr.u.Byte);
      new DataView(PktInfo6.buffer).setUint32(16, (local as SOCKADDR_IN6).sin6_scope_id, true);
      CMsgLen = cmsgWrite(CMsgBuffer, CMsgLen, CMsgBuffer.byteLength, IPPROTO_IPV6, IPV6_PKTINFO, PktInfo6);
    }
  }
  if (Binding.Datapath.Features & CXPLAT_DATAPATH_FEATURE_SEND_DSCP) {
    if (SendData.ECN !== 0 || SendData.DSCP !== 0) {
      CMsgLen = cmsgWrite(CMsgBuffer, CMsgLen, CMsgBuffer.byteLength, isV4 ? IPPROTO_IP : IPPROTO_IPV6, isV4 ? IP_TOS : IPV6_TCLASS, int(SendData.ECN | (SendData.DSCP << 2)));
    }
  } else if (SendData.ECN !== 0) {
    CMsgLen = cmsgWrite(CMsgBuffer, CMsgLen, CMsgBuffer.byteLength, isV4 ? IPPROTO_IP : IPPROTO_IPV6, IP_ECN, int(SendData.ECN)); // IP_ECN == IPV6_ECN
  }
  if (SendData.SegmentSize > 0) {
    CMsgLen = cmsgWrite(CMsgBuffer, CMsgLen, CMsgBuffer.byteLength, IPPROTO_UDP, UDP_SEND_MSG_SIZE, int(SendData.SegmentSize));
  }
  // "Callback still gets invoked on failure to do the cleanup": the status is only traced.
  dgrm(Binding).WskSendMessages(
    Binding.Socket!, SendData.WskBufs!, 0, Binding.Connected ? null : (MappedAddress as PSOCKADDR), CMsgLen, CMsgBuffer, SendData.Irp,
  );
}

// ---- resolution ----

/** CxPlatDataPathResolveAddressWithHint: WskGetAddressInfo on an IRP, waited for. */
async function CxPlatDataPathResolveAddressWithHint(
  Datapath: CXPLAT_DATAPATH, UniHostName: UNICODE_STRING, Hints: { ai_family: number; ai_flags: number }, Ai: { 0: PADDRINFOEXW | null },
): Promise<NTSTATUS> {
  const CompletionEvent = CxPlatEventInitialize();
  const Irp = IoAllocateIrp(1, false);
  if (Irp === null) return STATUS_INSUFFICIENT_RESOURCES;
  IoSetCompletionRoutine(Irp, CxPlatDataPathIoCompletion, CompletionEvent, true, true, true);
  const p = Datapath.WskProviderNpi;
  let Status = p.Dispatch.WskGetAddressInfo(p.Client, UniHostName, null, NS_ALL, null, Hints, Ai, null, null, Irp);
  if (Status === STATUS_PENDING) {
    await CxPlatEventWaitForever(CompletionEvent);
    Status = Irp.IoStatus.Status;
  } else if (NT_SUCCESS(Status)) {
    Status = Irp.IoStatus.Status;
  }
  IoFreeIrp(Irp);
  return Status;
}

/** CxPlatDataPathResolveAddress: numeric first, then the canonical name; STATUS_NOT_FOUND otherwise. */
export async function CxPlatDataPathResolveAddress(Datapath: CXPLAT_DATAPATH, HostName: string, Address: { 0: QUIC_ADDR }): Promise<NTSTATUS> {
  if (HostName.length >= 1024) return STATUS_INVALID_PARAMETER;
  const UniHostName = {} as UNICODE_STRING;
  RtlInitUnicodeString(UniHostName, HostName); // RtlUTF8ToUnicodeN in C
  // "Prepopulate hint with input family. It might be unspecified."
  const Hints = { ai_family: sockaddrFamily(Address[0]) ?? 0, ai_flags: AI_NUMERICHOST };
  const Ai: { 0: PADDRINFOEXW | null } = { 0: null };
  let Status = await CxPlatDataPathResolveAddressWithHint(Datapath, UniHostName, Hints, Ai);
  if (!NT_SUCCESS(Status)) {
    Hints.ai_flags = AI_CANONNAME;
    Status = await CxPlatDataPathResolveAddressWithHint(Datapath, UniHostName, Hints, Ai);
    if (!NT_SUCCESS(Status)) Status = STATUS_NOT_FOUND;
  }
  if (NT_SUCCESS(Status)) Address[0] = Ai[0]!.ai_addr as QUIC_ADDR;
  if (Ai[0] !== null) Datapath.WskProviderNpi.Dispatch.WskFreeAddressInfo(Datapath.WskProviderNpi.Client, Ai[0]);
  return Status;
}
