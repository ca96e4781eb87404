import { createServer, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** How the garbage server answers every request. */
export type GarbageMode =
  | 'html-200'
  | 'empty-200'
  | 'json-null'
  | 'json-array'
  | 'missing-data'
  | 'wrong-types'
  | 'data-not-object'
  | 'huge-10mb'
  | 'truncated-json'
  | 'html-502'
  | 'slow-drip';

export const GARBAGE_MODES: readonly GarbageMode[] = [
  'html-200',
  'empty-200',
  'json-null',
  'json-array',
  'missing-data',
  'wrong-types',
  'data-not-object',
  'huge-10mb',
  'truncated-json',
  'html-502',
  'slow-drip',
];

const HUGE_BYTES = 10 * 1024 * 1024;

function json(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

/**
 * A raw `node:http` server that answers every path a Vault client reads (`auth/token/lookup-self`,
 * `database/creds/…`, `sys/leases/renew`) with the same kind of garbage.
 */
export async function startGarbageVault(mode: GarbageMode): Promise<{ address: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer((request, response) => {
    request.resume();
    switch (mode) {
      case 'html-200':
        response.writeHead(200, { 'content-type': 'text/html' });
        return void response.end('<html><body>proxy error</body></html>');
      case 'empty-200':
        return json(response, 200, '');
      case 'json-null':
        return json(response, 200, 'null');
      case 'json-array':
        return json(response, 200, '[1,2,3]');
      case 'missing-data':
        return json(response, 200, '{"request_id":"r","lease_id":"l","lease_duration":60,"renewable":true}');
      case 'wrong-types':
        return json(
          response,
          200,
          '{"lease_id":7,"lease_duration":"60","renewable":"yes","data":{"username":42,"password":["x"]},"auth":{"client_token":1}}',
        );
      case 'data-not-object':
        return json(response, 200, '{"lease_id":"l","lease_duration":60,"renewable":true,"data":"username=u"}');
      case 'huge-10mb': {
        const padding = 'x'.repeat(HUGE_BYTES);
        return json(response, 200, `{"lease_id":"l","lease_duration":60,"renewable":true,"padding":"${padding}"}`);
      }
      case 'truncated-json':
        return json(response, 200, '{"lease_id":"l","lease_duration":60,"data":{"username":"u","pass');
      case 'html-502':
        response.writeHead(502, { 'content-type': 'text/html' });
        return void response.end('<html>Bad Gateway</html>');
      case 'slow-drip': {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.write('{');
        const timer = setInterval(() => response.write(' '), 100);
        timers.add(timer);
        response.on('close', () => {
          clearInterval(timer);
          timers.delete(timer);
        });
        return;
      }
    }
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () =>
      new Promise((resolve) => {
        for (const timer of timers) clearInterval(timer);
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
