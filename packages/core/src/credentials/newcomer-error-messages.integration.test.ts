// biome-ignore-all lint/suspicious/noTemplateCurlyInString: literal ${NAME} placeholders are part of the settings under test.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { envPostgres, startVault, type TestVault } from '@dataverk/testkit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type DataverkErrorCode, isDataverkError, type VaultErrorCode } from '../errors.js';
import { EnvSecretSource } from '../secrets/env-secret-source.js';
import { caught, expectNoSecret } from '../secrets/expect-no-secret.test-helpers.js';
import { loadSettings } from '../settings/load-settings.js';
import { createVaultClient } from '../vault/create-vault-client.js';
import type { Environment } from '../vault/environment.js';
import { podDirectories, startIntegrationVault } from '../vault/integration-vault.test-helpers.js';
import type { VaultClient } from '../vault/vault-client.js';
import { settingsResolver } from './settings-resolver.js';
import { type DatabaseSettingsResolver, VaultCredentialProvider } from './vault-credential-provider.js';

// The messages a newcomer meets in the first ten minutes, as getCredentials gives them on a real
// Vault (OpenBao when the run has it; the dev server for a seal, which only it can do on demand).
// Each must say what happened, name the setting or path at fault, give the advice (a stable
// phrase, pinned here), and show no token or password.
const NAME = 'sales';
const ROLE = 'sales-app';
const NAMESPACE = 'team-ns';
const APP = 'sales-app';
const CREDS = `database/creds/${ROLE}`;
const URL_PASSWORD = 'url-password-never-shown';

let vault: TestVault;
let sealable: TestVault;
let pod: Awaited<ReturnType<typeof podDirectories>>;
/** A token whose policy allows the database mount and the team's KV secrets. */
let appToken: string;
/** A token whose policy allows only the app's KV secret: the credentials path is refused. */
let kvOnlyToken: string;

