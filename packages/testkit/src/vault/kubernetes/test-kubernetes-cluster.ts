import { ServiceAccountJwtSigner } from '../service-account-jwt.js';
import { loopbackCertificate } from './loopback-certificate.js';
import { ServiceAccountTokenAuthenticator } from './service-account-token-authenticator.js';
import { startTokenReviewServer, type TokenReviewRecord } from './token-review-server.js';

/** The service account Vault reviews tokens as (`token_reviewer_jwt`), bound to `system:auth-delegator`. */
export const TOKEN_REVIEWER = { namespace: 'kube-system', serviceAccount: 'vault-auth' } as const;

/** Lifetime of the reviewer's token: longer than any test file runs. */
const REVIEWER_TOKEN_TTL_SECONDS = 24 * 3600;

/** What a real Vault needs of a Kubernetes cluster to log service accounts in. */
export interface TestKubernetesCluster {
  /** Mints the service-account tokens this cluster's API server accepts. */
  readonly signer: ServiceAccountJwtSigner;
  /** Base URL of its API server (only TokenReview is served): `kubernetes_host`. */
  readonly apiUrl: string;
  /** `kubernetes_ca_cert`. */
  readonly caCertPem: string;
  /** A token of {@link TOKEN_REVIEWER}: `token_reviewer_jwt`. */
  readonly tokenReviewerJwt: string;
  /** TokenReviews the API server answered, oldest first. */
  reviews(): readonly TokenReviewRecord[];
  stop(): Promise<void>;
}

/**
 * Starts the part of a Kubernetes cluster that Vault's Kubernetes auth calls: a service-account
 * signing key and an HTTPS API server that answers TokenReviews for the tokens it signs.
 *
 * @example
 * const cluster = await startTestKubernetesCluster();
 * // POST auth/kubernetes/config { kubernetes_host: cluster.apiUrl, kubernetes_ca_cert: cluster.caCertPem,
 * //   token_reviewer_jwt: cluster.tokenReviewerJwt, disable_local_ca_jwt: true }
 * const jwt = cluster.signer.mint({ serviceAccount: 'app', namespace: 'team' });
 * await cluster.stop();
 */
export async function startTestKubernetesCluster(
  options: { readonly host?: string } = {},
): Promise<TestKubernetesCluster> {
  const signer = ServiceAccountJwtSigner.generate();
  const server = await startTokenReviewServer({
    authenticator: new ServiceAccountTokenAuthenticator({ publicKeyPem: signer.publicKeyPem }),
    reviewers: [`system:serviceaccount:${TOKEN_REVIEWER.namespace}:${TOKEN_REVIEWER.serviceAccount}`],
    certificate: await loopbackCertificate(),
    ...(options.host === undefined ? {} : { host: options.host }),
  });
  return {
    signer,
    apiUrl: server.url,
    caCertPem: server.caCertPem,
    tokenReviewerJwt: signer.mint({ ...TOKEN_REVIEWER, ttlSeconds: REVIEWER_TOKEN_TTL_SECONDS }),
    reviews: () => server.reviews(),
    stop: () => server.stop(),
  };
}
