import { beforeAll, expect, it } from 'vitest';
import { ServiceAccountJwtSigner } from '../service-account-jwt.js';
import type { KubernetesAuth } from '../test-vault.js';
import { describeEachVaultBackend, vaultFetch } from './vault-backends.test-helpers.js';

const ROLE = {
  role: 'contract-app',
  boundServiceAccountNames: ['app'],
  boundServiceAccountNamespaces: ['team'],
  policies: ['k8s-reader'],
  tokenTtl: 600,
  tokenMaxTtl: 1200,
};

describeEachVaultBackend('kubernetes auth', ({ backend, vault }) => {
  // Real Vault checks service-account tokens with the Kubernetes TokenReview API; no cluster runs here.
  const realVault = backend !== 'dev-server';
  const skipReason = realVault ? ' (dev server only: needs a Kubernetes API)' : '';
  let kubernetes: KubernetesAuth | undefined;
  const auth = () => kubernetes as KubernetesAuth;
  const login = (body: Record<string, unknown>) =>
    vaultFetch(vault(), 'POST', 'auth/kubernetes/login', { token: null, body });

  beforeAll(async () => {
    if (realVault) return;
    kubernetes = await vault().admin.enableKubernetesAuth(ROLE);
    await vault().admin.configureDatabase();
    await vault().admin.writeDatabaseRole('k8s-app', {
      creationStatements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`],
      defaultTtl: 60,
      maxTtl: 60,
    });
    await vault().admin.writePolicy('k8s-reader', 'path "database/creds/k8s-app" { capabilities = ["read"] }');
  });

  it.skipIf(!realVault)('is refused by the admin helper with a TestkitError saying why', async () => {
    await expect(vault().admin.enableKubernetesAuth(ROLE)).rejects.toMatchObject({
      code: 'TESTKIT_VAULT_UNSUPPORTED',
      message: expect.stringMatching(/TokenReview/),
    });
  });

  it.skipIf(realVault)(
    `logs a service account in with an auth block (api-docs/auth/kubernetes, login)${skipReason}`,
    async () => {
      const { status, body } = await login({
        role: 'contract-app',
        jwt: auth().mintJwt({ serviceAccount: 'app', namespace: 'team' }),
      });
      expect(status).toBe(200);
      expect(body).toMatchObject({ data: null, mount_type: 'kubernetes' });
      expect(body.auth).toMatchObject({
        policies: ['default', 'k8s-reader'],
        token_policies: ['default', 'k8s-reader'],
        lease_duration: 600,
        renewable: true,
        orphan: true,
        token_type: 'service',
        metadata: { role: 'contract-app', service_account_name: 'app', service_account_namespace: 'team' },
      });
      const token = String((body.auth as { client_token: string }).client_token);
      const lookup = await vaultFetch(vault(), 'GET', 'auth/token/lookup-self', { token });
      expect(lookup.body.data).toMatchObject({ display_name: 'kubernetes-team-app', path: 'auth/kubernetes/login' });
    },
  );

  it.skipIf(realVault)(
    `names database users after the login (api-docs/secret/databases, generate credentials)${skipReason}`,
    async () => {
      const { body } = await login({
        role: 'contract-app',
        jwt: auth().mintJwt({ serviceAccount: 'app', namespace: 'team' }),
      });
      const token = String((body.auth as { client_token: string }).client_token);
      const creds = await vaultFetch(vault(), 'GET', 'database/creds/k8s-app', { token });
      expect(creds.status).toBe(200);
      expect((creds.body.data as { username: string }).username).toMatch(/^v-kubernet-k8s-app-[A-Za-z0-9]{20}-\d{10}$/);
    },
  );

  it.skipIf(realVault)(
    `refuses an unbound namespace or service account with 403 (api-docs/auth/kubernetes, create role)${skipReason}`,
    async () => {
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
    },
  );

  it.skipIf(realVault)(
    `refuses a JWT signed by another key or expired with 403 (api-docs/auth/kubernetes, pem_keys)${skipReason}`,
    async () => {
      const forged = ServiceAccountJwtSigner.generate().mint({ serviceAccount: 'app', namespace: 'team' });
      const bad = await login({ role: 'contract-app', jwt: forged });
      expect(bad.status).toBe(403);
      expect(String(bad.body.errors)).toMatch(/permission denied/);
      const expired = await login({
        role: 'contract-app',
        jwt: auth().mintJwt({ serviceAccount: 'app', namespace: 'team', ttlSeconds: -60 }),
      });
      expect(expired.status).toBe(403);
    },
  );

  it.skipIf(realVault)(
    `answers 400 for a missing jwt or an unknown role (api-docs/auth/kubernetes, login)${skipReason}`,
    async () => {
      expect(await login({ role: 'contract-app' })).toMatchObject({ status: 400, body: { errors: ['missing jwt'] } });
      const unknown = await login({ role: 'nope', jwt: auth().mintJwt({ serviceAccount: 'app', namespace: 'team' }) });
      expect(unknown).toMatchObject({ status: 400, body: { errors: ['invalid role name "nope"'] } });
    },
  );

  it.skipIf(realVault)(
    `renews the login token up to token_max_ttl (api-docs/auth/kubernetes, token_max_ttl)${skipReason}`,
    async () => {
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
    },
  );
});
