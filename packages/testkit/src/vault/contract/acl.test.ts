import { beforeAll, expect, it } from 'vitest';
import { describeEachVaultBackend, vaultFetch } from './vault-backends.test-helpers.js';

const POLICY = `
# readers of one application's secrets
path "contract-acl/data/app/*" {
  capabilities = ["read"]
}
path "contract-acl/data/+/shared" { capabilities = ["read", "list"] }
path "contract-acl/data/app/forbidden" { capabilities = ["deny"] }
`;

describeEachVaultBackend('ACL policies', ({ vault }) => {
  let token = '';

  beforeAll(async () => {
    await vault().admin.enableKv('contract-acl', 2);
    for (const path of ['app/db', 'app/forbidden', 'other/db', 'team/shared']) {
      await vault().admin.writeKv('contract-acl', path, { value: path });
    }
    await vault().admin.writePolicy('contract-reader', POLICY);
    token = await vault().admin.createToken({ policies: ['contract-reader'], ttl: '1h' });
  });

  it('stores the policy text (api-docs/system/policies, read ACL policy)', async () => {
    const { status, body } = await vaultFetch(vault(), 'GET', 'sys/policies/acl/contract-reader');
    expect(status).toBe(200);
    expect(body.data).toMatchObject({
      allow_slashes_in_identity_templates: false,
      allow_wildcards_in_identity_templates: false,
      cas_required: false,
      name: 'contract-reader',
      policy: POLICY,
      version: 1,
    });
    expect(Date.parse(String((body.data as { modified: string }).modified))).toBeGreaterThan(0);
    const legacy = await vaultFetch(vault(), 'GET', 'sys/policy/contract-reader');
    // sys/policy/* repeats its data at the top level (internal/http/handler.go, injectDataIntoTopRoutes).
    expect(legacy.body).toMatchObject({ name: 'contract-reader', rules: POLICY, data: { rules: POLICY } });
    const root = await vaultFetch(vault(), 'GET', 'sys/policies/acl/root');
    expect(root.body.data).toEqual({
      allow_slashes_in_identity_templates: false,
      allow_wildcards_in_identity_templates: false,
      cas_required: false,
      name: 'root',
      policy: '',
      version: 0,
    });
  });

  it("serves OpenBao's default policy text (vault/policy_store.go)", async () => {
    const { body } = await vaultFetch(vault(), 'GET', 'sys/policies/acl/default');
    const text = String((body.data as { policy: string }).policy);
    expect(text.startsWith('\n# Allow tokens to look up their own properties\npath "auth/token/lookup-self" {')).toBe(
      true,
    );
    expect(text).toContain('path "sys/leases/lookup" {\n    capabilities = ["update"]\n}');
    expect(text).not.toContain('"sys/renew"');
    expect(
      text.endsWith('path "identity/oidc/provider/+/authorize" {\n    capabilities = ["read", "update"]\n}\n'),
    ).toBe(true);
  });

  it('answers unknown paths and methods with go-multierror texts (vault/router.go)', async () => {
    const path = await vaultFetch(vault(), 'GET', 'sys/no-such-endpoint');
    expect(path).toMatchObject({ status: 404, body: { errors: ['1 error occurred:\n\t* unsupported path\n\n'] } });
    const operation = await vaultFetch(vault(), 'GET', 'sys/leases/lookup');
    expect(operation).toMatchObject({
      status: 405,
      body: { errors: ['1 error occurred:\n\t* unsupported operation\n\n'] },
    });
    const health = await vaultFetch(vault(), 'DELETE', 'sys/health');
    expect(health).toMatchObject({ status: 405, body: { errors: [] } });
    const mount = await vaultFetch(vault(), 'GET', 'no-such-mount/x');
    expect(mount).toMatchObject({
      status: 404,
      body: { errors: ['no handler for route "no-such-mount/x". route entry not found.'] },
    });
  });

  it('grants a path matched by a * glob (docs/concepts/policies, policy syntax)', async () => {
    const { status, body } = await vaultFetch(vault(), 'GET', 'contract-acl/data/app/db', { token });
    expect(status).toBe(200);
    expect((body.data as { data: unknown }).data).toEqual({ value: 'app/db' });
  });

  it('grants a path matched by a + segment wildcard (docs/concepts/policies, policy syntax)', async () => {
    const { status } = await vaultFetch(vault(), 'GET', 'contract-acl/data/team/shared', { token });
    expect(status).toBe(200);
  });

  it('answers 403 permission denied for a path no policy grants (docs/concepts/policies)', async () => {
    const { status, body } = await vaultFetch(vault(), 'GET', 'contract-acl/data/other/db', { token });
    expect(status).toBe(403);
    expect(body.errors).toEqual(['1 error occurred:\n\t* permission denied\n\n']);
  });

  it('answers 403 for a capability the policy lacks (docs/concepts/policies, capabilities)', async () => {
    const { status } = await vaultFetch(vault(), 'POST', 'contract-acl/data/app/db', {
      token,
      body: { data: { value: 'x' } },
    });
    expect(status).toBe(403);
  });

  it('lets deny on a more specific path win (docs/concepts/policies, priority matching)', async () => {
    const { status } = await vaultFetch(vault(), 'GET', 'contract-acl/data/app/forbidden', { token });
    expect(status).toBe(403);
  });

  it('lets every token look itself up through the default policy (docs/concepts/policies, default policy)', async () => {
    const { status } = await vaultFetch(vault(), 'GET', 'auth/token/lookup-self', { token });
    expect(status).toBe(200);
  });

  it('refuses the mount preflight for a mount the token cannot reach (api-docs/system/internal-ui-mounts)', async () => {
    await vault().admin.enableKv('contract-acl-hidden', 2);
    const { status, body } = await vaultFetch(vault(), 'GET', 'sys/internal/ui/mounts/contract-acl-hidden/x', {
      token,
    });
    expect(status).toBe(403);
    expect(String(body.errors)).toMatch(/preflight capability check returned 403/);
    const allowed = await vaultFetch(vault(), 'GET', 'sys/internal/ui/mounts/contract-acl/app/db', { token });
    expect(allowed.status).toBe(200);
  });
});
