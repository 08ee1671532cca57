// A UDP echo server on WSK: a datagram socket bound to an address, WskReceiveFromEvent enabled,
// and every datagram of each indicated chain sent back to its sender with WskSendTo straight
// from the indication's buffer. The chain is retained (STATUS_PENDING) while replies are in
// flight and released with WskRelease when the last one completes, as a kernel client must
// when it sends from WSK-owned buffers.
import {
  AF_INET,
  AF_INET6,
  IoAllocateIrp,
  IoReuseIrp,
  IoSetCompletionRoutine,
  IPPROTO_UDP,
  IRP,
  NPI_WSK_INTERFACE_ID,
  NTSTATUS,
  PIRP,
  PSOCKADDR,
  PWSK_DATAGRAM_INDICATION,
  SOCK_DGRAM,
  SOCKADDR_STORAGE,
  SOL_SOCKET,
  SO_WSK_EVENT_CALLBACK,
  STATUS_MORE_PROCESSING_REQUIRED,
  STATUS_PENDING,
  STATUS_SUCCESS,
  STATUS_UNSUCCESSFUL,
  WSK_CLIENT_DATAGRAM_DISPATCH,
  WSK_EVENT_RECEIVE_FROM,
  WSK_FLAG_DATAGRAM_SOCKET,
  WSK_PROVIDER_DATAGRAM_DISPATCH,
  WSK_PROVIDER_NPI,
  WSK_SOCKET,
  WskSetOption,
  sockaddrFromString,
  sockaddrPort,
} from '../lib';

export interface UdpEchoServer {
  Socket: WSK_SOCKET;
  port: number;
  /** Datagrams echoed so far. */
  echoed: number;
  /** Replies that failed (their status), for diagnosis. */
  failures: NTSTATUS[];
}

interface ChainState {
  server: UdpEchoServer;
  head: PWSK_DATAGRAM_INDICATION;
  outstanding: number;
}

/** IRPs are kept and reused (IoReuseIrp), as the Microsoft samples do, instead of one per reply. */
const freeIrps: IRP[] = [];

function sendCompletion(_Device: null, Irp: PIRP, Context: unknown): NTSTATUS {
  const chain = Context as ChainState;
  if (Irp.IoStatus.Status === STATUS_SUCCESS) chain.server.echoed++;
  else chain.server.failures.push(Irp.IoStatus.Status);
  freeIrps.push(Irp);
  if (--chain.outstanding === 0) {
    const d = chain.server.Socket.Dispatch as WSK_PROVIDER_DATAGRAM_DISPATCH;
    d.WskRelease(chain.server.Socket, chain.head);
  }
  return STATUS_MORE_PROCESSING_REQUIRED;
}

function ReceiveFromEvent(SocketContext: unknown, _Flags: number, DataIndication: PWSK_DATAGRAM_INDICATION | null): NTSTATUS {
  const server = SocketContext as UdpEchoServer;
  if (DataIndication === null) return STATUS_SUCCESS; // the socket is no longer functional
  const d = server.Socket.Dispatch as WSK_PROVIDER_DATAGRAM_DISPATCH;
  const chain: ChainState = { server, head: DataIndication, outstanding: 1 };
  for (let ind: PWSK_DATAGRAM_INDICATION | null = DataIndication; ind !== null; ind = ind.Next) {
    let Irp = freeIrps.pop();
    if (Irp) IoReuseIrp(Irp, STATUS_UNSUCCESSFUL);
    else Irp = IoAllocateIrp(1, false)!;
    IoSetCompletionRoutine(Irp, sendCompletion, chain, true, true, true);
    chain.outstanding++;
    d.WskSendTo(server.Socket, ind.Buffer, 0, ind.RemoteAddress, 0, null, Irp);
  }
  // Replies that completed inline have run their completion already; the chain is ours until
  // the last one completes (the extra count taken above is dropped here).
  if (--chain.outstanding === 0) return STATUS_SUCCESS;
  return STATUS_PENDING;
}

const DatagramDispatch: WSK_CLIENT_DATAGRAM_DISPATCH = { WskReceiveFromEvent: ReceiveFromEvent };

/** Runs one IRP-taking call to completion (inline or later). */
function complete(start: (Irp: IRP) => NTSTATUS): Promise<IRP> {
  return new Promise((resolve) => {
    const Irp = IoAllocateIrp(1, false)!;
    IoSetCompletionRoutine(Irp, (_d, irp) => {
      resolve(irp);
      return STATUS_MORE_PROCESSING_REQUIRED;
    }, null, true, true, true);
    start(Irp);
  });
}

/** Creates, binds (host, port 0 by default) and starts the echo server. */
export async function StartUdpEcho(Npi: WSK_PROVIDER_NPI, host = '127.0.0.1', port = 0): Promise<UdpEchoServer> {
  const server = { echoed: 0, failures: [] } as unknown as UdpEchoServer;
  const family = host.includes(':') ? AF_INET6 : AF_INET;
  const created = await complete((Irp) =>
    Npi.Dispatch.WskSocket(Npi.Client, family, SOCK_DGRAM, IPPROTO_UDP, WSK_FLAG_DATAGRAM_SOCKET, server, DatagramDispatch, null, null, null, Irp),
  );
  if (created.IoStatus.Status !== STATUS_SUCCESS) throw new Error(`WskSocket failed: 0x${created.IoStatus.Status.toString(16)}`);
  server.Socket = created.IoStatus.Information as WSK_SOCKET;
  const d = server.Socket.Dispatch as WSK_PROVIDER_DATAGRAM_DISPATCH;
  const bound = await complete((Irp) => d.WskBind(server.Socket, sockaddrFromString(host, port), 0, Irp));
  if (bound.IoStatus.Status !== STATUS_SUCCESS) throw new Error(`WskBind failed: 0x${bound.IoStatus.Status.toString(16)}`);
  const local: SOCKADDR_STORAGE = {};
  await complete((Irp) => d.WskGetLocalAddress(server.Socket, local, Irp));
  server.port = sockaddrPort(local as PSOCKADDR);
  const status = d.WskControlSocket(server.Socket, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16,
    { NpiId: NPI_WSK_INTERFACE_ID, EventMask: WSK_EVENT_RECEIVE_FROM }, 0, null, null, null);
  if (status !== STATUS_SUCCESS) throw new Error(`enabling WskReceiveFromEvent failed: 0x${status.toString(16)}`);
  return server;
}

/** Closes the server socket (every retained chain has been released by then). */
export async function StopUdpEcho(server: UdpEchoServer): Promise<void> {
  await complete((Irp) => server.Socket.Dispatch.WskCloseSocket(server.Socket, Irp));
}
