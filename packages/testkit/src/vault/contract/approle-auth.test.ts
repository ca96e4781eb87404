import { beforeAll, expect, it } from 'vitest';
import { describeEachVaultBackend, ENVELOPE_KEYS, GO_UUID, vaultFetch } from './vault-backends.test-helpers.js';

describeEachVaultBackend('approle auth', ({ vault }) => {
  let roleId = '';
  let secretId = '';
  const login = (body: Record<string, unknown>) =>
    vaultFetch(vault(), 'POST', 'auth/approle/login', { token: null, body });
  const newSecretId = async (role = 'contract-service') => {
    const read = await vaultFetch(vault(), 'GET', `auth/approle/role/${role}/role-id`);
    const issued = await vaultFetch(vault(), 'POST', `auth/approle/role/${role}/secret-id`);
    return {
      roleId: String((read.body.data as { role_id: string }).role_id),
      secretId: String((issued.body.data as { secret_id: string }).secret_id),
    };
  };

  beforeAll(async () => {
    ({ roleId, secretId } = await vault().admin.enableAppRole({
      role: 'contract-service',
      policies: ['approle-reader'],
      tokenTtl: 300,
      tokenMaxTtl: 900,
    }));
  });

  it('logs in with role_id and secret_id (api-docs/auth/approle, login with approle)', async () => {
    const { status, body } = await login({ role_id: roleId, secret_id: secretId });
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual(ENVELOPE_KEYS);
    expect(body).toMatchObject({ data: null, lease_id: '', renewable: false, lease_duration: 0, warnings: null });
    // OpenBao's identity store makes one entity per alias (for AppRole, the role id).
    const entityId = (body.auth as { entity_id: string }).entity_id;
    expect(entityId).toMatch(GO_UUID);
    expect(body.auth).toMatchObject({
      policies: ['approle-reader', 'default'],
      token_policies: ['approle-reader', 'default'],
      metadata: { role_name: 'contract-service' },
      lease_duration: 300,
      renewable: true,
      token_type: 'service',
    });
    const token = String((body.auth as { client_token: string }).client_token);
    expect(token).toMatch(/^s\.[A-Za-z0-9]{24}$/);
    const lookup = await vaultFetch(vault(), 'GET', 'auth/token/lookup-self', { token });
    expect(lookup.body.data).toMatchObject({
      display_name: 'approle',
      path: 'auth/approle/login',
      entity_id: entityId,
      meta: { role_name: 'contract-service' },
      orphan: true,
    });
    const again = await login({ role_id: roleId, secret_id: (await newSecretId()).secretId });
    expect((again.body.auth as { entity_id: string }).entity_id).toBe(entityId);
  });

  it('reads a role back with every token_* field (api-docs/auth/approle, read role)', async () => {
    const { status, body } = await vaultFetch(vault(), 'GET', 'auth/approle/role/contract-service');
    expect(status).toBe(200);
    expect(body.data).toEqual({
      bind_secret_id: true,
      local_secret_ids: false,
      secret_id_bound_cidrs: null,
      secret_id_num_uses: 0,
      secret_id_ttl: 0,
      token_bound_cidrs: [],
      token_explicit_max_ttl: 0,
      token_max_ttl: 900,
      token_no_default_policy: false,
      token_num_uses: 0,
      token_period: 0,
      token_policies: ['approle-reader'],
      token_strictly_bind_ip: false,
      token_ttl: 300,
      token_type: 'default',
    });
  });

  it('issues periodic tokens for a role with token_period: renewal resets to the period (api-docs/auth/approle)', async () => {
    await vaultFetch(vault(), 'POST', 'auth/approle/role/contract-periodic', {
      body: { token_period: 120, token_policies: ['approle-reader'] },
    });
    const ids = await newSecretId('contract-periodic');
    const { status, body } = await login({ role_id: ids.roleId, secret_id: ids.secretId });
    expect(status).toBe(200);
    expect(body.auth).toMatchObject({ lease_duration: 120, renewable: true, token_type: 'service' });
    const token = String((body.auth as { client_token: string }).client_token);
    const lookup = await vaultFetch(vault(), 'GET', 'auth/token/lookup-self', { token });
    expect(lookup.body.data).toMatchObject({ period: 120, creation_ttl: 120, explicit_max_ttl: 0 });
    const renewed = await vaultFetch(vault(), 'POST', 'auth/token/renew-self', { token, body: { increment: 1000 } });
    expect(renewed.status).toBe(200);
    expect(renewed.body.auth).toMatchObject({ lease_duration: 120 });
    expect(renewed.body.warnings).toBeNull();
  });

  it('issues batch tokens for a role with token_type batch: no accessor, not renewable (api-docs/auth/approle)', async () => {
    await vaultFetch(vault(), 'POST', 'auth/approle/role/contract-batch', {
      body: { token_type: 'batch', token_ttl: 300, token_policies: ['approle-reader'] },
    });
    const ids = await newSecretId('contract-batch');
    const { status, body } = await login({ role_id: ids.roleId, secret_id: ids.secretId });
    expect(status).toBe(200);
    expect(body.auth).toMatchObject({
      accessor: '',
      lease_duration: 300,
      renewable: false,
      token_type: 'batch',
      orphan: true,
    });
    const token = String((body.auth as { client_token: string }).client_token);
    expect(token).toMatch(/^b\.[A-Za-z0-9_-]{100,}$/);
    const lookup = await vaultFetch(vault(), 'GET', 'auth/token/lookup-self', { token });
    expect(lookup.status).toBe(200);
    expect(lookup.body.data).toMatchObject({ type: 'batch', accessor: '', renewable: false, creation_ttl: 300 });
    // Batch tokens carry whole seconds.
    expect(String((lookup.body.data as { issue_time: string }).issue_time)).toMatch(/:\d\dZ$/);
    const renewed = await vaultFetch(vault(), 'POST', 'auth/token/renew-self', { token, body: {} });
    expect(renewed).toMatchObject({ status: 400, body: { errors: ['batch tokens cannot be renewed'] } });
  });

  it('answers 400 invalid role or secret ID for a wrong secret_id or role_id (api-docs/auth/approle, login)', async () => {
    const wrongSecret = await login({ role_id: roleId, secret_id: '00000000-0000-0000-0000-000000000000' });
    expect(wrongSecret).toMatchObject({ status: 400, body: { errors: ['invalid role or secret ID'] } });
    const wrongRole = await login({ role_id: '00000000-0000-0000-0000-000000000000', secret_id: secretId });
    expect(wrongRole).toMatchObject({ status: 400, body: { errors: ['invalid role or secret ID'] } });
  });

  it('answers 500 missing role_id without one, 400 missing secret_id without that (api-docs/auth/approle, login)', async () => {
    // OpenBao resolves the login's role before the handler runs and answers that failure with a 500.
    expect(await login({ secret_id: secretId })).toMatchObject({ status: 500, body: { errors: ['missing role_id'] } });
    expect(await login({ role_id: roleId })).toMatchObject({ status: 400, body: { errors: ['missing secret_id'] } });
  });

  it('reads the role id and issues secret ids (api-docs/auth/approle, read role id / generate secret id)', async () => {
    const read = await vaultFetch(vault(), 'GET', 'auth/approle/role/contract-service/role-id');
    expect(read.body.data).toEqual({ role_id: roleId });
    const issued = await vaultFetch(vault(), 'POST', 'auth/approle/role/contract-service/secret-id');
    expect(issued.status).toBe(200);
    expect(issued.body.data).toMatchObject({ secret_id_ttl: 0, secret_id_num_uses: 0 });
    const second = String((issued.body.data as { secret_id: string }).secret_id);
    expect((await login({ role_id: roleId, secret_id: second })).status).toBe(200);
  });
});
