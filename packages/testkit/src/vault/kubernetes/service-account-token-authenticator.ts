import { createPublicKey, createVerify, type KeyObject } from 'node:crypto';
import { KUBERNETES_ISSUER } from '../service-account-jwt.js';

/** `status` of a TokenReview (authentication.k8s.io/v1), as the API server fills it in. */
export interface TokenReviewStatus {
  readonly authenticated?: boolean;
  readonly user?: {
    readonly username?: string;
    readonly uid?: string;
    readonly groups?: readonly string[];
    readonly extra?: Readonly<Record<string, readonly string[]>>;
  };
  readonly audiences?: readonly string[];
  readonly error?: string;
}

/** Options of {@link ServiceAccountTokenAuthenticator}. */
export interface ServiceAccountTokenAuthenticatorOptions {
  /** The cluster's service-account signing key (public half), PEM. */
  readonly publicKeyPem: string;
  /** The API server's `--service-account-issuer`; tokens from other issuers are not ours. */
  readonly issuer?: string;
  /** The API server's own audiences, used when a review names none (`--api-audiences`). */
  readonly apiAudiences?: readonly string[];
}

const DIGESTS: Readonly<Record<string, string>> = { RS256: 'RSA-SHA256', RS384: 'RSA-SHA384', RS512: 'RSA-SHA512' };

interface Claims {
  readonly iss?: unknown;
  readonly aud?: unknown;
  readonly exp?: unknown;
  readonly nbf?: unknown;
  readonly jti?: unknown;
  readonly 'kubernetes.io'?: {
    readonly namespace?: unknown;
    readonly serviceaccount?: { readonly name?: unknown; readonly uid?: unknown };
  };
  readonly [legacy: string]: unknown;
}

/**
 * Authenticates service-account tokens as the Kubernetes API server's service-account token
 * authenticator does: signature by the cluster key, issuer, `exp`/`nbf` without leeway, and the
 * audiences asked for (or the API server's own) intersecting the token's. The user it answers is
 * `system:serviceaccount:<namespace>:<name>` with the service account's UID, from the projected
 * `kubernetes.io` claims or the legacy `kubernetes.io/serviceaccount/*` ones.
 *
 * @example
 * const authenticator = new ServiceAccountTokenAuthenticator({ publicKeyPem: signer.publicKeyPem });
 * authenticator.authenticate(signer.mint({ serviceAccount: 'app', namespace: 'team' }), []).authenticated; // true
 */
export class ServiceAccountTokenAuthenticator {
  readonly #key: KeyObject;
  readonly #issuer: string;
  readonly #apiAudiences: readonly string[];

  constructor(options: ServiceAccountTokenAuthenticatorOptions) {
    this.#key = createPublicKey(options.publicKeyPem);
    this.#issuer = options.issuer ?? KUBERNETES_ISSUER;
    this.#apiAudiences = options.apiAudiences ?? [KUBERNETES_ISSUER];
  }

  /** The status of a TokenReview of `token` for `audiences` (none: the API server's own). */
  authenticate(token: string, audiences: readonly string[]): TokenReviewStatus {
    const parsed = parseJws(token);
    // Not a JWT, or one from another issuer: no authenticator of the API server claims it.
    if (parsed === undefined || parsed.claims.iss !== this.#issuer) return { user: {} };
    const { claims } = parsed;
    if (!this.#signatureValid(parsed)) return refused('go-jose/go-jose: error in cryptographic primitive');
    const now = Math.floor(Date.now() / 1000);
    if (typeof claims.exp !== 'number' || claims.exp < now) return refused('service account token has expired');
    if (typeof claims.nbf === 'number' && claims.nbf > now) return refused('service account token is not valid yet');
    const wanted = audiences.length > 0 ? audiences : this.#apiAudiences;
    const tokenAudiences = Array.isArray(claims.aud) ? claims.aud.map(String) : [String(claims.aud ?? '')];
    const granted = wanted.filter((audience) => tokenAudiences.includes(audience));
    if (granted.length === 0) {
      return refused(
        `token audiences ${JSON.stringify(tokenAudiences)} is invalid for the target audiences ${JSON.stringify(wanted)}`,
      );
    }
    const account = serviceAccountOf(claims);
    if (account === undefined) return refused('service account token claims are missing the service account');
    return {
      authenticated: true,
      user: {
        username: `system:serviceaccount:${account.namespace}:${account.name}`,
        uid: account.uid,
        groups: ['system:serviceaccounts', `system:serviceaccounts:${account.namespace}`, 'system:authenticated'],
        ...(typeof claims.jti === 'string'
          ? { extra: { 'authentication.kubernetes.io/credential-id': [`JTI=${claims.jti}`] } }
          : {}),
      },
      audiences: granted,
    };
  }

  #signatureValid(parsed: ParsedJws): boolean {
    const digest = DIGESTS[parsed.alg];
    if (digest === undefined) return false;
    return createVerify(digest).update(parsed.signingInput).verify(this.#key, parsed.signature);
  }
}

interface ParsedJws {
  readonly alg: string;
  readonly claims: Claims;
  readonly signingInput: string;
  readonly signature: Buffer;
}

function parseJws(token: string): ParsedJws | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  const [header, payload, signature] = parts as [string, string, string];
  try {
    const alg = String((JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { alg?: unknown }).alg);
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims;
    if (typeof claims !== 'object' || claims === null) return undefined;
    return { alg, claims, signingInput: `${header}.${payload}`, signature: Buffer.from(signature, 'base64url') };
  } catch {
    return undefined;
  }
}

function serviceAccountOf(claims: Claims): { namespace: string; name: string; uid: string } | undefined {
  const projected = claims['kubernetes.io'];
  const legacy = (key: string) => claims[`kubernetes.io/serviceaccount/${key}`];
  const namespace = projected?.namespace ?? legacy('namespace');
  const name = projected?.serviceaccount?.name ?? legacy('service-account.name');
  const uid = projected?.serviceaccount?.uid ?? legacy('service-account.uid');
  if (typeof namespace !== 'string' || typeof name !== 'string' || typeof uid !== 'string') return undefined;
  if (namespace === '' || name === '' || uid === '') return undefined;
  return { namespace, name, uid };
}

function refused(error: string): TokenReviewStatus {
  return { user: {}, error: `[invalid bearer token, ${error}]` };
}
