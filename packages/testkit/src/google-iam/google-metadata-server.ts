import { randomBytes } from 'node:crypto';
import { startSwitchableHttpServer } from '../support/switchable-http-server.js';
import { registerIssuedSecretSource } from '../vault/issued-secrets-in-process.js';
import type { IssuedSecret } from '../vault/test-vault.js';

/** Options of {@link startGoogleMetadataServer}. */
export interface GoogleMetadataServerOptions {
  /**
   * How long each access token lives (`expires_in`, whole seconds); the server records its end and
   * {@link GoogleMetadataServer.tokenInfo} says so.
   *
   * @defaultValue 3_600_000 (Google's hour)
   */
  readonly tokenLifetimeMs?: number;
  /**
   * The instance's default service account.
   *
   * @defaultValue `dataverk-test@dataverk-test.iam.gserviceaccount.com`
   */
  readonly serviceAccount?: string;
}

/** What the server knows of a token it issued (what Google's token info tells Cloud SQL). */
export interface GoogleTokenInfo {
  /** The service account the token is for. */
  readonly email: string;
  /** The scopes it was issued with. */
  readonly scopes: readonly string[];
  /** When it stops being accepted (ms since epoch). */
  readonly expiresAt: number;
}

/**
 * A stand-in for the Compute Engine metadata server, which google-auth-library's Application
 * Default Credentials reach through `GCE_METADATA_HOST` (as on Compute Engine, Cloud Run and GKE
 * with workload identity): it answers only requests with `Metadata-Flavor: Google` (403 otherwise)
 * and says `Metadata-Flavor: Google` itself; serves `instance` (the library's probe),
 * `instance/service-accounts/<default|email>/email` and `…/token?scopes=…` (a random opaque access
 * token and its `expires_in`), `project/project-id` and `universe/universe-domain`. It records
 * each token's end, for a database stand-in to check tokens against ({@link googleTokenVerifier}),
 * registers every token for the secret scan, and can be taken down (connections reset).
 *
 * @example
 * const metadata = await startGoogleMetadataServer({ tokenLifetimeMs: 5_000 });
 * Object.assign(process.env, metadata.environment);
 * const front = await startIamLoginFront({ ..., verify: googleTokenVerifier(metadata) });
 */
export interface GoogleMetadataServer {
  /** `GCE_METADATA_HOST` pointing here. */
  readonly environment: Readonly<Record<string, string>>;
  /** The default service account's e-mail. */
  readonly serviceAccount: string;
  /** What the server knows of a token it issued; undefined for any other. */
  tokenInfo(token: string): GoogleTokenInfo | undefined;
  /** Tokens issued so far. */
  readonly issued: number;
  /** Requests refused (while down, or without `Metadata-Flavor: Google`). */
  readonly refused: number;
  /** Resets every request until {@link GoogleMetadataServer.up}. */
  down(): void;
  up(): void;
  close(): Promise<void>;
}

const BASE = '/computeMetadata/v1/';
/** Compute Engine's default scope when a token request names none. */
const DEFAULT_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';

/** Starts a {@link GoogleMetadataServer} on a free loopback port. */
export async function startGoogleMetadataServer(
  options: GoogleMetadataServerOptions = {},
): Promise<GoogleMetadataServer> {
  const lifetimeS = Math.max(1, Math.floor((options.tokenLifetimeMs ?? 3_600_000) / 1000));
  const email = options.serviceAccount ?? 'dataverk-test@dataverk-test.iam.gserviceaccount.com';
  const tokens = new Map<string, GoogleTokenInfo>();
  const secrets: IssuedSecret[] = [];
  registerIssuedSecretSource({ list: () => secrets });
  let issued = 0;
  let forbidden = 0;

  function answer(path: string, query: URLSearchParams): { status: number; type: string; body: string } {
    if (path === 'instance' || path === 'instance/')
      return text('attributes/\nhostname\nid\nservice-accounts/\nzone\n');
    if (path === 'project/project-id') return text(email.split('@')[1]?.split('.')[0] ?? 'dataverk-test');
    if (path === 'universe/universe-domain') return text('googleapis.com');
    const account = /^instance\/service-accounts\/([^/]+)\/(email|token)$/.exec(path);
    if (account === null || (account[1] !== 'default' && account[1] !== email))
      return { status: 404, type: 'text/html', body: 'Not Found' };
    if (account[2] === 'email') return text(email);
    const token = `ya29.${randomBytes(48).toString('base64url')}`;
    const scopes = (query.get('scopes') ?? DEFAULT_SCOPE).split(',').filter((s) => s !== '');
    tokens.set(token, { email, scopes, expiresAt: Date.now() + lifetimeS * 1000 });
    secrets.push({ kind: 'token', path: 'google-metadata-server (access token)', value: token });
    issued++;
    return {
      status: 200,
      type: 'application/json',
      body: JSON.stringify({ access_token: token, expires_in: lifetimeS, token_type: 'Bearer' }),
    };
  }

  const server = await startSwitchableHttpServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://metadata');
    if (request.headers['metadata-flavor'] !== 'Google' || !url.pathname.startsWith(BASE)) {
      forbidden++;
      response.writeHead(403, { 'content-type': 'text/html' }).end('Forbidden');
      return;
    }
    const { status, type, body } = answer(url.pathname.slice(BASE.length), url.searchParams);
    response.writeHead(status, { 'content-type': type, 'metadata-flavor': 'Google' }).end(body);
  });
  return {
    ...server.switches,
    environment: { GCE_METADATA_HOST: `127.0.0.1:${server.port}` },
    serviceAccount: email,
    tokenInfo: (token) => tokens.get(token),
    get issued() {
      return issued;
    },
    get refused() {
      return forbidden + server.resetWhileDown;
    },
  };
}

function text(body: string): { status: number; type: string; body: string } {
  return { status: 200, type: 'application/text', body };
}
