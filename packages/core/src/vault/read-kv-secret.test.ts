import { describe, expect, it } from 'vitest';
import { caught } from '../secrets/expect-no-secret.test-helpers.js';
import { createVaultClient } from './create-vault-client.js';
import { FakeTransport } from './fake-transport.test-helpers.js';
import { readKvSecret } from './read-kv-secret.js';

function vaultOver(transport: FakeTransport) {
  transport.on('GET auth/token/lookup-self', { body: { data: { ttl: 0 } } });
  return createVaultClient({ address: 'http://v', token: 't', transport, env: {}, sleep: async () => {} });
}

const mounts = (path: string, version: '1' | '2' | null, type = 'kv') => ({
  body: { data: { path, type, options: version === null ? null : { version } } },
});

describe('readKvSecret', () => {
  it('reads KV v2 under data/ and returns data.data', async () => {
    const transport = new FakeTransport()
      .on('GET sys/internal/ui/mounts/kv/team/app/ns', mounts('kv/', '2'))
      .on('GET kv/data/team/app/ns', { body: { data: { data: { A: 'a' }, metadata: { version: 3 } } } });
    expect(await readKvSecret(vaultOver(transport), '/kv/team/app/ns/')).toEqual({
      path: 'kv/team/app/ns',
      apiPath: 'kv/data/team/app/ns',
      version: 2,
      values: { A: 'a' },
    });
  });

  it('keeps a data/ the path already has, on KV v2 mounts with nested mount paths', async () => {
    const transport = new FakeTransport()
      .on('GET sys/internal/ui/mounts/kv/prod/fss/data/app', mounts('kv/prod/fss/', '2'))
      .on('GET kv/prod/fss/data/app', { body: { data: { data: { A: 'a' } } } });
    expect((await readKvSecret(vaultOver(transport), 'kv/prod/fss/data/app')).apiPath).toBe('kv/prod/fss/data/app');
  });

  it('reads KV v1 as is (options null or version 1)', async () => {
    const transport = new FakeTransport()
      .on('GET sys/internal/ui/mounts/secret/app', mounts('secret/', null))
      .on('GET secret/app', { body: { data: { A: 'a', ttl: '1h' }, lease_duration: 3600 } });
    expect(await readKvSecret(vaultOver(transport), 'secret/app')).toMatchObject({
      version: 1,
      values: { A: 'a', ttl: '1h' },
    });
  });

  it('falls back to v1 when the mounts endpoint is not there (404), like the vault CLI', async () => {
    const transport = new FakeTransport().on('GET secret/app', { body: { data: { A: 'a' } } });
    expect(await readKvSecret(vaultOver(transport), 'secret/app')).toMatchObject({ version: 1, values: { A: 'a' } });
  });

  it('a missing secret is a VaultError that says which variables make the path', async () => {
    const transport = new FakeTransport().on('GET sys/internal/ui/mounts/kv/app/ns', mounts('kv/', '2'));
    const error = await caught(() => readKvSecret(vaultOver(transport), 'kv/app/ns'));
    expect(error).toMatchObject({ code: 'VAULT_NOT_FOUND' });
    expect(error).toMatchObject({ code: 'VAULT_NOT_FOUND', path: 'kv/data/app/ns', status: 404 });
    expect((error as Error).message).toContain('no KV secret at kv/app/ns (KV v2, read as kv/data/app/ns; 404)');
    expect((error as Error).message).toContain('Check VKS_KV_PATH, APPLICATION_NAME and the namespace');
  });

  it('a 403 on the mounts lookup (no access, or no such mount): the refused read of the secret names its policy line and the KV settings', async () => {
    const transport = new FakeTransport()
      .on('GET sys/internal/ui/mounts/kv/app', { status: 403, errors: ['permission denied'] })
      .on('GET kv/data/app', { status: 403, errors: ['permission denied'] });
    const error = await caught(() => readKvSecret(vaultOver(transport), 'kv/app'));
    expect(error).toMatchObject({ code: 'VAULT_PERMISSION_DENIED', path: 'kv/data/app', status: 403 });
    const message = (error as Error).message;
    expect(message).toContain('Vault denied GET kv/data/app (403: permission denied).');
    expect(message).toContain('path "kv/data/app" { capabilities = ["read"] }');
    expect(message).toContain('made of VKS_KV_PATH, APPLICATION_NAME and the namespace');
    expect(message).not.toContain('sys/internal/ui/mounts');
  });

  it('refuses a path on another kind of mount, and an answer without the map', async () => {
    const db = new FakeTransport().on(
      'GET sys/internal/ui/mounts/database/creds/x',
      mounts('database/', null, 'database'),
    );
    expect(await caught(() => readKvSecret(vaultOver(db), 'database/creds/x'))).toMatchObject({
      code: 'DATAVERK_SECRET_SOURCE_CONFIG',
    });
    const empty = new FakeTransport()
      .on('GET sys/internal/ui/mounts/kv/a', mounts('kv/', '2'))
      .on('GET kv/data/a', { body: { data: { metadata: {} } } });
    const error = await caught(() => readKvSecret(vaultOver(empty), 'kv/a'));
    expect(error).toMatchObject({ code: 'VAULT_RESPONSE_INVALID' });
    expect(error).toMatchObject({ field: 'data.data' });
  });
});
