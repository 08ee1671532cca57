// Completion routines that throw (or return a wrong status) when run from the event loop: the
// exception reaches the loop as an uncaught exception, as a bugcheck would stop the machine, and
// what the provider holds must stay consistent: each IRP completes once, nothing queued is lost.
// Run by test/throwing-routines.test.ts, one scenario per process:
//   node -r ./test/scenarios/ts-hook.js test/scenarios/throwing-routines.ts <scenario>
// Each prints one JSON line with what it saw.
import * as dgram from 'dgram';
import * as net from 'net';
import { execFileSync } from 'child_process';
import {
  AI_NUMERICHOST,
  IRP,
  NPI_WSK_INTERFACE_ID,
  NS_ALL,
  NTSTATUS,
  RtlInitUnicodeString,
  SO_SNDBUF,
  SO_WSK_EVENT_CALLBACK,
  SOL_SOCKET,
  sockaddrFromString,
  STATUS_MORE_PROCESSING_REQUIRED,
  STATUS_PENDING,
  STATUS_SUCCESS,
  UNICODE_STRING,
  WSK_EVENT_DISABLE,
  WSK_EVENT_RECEIVE,
  WSK_EVENT_RECEIVE_FROM,
  WSK_SOCKET,
  WskDeregister,
  WskReleaseProviderNPI,
  WskSetOption,
} from '../../lib';
import { Client, conn, counted, dg, register, report, tcpConnect, turns, udpSocket, uncaught, until, wskBuf } from './plain';

const bug = (): never => {
  throw new Error('a bug in the completion routine');
};
/** What each faulty routine does: throw, or return a status other than STATUS_MORE_PROCESSING_REQUIRED. */
const faults: Record<string, () => NTSTATUS> = { throws: bug, 'bad-return': () => STATUS_SUCCESS };

function eventControl(s: WSK_SOCKET, mask: number, irp: IRP | null): NTSTATUS {
  const ctl = { NpiId: NPI_WSK_INTERFACE_ID, EventMask: mask };
  return s.Dispatch.WskControlSocket(s, WskSetOption, SO_WSK_EVENT_CALLBACK, SOL_SOCKET, 16, ctl, 0, null, null, irp);
}

/** Whether WskDeregister resolves once the NPI is released (nothing else is left open). */
async function deregisters(c: Client): Promise<boolean> {
  WskReleaseProviderNPI(c.registration);
  let settled = false;
  void WskDeregister(c.registration).then(() => (settled = true));
  await turns(3);
  return settled;
}

async function peerSocket(): Promise<dgram.Socket> {
  const peer = dgram.createSocket('udp4');
  await new Promise<void>((r) => peer.bind(0, '127.0.0.1', r));
  return peer;
}

