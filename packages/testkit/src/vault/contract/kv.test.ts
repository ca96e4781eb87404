import { beforeAll, expect, it } from 'vitest';
import { describeEachVaultBackend, vaultFetch } from './vault-backends.test-helpers.js';

describeEachVaultBackend('kv secrets engine', ({ vault }) => {
  beforeAll(async () => {
    await vault().admin.enableKv('contract-kv1', 1);
    await vault().admin.enableKv('contract-kv2', 2);
  });

  it('reads a v1 secret as the data map with an advisory lease duration (api-docs/secret/kv/kv-v1, read)', async () => {
    await vault().admin.writeKv('contract-kv1', 'app/db', { password: 'v1-secret' });
    const { status, body } = await vaultFetch(vault(), 'GET', 'contract-kv1/app/db');
    expect(status).toBe(200);
    expect(body).toMatchObject({ data: { password: 'v1-secret' }, lease_id: '', renewable: false, mount_type: 'kv' });
    expect(body.lease_duration).toBe(2_764_800);
  });

  it('answers 404 with an empty errors list for a missing v1 secret (api-docs/secret/kv/kv-v1)', async () => {
    const { status, body } = await vaultFetch(vault(), 'GET', 'contract-kv1/app/missing');
    expect(status).toBe(404);
    expect(body).toEqual({ errors: [] });
  });

  it('lists v1 keys with folders suffixed by a slash (api-docs/secret/kv/kv-v1, list)', async () => {
    await vault().admin.writeKv('contract-kv1', 'app/nested/key', { a: 'b' });
    const { status, body } = await vaultFetch(vault(), 'LIST', 'contract-kv1/app');
    expect(status).toBe(200);
    expect(body.data).toEqual({ keys: ['db', 'nested/'] });
  });

  it('writes v2 versions and answers with the version metadata (api-docs/secret/kv/kv-v2, create/update)', async () => {
    const first = await vaultFetch(vault(), 'POST', 'contract-kv2/data/app/db', {
      body: { data: { password: 'one' } },
    });
    expect(first.status).toBe(200);
    expect(first.body.data).toMatchObject({ deletion_time: '', destroyed: false, version: 1 });
    expect(Date.parse(String((first.body.data as { created_time: string }).created_time))).toBeGreaterThan(0);
    await vault().admin.writeKv('contract-kv2', 'app/db', { password: 'two' });
    const latest = await vaultFetch(vault(), 'GET', 'contract-kv2/data/app/db');
    expect(latest.status).toBe(200);
    expect(latest.body.data).toMatchObject({ data: { password: 'two' }, metadata: { version: 2, destroyed: false } });
    const old = await vaultFetch(vault(), 'GET', 'contract-kv2/data/app/db?version=1');
    expect(old.body.data).toMatchObject({ data: { password: 'one' }, metadata: { version: 1 } });
  });

  it('keeps per-key metadata under metadata/ (api-docs/secret/kv/kv-v2, read secret metadata)', async () => {
    await vault().admin.writeKv('contract-kv2', 'meta/key', { a: '1' });
    await vault().admin.writeKv('contract-kv2', 'meta/key', { a: '2' });
    const { status, body } = await vaultFetch(vault(), 'GET', 'contract-kv2/metadata/meta/key');
    expect(status).toBe(200);
    const data = body.data as Record<string, unknown>;
    expect(data).toMatchObject({ current_version: 2, oldest_version: 1, cas_required: false });
    expect(Object.keys(data.versions as object).sort()).toEqual(['1', '2']);
  });

  it('rejects a write whose cas is not the current version (api-docs/secret/kv/kv-v2, options.cas)', async () => {
    await vault().admin.writeKv('contract-kv2', 'cas/key', { a: '1' });
    const { status, body } = await vaultFetch(vault(), 'POST', 'contract-kv2/data/cas/key', {
      body: { options: { cas: 0 }, data: { a: '2' } },
    });
    expect(status).toBe(400);
    expect(String(body.errors)).toMatch(/check-and-set parameter did not match the current version/);
  });

  it('answers 404 with the metadata for a soft-deleted version (api-docs/secret/kv/kv-v2, delete latest)', async () => {
    await vault().admin.writeKv('contract-kv2', 'deleted/key', { a: '1' });
    expect((await vaultFetch(vault(), 'DELETE', 'contract-kv2/data/deleted/key')).status).toBe(204);
    const { status, body } = await vaultFetch(vault(), 'GET', 'contract-kv2/data/deleted/key');
    expect(status).toBe(404);
    const data = body.data as { data: unknown; metadata: { deletion_time: string; version: number } };
    expect(data.data).toBeNull();
    expect(data.metadata.version).toBe(1);
    expect(data.metadata.deletion_time).not.toBe('');
  });

  it('tells v1 from v2 through sys/internal/ui/mounts (api-docs/system/internal-ui-mounts)', async () => {
    const v2 = await vaultFetch(vault(), 'GET', 'sys/internal/ui/mounts/contract-kv2/app/db');
    expect(v2.status).toBe(200);
    expect(v2.body.data).toMatchObject({ type: 'kv', path: 'contract-kv2/', options: { version: '2' } });
    const v1 = await vaultFetch(vault(), 'GET', 'sys/internal/ui/mounts/contract-kv1/app/db');
    expect(v1.body.data).toMatchObject({ type: 'kv', path: 'contract-kv1/', options: { version: '1' } });
  });

  it('lists mounts in sys/mounts and refuses a second mount at the same path (api-docs/system/mounts)', async () => {
    const { status, body } = await vaultFetch(vault(), 'GET', 'sys/mounts');
    expect(status).toBe(200);
    expect((body.data as Record<string, unknown>)['contract-kv1/']).toMatchObject({ type: 'kv' });
    const again = await vaultFetch(vault(), 'POST', 'sys/mounts/contract-kv1', { body: { type: 'kv' } });
    expect(again.status).toBe(400);
    expect(String(again.body.errors)).toMatch(/path is already in use at contract-kv1\//);
  });
});
