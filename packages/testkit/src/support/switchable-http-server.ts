import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * An HTTP server on a free loopback port that can be taken down (every request's connection
 * reset, as a metadata endpoint that fails) and brought back: what the testkit's cloud identity
 * stand-ins share.
 *
 * @example
 * const server = await startSwitchableHttpServer((request, response) => response.end('ok'));
 * server.switches.down(); // requests get their connection reset, counted in `resetWhileDown`
 * server.switches.up();
 * await server.switches.close();
 */
export interface SwitchableHttpServer {
  readonly port: number;
  /** Requests whose connection was reset because the server was down. */
  readonly resetWhileDown: number;
  /** What a stand-in hands on as its own `down`, `up` and `close`. */
  readonly switches: HttpServerSwitches;
}

/** Takes a {@link SwitchableHttpServer} down and up, and closes it. */
export interface HttpServerSwitches {
  /** Resets every request until {@link HttpServerSwitches.up}. */
  down(): void;
  up(): void;
  /** Closes the server and every connection still open on it. */
  close(): Promise<void>;
}

/**
 * Starts a {@link SwitchableHttpServer} on `127.0.0.1`; `handle` answers the requests that come
 * while it is up.
 *
 * @example
 * const server = await startSwitchableHttpServer((request, response) => response.writeHead(404).end());
 * const url = `http://127.0.0.1:${server.port}/`;
 */
export async function startSwitchableHttpServer(
  handle: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<SwitchableHttpServer> {
  const sockets = new Set<Socket>();
  let resetWhileDown = 0;
  let isDown = false;
  const server = createServer((request, response) => {
    if (isDown) {
      resetWhileDown++;
      request.socket.destroy();
      return;
    }
    handle(request, response);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 0,
    get resetWhileDown() {
      return resetWhileDown;
    },
    switches: {
      down: () => {
        isDown = true;
      },
      up: () => {
        isDown = false;
      },
      close: () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        }),
    },
  };
}