const scenarios: Record<string, () => Promise<unknown>> = {
  /** Item 4: a pending WskReceiveFrom whose routine fails, then 5 datagrams. */
  async 'receive-from'() {
    const fault = faults[process.argv[3]];
    const c = register();
    const { s, port } = udpSocket(c);
    const first = counted(fault);
    dg(s).WskReceiveFrom(s, wskBuf(new Uint8Array(16)), 0, {}, null, null, null, first.irp);
    const peer = await peerSocket();
    for (let i = 1; i <= 5; i++) peer.send(`d${i}`, port, '127.0.0.1');
    await until(() => uncaught.length > 0);
    await turns();
    // Datagrams 2 to 5 are still the socket's: the next WskReceiveFrom gets d2.
    const data = new Uint8Array(16);
    const next = counted();
    dg(s).WskReceiveFrom(s, wskBuf(data), 0, {}, null, null, null, next.irp);
    const got = await until(() => next.statuses.length > 0, 1000);
    return { runs: first.statuses.length, next: got ? Buffer.from(data.subarray(0, next.irp.IoStatus.Information as number)).toString() : null };
  },

  /** A datagram send that pends (a slow qdisc in a network namespace) and whose routine throws. */
  async 'send-to'() {
    // Run inside `unshare -n` by the test: lo is ours to bring up and slow down.
    // Without the sanitizer runtime npm run test:asan preloads: ip and tc are not built for it
    // (their leaks at exit would be reported as ours).
    const plain = { env: { ...process.env, LD_PRELOAD: '' } };
    execFileSync('ip', ['link', 'set', 'lo', 'up'], plain);
    execFileSync('tc', ['qdisc', 'add', 'dev', 'lo', 'root', 'tbf', 'rate', '2mbit', 'burst', '4000', 'latency', '5s'], plain);
    const c = register();
    const { s } = udpSocket(c);
    const small = new Uint8Array(new Int32Array([4096]).buffer);
    dg(s).WskControlSocket(s, WskSetOption, SO_SNDBUF, SOL_SOCKET, 4, small, 0, null, null, null);
    const peer = await peerSocket();
    const to = sockaddrFromString('127.0.0.1', peer.address().port);
    const seen = new Map<number, number>();
    peer.on('message', (m) => seen.set(m[0], (seen.get(m[0]) ?? 0) + 1));
    // Datagrams tagged 1 fill the socket's send buffer until one pends: that one's routine throws;
    // one more (tag 2) queues behind it.
    const payload = (tag: number): Uint8Array => new Uint8Array(1200).fill(tag);
    let faulty: ReturnType<typeof counted> | null = null;
    for (let i = 0; i < 1000 && !faulty; i++) {
      const c1 = counted((irp) => (irp.PendingReturned ? bug() : STATUS_MORE_PROCESSING_REQUIRED));
      if (dg(s).WskSendTo(s, wskBuf(payload(1)), 0, to, 0, null, c1.irp) === STATUS_PENDING) faulty = c1;
    }
    if (!faulty) return { error: 'no send pended' };
    const after = counted();
    dg(s).WskSendTo(s, wskBuf(payload(2)), 0, to, 0, null, after.irp);
    await until(() => after.statuses.length > 0 && (seen.get(2) ?? 0) > 0);
    await turns(20);
    return { runs: faulty.statuses.length, afterRuns: after.statuses.length, sentAfter: seen.get(2) ?? 0 };
  },

  /** Item 6: a name resolution whose routine throws when the answer comes. */
  async resolution() {
    const c = register();
    const name: UNICODE_STRING = { Length: 0, MaximumLength: 0, Buffer: new Uint16Array(0) };
    RtlInitUnicodeString(name, '127.0.0.1');
    const lookup = counted(bug);
    const status = c.npi.Dispatch.WskGetAddressInfo(c.npi.Client, name, null, NS_ALL, null, { ai_flags: AI_NUMERICHOST }, { 0: null }, null, null, lookup.irp);
    await until(() => uncaught.length > 0);
    return { pended: status === STATUS_PENDING, runs: lookup.statuses.length, deregistered: await deregisters(c) };
  },

  /** Two disables of WskReceiveFromEvent from inside it: the first one's routine throws. */
  async 'datagram-disable'() {
    const c = register();
    const first = counted(bug);
    const second = counted();
    const dispatch = {
      WskReceiveFromEvent(): NTSTATUS {
        eventControl(s, WSK_EVENT_RECEIVE_FROM | WSK_EVENT_DISABLE, first.irp);
        eventControl(s, WSK_EVENT_RECEIVE_FROM | WSK_EVENT_DISABLE, second.irp);
        return STATUS_SUCCESS;
      },
    };
    const { s, port } = udpSocket(c, dispatch);
    eventControl(s, WSK_EVENT_RECEIVE_FROM, null);
    const peer = await peerSocket();
    peer.send('x', port, '127.0.0.1');
    await until(() => uncaught.length > 0);
    await turns();
    return { first: first.statuses, second: second.statuses };
  },

  /** Two disables of WskReceiveEvent from inside it: the first one's routine throws. */
  async 'connection-disable'() {
    const c = register();
    const first = counted(bug);
    const second = counted();
    let s: WSK_SOCKET | null = null;
    const dispatch = {
      WskReceiveEvent(): NTSTATUS {
        eventControl(s!, WSK_EVENT_RECEIVE | WSK_EVENT_DISABLE, first.irp);
        eventControl(s!, WSK_EVENT_RECEIVE | WSK_EVENT_DISABLE, second.irp);
        return STATUS_SUCCESS;
      },
    };
    const server = net.createServer((peer) => peer.write('x'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    s = await tcpConnect(c, (server.address() as net.AddressInfo).port, dispatch);
    eventControl(s, WSK_EVENT_RECEIVE, null);
    await until(() => uncaught.length > 0);
    await turns();
    return { first: first.statuses, second: second.statuses };
  },

  /** Two sends pending when the peer resets: the first one's routine throws. */
  async 'connection-reset'() {
    const c = register();
    let peer: net.Socket | null = null;
    const server = net.createServer((p) => {
      peer = p;
      p.pause(); // reads nothing: our sends fill the buffers and pend
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const s = await tcpConnect(c, (server.address() as net.AddressInfo).port);
    await until(() => peer !== null);
    const chunk = new Uint8Array(1 << 22);
    let first: ReturnType<typeof counted> | null = null;
    for (let i = 0; i < 64 && !first; i++) {
      const c1 = counted(bug);
      if (conn(s).WskSend(s, wskBuf(chunk), 0, c1.irp) === STATUS_PENDING) first = c1;
    }
    if (!first) return { error: 'no send pended' };
    const second = counted();
    conn(s).WskSend(s, wskBuf(chunk), 0, second.irp);
    peer!.resetAndDestroy();
    await until(() => uncaught.length > 0);
    await turns();
    return { first: first.statuses, second: second.statuses };
  },
};

const name = process.argv[2];
const run = scenarios[name];
if (!run) report({ error: `no scenario '${name}'; known: ${Object.keys(scenarios).join(', ')}` });
run()
  .then((result) => report({ ...(result as object), uncaught: uncaught.length }))
  .catch((e: unknown) => report({ error: e instanceof Error ? e.stack : String(e) }));
