// The addon's own floor for cases B and C: the workload of bench/rr.ts on node-wsk's native
// transport with no WSK layer above it. One JS handler for readiness, one recvById and one
// sendById per message, no IRPs, MDLs or completion routines. The gap between this and
// node-wsk is what the WSK model costs; the gap between this and rr-floor.c is what the
// transport (libuv readiness, one call into JS per event, Node-API) costs.
//   --conns=N --rounds=N --size=N --recv=call|auto
// --recv=call (the default): each readiness report, then a recvById call: two crossings per
// event. --recv=auto: POLL_RECEIVE, the transport reads into the registered area and the
// report carries the bytes: one crossing per event. Also reports µs per readiness event (two
// per round trip) and, where the addon counts them (stats()), reports and reads per event.
import { parseArgs } from 'util';
import { native, NativeSocket, NETADDR_SIZE, NO_RECEIVE, POLL_READABLE, POLL_RECEIVE } from '../../lib/transport/native';
import { COMMON_OPTIONS, num, report } from '../common';

const { values: args } = parseArgs({
  strict: true,
  options: {
    ...COMMON_OPTIONS,
    conns: { type: 'string', default: '1' },
    rounds: { type: 'string', default: '50000' },
    size: { type: 'string', default: '100' },
    recv: { type: 'string', default: 'call' },
  },
});
const conns = num(args.conns, 'conns');
const rounds = num(args.rounds, 'rounds');
const size = num(args.size, 'size');
if (args.recv !== 'auto' && args.recv !== 'call') throw new Error('--recv=call|auto');
const auto = args.recv === 'auto';
const C = native.constants;
// An addon from before stats() (a NODE_WSK_PREBUILD build of an older commit) counts nothing.
const stats = (): { reads: number; reports: number } => (typeof native.stats === 'function' ? native.stats() : { reads: NaN, reports: NaN });

interface End {
  sock: NativeSocket;
  server: boolean;
  got: number;
  roundsLeft: number;
}

function must(rc: number | NativeSocket, what: string): void {
  if (typeof rc === 'number' && rc < 0) throw new Error(`${what}: errno ${-rc}`);
}

function main(): void {
  const addr = new Uint8Array(NETADDR_SIZE);
  addr[0] = 4;
  addr.set([127, 0, 0, 1], 8);
  const listener = native.socket(C.AF_INET, C.SOCK_STREAM, 0);
  if (typeof listener === 'number') throw new Error(`socket: errno ${-listener}`);
  must(listener.bind(addr), 'bind');
  must(listener.listen(4096), 'listen');
  must(listener.localAddress(addr), 'getsockname');

  const msg = new Uint8Array(size).fill(0x51);
  const buf = new Uint8Array(65536);
  const nodelay = new Uint8Array(new Int32Array([1]).buffer);
  const ends: End[] = [];
  for (let i = 0; i < conns; i++) {
    const c = native.socket(C.AF_INET, C.SOCK_STREAM, 0);
    if (typeof c === 'number') throw new Error(`socket: errno ${-c}`);
    const rc = c.connect(addr);
    if (rc < 0 && rc !== -native.errno.EINPROGRESS) throw new Error(`connect: errno ${-rc}`);
    let s: NativeSocket | number;
    // On loopback the handshake is done once connect returns; the accept is there at once.
    for (let tries = 0; typeof (s = listener.accept(null)) === 'number'; tries++) {
      if (s !== -native.errno.EAGAIN || tries > 1000000) throw new Error(`accept: errno ${-s}`);
    }
    must(c.takeError(), 'connect');
    ends.push({ sock: c, server: false, got: 0, roundsLeft: rounds }, { sock: s, server: true, got: 0, roundsLeft: 0 });
  }
  for (const e of ends) {
    must(e.sock.setsockopt(C.IPPROTO_TCP, C.TCP_NODELAY, nodelay), 'TCP_NODELAY');
    e.sock.owner = e;
  }

  let finished = 0;
  let t0 = 0;
  let cpu0: NodeJS.CpuUsage;
  let stats0 = stats();
  const send = (e: End) => {
    const n = native.sendById(e.sock.id, msg, 0, size, 0);
    if (n !== size) throw new Error(`send: ${n}`);
  };
  native.setEventHandler((sock, _events, _status, received) => {
    const e = sock.owner as End;
    const n = received !== undefined && received !== NO_RECEIVE ? received : native.recvById(sock.id, buf, 0, buf.byteLength, 0);
    if (n === -native.errno.EAGAIN) return;
    if (n <= 0) throw new Error(`recv: ${n}`);
    e.got += n;
    while (e.got >= size) {
      e.got -= size;
      if (e.server) send(e);
      else if (--e.roundsLeft > 0) send(e);
      else if (++finished === conns) done();
    }
  });
  const done = () => {
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const rts = conns * rounds;
    const counted = stats();
    for (const e of ends) e.sock.close();
    listener.close();
    const events = 2 * rts;
    report({
      metric: 'rt/s',
      value: rts / seconds,
      userUsPerRt: cpu.user / rts,
      sysUsPerRt: cpu.system / rts,
      usPerEvent: (seconds * 1e6) / events,
      cpuUsPerEvent: (cpu.user + cpu.system) / events,
      reportsPerEvent: (counted.reports - stats0.reports) / events,
      readsPerEvent: (counted.reads - stats0.reads) / events,
    });
  };
  if (auto) native.setReceiveArea(buf);
  for (const e of ends) must(e.sock.poll(auto ? POLL_RECEIVE : POLL_READABLE), 'poll');
  t0 = performance.now();
  cpu0 = process.cpuUsage();
  stats0 = stats();
  for (let i = 0; i < ends.length; i += 2) send(ends[i]);
}

main();
