import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { LoopbackCertificate } from './loopback-certificate.js';
import type { ServiceAccountTokenAuthenticator, TokenReviewStatus } from './service-account-token-authenticator.js';

/** The one path the endpoint serves. */
export const TOKEN_REVIEW_PATH = '/apis/authentication.k8s.io/v1/tokenreviews';

const MAX_BODY_BYTES = 1024 * 1024;

/** Options of {@link startTokenReviewServer}. */
export interface TokenReviewServerOptions {
  readonly authenticator: ServiceAccountTokenAuthenticator;
  /**
   * Users allowed to create TokenReviews, as a `system:auth-delegator` binding grants it, e.g.
   * `system:serviceaccount:kube-system:vault-auth`. Any other authenticated caller gets 403.
   */
  readonly reviewers: readonly string[];
  readonly certificate: LoopbackCertificate;
  /** Interface to listen on, default `127.0.0.1`. */
  readonly host?: string;
}

/** One TokenReview answered (never the token). */
export interface TokenReviewRecord {
  readonly requestedAudiences: readonly string[];
  readonly authenticated: boolean;
  readonly username?: string;
  readonly error?: string;
  readonly at: number;
}

/** A running TokenReview endpoint. */
export interface TokenReviewServer {
  /** Base URL of the "API server", e.g. `https://127.0.0.1:41234`: Vault's `kubernetes_host`. */
  readonly url: string;
  /** The CA that signed its certificate: Vault's `kubernetes_ca_cert`. */
  readonly caCertPem: string;
  /** TokenReviews created so far, oldest first (401/403/400 answers are not reviews). */
  reviews(): readonly TokenReviewRecord[];
  /** Closes the listener and every connection. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Serves only `POST /apis/authentication.k8s.io/v1/tokenreviews`, answering as the Kubernetes API
 * server does: the caller must authenticate with a bearer service-account token (401 `Unauthorized`
 * otherwise) and be allowed to review tokens (403 `Forbidden`); the review is created (201) with
 * `status.authenticated`, the service-account user and the audiences granted, or `authenticated`
 * unset and an `error` for a token the cluster did not issue, an expired one or one for other
 * audiences. Vault's Kubernetes auth calls it on every login.
 *
 * @example
 * const server = await startTokenReviewServer({ authenticator, reviewers, certificate });
 * // auth/kubernetes/config: { kubernetes_host: server.url, kubernetes_ca_cert: server.caCertPem }
 * await server.stop();
 */
export async function startTokenReviewServer(options: TokenReviewServerOptions): Promise<TokenReviewServer> {
  const reviews: TokenReviewRecord[] = [];
  const reviewers = new Set(options.reviewers);
  const server = createServer(
    { cert: options.certificate.certPem, key: options.certificate.keyPem },
    (request, response) => {
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
      };
      const url = new URL(request.url ?? '/', 'https://localhost');
      if (url.pathname !== TOKEN_REVIEW_PATH) {
        return reply(404, apiStatus(404, 'NotFound', 'the server could not find the requested resource'));
      }
      if (request.method !== 'POST') {
        return reply(
          405,
          apiStatus(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`),
        );
      }
      const caller = callerOf(options.authenticator, request.headers.authorization);
      if (caller === undefined) return reply(401, apiStatus(401, 'Unauthorized', 'Unauthorized'));
      if (!reviewers.has(caller)) {
        return reply(
          403,
          apiStatus(
            403,
            'Forbidden',
            `tokenreviews.authentication.k8s.io is forbidden: User "${caller}" cannot create resource "tokenreviews" in API group "authentication.k8s.io" at the cluster scope`,
          ),
        );
      }
      readBody(request)
        .then((text) => {
          const spec = specOf(text);
          if (typeof spec === 'string') return reply(400, apiStatus(400, 'BadRequest', spec));
          const status = options.authenticator.authenticate(spec.token, spec.audiences);
          reviews.push({
            requestedAudiences: spec.audiences,
            authenticated: status.authenticated === true,
            ...(status.user?.username === undefined ? {} : { username: status.user.username }),
            ...(status.error === undefined ? {} : { error: status.error }),
            at: Date.now(),
          });
          reply(201, tokenReview(spec, status));
        })
        .catch((error: unknown) => reply(400, apiStatus(400, 'BadRequest', String(error))));
    },
  );
  server.unref(); // the Vault that calls it is stopped first; never keep a test process alive
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  let stopping: Promise<void> | undefined;
  return {
    url: `https://${host}:${port}`,
    caCertPem: options.certificate.caCertPem,
    reviews: () => [...reviews],
    stop: () => {
      stopping ??= closeServer(server);
      return stopping;
    },
  };
}

function callerOf(
  authenticator: ServiceAccountTokenAuthenticator,
  authorization: string | undefined,
): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (match?.[1] === undefined) return undefined;
  const status = authenticator.authenticate(match[1], []);
  return status.authenticated === true ? status.user?.username : undefined;
}

function specOf(text: string): { token: string; audiences: string[] } | string {
  let body: { kind?: unknown; spec?: { token?: unknown; audiences?: unknown } };
  try {
    body = JSON.parse(text) as typeof body;
  } catch (error) {
    return `the body of the request was in an unknown format: ${(error as Error).message}`;
  }
  if (body.kind !== undefined && body.kind !== 'TokenReview') return `kind ${String(body.kind)} is not TokenReview`;
  const token = body.spec?.token;
  if (typeof token !== 'string' || token === '') return 'token is required for TokenReview in authentication';
  const audiences = Array.isArray(body.spec?.audiences) ? body.spec.audiences.map(String) : [];
  return { token, audiences };
}

function tokenReview(spec: { token: string; audiences: string[] }, status: TokenReviewStatus): unknown {
  return {
    kind: 'TokenReview',
    apiVersion: 'authentication.k8s.io/v1',
    metadata: { creationTimestamp: null },
    spec: { token: spec.token, ...(spec.audiences.length > 0 ? { audiences: spec.audiences } : {}) },
    status,
  };
}

function apiStatus(code: number, reason: string, message: string): unknown {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
}

function readBody(request: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) reject(new Error('request entity too large'));
      else chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
