import { Agent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { HttpReply, HttpRequestParts } from '../dev-server/http-exchange.js';
import { IssuedSecretLog } from '../dev-server/issued-secrets.js';
import { serveListMethod } from '../dev-server/list-method-shim.js';
import { registerIssuedSecretSource } from '../issued-secrets-in-process.js';
import type { IssuedSecret, LeaseHistoryEntry, RecordedVaultRequest, VaultRecord } from '../test-vault.js';
import { LeaseBook } from './lease-book.js';
import { requestTemplate } from './request-template.js';

/** A transparent recorder in front of a real Vault, and what it saw. */
export interface VaultRecorder {
  /** Where clients should send requests, e.g. `http://127.0.0.1:41235`. */
  readonly address: string;
  readonly record: VaultRecord;
  stop(): Promise<void>;
}

type Json = Record<string, unknown>;

/** A LIST through the recorder gives up after this long (a client would have given up too). */
const LIST_TIMEOUT_MS = 60_000;

/**
 * Starts an HTTP recorder on a free loopback port that forwards every request to `target`
 * unchanged (method, path, headers, body) and returns Vault's answer unchanged, recording what a
 * test needs to judge a run by (the same `VaultRecord` our dev server keeps): requests by path and
 * status, the lease record, and every secret issued. When the Vault behind it is unreachable, the
 * client's connection is dropped, as it would be without the recorder.
 *
 * @example
 * const recorder = await startVaultRecorder({ target: server.address, rootToken: server.rootToken });
 * // point clients at recorder.address; afterwards:
 * recorder.record.requestCounts()['GET database/creds/:role'];
 */
export async function startVaultRecorder(options: { target: string; rootToken: string }): Promise<VaultRecorder> {
  const target = new URL(options.target);
  const agent = new Agent({ keepAlive: true });
  const book = new LeaseBook();
  const secrets = new IssuedSecretLog();
  secrets.add('token', 'root', options.rootToken);
  registerIssuedSecretSource(secrets);
  let counts = new Map<string, number>();
  let log: RecordedVaultRequest[] = [];
  const sockets = new Set<Socket>();

  const observe = (exchange: Exchange) => {
    const template = requestTemplate(exchange.path);
    const key = `${exchange.method} ${template}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    log.push({
      method: exchange.method,
      path: exchange.path,
      template,
      ...(exchange.namespace === undefined ? {} : { namespace: exchange.namespace }),
      status: exchange.status,
      at: exchange.receivedAt,
    });
    noteSecrets(secrets, exchange);
    noteLeases(book, exchange);
  };

  const context: RelayContext = { target, agent, observe };
  const server = createServer((req, res) => forward(req, res, context));
  serveListMethod(server, relayList(context));
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const record: VaultRecord = {
    requestCounts: () => Object.fromEntries(counts),
    resetCounts: () => {
      counts = new Map();
      log = [];
    },
    leaseHistory: (): readonly LeaseHistoryEntry[] => book.history(Date.now()),
    requestLog: () => [...log],
    issuedSecrets: (): readonly IssuedSecret[] => secrets.list(),
  };
  return {
    address: `http://127.0.0.1:${port}`,
    record,
    stop: async () => {
      for (const socket of sockets) socket.destroy();
      agent.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface Exchange {
  readonly method: string;
  /** Path after `/v1/`, without the query. */
  readonly path: string;
  readonly namespace?: string;
  readonly token: string;
  readonly requestBody: Json | undefined;
  readonly status: number;
  readonly responseBody: Json | undefined;
  /** When the request reached the recorder (epoch ms), as the dev server records it. */
  readonly receivedAt: number;
  /** When Vault's answer came back. */
  readonly at: number;
}

/** A request as the recorder relays it. */
interface Relayed {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

interface RelayContext {
  readonly target: URL;
  readonly agent: Agent;
  observe(exchange: Exchange): void;
}

/** Sends `request` to Vault; resolves to its answer, rejects when Vault cannot be reached. */
function relay(
  request: Relayed,
  context: RelayContext,
  abort: AbortSignal,
): Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const upstream = httpRequest(
      {
        host: context.target.hostname,
        port: context.target.port,
        method: request.method,
        path: request.url,
        headers: { ...request.headers, host: context.target.host },
        agent: context.agent,
        signal: abort,
      },
      (answer) => {
        const parts: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => parts.push(chunk));
        answer.on('end', () =>
          resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: Buffer.concat(parts) }),
        );
        answer.on('error', reject);
      },
    );
    upstream.on('error', reject);
    upstream.end(request.body);
  });
}

