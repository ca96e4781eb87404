import { beforeAll, expect, it } from 'vitest';
import { describeEachVaultBackend, vaultFetch } from './vault-backends.test-helpers.js';

describeEachVaultBackend('approle auth', ({ vault }) => {
  let roleId = '';
  let secretId = '';
  const login = (body: Record<string, unknown>) =>
    vaultFetch(vault(), 'POST', 'auth/approle/login', { token: null, body });

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
    expect(body).toMatchObject({ data: null, mount_type: 'approle' });
    expect(body.auth).toMatchObject({
      policies: ['approle-reader', 'default'],
      token_policies: ['approle-reader', 'default'],
      metadata: { role_name: 'contract-service' },
      lease_duration: 300,
      renewable: true,
      token_type: 'service',
    });
    const token = String((body.auth as { client_token: string }).client_token);
    const lookup = await vaultFetch(vault(), 'GET', 'auth/token/lookup-self', { token });
    expect(lookup.body.data).toMatchObject({ display_name: 'approle', path: 'auth/approle/login' });
  });

  it('answers 400 invalid role or secret ID for a wrong secret_id or role_id (api-docs/auth/approle, login)', async () => {
    const wrongSecret = await login({ role_id: roleId, secret_id: '00000000-0000-0000-0000-000000000000' });
    expect(wrongSecret).toMatchObject({ status: 400, body: { errors: ['invalid role or secret ID'] } });
    const wrongRole = await login({ role_id: '00000000-0000-0000-0000-000000000000', secret_id: secretId });
    expect(wrongRole).toMatchObject({ status: 400, body: { errors: ['invalid role or secret ID'] } });
  });

  it('answers 400 missing role_id without one (api-docs/auth/approle, login)', async () => {
    expect(await login({ secret_id: secretId })).toMatchObject({ status: 400, body: { errors: ['missing role_id'] } });
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
