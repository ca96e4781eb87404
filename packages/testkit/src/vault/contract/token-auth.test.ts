import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { describeEachVaultBackend, vaultFetch } from './vault-backends.test-helpers.js';

const PERMISSION_DENIED = /permission denied/;

describeEachVaultBackend('token auth', ({ vault }) => {
  it('looks up the root token: root policy, no TTL (api-docs/auth/token, lookup-self)', async () => {
    const { status, body } = await vaultFetch(vault(), 'GET', 'auth/token/lookup-self');
    expect(status).toBe(200);
    expect(body.data).toMatchObject({ id: vault().rootToken, policies: ['root'], ttl: 0, expire_time: null });
    expect(body).toMatchObject({ lease_id: '', renewable: false, lease_duration: 0, wrap_info: null, auth: null });
    expect(typeof body.request_id).toBe('string');
  });

  it('creates a token with an auth block and the default policy added (api-docs/auth/token, create)', async () => {
    const { status, body } = await vaultFetch(vault(), 'POST', 'auth/token/create', {
      body: { policies: ['reader'], ttl: '1h', renewable: true },
    });
    expect(status).toBe(200);
    expect(body.data).toBeNull();
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
    const missing = await vaultFetch(vault(), 'GET', 'auth/token/lookup-self', { token: null });
    expect(missing.status).toBe(403);
    expect(String(missing.body.errors)).toMatch(PERMISSION_DENIED);
    const unknown = await vaultFetch(vault(), 'GET', 'auth/token/lookup-self', { token: 'hvs.not-a-real-token' });
    expect(unknown.status).toBe(403);
    expect(unknown.body.errors).toEqual(['2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n']);
  });

  it('refuses a token once its TTL has passed (api-docs/auth/token, create: ttl)', async () => {
    const token = await vault().admin.createToken({ ttl: '1s' });
    expect((await vaultFetch(vault(), 'GET', 'auth/token/lookup-self', { token })).status).toBe(200);
    await sleep(2_100);
    const after = await vaultFetch(vault(), 'GET', 'auth/token/lookup-self', { token });
    expect(after.status).toBe(403);
  });
});
