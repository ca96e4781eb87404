import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@dataverk/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataverkError } from '../errors.js';
import { EnvSecretSource } from '../secrets/env-secret-source.js';
import { loadSettings } from '../settings/load-settings.js';
import { createVaultClient } from '../vault/create-vault-client.js';
import type { VaultClient } from '../vault/vault-client.js';
import { FakeVaultClient } from './fake-vault-client.test-helpers.js';
import { settingsResolver } from './settings-resolver.js';
import { VaultCredentialProvider } from './vault-credential-provider.js';

// A setup mistake is not Vault failing: the caller gets the mistake itself (not "no valid
// credentials … Vault has been failing for 0.0 s"), and once it is fixed the next call works at
// once instead of waiting out a backoff meant for an unavailable Vault.
const NAME = 'postgres_database';
const START = Date.parse('2026-01-01T00:00:00Z');
const TARGET = {
  connectionString: 'postgresql://user:pass@db.internal:5432/sales',
  vaultPath: 'database/creds/readonly',
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dataverk-setup-errors-'));
  const settings = {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a dataverk placeholder, not a template
    db_connection_strings: { [NAME]: '${POSTGRES_URL}' },
    db_vault_path: { [NAME]: 'database/creds/readonly' },
  };
  await writeFile(join(dir, 'settings.json'), JSON.stringify(settings));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function rejection(promise: Promise<unknown>): Promise<DataverkError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DataverkError);
  return error as DataverkError;
}

describe('setup mistakes reach the caller as they are', () => {
  it('no VAULT_ADDR: getCredentials and acquire reject with VAULT_ADDRESS_MISSING, and a fixed setup works at once', async () => {
    const clock = new ManualClock(START);
    let vault: () => VaultClient = () => createVaultClient({ env: {} });
    const provider = new VaultCredentialProvider({ vault: () => vault(), clock, resolve: async () => TARGET });

    const first = await rejection(provider.getCredentials(NAME));
    expect(first.code).toBe('VAULT_ADDRESS_MISSING');
    expect(first.message).toContain('VAULT_ADDR');
    expect(first.message).not.toContain('failing for');
    const acquired = await rejection(provider.acquire(NAME));
    expect(acquired.code).toBe('VAULT_ADDRESS_MISSING');
    expect(acquired.message).not.toContain('failing for');
    // Vault itself never failed.
    expect(provider.health().names[NAME]?.vaultFailingForMs ?? null).toBeNull();

    vault = () => new FakeVaultClient(clock, 3600, 7200, true);
    await expect(provider.getCredentials(NAME)).resolves.toMatchObject({ user: 'v-user-1' });
    await provider.close();
  });

  it('a missing settings placeholder rejects with DATAVERK_SETTINGS_MISSING_PLACEHOLDER, and adding it works at once', async () => {
    const clock = new ManualClock(START);
    const env: Record<string, string> = {};
    const resolve = settingsResolver(() => loadSettings({ path: dir, env, sources: [new EnvSecretSource(env)] }));
    const vault = new FakeVaultClient(clock, 3600, 7200, true);
    const provider = new VaultCredentialProvider({ vault, clock, resolve });

    const error = await rejection(provider.getCredentials(NAME));
    expect(error.code).toBe('DATAVERK_SETTINGS_MISSING_PLACEHOLDER');
    expect(error.message).toContain('POSTGRES_URL} (in db_connection_strings.postgres_database)');
    expect(error.message).not.toContain('failing for');
    expect(provider.health().names[NAME]?.vaultFailingForMs ?? null).toBeNull();

    env.POSTGRES_URL = TARGET.connectionString;
    await expect(provider.getCredentials(NAME)).resolves.toMatchObject({ host: 'db.internal', user: 'v-user-1' });
    expect(vault.count('read')).toBe(1);
    await provider.close();
  });
});