function forward(req: IncomingMessage, res: ServerResponse, context: RelayContext): void {
  const receivedAt = Date.now();
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const request = {
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      body: Buffer.concat(chunks),
    };
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    relay(request, context, abort.signal).then(
      (answer) => {
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
        context.observe(exchangeOf(request, answer.status, answer.body, receivedAt));
      },
      // Vault unreachable (stopped, killed): the client sees its connection dropped, not an answer of ours.
      () => req.socket.destroy(),
    );
  });
}

/**
 * `LIST`, which Node's HTTP parser refuses, reaches Vault as `GET …?list=true` (the same operation
 * for Vault) and is recorded as `LIST`, as the dev server records it.
 */
function relayList(context: RelayContext): (request: HttpRequestParts) => Promise<HttpReply> {
  return async (request) => {
    const receivedAt = Date.now();
    const url = new URL(request.url, 'http://recorder');
    url.searchParams.set('list', 'true');
    const asGet = { ...request, method: 'GET', url: `${url.pathname}${url.search}` };
    const answer = await relay(asGet, context, AbortSignal.timeout(LIST_TIMEOUT_MS)).catch(() => undefined);
    // The shim answers over the raw socket and cannot drop it: an unreachable Vault becomes a 502.
    if (answer === undefined)
      return { status: 502, json: JSON.stringify({ errors: ['Vault unreachable (recorder)'] }) };
    context.observe(exchangeOf(request, answer.status, answer.body, receivedAt));
    return answer.body.length === 0
      ? { status: answer.status }
      : { status: answer.status, json: answer.body.toString() };
  };
}

function exchangeOf(request: Relayed, status: number, response: Buffer, receivedAt: number): Exchange {
  const url = new URL(request.url, 'http://recorder');
  const namespace = request.headers['x-vault-namespace'];
  return {
    method: request.method,
    path: url.pathname.replace(/^\/v1\//, ''),
    ...(typeof namespace === 'string' ? { namespace } : {}),
    token: String(request.headers['x-vault-token'] ?? ''),
    requestBody: parseJson(request.body),
    status,
    responseBody: parseJson(response),
    receivedAt,
    at: Date.now(),
  };
}

function parseJson(buffer: Buffer): Json | undefined {
  if (buffer.length === 0) return undefined;
  try {
    const value: unknown = JSON.parse(buffer.toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

function objectAt(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null ? (value as Json) : undefined;
}

const REQUEST_SECRET_FIELDS: Readonly<Record<string, IssuedSecret['kind']>> = {
  jwt: 'jwt',
  secret_id: 'secret_id',
  password: 'password',
  token: 'token',
};

function noteSecrets(secrets: IssuedSecretLog, exchange: Exchange): void {
  secrets.add('token', exchange.path, exchange.token);
  for (const [field, kind] of Object.entries(REQUEST_SECRET_FIELDS)) {
    secrets.add(kind, exchange.path, exchange.requestBody?.[field]);
  }
  const auth = objectAt(exchange.responseBody?.auth);
  secrets.add('token', exchange.path, auth?.client_token);
  const data = objectAt(exchange.responseBody?.data);
  secrets.add('password', exchange.path, data?.password);
  secrets.add('secret_id', exchange.path, data?.secret_id);
}

function noteLeases(book: LeaseBook, exchange: Exchange): void {
  const { path, status, at } = exchange;
  const body = exchange.responseBody;
  const auth = objectAt(body?.auth);
  if (status === 200 && typeof auth?.client_token === 'string') {
    book.tokenLifetime(auth.client_token, at, Number(auth.lease_duration ?? 0));
  }
  if (status >= 300) return;
  const data = objectAt(body?.data);
  if (/\/creds\/[^/]+$/.test(path) && typeof body?.lease_id === 'string' && body.lease_id !== '') {
    book.issued({
      leaseId: body.lease_id,
      path,
      username: String(data?.username ?? ''),
      token: exchange.token,
      at,
      ttlSeconds: Number(body.lease_duration ?? 0),
    });
  } else if (path === 'sys/leases/renew' || path === 'sys/renew') {
    book.renewed(String(body?.lease_id ?? ''), at, Number(body?.lease_duration ?? 0));
  } else if (path === 'sys/leases/revoke' || path === 'sys/revoke') {
    book.revoked(String(exchange.requestBody?.lease_id ?? ''), at);
  } else if (/^sys\/leases\/revoke-(prefix|force)\//.test(path)) {
    book.revoked(path.replace(/^sys\/leases\/revoke-(prefix|force)\//, ''), at, true);
  } else if (path === 'auth/token/revoke-self') {
    book.tokenRevoked(exchange.token, at);
  } else if (path === 'auth/token/revoke' && typeof exchange.requestBody?.token === 'string') {
    book.tokenRevoked(exchange.requestBody.token, at);
  }
}