beforeAll(async () => {
  vault = await startIntegrationVault();
  sealable = await startVault({ postgres: envPostgres(inject('postgres').url), backend: 'dev-server' });
  pod = await podDirectories(NAMESPACE);
  await vault.admin.configureDatabase();
  await vault.admin.writeDatabaseRole(ROLE, {
    creationStatements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`],
    defaultTtl: 300,
    maxTtl: 600,
  });
  await vault.admin.enableKv('kv2', 2);
  await vault.admin.writeKv('kv2', `team/${APP}/${NAMESPACE}`, { DATABASE_URL: databaseUrl() });
  await vault.admin.writePolicy(
    'app',
    'path "kv2/data/team/*" { capabilities = ["read"] }\npath "database/creds/*" { capabilities = ["read"] }',
  );
  await vault.admin.writePolicy('kv-only', `path "kv2/data/team/${APP}/*" { capabilities = ["read"] }`);
  appToken = await vault.admin.createToken({ policies: ['app'] });
  kvOnlyToken = await vault.admin.createToken({ policies: ['kv-only'] });
  await writeFile(
    join(pod.root, 'settings.json'),
    JSON.stringify({ db_connection_strings: { [NAME]: '${DATABASE_URL}' }, db_vault_path: { [NAME]: CREDS } }),
  );
});
afterAll(async () => {
  await pod?.cleanUp();
  await vault?.stop();
  await sealable?.stop();
});

function databaseUrl(): string {
  const url = new URL(inject('postgres').url);
  url.username = 'placeholder';
  url.password = URL_PASSWORD;
  return url.href;
}

/** The first error `getCredentials` gives for a provider built this way; the provider is closed after. */
async function firstError(vault: () => VaultClient, resolve: DatabaseSettingsResolver): Promise<unknown> {
  const provider = new VaultCredentialProvider({ vault, resolve });
  try {
    return await caught(() => provider.getCredentials(NAME));
  } finally {
    await provider.close();
  }
}

/** A resolver with a fixed Vault path, as if read from settings.json. */
function settingsWith(vaultPath: string): DatabaseSettingsResolver {
  return async () => ({ connectionString: databaseUrl(), vaultPath });
}

function client(address: string, token: string, env: Environment = {}): () => VaultClient {
  return () => createVaultClient({ address, token, env, retryBaseDelayMs: 1 });
}

/** The pod's dataverk-vault environment, KV placeholders on. */
function podEnv(application: string, kvPath = '/kv2/team'): Environment {
  return {
    DATAVERK_SECRETS_FROM_API: 'true',
    VKS_KV_PATH: kvPath,
    APPLICATION_NAME: application,
    K8S_SERVICEACCOUNT_PATH: pod.serviceAccount,
    HOME: pod.home,
    VAULT_ADDR: vault.address,
  };
}

interface MessageCase {
  readonly what: string;
  /** The code `getCredentials` rejects with. */
  readonly code: DataverkErrorCode;
  /** The Vault code behind it, when Vault answered or failed. */
  readonly vaultCode?: VaultErrorCode;
  /** Says what happened. */
  readonly happened: string;
  /** The setting, variable, path or address at fault, each named (read once the Vaults run). */
  readonly names: () => readonly string[];
  /** What to do: the stable phrase of the advice. */
  readonly advice: string;
  /** Phrases that would mislead here. */
  readonly never?: readonly string[];
  readonly error: () => Promise<unknown>;
}

const cases: readonly MessageCase[] = [
  {
    what: 'no VAULT_ADDR',
    code: 'VAULT_ADDRESS_MISSING',
    happened: 'no Vault address',
    names: () => ['VAULT_ADDR'],
    advice: 'set VAULT_ADDR',
    error: () => firstError(() => createVaultClient({ env: { HOME: pod.home } }), settingsWith(CREDS)),
  },
  {
    what: 'no token',
    code: 'VAULT_AUTH_MISSING',
    happened: 'no Vault credentials found',
    names: () => ['VAULT_TOKEN', '.vault-token'],
    advice: 'Set VAULT_TOKEN, run `vault login`',
    error: () =>
      firstError(() => createVaultClient({ env: { VAULT_ADDR: vault.address, HOME: pod.home } }), settingsWith(CREDS)),
  },
  {
    what: 'a wrong settings path',
    code: 'DATAVERK_SETTINGS_FILE_MISSING',
    happened: 'no settings.json found',
    names: () => ['DATAVERK_SETTINGS_PATH', 'nowhere'],
    advice: 'Set DATAVERK_SETTINGS_PATH to the directory',
    error: () =>
      firstError(
        client(vault.address, appToken),
        settingsResolver(() => loadSettings({ env: { DATAVERK_SETTINGS_PATH: join(pod.root, 'nowhere') } })),
      ),
  },
  {
    what: 'a missing placeholder',
    code: 'DATAVERK_SETTINGS_MISSING_PLACEHOLDER',
    happened: 'settings use placeholders no secret source has',
    names: () => ['${DATABASE_URL}', `db_connection_strings.${NAME}`],
    advice: 'Add the missing names to one of them',
    error: () =>
      firstError(
        client(vault.address, appToken),
        settingsResolver(() => loadSettings({ path: pod.root, sources: [new EnvSecretSource({})] })),
      ),
  },
  {
    what: 'a wrong KV path outside the policy (403)',
    code: 'DATAVERK_CREDENTIALS_UNAVAILABLE',
    vaultCode: 'VAULT_PERMISSION_DENIED',
    happened: `Vault denied GET kv2/data/team/other-app/${NAMESPACE} (403: permission denied)`,
    names: () => ['VKS_KV_PATH', 'APPLICATION_NAME'],
    advice: 'if one of them is wrong, correct it',
    never: ['failing for', 'expired'],
    error: () =>
      firstError(
        client(vault.address, kvOnlyToken),
        settingsResolver((context) => loadSettings({ path: pod.root, env: podEnv('other-app'), ...context })),
      ),
  },
  {
    what: 'a wrong KV mount (403: Vault will not say what is mounted there)',
    code: 'DATAVERK_CREDENTIALS_UNAVAILABLE',
    vaultCode: 'VAULT_PERMISSION_DENIED',
    happened: `Vault denied GET kv3/data/team/${APP}/${NAMESPACE} (403: permission denied)`,
    names: () => ['VKS_KV_PATH', 'KV v2 assumed'],
    advice: 'if one of them is wrong, correct it',
    never: ['failing for', 'expired', 'sys/internal/ui/mounts'],
    error: () =>
      firstError(
        client(vault.address, appToken),
        settingsResolver((context) => loadSettings({ path: pod.root, env: podEnv(APP, '/kv3/team'), ...context })),
      ),
  },
  {
    what: 'a wrong KV path (404)',
    code: 'DATAVERK_CREDENTIALS_UNAVAILABLE',
    vaultCode: 'VAULT_NOT_FOUND',
    happened: `Vault has no KV secret at kv2/team/other-app/${NAMESPACE}`,
    names: () => ['VKS_KV_PATH', 'APPLICATION_NAME'],
    advice: 'Check VKS_KV_PATH, APPLICATION_NAME and the namespace',
    never: ['failing for', 'expired'],
    error: () =>
      firstError(
        client(vault.address, appToken),
        settingsResolver((context) => loadSettings({ path: pod.root, env: podEnv('other-app'), ...context })),
      ),
  },
  {
    what: 'a wrong role (400 unknown role)',
    code: 'DATAVERK_CREDENTIALS_UNAVAILABLE',
    vaultCode: 'VAULT_INVALID_REQUEST',
    happened: 'Vault is reachable and answered 400',
    names: () => [`db_vault_path.${NAME} = database/creds/no-such-role`, "no role 'no-such-role'"],
    advice: 'check the role name (`vault list database/roles` lists them), or ask the Vault operator',
    never: ['failing for', 'expired'],
    error: () => firstError(client(vault.address, appToken), settingsWith('database/creds/no-such-role')),
  },
  {
    what: 'a wrong mount (404)',
    code: 'DATAVERK_CREDENTIALS_UNAVAILABLE',
    vaultCode: 'VAULT_NOT_FOUND',
    happened: 'This path does not exist: no secrets engine is mounted at databse/',
    names: () => [`db_vault_path.${NAME} = databse/creds/${ROLE}`],
    advice: 'Check the mount, the first part of the path (`vault secrets list` lists them)',
    never: ['failing for', 'expired', 'vault login'],
    // A dev Vault's root token: no policy stands between the request and the missing mount.
    error: () => firstError(client(vault.address, vault.rootToken), settingsWith(`databse/creds/${ROLE}`)),
  },
  {
    what: 'a path the policy refuses (403)',
    code: 'DATAVERK_CREDENTIALS_UNAVAILABLE',
    vaultCode: 'VAULT_PERMISSION_DENIED',
    happened: `Vault denied GET ${CREDS} (403: permission denied). This path was refused by policy`,
    names: () => [`db_vault_path.${NAME} = ${CREDS}`],
    advice: `give the token (its role) a policy with: path "${CREDS}" { capabilities = ["read"] }`,
    never: ['failing for', '1 error occurred'],
    error: () => firstError(client(vault.address, kvOnlyToken), settingsWith(CREDS)),
  },
  {
    what: 'a sealed Vault',
    code: 'DATAVERK_CREDENTIALS_UNAVAILABLE',
    vaultCode: 'VAULT_SEALED',
    happened: 'is sealed (503 on GET',
    names: () => [`Vault at ${sealable.address}`],
    advice: 'its operators must unseal it',
    never: ['failing for 0.0 s'],
    error: async () => {
      sealable.faults?.seal();
      try {
        return await firstError(client(sealable.address, sealable.rootToken), settingsWith(CREDS));
      } finally {
        sealable.faults?.unseal();
      }
    },
  },
  {
    what: 'an unreachable Vault',
    code: 'DATAVERK_CREDENTIALS_UNAVAILABLE',
    vaultCode: 'VAULT_UNAVAILABLE',
    happened: 'could not be reached (ECONNREFUSED)',
    names: () => ['Vault at http://127.0.0.1:1'],
    advice: 'Check VAULT_ADDR (or VKS_VAULT_ADDR) and that Vault is running',
    never: ['failing for 0.0 s'],
    error: () => firstError(client('http://127.0.0.1:1', appToken), settingsWith(CREDS)),
  },
  {
    what: 'a closed provider',
    code: 'DATAVERK_PROVIDER_CLOSED',
    happened: 'were asked of a closed credential provider',
    names: () => [`'${NAME}'`],
    advice: 'close it last, after the pools and clients that use it have ended, or make a new provider',
    error: async () => {
      const provider = new VaultCredentialProvider({
        vault: client(vault.address, appToken),
        resolve: settingsWith(CREDS),
      });
      await provider.close();
      return caught(() => provider.getCredentials(NAME));
    },
  },
];

describe('the messages a newcomer meets', () => {
  it.each(cases)('$what: says what happened, names what is at fault, says what to do, shows no secret', async (c) => {
    const error = await c.error();
    expect(isDataverkError(error, c.code), String(error)).toBe(true);
    if (c.vaultCode !== undefined) expect(isDataverkError(error, c.vaultCode), String(error)).toBe(true);
    const message = (error as Error).message;
    expect(message).toContain(c.happened);
    for (const name of c.names()) expect(message).toContain(name);
    expect(message).toContain(c.advice);
    for (const phrase of c.never ?? []) expect(message).not.toContain(phrase);
    const issued = [...(vault.record?.issuedSecrets() ?? []), ...(sealable.record?.issuedSecrets() ?? [])];
    const secrets = [vault.rootToken, sealable.rootToken, appToken, kvOnlyToken, URL_PASSWORD];
    expectNoSecret(
      error,
      [...secrets, ...issued.map((s) => s.value)].filter((s) => s.length >= 8),
    );
  });
});
