import { connect, type Socket } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';

/**
 * Terminates TLS in front of an http:// server (the Vault dev server speaks plain HTTP), so that a
 * client reaches the same Vault at `https://127.0.0.1:<port>` with the certificate given.
 */
export async function startTlsProxy(
  target: { readonly host: string; readonly port: number },
  tls: { readonly key: string; readonly cert: string },
): Promise<{ readonly address: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer({ key: tls.key, cert: tls.cert }, (client: TLSSocket) => {
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    address: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
