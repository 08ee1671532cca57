// The ported samples, run against node:net peers.
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
} from '../lib';
import { CreateListeningSocket, NewAppSocketContext } from '../examples/create-listening-socket';
import { main } from '../examples/listen-demo';
import { call, expectStatus, netClosed, netConnect, newOp, register, unregister, wskClose } from './helpers';

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
});
