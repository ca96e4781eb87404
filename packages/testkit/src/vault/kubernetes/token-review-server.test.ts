import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServiceAccountJwtSigner } from '../service-account-jwt.js';
import { startTestKubernetesCluster, type TestKubernetesCluster } from './test-kubernetes-cluster.js';
import { TOKEN_REVIEW_PATH } from './token-review-server.js';

let cluster: TestKubernetesCluster;

beforeAll(async () => {
  cluster = await startTestKubernetesCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

/** A request to the API server over TLS, trusting only its CA (as Vault does with kubernetes_ca_cert). */
function call(
  options: { readonly bearer?: string; readonly body?: unknown; readonly method?: string; readonly path?: string } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const url = new URL(options.path ?? TOKEN_REVIEW_PATH, cluster.apiUrl);
    const outgoing = request(
      url,
      {
        method: options.method ?? 'POST',
        ca: cluster.caCertPem,
        headers: {
          'Content-Type': 'application/json',
          ...(options.bearer === undefined ? {} : { Authorization: `Bearer ${options.bearer}` }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body === undefined ? undefined : JSON.stringify(options.body));
  });
}

const review = (token: string, audiences?: readonly string[]) =>
  call({
    bearer: cluster.tokenReviewerJwt,
    body: { spec: { token, ...(audiences === undefined ? {} : { audiences }) } },
  });

describe('TokenReview endpoint', () => {
  it('authenticates a token it issued as the service account, with groups and the audiences granted', async () => {
    const jwt = cluster.signer.mint({ serviceAccount: 'app', namespace: 'team' });
    const { status, body } = await review(jwt, ['https://kubernetes.default.svc.cluster.local', 'other']);
    expect(status).toBe(201);
    expect(body).toMatchObject({
      kind: 'TokenReview',
      apiVersion: 'authentication.k8s.io/v1',
      status: {
        authenticated: true,
        user: {
          username: 'system:serviceaccount:team:app',
          uid: cluster.signer.serviceAccountUid('team', 'app'),
          groups: ['system:serviceaccounts', 'system:serviceaccounts:team', 'system:authenticated'],
        },
        audiences: ['https://kubernetes.default.svc.cluster.local'],
      },
    });
  });

  it('does not authenticate a token of another signer, an expired one, or one for other audiences', async () => {
    const forged = ServiceAccountJwtSigner.generate().mint({ serviceAccount: 'app', namespace: 'team' });
    const expired = cluster.signer.mint({ serviceAccount: 'app', namespace: 'team', ttlSeconds: -1 });
    const elsewhere = cluster.signer.mint({ serviceAccount: 'app', namespace: 'team', audience: 'vault' });
    for (const [token, error] of [
      [forged, /cryptographic primitive/],
      [expired, /has expired/],
      [elsewhere, /invalid for the target audiences/],
    ] as const) {
      const { status, body } = await review(token);
      expect(status).toBe(201);
      expect(body.status).toEqual({ user: {}, error: expect.stringMatching(error) });
    }
    // A token that asks for its own audience is valid for it.
    expect((await review(elsewhere, ['vault'])).body.status).toMatchObject({
      authenticated: true,
      audiences: ['vault'],
    });
    expect((await review('not-a-jwt')).body.status).toEqual({ user: {} });
  });

  it('answers 401 without a valid bearer token and 403 to a caller that may not review tokens', async () => {
    const token = cluster.signer.mint({ serviceAccount: 'app', namespace: 'team' });
    expect(await call({ body: { spec: { token } } })).toMatchObject({
      status: 401,
      body: { kind: 'Status', status: 'Failure', reason: 'Unauthorized', code: 401 },
    });
    const forged = ServiceAccountJwtSigner.generate().mint({ serviceAccount: 'vault-auth', namespace: 'kube-system' });
    expect((await call({ bearer: forged, body: { spec: { token } } })).status).toBe(401);
    expect(await call({ bearer: token, body: { spec: { token } } })).toMatchObject({
      status: 403,
      body: {
        reason: 'Forbidden',
        message: expect.stringContaining('User "system:serviceaccount:team:app" cannot create'),
      },
    });
  });

  it('answers 400 for a review without a token, 404 elsewhere and 405 for other methods', async () => {
    expect(await call({ bearer: cluster.tokenReviewerJwt, body: { spec: {} } })).toMatchObject({
      status: 400,
      body: { reason: 'BadRequest', message: 'token is required for TokenReview in authentication' },
    });
    expect((await call({ bearer: cluster.tokenReviewerJwt, path: '/api/v1/namespaces' })).status).toBe(404);
    expect((await call({ bearer: cluster.tokenReviewerJwt, method: 'GET' })).status).toBe(405);
  });

  it('keeps a record of the reviews, without the tokens', () => {
    expect(cluster.reviews().length).toBeGreaterThanOrEqual(5);
    expect(JSON.stringify(cluster.reviews())).not.toContain(cluster.tokenReviewerJwt.split('.')[2]);
  });
});
