// The examples, run against node:net and node:dgram peers: in process (under jest they import
// 'node-wsk' from the sources, see jest.config.js), and as a user runs them, from dist/ through
// the node-wsk-example command (where 'node-wsk' is the package resolving itself by name).
import { ChildProcess, spawn } from 'child_process';
import * as dgram from 'dgram';
import * as path from 'path';
import {
  Executive,
  KeWaitForSingleObject,
  KernelMode,
  PSOCKADDR,
  SOCKADDR_STORAGE,
  STATUS_PENDING,
  STATUS_SUCCESS,
  WSK_PROVIDER_LISTEN_DISPATCH,
  WSK_SOCKET,
  sockaddrAddressString,
  sockaddrFromString,
  sockaddrPort,
  socketPoller,
} from '../lib';
import { CreateListeningSocket, NewAppSocketContext } from '../examples/create-listening-socket';
import { main } from '../examples/listen-demo';
import * as createListeningSocket from '../examples/create-listening-socket';
import { serve } from '../examples/echo-server';
import { echoOnce } from '../examples/echo-client';
import { call, ensureDist, expectStatus, netClosed, netConnect, newOp, register, unregister, wskClose } from './helpers';

describe('examples', () => {
  test('CreateListeningSocket (seed sample), bound to 127.0.0.1, accepts a node:net client', async () => {
    const p = register();
    const context = NewAppSocketContext();
    const status = CreateListeningSocket(p.npi, context, null);
    expectStatus(status, STATUS_SUCCESS);
    expectStatus(await KeWaitForSingleObject(context.Created, Executive, KernelMode, false, null), STATUS_SUCCESS);
    expectStatus(context.Status, STATUS_SUCCESS);
    const listener = context.Socket!;
    const d = listener.Dispatch as WSK_PROVIDER_LISTEN_DISPATCH;
    expectStatus((await call((irp) => d.WskBind(listener, sockaddrFromString('127.0.0.1', 0), 0, irp))).IoStatus.Status, STATUS_SUCCESS);
    const local: SOCKADDR_STORAGE = {};
    await call((irp) => d.WskGetLocalAddress(listener, local, irp));

    const accept = newOp();
    const remote: SOCKADDR_STORAGE = {};
    expectStatus(d.WskAccept(listener, 0, null, null, null, remote, accept.irp), STATUS_PENDING);
    const client = await netConnect('127.0.0.1', sockaddrPort(local as PSOCKADDR));
    const irp = await accept.done;
    expectStatus(irp.IoStatus.Status, STATUS_SUCCESS);
    expect(sockaddrAddressString(remote as PSOCKADDR)).toBe(client.localAddress);
    expect(sockaddrPort(remote as PSOCKADDR)).toBe(client.localPort);

    const ended = netClosed(client);
    await wskClose(irp.IoStatus.Information as WSK_SOCKET);
    await ended;
    await wskClose(listener);
    await unregister(p);
  });

  test('the npm start demo passes its self-test', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await main(['--self-test'])).toBe(0);
      expect(log.mock.calls.map((c) => String(c[0]))).toEqual([
        expect.stringMatching(/^node-wsk listening on 127\.0\.0\.1:\d+/),
        expect.stringMatching(/^accepted 127\.0\.0\.1:\d+$/),
        'deregistered after 1 connection(s)',
      ]);
    } finally {
      log.mockRestore();
    }
  });

  test('the echo server and client for Node services echo over IPv4 and IPv6, and a node:net client too', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});
    try {
      for (const host of ['127.0.0.1', '::1']) {
        const stop = new AbortController();
        let address = '';
        let listening!: () => void;
        const up = new Promise<void>((r) => (listening = r));
        const served = serve(host, 0, stop.signal, (a) => ((address = a), listening()));
        await up;
        const port = Number(/(\d+)$/.exec(address)![1]);
        const message = Buffer.from(`echo over ${host} `.repeat(5000));
        expect((await echoOnce(host, port, message)).equals(message)).toBe(true);
        const peer = await netConnect(host, port);
        const back = new Promise<Buffer>((resolve) => {
          const chunks: Buffer[] = [];
          peer.on('data', (d) => chunks.push(d));
          peer.on('close', () => resolve(Buffer.concat(chunks)));
        });
        peer.end('from node:net');
        expect((await back).toString()).toBe('from node:net');
        stop.abort();
        await served;
      }
      const lines = log.mock.calls.map((c) => String(c[0]));
      expect(lines).toEqual(expect.arrayContaining([expect.stringMatching(/^connected to 127\.0\.0\.1:\d+, sending 100000 bytes$/)]));
      expect(lines.filter((l) => /: echoed \d+ bytes, closed$/.test(l))).toHaveLength(4);
    } finally {
      log.mockRestore();
    }
  });

  test('create-listening-socket says what it does', async () => {
    const log = jest.spyOn(console, 'log').mockImplementation(() => {});
    try {
      expect(await createListeningSocket.main()).toBe(0);
      expect(log.mock.calls.map((c) => String(c[0]))).toEqual([
        'CreateListeningSocket returned STATUS_SUCCESS (0x00000000)',
        'CreateListeningSocketComplete saw STATUS_SUCCESS (0x00000000)',
        expect.stringMatching(/^the listening socket is bound to 127\.0\.0\.1:\d+; closing it$/),
        'closed and deregistered',
      ]);
    } finally {
      log.mockRestore();
    }
  });
});

