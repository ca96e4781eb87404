import type { IncomingMessage, ServerResponse } from 'node:http';
import { VaultErrorReply } from './vault-error-reply.js';
import { operationOf, type RequestData, type VaultRequest } from './vault-request.js';
import { envelope, type HandlerResult } from './vault-response.js';

/** Largest body the dev server reads (Vault's default `max_request_size` is 32 MiB). */
export const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** An HTTP request reduced to what the dev server reads; header names are lower case. */
export interface HttpRequestParts {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** An HTTP answer: status and, unless empty, a JSON text. */
export interface HttpReply {
  readonly status: number;
  readonly json?: string;
}

/** Reads a request Node's HTTP server parsed. */
export async function readIncoming(incoming: IncomingMessage): Promise<HttpRequestParts> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of incoming) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new VaultErrorReply(413, ['http: request body too large']);
    chunks.push(chunk as Buffer);
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming.headers)) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) headers[name] = first;
  }
  return { method: incoming.method ?? 'GET', url: incoming.url ?? '/', headers, body: Buffer.concat(chunks) };
}

/**
 * Decodes `/v1/...` requests: method to operation, JSON body (or query for reads), `X-Vault-Token`
 * (or `Authorization: Bearer`) and `X-Vault-Namespace`. `X-Vault-Request` is ignored.
 */
export function decodeVaultRequest(parts: HttpRequestParts): VaultRequest {
  const url = parseUrl(parts.url);
  if (!url.pathname.startsWith('/v1/')) throw VaultErrorReply.notFound();
  const method = parts.method.toUpperCase();
  const operation = operationOf(method, url.searchParams.get('list'));
  if (operation === undefined) throw new VaultErrorReply(405, []);
  // request_handling.go: a write to a directory-like path is ambiguous, so Vault refuses it.
  const writes = operation === 'update' || operation === 'patch';
  if (writes && url.pathname.length > '/v1/'.length && url.pathname.endsWith('/')) {
    throw VaultErrorReply.badRequest("cannot write to a path ending in '/'");
  }
  const contentType = parts.headers['content-type'] ?? '';
  if (operation === 'patch' && contentType.split(';')[0]?.trim().toLowerCase() !== MERGE_PATCH) {
    throw new VaultErrorReply(415, [`PATCH requires Content-Type of ${MERGE_PATCH}, provided ${contentType}`]);
  }
  const body = parseBody(parts.body);
  const query = Object.fromEntries([...url.searchParams].filter(([key]) => key !== 'list'));
  const authorization = parts.headers.authorization ?? '';
  const bearer = authorization.toLowerCase().startsWith('bearer ') ? authorization.slice(7).trim() : undefined;
  return {
    method,
    operation,
    path: decodeURI(url.pathname.slice('/v1/'.length)).replace(/^\/+|\/+$/g, ''),
    data: operation === 'read' || operation === 'list' ? { ...query, ...body } : body,
    token: nonEmpty(parts.headers['x-vault-token']) ?? nonEmpty(bearer),
    namespace: nonEmpty(parts.headers['x-vault-namespace']),
  };
}

/** Renders a handler result: Vault's envelope, or no body for 202/204. */
export function encodeResult(result: HandlerResult, requestId: string): HttpReply {
  if (result.kind === 'empty') return { status: result.status };
  if (result.kind === 'raw') {
    return result.body === undefined
      ? { status: result.status }
      : { status: result.status, json: JSON.stringify(result.body) };
  }
  return { status: result.status ?? 200, json: JSON.stringify(envelope(result, requestId)) };
}

/** Renders `{"errors": [...]}` with the reply's status. */
export function encodeError(reply: VaultErrorReply): HttpReply {
  return { status: reply.status, json: JSON.stringify({ errors: reply.errors }) };
}

/** The headers Vault sends with every answer. */
export function replyHeaders(reply: HttpReply): Record<string, string | number> {
  return {
    'Cache-Control': 'no-store',
    // OpenBao's listener sends HSTS on every answer, TLS or not (custom_response_headers default).
    'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
    ...(reply.json === undefined
      ? {}
      : { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(reply.json) }),
  };
}

/** Writes a reply through Node's HTTP server. */
export function writeReply(response: ServerResponse, reply: HttpReply): void {
  response.writeHead(reply.status, replyHeaders(reply));
  response.end(reply.json);
}

/**
 * A `/v1/` path of letters, digits, `_`, `-` and `/` only: what the URL parser gives back for it is
 * the path itself, with no query (no dot segments, nothing to escape or decode).
 */
const PLAIN_V1_PATH = /^\/v1\/[\w/-]*$/;

/** The query of a plain path: empty, and never written to. */
const NO_QUERY = new URLSearchParams();

/** `new URL(url, base)`'s path and query, without building a URL for the plain paths of most requests. */
function parseUrl(url: string): { readonly pathname: string; readonly searchParams: URLSearchParams } {
  if (PLAIN_V1_PATH.test(url)) return { pathname: url, searchParams: NO_QUERY };
  return new URL(url, 'http://dev-server');
}

function parseBody(raw: Buffer): RequestData {
  const text = raw.toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw VaultErrorReply.badRequest(`failed to decode JSON input: ${goJsonError(text, error as Error)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    const kind = Array.isArray(parsed) ? 'array' : typeof parsed === 'object' ? 'null' : typeof parsed;
    throw VaultErrorReply.badRequest(
      `failed to decode JSON input: json: cannot unmarshal ${kind} into Go value of type map[string]interface {}`,
    );
  }
  return parsed as RequestData;
}

/**
 * Go's `encoding/json` wording for the common syntax errors (a cut-off body, a stray character);
 * other errors keep JavaScript's text.
 */
function goJsonError(text: string, error: Error): string {
  const position = Number(/position (\d+)/.exec(error.message)?.[1] ?? Number.NaN);
  if (/end of JSON input/.test(error.message) || position >= text.length) return 'unexpected EOF';
  const character = Number.isInteger(position) ? text[position] : /Unexpected token '(.)'/.exec(error.message)?.[1];
  if (character !== undefined) return `invalid character '${character}' looking for beginning of value`;
  return error.message;
}

/** OpenBao takes a PATCH only as a JSON merge patch (RFC 7386). */
const MERGE_PATCH = 'application/merge-patch+json';

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
