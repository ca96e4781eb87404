import { createSign, generateKeyPairSync, type KeyObject, randomUUID } from 'node:crypto';
import { recordMintedJwt } from './issued-secrets-in-process.js';

/** The issuer a projected Kubernetes service-account token carries. */
export const KUBERNETES_ISSUER = 'https://kubernetes.default.svc.cluster.local';

/** Claims of a service-account JWT to mint. */
export interface ServiceAccountClaims {
  readonly serviceAccount: string;
  readonly namespace: string;
  /** Lifetime in seconds, default 3600. */
  readonly ttlSeconds?: number;
  readonly audience?: string;
}

/**
 * An RS256 key pair standing in for a Kubernetes cluster's service-account signing key: the public
 * half goes to Vault as `pem_keys` (or to the testkit's TokenReview endpoint), the private half
 * mints projected service-account tokens. Each service account keeps one UID for the signer's
 * life, as a ServiceAccount object does in a cluster: Vault compares the token's UID with the one
 * TokenReview answers and names its entity alias after it.
 *
 * @example
 * const signer = ServiceAccountJwtSigner.generate();
 * const jwt = signer.mint({ serviceAccount: 'app', namespace: 'team' });
 */
export class ServiceAccountJwtSigner {
  readonly #privateKey: KeyObject;
  readonly #uids = new Map<string, string>();
  readonly publicKeyPem: string;

  private constructor(privateKey: KeyObject, publicKeyPem: string) {
    this.#privateKey = privateKey;
    this.publicKeyPem = publicKeyPem;
  }

  static generate(): ServiceAccountJwtSigner {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    return new ServiceAccountJwtSigner(privateKey, publicKey.export({ type: 'spki', format: 'pem' }).toString());
  }

  /** The UID of a service account of this "cluster", made on first use. */
  serviceAccountUid(namespace: string, serviceAccount: string): string {
    const key = `${namespace}/${serviceAccount}`;
    let uid = this.#uids.get(key);
    if (uid === undefined) {
      uid = randomUUID();
      this.#uids.set(key, uid);
    }
    return uid;
  }

  mint(claims: ServiceAccountClaims): string {
    const now = Math.floor(Date.now() / 1000);
    const payload = {
      aud: [claims.audience ?? KUBERNETES_ISSUER],
      exp: now + (claims.ttlSeconds ?? 3600),
      iat: now,
      nbf: now,
      iss: KUBERNETES_ISSUER,
      jti: randomUUID(),
      sub: `system:serviceaccount:${claims.namespace}:${claims.serviceAccount}`,
      'kubernetes.io': {
        namespace: claims.namespace,
        serviceaccount: {
          name: claims.serviceAccount,
          uid: this.serviceAccountUid(claims.namespace, claims.serviceAccount),
        },
      },
    };
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const signingInput = `${encode({ alg: 'RS256', typ: 'JWT', kid: 'dev-server' })}.${encode(payload)}`;
    const signature = createSign('RSA-SHA256').update(signingInput).sign(this.#privateKey).toString('base64url');
    const jwt = `${signingInput}.${signature}`;
    recordMintedJwt(jwt);
    return jwt;
  }
}
