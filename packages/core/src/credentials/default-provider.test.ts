import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../settings/load-settings.js';
import { createVaultClient } from '../vault/create-vault-client.js';
import { type StubVault, startStubVault } from '../vault/stub-vault-server.test-helpers.js';
import { closeDefaultProvider, defaultProvider } from './default-provider.js';
import { settingsResolver } from './settings-resolver.js';
import { VaultCredentialProvider } from './vault-credential-provider.js';

// dataverk's usual set-up: settings.json placeholders from Vault KV, Kubernetes login.
let dir: string;
let stub: StubVault;
const saved = { ...process.env };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dataverk-default-provider-'));
  await writeFile(join(dir, 'token'), 'header.payload.signature');
  await writeFile(join(dir, 'namespace'), 'team');
  const settings = {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a dataverk placeholder, not a template
    db_connection_strings: { postgres_database: '${POSTGRES_URL}' },
    db_vault_path: { postgres_database: 'database/creds/ro' },
  };
  await writeFile(join(dir, 'settings.json'), JSON.stringify(settings));
  let serial = 0;
  stub = await startStubVault((request) => {
    const path = request.url.replace(/^\/v1\//, '');
    if (path === 'auth/kubernetes/login') {
      return {
        status: 200,
        body: { auth: { client_token: `hvs.t${++serial}`, lease_duration: 3600, renewable: true } },
      };
    }
    if (path.startsWith('sys/internal/ui/mounts/')) {
      return { status: 200, body: { data: { type: 'kv', path: 'kv/', options: { version: '1' } } } };
    }
    if (path === 'kv/prod/app/team') {
      return { status: 200, body: { data: { POSTGRES_URL: 'postgresql://user:pass@db.internal:5432/sales' } } };
    }
    if (path === 'sys/leases/lookup') {
      const expires = new Date(Date.now() + 3_600_000).toISOString();
      return { status: 200, body: { data: { ttl: 3600, expire_time: expires, last_renewal: null } } };
    }
    if (path === 'database/creds/ro') {
      const data = { username: 'v-k8s-1', password: 'stub-password-1' };
      return { status: 200, body: { lease_id: 'database/creds/ro/1', lease_duration: 3600, renewable: true, data } };
    }
    return { status: 404, body: { errors: [] } };
  });
  Object.assign(process.env, {
    VAULT_ADDR: stub.address,
    K8S_SERVICEACCOUNT_PATH: dir,
    VAULT_ROLE: 'app',
    APPLICATION_NAME: 'app',
    VKS_KV_PATH: 'kv/prod',
    DATAVERK_SECRETS_FROM_API: 'true',
    DATAVERK_SETTINGS_PATH: dir,
  });
  delete process.env.VAULT_TOKEN;
  process.env.HOME = dir;
});

afterAll(async () => {
  await closeDefaultProvider();
  for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
  Object.assign(process.env, saved);
  await stub.close();
  await rm(dir, { recursive: true, force: true });
});

describe('defect 11: one Vault login per process', () => {
  it('settings from Vault KV and credentials from the default provider share one login', async () => {
    const creds = await defaultProvider().getCredentials('postgres_database');
    expect(creds.user).toBe('v-k8s-1');
    expect(creds.host).toBe('db.internal');
    const logins = stub.requests.filter((r) => r.url === '/v1/auth/kubernetes/login');
    expect(logins).toHaveLength(1);
  });

  it('two clients made the same way share one login; a token others use is not revoked at close', async () => {
    await closeDefaultProvider();
    const logins = () => stub.requests.filter((r) => r.url === '/v1/auth/kubernetes/login').length;
    const before = logins();
    const provider = new VaultCredentialProvider({
      vault: createVaultClient(),
      resolve: settingsResolver(() => loadSettings()),
    });
    expect((await provider.getCredentials('postgres_database')).user).toBe('v-k8s-1');
    expect(logins() - before).toBe(1);
    const other = createVaultClient();
    await other.readDatabaseCredentials('database/creds/ro');
    await other.close({ revokeToken: true });
    expect(stub.requests.filter((r) => r.url === '/v1/auth/token/revoke-self')).toEqual([]);
    await provider.close();
    expect(logins() - before).toBe(1);
  });
});

describe('behind a Vault Agent / OpenBao Proxy (VAULT_AGENT_ADDR, no token)', () => {
  it('sends no token and no login, and never revokes a lease other processes share', async () => {
    await closeDefaultProvider();
    process.env.VAULT_AGENT_ADDR = stub.address;
    try {
      const seen = stub.requests.length;
      const provider = defaultProvider();
      const credentials = await provider.getCredentials('postgres_database');
      expect(credentials.user).toBe('v-k8s-1');
      // agentSharedLeases: a cached lease is known to live a tenth of its TTL, learnt from the cache.
      expect(credentials.leaseDuration).toBe(360);
      await closeDefaultProvider({ revoke: true });
      const requests = stub.requests.slice(seen);
      expect(requests.map((r) => r.url)).toContain('/v1/database/creds/ro');
      expect(requests.filter((r) => r.url.includes('sys/leases'))).toEqual([]);
      expect(requests.filter((r) => r.url.includes('/login'))).toEqual([]);
      expect(requests.filter((r) => r.headers['x-vault-token'] !== undefined)).toEqual([]);
      expect(requests.filter((r) => /revoke|renew/.test(r.url))).toEqual([]);
    } finally {
      delete process.env.VAULT_AGENT_ADDR;
    }
  });
});
