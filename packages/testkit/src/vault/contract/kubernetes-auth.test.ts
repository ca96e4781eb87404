import { afterAll, beforeAll, expect, it } from 'vitest';
import { VaultBackendUnsupportedError } from '../../errors.js';
import { ServiceAccountJwtSigner } from '../service-account-jwt.js';
import type { KubernetesAuth } from '../test-vault.js';
import { HttpVaultAdmin } from '../vault-admin.js';
import { describeEachVaultBackend, vaultFetch } from './vault-backends.test-helpers.js';

const ROLE = {
  role: 'contract-app',
  boundServiceAccountNames: ['app'],
  boundServiceAccountNamespaces: ['team'],
  policies: ['k8s-reader'],
  tokenTtl: 600,
  tokenMaxTtl: 1200,
};

/** The service account's UID as the JWT carries it (projected `kubernetes.io` claims). */
function uidOf(jwt: string): string {
  const claims = JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
    'kubernetes.io': { serviceaccount: { uid: string } };
  };
  return claims['kubernetes.io'].serviceaccount.uid;
}

describeEachVaultBackend('kubernetes auth', ({ backend, vault }) => {
  // The dev server checks JWTs with pem_keys; a real Vault asks the testkit's TokenReview endpoint,
  // which it must reach on this machine's loopback (OpenBao started here, an env Vault on loopback).
  let unsupported: string | undefined;
  let kubernetes: KubernetesAuth | undefined;
  const auth = () => kubernetes as KubernetesAuth;
  const login = (body: Record<string, unknown>) =>
    vaultFetch(vault(), 'POST', 'auth/kubernetes/login', { token: null, body });
  /** TokenReviews the "API server" answered; undefined on the dev server, which calls none. */
  const reviews = () => {
    const admin = vault().admin;
    return admin instanceof HttpVaultAdmin ? admin.kubernetesCluster?.reviews() : undefined;
  };
  const skipUnsupported = (skip: (note: string) => void) => {
    if (unsupported !== undefined) skip(unsupported);
  };

  beforeAll(async () => {
    try {
      kubernetes = await vault().admin.enableKubernetesAuth(ROLE);
    } catch (error) {
      if (!(error instanceof VaultBackendUnsupportedError)) throw error;
      unsupported = error.message;
      return;
    }
    await vault().admin.configureDatabase();
    await vault().admin.writeDatabaseRole('k8s-app', {
      creationStatements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`],
      defaultTtl: 60,
      maxTtl: 60,
    });
    await vault().admin.writePolicy('k8s-reader', 'path "database/creds/k8s-app" { capabilities = ["read"] }');
  });
  afterAll(async () => {
    const admin = vault().admin;
    if (admin instanceof HttpVaultAdmin) await admin.close();
  });

  it('logs a service account in with an auth block (api-docs/auth/kubernetes, login)', async (ctx) => {
    skipUnsupported(ctx.skip);
    const jwt = auth().mintJwt({ serviceAccount: 'app', namespace: 'team' });
    const { status, body } = await login({ role: 'contract-app', jwt });
    expect(status).toBe(200);
    expect(body).toMatchObject({ data: null, lease_id: '', renewable: false, lease_duration: 0 });
    expect(body.auth).toMatchObject({
      policies: ['default', 'k8s-reader'],
      token_policies: ['default', 'k8s-reader'],
      lease_duration: 600,
      renewable: true,
      orphan: true,
      token_type: 'service',
      metadata: {
        role: 'contract-app',
        service_account_name: 'app',
        service_account_namespace: 'team',
        service_account_uid: uidOf(jwt),
      },
    });
    const token = String((body.auth as { client_token: string }).client_token);
    const lookup = await vaultFetch(vault(), 'GET', 'auth/token/lookup-self', { token });
    expect(lookup.body.data).toMatchObject({ display_name: 'kubernetes-team-app', path: 'auth/kubernetes/login' });
    if (backend !== 'dev-server') {
      // Real Vault asked the API server, sending the token's own audiences (path_login.go, lookup).
      expect(reviews()?.at(-1)).toMatchObject({
        authenticated: true,
        username: 'system:serviceaccount:team:app',
        requestedAudiences: ['https://kubernetes.default.svc.cluster.local'],
      });
    }
  });

  it('asks the TokenReview API on every login, as the token reviewer (path_login.go, lookup)', async (ctx) => {
    skipUnsupported(ctx.skip);
    if (backend === 'dev-server')
      return ctx.skip('the dev server checks JWTs with pem_keys and calls no Kubernetes API');
    const before = reviews()?.length ?? 0;
    for (const serviceAccount of ['app', 'app']) {
      const { status } = await login({
        role: 'contract-app',
        jwt: auth().mintJwt({ serviceAccount, namespace: 'team' }),
      });
      expect(status).toBe(200);
    }
    expect(reviews()?.slice(before)).toMatchObject([
      { authenticated: true, username: 'system:serviceaccount:team:app' },
      { authenticated: true, username: 'system:serviceaccount:team:app' },
    ]);
  });

  it('names database users after the login (api-docs/secret/databases, generate credentials)', async (ctx) => {
    skipUnsupported(ctx.skip);
    const { body } = await login({
      role: 'contract-app',
      jwt: auth().mintJwt({ serviceAccount: 'app', namespace: 'team' }),
    });
    const token = String((body.auth as { client_token: string }).client_token);
    const creds = await vaultFetch(vault(), 'GET', 'database/creds/k8s-app', { token });
    expect(creds.status).toBe(200);
    expect((creds.body.data as { username: string }).username).toMatch(/^v-kubernet-k8s-app-[A-Za-z0-9]{20}-\d{10}$/);
  });

  it('refuses an unbound namespace or service account with 403 (api-docs/auth/kubernetes, create role)', async (ctx) => {
    skipUnsupported(ctx.skip);
    const reviewed = reviews()?.length;
    const otherNamespace = await login({
      role: 'contract-app',
      jwt: auth().mintJwt({ serviceAccount: 'app', namespace: 'other' }),
    });
    expect(otherNamespace).toMatchObject({ status: 403, body: { errors: ['namespace not authorized'] } });
    const otherAccount = await login({
      role: 'contract-app',
      jwt: auth().mintJwt({ serviceAccount: 'intruder', namespace: 'team' }),
    });
    expect(otherAccount).toMatchObject({ status: 403, body: { errors: ['service account name not authorized'] } });
    // The bindings are checked on the JWT's claims before any TokenReview (parseAndValidateJWT).
    expect(reviews()?.length).toBe(reviewed);
  });

  it('refuses a JWT signed by another key or expired with 403 (api-docs/auth/kubernetes, login)', async (ctx) => {
    skipUnsupported(ctx.skip);
    const forged = ServiceAccountJwtSigner.generate().mint({ serviceAccount: 'app', namespace: 'team' });
    const bad = await login({ role: 'contract-app', jwt: forged });
    expect(bad.status).toBe(403);
    expect(String(bad.body.errors)).toMatch(/permission denied/);
    if (backend !== 'dev-server') {
      expect(reviews()?.at(-1)).toMatchObject({ authenticated: false, error: expect.stringMatching(/cryptographic/) });
    }
    // Vault allows some clock skew on exp itself (go-jose's leeway); the API server allows none.
    const justExpired = await login({
      role: 'contract-app',
      jwt: auth().mintJwt({ serviceAccount: 'app', namespace: 'team', ttlSeconds: -5 }),
    });
    expect(justExpired.status).toBe(403);
    expect(justExpired.body).toEqual({ errors: ['permission denied'] });
    if (backend !== 'dev-server') {
      expect(reviews()?.at(-1)).toMatchObject({ authenticated: false, error: expect.stringMatching(/expired/) });
    }
    const reviewedBefore = reviews()?.length;
    const longExpired = await login({
      role: 'contract-app',
      jwt: auth().mintJwt({ serviceAccount: 'app', namespace: 'team', ttlSeconds: -3600 }),
    });
    expect(longExpired.status).toBe(403);
    expect(longExpired.body).toEqual({ errors: ['invalid expiration time (exp) claim: token is expired'] });
    expect(reviews()?.length).toBe(reviewedBefore);
  });

  it('refuses a jwt that is not a JWT with 403, before any TokenReview (api-docs/auth/kubernetes, login)', async (ctx) => {
    skipUnsupported(ctx.skip);
    const reviewed = reviews()?.length;
    const garbage = await login({ role: 'contract-app', jwt: 'not.a.jwt' });
    expect(garbage.status).toBe(403);
    expect(garbage.body).toEqual({ errors: ['permission denied'] });
    expect(reviews()?.length).toBe(reviewed);
  });

  it('answers 400 for a missing jwt or an unknown role (api-docs/auth/kubernetes, login)', async (ctx) => {
    skipUnsupported(ctx.skip);
    expect(await login({ role: 'contract-app' })).toMatchObject({ status: 400, body: { errors: ['missing jwt'] } });
    const unknown = await login({ role: 'nope', jwt: auth().mintJwt({ serviceAccount: 'app', namespace: 'team' }) });
    expect(unknown).toMatchObject({ status: 400, body: { errors: ['invalid role name "nope"'] } });
  });

  it('renews the login token up to token_max_ttl (api-docs/auth/kubernetes, token_max_ttl)', async (ctx) => {
    skipUnsupported(ctx.skip);
    const { body } = await login({
      role: 'contract-app',
      jwt: auth().mintJwt({ serviceAccount: 'app', namespace: 'team' }),
    });
    const token = String((body.auth as { client_token: string }).client_token);
    const renewed = await vaultFetch(vault(), 'POST', 'auth/token/renew-self', { token, body: { increment: 7200 } });
    expect(renewed.status).toBe(200);
    const duration = (renewed.body.auth as { lease_duration: number }).lease_duration;
    expect(duration).toBeGreaterThanOrEqual(1198);
    expect(duration).toBeLessThanOrEqual(1200);
    expect(String(renewed.body.warnings)).toMatch(/exceeded the effective max_ttl/);
  });
});
