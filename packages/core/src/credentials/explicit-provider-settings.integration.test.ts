// biome-ignore-all lint/suspicious/noTemplateCurlyInString: literal ${NAME} placeholders are what this test is about.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestVault } from '@dataverk/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { createVaultClient } from '../vault/create-vault-client.js';
import { needs, podDirectories, startIntegrationVault } from '../vault/integration-vault.test-helpers.js';
import { settingsResolver } from './settings-resolver.js';
import { VaultCredentialProvider } from './vault-credential-provider.js';

// The explicit provider of the README: a Vault client of the application's choosing (here AppRole)
// and `resolve: settingsResolver()`. Its settings take their placeholders from Vault KV; they must
// be read with the client given, not with a second one made from the environment (which, with no
// VAULT_TOKEN there, failed with VAULT_AUTH_MISSING, or logged in as someone else).
const APP = 'explicit-app';
const NAMESPACE = 'team-ns';
const ROLE = 'explicit-app';
const NAME = 'postgres_database';

/** Variables the test sets or clears in process.env, where settingsResolver() reads them. */
const VARIABLES = [
  'DATAVERK_SETTINGS_PATH',
  'DATAVERK_SECRETS_FROM_API',
  'DATAVERK_SECRETS_FROM_FILES',
  'VKS_KV_PATH',
  'APPLICATION_NAME',
  'K8S_SERVICEACCOUNT_PATH',
  'HOME',
  'VAULT_ADDR',
  'VKS_VAULT_ADDR',
  'VAULT_TOKEN',
  'VAULT_AGENT_ADDR',
  'VAULT_ROLE_ID',
  'VAULT_SECRET_ID',
  'VAULT_AUTH_PATH',
  'VKS_AUTH_PATH',
] as const;

let vault: TestVault;
let pod: Awaited<ReturnType<typeof podDirectories>>;
const saved = new Map<string, string | undefined>();

beforeAll(async () => {
  vault = await startIntegrationVault();
  pod = await podDirectories(NAMESPACE);
  await vault.admin.enableKv('kv2', 2);
  await vault.admin.configureDatabase();
  await vault.admin.writeDatabaseRole(ROLE, {
    creationStatements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`],
    defaultTtl: 300,
    maxTtl: 600,
  });
  const database = new URL(inject('postgres').url);
  database.username = '';
  database.password = '';
  await vault.admin.writeKv('kv2', `team/${APP}/${NAMESPACE}`, {
    DATABASE_URL: database.href,
    DATABASE_CREDS: `database/creds/${ROLE}`,
  });
  await vault.admin.writePolicy(
    APP,
    `path "kv2/data/team/${APP}/*" { capabilities = ["read"] }\npath "database/creds/${ROLE}" { capabilities = ["read"] }\npath "sys/leases/*" { capabilities = ["update"] }`,
  );
  const settings = {
    db_connection_strings: { [NAME]: '${DATABASE_URL}' },
    db_vault_path: { [NAME]: '${DATABASE_CREDS}' },
  };
  await writeFile(join(pod.root, 'settings.json'), JSON.stringify(settings));
});
afterAll(async () => {
  await pod?.cleanUp();
  await vault?.stop();
});
afterEach(() => {
  for (const [key, value] of saved) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  saved.clear();
});

/** A pod's environment as dataverk-vault sets it up, with a Vault address and no token at all. */
function podEnvironmentWithoutToken(): void {
  for (const key of VARIABLES) {
    saved.set(key, process.env[key]);
    delete process.env[key];
  }
  Object.assign(process.env, {
    DATAVERK_SETTINGS_PATH: pod.root,
    DATAVERK_SECRETS_FROM_API: 'true',
    VKS_KV_PATH: '/kv2/team',
    APPLICATION_NAME: APP,
    K8S_SERVICEACCOUNT_PATH: pod.serviceAccount,
    HOME: pod.home,
    VAULT_ADDR: vault.address,
  });
}

describe('a provider given a Vault client', () => {
  it('resolves settings from Vault KV with that client: AppRole, no VAULT_TOKEN in the environment, one login', async (ctx) => {
    const { roleId, secretId } = await needs(ctx.skip, 'AppRole auth', () =>
      vault.admin.enableAppRole({ role: APP, policies: [APP] }),
    );
    const record = vault.record;
    if (record === undefined) return ctx.skip(`the ${vault.backend} Vault keeps no request record`);
    podEnvironmentWithoutToken();
    record.resetCounts();
    const provider = new VaultCredentialProvider({
      vault: createVaultClient({ address: vault.address, env: {}, auth: { method: 'approle', roleId, secretId } }),
      resolve: settingsResolver(),
    });
    try {
      const credentials = await provider.getCredentials(NAME);
      expect(credentials.user).not.toBe('');
      expect(credentials.database).toBe(new URL(inject('postgres').url).pathname.slice(1));
      const log = record.requestLog();
      expect(log.filter((r) => r.path === `kv2/data/team/${APP}/${NAMESPACE}` && r.status === 200)).toHaveLength(1);
      // The KV read and the credentials read went with the one AppRole login.
      expect(log.filter((r) => r.path.startsWith('auth/approle/login'))).toHaveLength(1);
    } finally {
      await provider.close({ revoke: true });
    }
  });
});
