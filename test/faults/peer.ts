// The peer of the fault tests, an ordinary node:net program in namespace B:
//   ip netns exec B node peer.js 198.18.0.2 2001:2::2
// It listens on port 0 of each address, echoes every byte back (and the FIN: it half-closes
// when the client does), and prints one JSON line per event on stdout:
//   {"event":"listening","host":"198.18.0.2","port":40123}
//   {"event":"closed","port":51234,"bytes":N,"sha256":"...","error":"ECONNRESET"|null}
// where port is the client's and sha256 covers every byte the peer received, so that a
// corruption is placed in one direction. SIGTERM closes everything and exits.
import { createHash } from 'crypto';
import * as net from 'net';

const sockets = new Set<net.Socket>();

function report(event: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(event) + '\n');
}

function echo(c: net.Socket): void {
  sockets.add(c);
  const hash = createHash('sha256');
  const port = c.remotePort;
  let bytes = 0;
  let error: string | null = null;
  c.on('data', (d: Buffer) => {
    hash.update(d);
    bytes += d.length;
    // Back-pressure as pipe() does it: the client's sends stall while its receives do.
    if (!c.write(d)) c.pause();
  });
  c.on('drain', () => c.resume());
  c.on('end', () => c.end());
  c.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
  c.on('close', () => {
    sockets.delete(c);
    report({ event: 'closed', port, bytes, sha256: hash.digest('hex'), error });
  });
}

for (const host of process.argv.slice(2)) {
  const server = net.createServer({ allowHalfOpen: true }, echo);
  server.listen(0, host, () => report({ event: 'listening', host, port: (server.address() as net.AddressInfo).port }));
}

process.on('SIGTERM', () => {
  for (const c of sockets) c.destroy();
  process.exit(0);
});
