import { constants, createPublicKey, createVerify, type KeyObject } from 'node:crypto';
import { VaultErrorReply } from './vault-error-reply.js';

/** JWS algorithms Kubernetes signs service-account tokens with, mapped to node:crypto. */
const ALGORITHMS: Readonly<Record<string, { digest: string; padding?: 'pss'; ecdsa?: boolean }>> = {
  RS256: { digest: 'RSA-SHA256' },
  RS384: { digest: 'RSA-SHA384' },
  RS512: { digest: 'RSA-SHA512' },
  PS256: { digest: 'RSA-SHA256', padding: 'pss' },
  PS384: { digest: 'RSA-SHA384', padding: 'pss' },
  ES256: { digest: 'SHA256', ecdsa: true },
  ES384: { digest: 'SHA384', ecdsa: true },
};

/** Reads PEM public keys or certificates (Kubernetes auth's `pem_keys`). */
export function parsePemKeys(pems: readonly string[]): KeyObject[] {
  return pems.map((pem) => {
    try {
      return createPublicKey(pem);
    } catch {
      throw VaultErrorReply.badRequest('data does not contain any valid RSA or ECDSA public keys');
    }
  });
}

/** What the plugin's `logical.ErrPermissionDenied` renders as: a bare text, not a multierror. */
const LOGIN_DENIED = 'permission denied';

/**
 * Checks a compact JWS against `keys` and returns its claims; 403 `permission denied` when no key
 * verifies it (vault-plugin-auth-kubernetes maps signature failures to permission denied).
 */
export function verifyJwt(jwt: string, keys: readonly KeyObject[]): Record<string, unknown> {
  const [header, payload, signature] = jwt.split('.');
  // OpenBao's kubernetes auth answers every JWT it cannot parse or verify with a bare 403.
  if (header === undefined || payload === undefined || signature === undefined)
    throw VaultErrorReply.forbidden(LOGIN_DENIED);
  const alg = String((decode(header) as { alg?: unknown }).alg);
  const algorithm = ALGORITHMS[alg];
  if (algorithm === undefined) throw VaultErrorReply.forbidden(LOGIN_DENIED);
  const signed = Buffer.from(`${header}.${payload}`);
  const verified = keys.some((key) => {
    const verifier = createVerify(algorithm.digest).update(signed);
    return verifier.verify(
      {
        key,
        ...(algorithm.padding === 'pss'
          ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO }
          : {}),
        ...(algorithm.ecdsa ? { dsaEncoding: 'ieee-p1363' as const } : {}),
      },
      Buffer.from(signature, 'base64url'),
    );
  });
  if (!verified) throw VaultErrorReply.forbidden(LOGIN_DENIED);
  return decode(payload) as Record<string, unknown>;
}

/** Clock skew go-jose allows on `exp`, as OpenBao's kubernetes auth validates it locally. */
const EXP_LEEWAY_S = 60;

/**
 * Checks `exp` and `nbf` (when present) and the audience; 403 with the reason otherwise. As on
 * OpenBao: a JWT expired by more than the leeway is refused by name; one within the leeway goes on
 * to the TokenReview API, which allows no skew, so the login ends in a bare `permission denied`.
 */
export function checkTimeAndAudience(
  claims: Readonly<Record<string, unknown>>,
  audience: string,
  nowMs = Date.now(),
): void {
  const now = Math.floor(nowMs / 1000);
  if (typeof claims.exp === 'number' && claims.exp + EXP_LEEWAY_S < now) {
    throw VaultErrorReply.forbidden('invalid expiration time (exp) claim: token is expired');
  }
  if (typeof claims.exp === 'number' && claims.exp < now) throw VaultErrorReply.forbidden(LOGIN_DENIED);
  if (typeof claims.nbf === 'number' && claims.nbf > now) throw VaultErrorReply.forbidden('token not valid yet (nbf)');
  if (audience === '') return;
  const aud = Array.isArray(claims.aud) ? claims.aud.map(String) : [String(claims.aud ?? '')];
  if (!aud.includes(audience)) throw VaultErrorReply.forbidden('invalid audience (aud) claim');
}

function decode(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw VaultErrorReply.forbidden(LOGIN_DENIED);
  }
}
