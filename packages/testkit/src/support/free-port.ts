import { createServer } from 'node:net';

/**
 * Asks the kernel for a free TCP port on the loopback interface.
 *
 * The port is free when this resolves; a server started right after may still lose a race with
 * another process, so callers that bind it retry with a fresh port on failure.
 *
 * @example
 * const port = await freePort();
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
