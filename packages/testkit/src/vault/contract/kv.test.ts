import { beforeAll, expect, it } from 'vitest';
import { describeEachVaultBackend, ENVELOPE_KEYS, vaultFetch } from './vault-backends.test-helpers.js';

describeEachVaultBackend('kv secrets engine', ({ vault }) => {
  beforeAll(async () => {
    await vault().admin.enableKv('contract-kv1', 1);
    await vault().admin.enableKv('contract-kv2', 2);
  });

  it('reads a v1 secret as the data map with an advisory lease duration (api-docs/secret/kv/kv-v1, read)', async () => {
    await vault().admin.writeKv('contract-kv1', 'app/db', { password: 'v1-secret' });
    const { status, body } = await vaultFetch(vault(), 'GET', 'contract-kv1/app/db');
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual(ENVELOPE_KEYS);
    expect(body).toMatchObject({ data: { password: 'v1-secret' }, lease_id: '', renewable: false, auth: null });
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
    const query = await vaultFetch(vault(), 'GET', 'contract-kv1/app?list=true');
    expect(query.body.data).toEqual({ keys: ['db', 'nested/'] });
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
    // oldest_version stays 0 until max_versions drops a version (kv/path_data.go).
    expect(data).toMatchObject({
      cas_required: false,
      current_metadata_version: 0,
      current_version: 2,
      custom_metadata: null,
      delete_version_after: '0s',
      max_versions: 0,
      metadata_cas_required: false,
      oldest_version: 0,
    });
    expect(Object.keys(data)).toEqual([
      'cas_required',
      'created_time',
      'current_metadata_version',
      'current_version',
      'custom_metadata',
      'delete_version_after',
      'max_versions',
      'metadata_cas_required',
      'oldest_version',
      'updated_time',
      'versions',
    ]);
    expect(Object.keys(data.versions as object).sort()).toEqual(['1', '2']);
    const config = await vaultFetch(vault(), 'GET', 'contract-kv2/config');
    expect(config.body.data).toEqual({
      cas_required: false,
      delete_version_after: '0s',
      max_versions: 0,
      metadata_cas_required: false,
    });
  });

  it('counts metadata writes and drops versions past max_versions (api-docs/secret/kv/kv-v2, metadata)', async () => {
    const metadata = await vaultFetch(vault(), 'POST', 'contract-kv2/metadata/trim/key', { body: { max_versions: 2 } });
    expect(metadata.status).toBe(204);
    for (const value of ['1', '2', '3']) await vault().admin.writeKv('contract-kv2', 'trim/key', { value });
    const { body } = await vaultFetch(vault(), 'GET', 'contract-kv2/metadata/trim/key');
    expect(body.data).toMatchObject({
      current_metadata_version: 1,
      current_version: 3,
      max_versions: 2,
      oldest_version: 2,
    });
    expect(Object.keys((body.data as { versions: object }).versions).sort()).toEqual(['2', '3']);
  });

  it('answers a path outside data/ and metadata/ with a 404 carrying the hint as a warning (kv v2)', async () => {
    const { status, body } = await vaultFetch(vault(), 'GET', 'contract-kv2/app/db');
    expect(status).toBe(404);
    expect(body).toMatchObject({ data: null, auth: null });
    expect(body).not.toHaveProperty('errors');
    expect(body.warnings).toEqual([
      "Invalid path for a versioned K/V secrets engine. See the API docs for the appropriate API endpoints to use. If using the OpenBao CLI, use 'bao kv get' for this operation.",
    ]);
    const write = await vaultFetch(vault(), 'POST', 'contract-kv2/app/db', { body: { a: 'b' } });
    expect(write.status).toBe(404);
    expect(String(write.body.warnings)).toContain("use 'bao kv put'");
  });

  it('takes a PATCH only as a JSON merge patch (api-docs/secret/kv/kv-v2, patch secret)', async () => {
    await vault().admin.writeKv('contract-kv2', 'patch/key', { a: '1' });
    const patch = (contentType: string) =>
      fetch(`${vault().address}/v1/contract-kv2/data/patch/key`, {
        method: 'PATCH',
        headers: { 'X-Vault-Token': vault().rootToken, 'Content-Type': contentType },
        body: JSON.stringify({ data: { b: '2' } }),
      });
    const refused = await patch('application/json');
    expect(refused.status).toBe(415);
    expect(await refused.json()).toEqual({
      errors: ['PATCH requires Content-Type of application/merge-patch+json, provided application/json'],
    });
    const merged = await patch('application/merge-patch+json');
    expect(merged.status).toBe(200);
    const { body } = await vaultFetch(vault(), 'GET', 'contract-kv2/data/patch/key');
    expect((body.data as { data: unknown }).data).toEqual({ a: '1', b: '2' });
  });

  it("answers a body that is not a JSON object with Go's decoding errors (http/logical.go)", async () => {
    const post = async (text: string) => {
      const response = await fetch(`${vault().address}/v1/contract-kv2/data/json/key`, {
        method: 'POST',
        headers: { 'X-Vault-Token': vault().rootToken, 'Content-Type': 'application/json' },
        body: text,
      });
      return { status: response.status, body: await response.json() };
    };
    expect(await post('{')).toEqual({ status: 400, body: { errors: ['failed to decode JSON input: unexpected EOF'] } });
    expect(await post('xyz')).toEqual({
      status: 400,
      body: { errors: ["failed to decode JSON input: invalid character 'x' looking for beginning of value"] },
    });
    expect(await post('[1]')).toEqual({
      status: 400,
      body: {
        errors: [
          'failed to decode JSON input: json: cannot unmarshal array into Go value of type map[string]interface {}',
        ],
      },
    });
  });

  it('refuses a write to a path ending in a slash (vault/request_handling.go)', async () => {
    const { status, body } = await vaultFetch(vault(), 'POST', 'contract-kv1/app/', { body: { a: 'b' } });
    expect(status).toBe(400);
    expect(body.errors).toEqual(["cannot write to a path ending in '/'"]);
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
    const mounts = body.data as Record<string, Record<string, unknown>>;
    expect(mounts['contract-kv1/']).toMatchObject({
      type: 'kv',
      options: { version: '1' },
      local: false,
      seal_wrap: false,
    });
    // What `bao server -dev` mounts, with OpenBao's descriptions.
    expect(mounts['secret/']).toMatchObject({
      type: 'kv',
      description: 'key/value secret storage',
      options: { version: '2' },
    });
    expect(mounts['sys/']).toMatchObject({
      type: 'system',
      description: 'system endpoints used for control, policy and debugging',
      seal_wrap: true,
    });
    expect(mounts['cubbyhole/']).toMatchObject({ type: 'cubbyhole', local: true, options: null });
    expect(mounts['identity/']).toMatchObject({ type: 'identity', description: 'identity store' });
    // sys/mounts repeats its data at the top level.
    expect(body['contract-kv1/']).toEqual(mounts['contract-kv1/']);
    const bare = await vaultFetch(vault(), 'POST', 'sys/mounts/contract-kv-bare', { body: { type: 'kv' } });
    expect(bare.status).toBe(204);
    const info = await vaultFetch(vault(), 'GET', 'sys/internal/ui/mounts/contract-kv-bare');
    expect(info.body.data).toMatchObject({ options: {}, deprecation_status: 'supported', path: 'contract-kv-bare/' });
    const again = await vaultFetch(vault(), 'POST', 'sys/mounts/contract-kv1', { body: { type: 'kv' } });
    expect(again.status).toBe(400);
    expect(String(again.body.errors)).toMatch(/path is already in use at contract-kv1\//);
  });
});
