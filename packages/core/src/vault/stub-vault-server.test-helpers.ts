import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** A request as the stub saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** How the stub answers: status and JSON body, or `'hang'` to never answer. */
export type StubAnswer = { readonly status: number; readonly body?: unknown } | 'hang';

/** A local HTTP(S) server standing in for Vault, to test what goes over the wire. */
export interface StubVault {
  readonly address: string;
  readonly requests: SeenRequest[];
  close(): Promise<void>;
}

export async function startStubVault(
  answer: (request: SeenRequest) => StubAnswer,
  tls?: { readonly key: string; readonly cert: string },
): Promise<StubVault> {
  const requests: SeenRequest[] = [];
  const hanging: ServerResponse[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      const seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      requests.push(seen);
      const reply = answer(seen);
      if (reply === 'hang') {
        hanging.push(res);
        return;
      }
      const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
      res.writeHead(reply.status, text === '' ? {} : { 'content-type': 'application/json' });
      res.end(text);
    });
  };
  const server: Server = tls === undefined ? createHttpServer(handler) : createHttpsServer(tls, handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `${tls === undefined ? 'http' : 'https'}://127.0.0.1:${port}`,
    requests,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
