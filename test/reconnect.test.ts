// A connect that fails leaves the socket bound and able to connect again (README "Choices"):
// Linux leaves a socket whose connect failed asynchronously half in the attempt, so that its
// next connect() gives ECONNABORTED; WSK's next WskConnect must simply work.
import * as net from 'net';
import {
  AF_INET,
  AF_INET6,
  IPPROTO_TCP,
  SOCK_STREAM,
  STATUS_CONNECTION_REFUSED,
  STATUS_SUCCESS,
  WSK_FLAG_CONNECTION_SOCKET,
  WSK_FLAG_STREAM_SOCKET,
  WSK_PROVIDER_CONNECTION_DISPATCH,
  WSK_PROVIDER_STREAM_DISPATCH,
} from '../lib';
import { netServer, sockaddr } from './conn-helpers';
import { call, expectStatus, register, unregister, wskClose, wskSocket } from './helpers';

/** A port on `host` that nothing listens on (a listener made and closed). */
async function closedPort(host: string): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, host, () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

for (const [flags, kind] of [[WSK_FLAG_CONNECTION_SOCKET, 'connection'], [WSK_FLAG_STREAM_SOCKET, 'stream']] as const) {
  for (const host of ['127.0.0.1', '::1']) {
    test(`${kind} socket on ${host}: WskConnect after a refused one connects`, async () => {
      const p = register();
      const server = await netServer(host, (c) => c.end());
      const nobody = await closedPort(host);
      const s = await wskSocket(p, host.includes(':') ? AF_INET6 : AF_INET, SOCK_STREAM, IPPROTO_TCP, flags);
      const d = s.Dispatch as WSK_PROVIDER_CONNECTION_DISPATCH & WSK_PROVIDER_STREAM_DISPATCH;
      expectStatus((await call((irp) => d.WskBind(s, sockaddr(host, 0), 0, irp))).IoStatus.Status, STATUS_SUCCESS);
      expectStatus((await call((irp) => d.WskConnect(s, sockaddr(host, nobody), 0, irp))).IoStatus.Status, STATUS_CONNECTION_REFUSED);
      expectStatus((await call((irp) => d.WskConnect(s, sockaddr(host, server.port), 0, irp))).IoStatus.Status, STATUS_SUCCESS);
      await wskClose(s);
      await server.close();
      await unregister(p);
    });
  }
}