describe('npx node-wsk-example (dist/examples, importing the package by name)', () => {
  const ROOT = path.join(__dirname, '..');
  const CLI = path.join(ROOT, 'dist', 'examples', 'cli.js');
  // The children poll as this jest project does (NODE_WSK_POLLER=uv in the uv poller project).
  const CHILD_ENV = { ...process.env, ...(socketPoller().poller === 'uv' ? { NODE_WSK_POLLER: 'uv' } : {}) };

  beforeAll(ensureDist, 120_000);

  /** A running example: its output so far, the first line matching `ready`, its exit. */
  function start(args: string[], ready: RegExp): { child: ChildProcess; line: Promise<string>; exit: Promise<{ code: number | null; out: string }> } {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: CHILD_ENV });
    let out = '';
    let found!: (line: string) => void;
    const line = new Promise<string>((r) => (found = r));
    child.stdout!.on('data', (d) => {
      out += d;
      const m = out.split('\n').find((l) => ready.test(l));
      if (m !== undefined) found(m);
    });
    child.stderr!.on('data', (d) => (out += d));
    const watchdog = setTimeout(() => child.kill('SIGKILL'), 60_000); // a hung example fails, not the run
    const exit = new Promise<{ code: number | null; out: string }>((r) =>
      child.on('exit', (code) => {
        clearTimeout(watchdog);
        found('');
        r({ code, out });
      }),
    );
    return { child, line, exit };
  }

  test('without a name it lists the examples', async () => {
    const { code, out } = await start([], /never/).exit;
    expect(code).toBe(0);
    for (const name of ['echo-server', 'echo-client', 'udp-echo', 'echosrv', 'listen-demo', 'create-listening-socket']) expect(out).toContain(`  ${name} `);
  });

  test('echo-server and echo-client, each in its own process', async () => {
    const server = start(['echo-server', '--port', '0'], /^echo server on /);
    const port = /:(\d+);/.exec(await server.line)![1]!;
    const client = await start(['echo-client', '--port', port, 'hello', 'from', 'dist'], /never/).exit;
    expect(client).toEqual({ code: 0, out: `connected to 127.0.0.1:${port}, sending 15 bytes\nechoed: hello from dist\n` });
    server.child.kill('SIGINT');
    const { code, out } = await server.exit;
    expect(code).toBe(0);
    expect(out).toMatch(/: echoed 15 bytes, closed\nstopped\n$/);
  });

  test('udp-echo answers a node:dgram client and says so', async () => {
    const server = start(['udp-echo', '--port', '0'], /^UDP echo server on /);
    const port = Number(/:(\d+);/.exec(await server.line)![1]);
    const sock = dgram.createSocket('udp4');
    const reply = new Promise<Buffer>((r) => sock.once('message', r));
    sock.send('datagram', port, '127.0.0.1');
    expect((await reply).toString()).toBe('datagram');
    sock.close();
    server.child.kill('SIGINT');
    const { code, out } = await server.exit;
    expect(code).toBe(0);
    expect(out).toMatch(/echoed 8 bytes to 127\.0\.0\.1:\d+\nstopped after echoing 1 datagram\(s\)\n$/);
  });
});

