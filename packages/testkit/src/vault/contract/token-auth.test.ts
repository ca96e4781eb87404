import { expect, it } from 'vitest';
import { sleepUntil } from './postgres-probe.test-helpers.js';
import { describeEachVaultBackend, vaultFetch } from './vault-backends.test-helpers.js';

const PERMISSION_DENIED = /permission denied/;

describeEachVaultBackend('token auth', ({ vault }) => {
  it('looks up the root token: root policy, no TTL (api-docs/auth/token, lookup-self)', async () => {
    const { status, body } = await vaultFetch(vault(), 'GET', 'auth/token/lookup-self');
    expect(status).toBe(200);
    // What `bao server -dev -dev-root-token-id=…` makes: a root token created through auth/token/create.
    expect(body.data).toMatchObject({
      id: vault().rootToken,
      policies: ['root'],
      ttl: 0,
      expire_time: null,
      display_name: 'token',
      path: 'auth/token/create',
      orphan: true,
      meta: null,
      type: 'service',
    });
    expect(body).toMatchObject({ lease_id: '', renewable: false, lease_duration: 0, wrap_info: null, auth: null });
    expect(typeof body.request_id).toBe('string');
  });

  it('creates a token with an auth block and the default policy added (api-docs/auth/token, create)', async () => {
    const { status, body } = await vaultFetch(vault(), 'POST', 'auth/token/create', {
      body: { policies: ['reader'], ttl: '1h', renewable: true },
    });
    expect(status).toBe(200);
    expect(body.data).toBeNull();
    expect(body.warnings).toEqual(['Policy "reader" does not exist']);
    expect(String((body.auth as { client_token: string }).client_token)).toMatch(/^s\.[A-Za-z0-9]{24}$/);
    expect(Object.keys(body.auth as object)).toEqual([
      'client_token',
      'accessor',
      'policies',
      'token_policies',
      'metadata',
      'lease_duration',
      'renewable',
      'entity_id',
      'token_type',
      'orphan',
      'mfa_requirement',
      'num_uses',
    ]);
    expect(body.auth).toMatchObject({
      policies: ['default', 'reader'],
      token_policies: ['default', 'reader'],
      lease_duration: 3600,
      renewable: true,
      orphan: false,
    });
    const token = String((body.auth as { client_token: string }).client_token);
    const lookup = await vaultFetch(vault(), 'GET', 'auth/token/lookup-self', { token });
    expect(lookup.status).toBe(200);
    expect(lookup.body.data).toMatchObject({
      id: token,
      display_name: 'token',
      path: 'auth/token/create',
      creation_ttl: 3600,
      renewable: true,
    });
    expect(Number((lookup.body.data as { ttl: number }).ttl)).toBeGreaterThan(3590);
  });

  it('renews a token by the increment asked (api-docs/auth/token, renew-self)', async () => {
    const token = await vault().admin.createToken({ ttl: '60s' });
    const { status, body } = await vaultFetch(vault(), 'POST', 'auth/token/renew-self', {
      token,
      body: { increment: '2m' },
    });
    expect(status).toBe(200);
    expect(body.auth).toMatchObject({ client_token: token, lease_duration: 120, renewable: true });
  });

  it('caps a renewal at the explicit max TTL with a warning (api-docs/auth/token, create: explicit_max_ttl)', async () => {
    const token = await vault().admin.createToken({ ttl: '10s', explicitMaxTtl: '20s' });
    const { status, body } = await vaultFetch(vault(), 'POST', 'auth/token/renew-self', {
      token,
      body: { increment: 3600 },
    });
    expect(status).toBe(200);
    const duration = (body.auth as { lease_duration: number }).lease_duration;
    expect(duration).toBeGreaterThanOrEqual(18);
    expect(duration).toBeLessThanOrEqual(20);
    expect(body.warnings).toEqual([
      expect.stringMatching(/^TTL of "1h" exceeded the effective max_ttl of "\d+s"; TTL value is capped accordingly$/),
    ]);
  });

  it('refuses to renew a non-renewable token with 400 (api-docs/auth/token, create: renewable)', async () => {
    const token = await vault().admin.createToken({ ttl: '1h', renewable: false });
    const { status, body } = await vaultFetch(vault(), 'POST', 'auth/token/renew-self', { token, body: {} });
    expect(status).toBe(400);
    expect(body.errors).toEqual(['lease is not renewable']);
  });

  it('revokes itself with 204 and is refused with 403 afterwards (api-docs/auth/token, revoke-self)', async () => {
    const token = await vault().admin.createToken({ ttl: '1h' });
    const revoke = await vaultFetch(vault(), 'POST', 'auth/token/revoke-self', { token });
    expect(revoke.status).toBe(204);
    expect(revoke.text).toBe('');
    const lookup = await vaultFetch(vault(), 'GET', 'auth/token/lookup-self', { token });
    expect(lookup.status).toBe(403);
    expect(String(lookup.body.errors)).toMatch(PERMISSION_DENIED);
  });

  it('answers 403 permission denied without a token or with an unknown one (api-docs/index, authentication)', async () => {
    // OpenBao answers a bare `permission denied` (HashiCorp Vault adds `invalid token` in a multierror).
    const missing = await vaultFetch(vault(), 'GET', 'auth/token/lookup-self', { token: null });
    expect(missing).toMatchObject({ status: 403, body: { errors: ['permission denied'] } });
    const unknown = await vaultFetch(vault(), 'GET', 'auth/token/lookup-self', { token: 's.not-a-real-token' });
    expect(unknown).toMatchObject({ status: 403, body: { errors: ['permission denied'] } });
    const elsewhere = await vaultFetch(vault(), 'GET', 'sys/mounts', { token: 's.not-a-real-token' });
    expect(elsewhere).toMatchObject({ status: 403, body: { errors: ['permission denied'] } });
  });

  it('refuses a token once its TTL has passed (api-docs/auth/token, create: ttl)', async () => {
    const token = await vault().admin.createToken({ ttl: '2s' });
    const lookup = await vaultFetch(vault(), 'GET', 'auth/token/lookup-self', { token });
    expect(lookup.status).toBe(200);
    // Wait by the server's own expiry, not a fixed sleep.
    await sleepUntil(Date.parse(String((lookup.body.data as { expire_time: string }).expire_time)) + 250);
    const after = await vaultFetch(vault(), 'GET', 'auth/token/lookup-self', { token });
    expect(after).toMatchObject({ status: 403, body: { errors: ['permission denied'] } });
  });

  it('does not cap a child token by its parent TTL (token_store.go, handleCreateCommon)', async () => {
    await vault().admin.writePolicy('contract-token-parent', 'path "auth/token/create" { capabilities = ["update"] }');
    const parent = await vault().admin.createToken({ policies: ['contract-token-parent'], ttl: '10m' });
    const { status, body } = await vaultFetch(vault(), 'POST', 'auth/token/create', {
      token: parent,
      body: { ttl: '1h', policies: ['contract-token-parent'] },
    });
    expect(status).toBe(200);
    expect(body.auth).toMatchObject({ lease_duration: 3600, orphan: false });
  });

  it('keeps a lease per token that sys/leases/renew refuses with 400 (vault/expiration.go, Renew)', async () => {
    const token = await vault().admin.createToken({ ttl: '10m' });
    const self = await vaultFetch(vault(), 'GET', 'auth/token/lookup-self', { token });
    const issued = String((self.body.data as { issue_time: string }).issue_time);
    // The lease id is the creation path and the salted token id: find ours by its issue time.
    const listed = await vaultFetch(vault(), 'LIST', 'sys/leases/lookup/auth/token/create');
    expect(listed.status).toBe(200);
    let leaseId: string | undefined;
    for (const key of (listed.body.data as { keys: string[] }).keys) {
      const lookup = await vaultFetch(vault(), 'PUT', 'sys/leases/lookup', {
        body: { lease_id: `auth/token/create/${key}` },
      });
      if ((lookup.body.data as { issue_time?: string }).issue_time === issued) leaseId = `auth/token/create/${key}`;
    }
    expect(leaseId).toMatch(/^auth\/token\/create\/h[0-9a-f]{64}$/);
    const lookup = await vaultFetch(vault(), 'PUT', 'sys/leases/lookup', { body: { lease_id: leaseId } });
    expect(lookup.body.data).toMatchObject({ path: 'auth/token/create', renewable: true });
    const renew = await vaultFetch(vault(), 'PUT', 'sys/leases/renew', { body: { lease_id: leaseId } });
    expect(renew).toMatchObject({ status: 400, body: { errors: ['tokens cannot be renewed through this endpoint'] } });
    const revoke = await vaultFetch(vault(), 'PUT', 'sys/leases/revoke', { body: { lease_id: leaseId } });
    expect(revoke.status).toBe(204);
    expect((await vaultFetch(vault(), 'GET', 'auth/token/lookup-self', { token })).status).toBe(403);
  });

  it('looks up, renews and revokes another token by the token parameter (api-docs/auth/token)', async () => {
    const own = await vaultFetch(vault(), 'POST', 'auth/token/lookup', { body: {} });
    expect(own.status).toBe(200);
    expect((own.body.data as { id: string }).id).toBe(vault().rootToken);
    const bad = await vaultFetch(vault(), 'POST', 'auth/token/lookup', { body: { token: 's.not-a-real-token' } });
    expect(bad).toMatchObject({ status: 403, body: { errors: ['bad token'] } });
    const renewUnknown = await vaultFetch(vault(), 'POST', 'auth/token/renew', {
      body: { token: 's.not-a-real-token' },
    });
    expect(renewUnknown).toMatchObject({ status: 400, body: { errors: ['token not found'] } });
    const renewNone = await vaultFetch(vault(), 'POST', 'auth/token/renew', { body: {} });
    expect(renewNone).toMatchObject({ status: 400, body: { errors: ['missing token ID'] } });
    const revokeUnknown = await vaultFetch(vault(), 'POST', 'auth/token/revoke', {
      body: { token: 's.not-a-real-token' },
    });
    expect(revokeUnknown.status).toBe(204);
  });

  it("gives a root token's child no default policy (token_store.go, handleCreateCommon)", async () => {
    const { status, body } = await vaultFetch(vault(), 'POST', 'auth/token/create', { body: { ttl: '1h' } });
    expect(status).toBe(200);
    expect(body.auth).toMatchObject({ policies: ['root'], token_policies: ['root'] });
    expect(body.warnings).toBeNull();
  });
});
