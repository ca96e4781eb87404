// biome-ignore-all lint/suspicious/noTemplateCurlyInString: literal ${NAME} placeholders are what these tests are about.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type CliBackends, expectNoSecrets, runCli, startCliBackends } from './cli-backends.test-helpers.js';

describe('dataverk check', () => {
  let backends: CliBackends;
  beforeAll(async () => {
    backends = await startCliBackends();
  });
  afterAll(async () => {
    await backends?.close();
  });

  /** A settings file with `content` in a directory of its own, and the env pointing at it. */
  async function withSettings(content: string): Promise<Record<string, string>> {
    const file = join(backends.seed.settingsDir, `broken-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(file, content);
    return { ...backends.env, DATAVERK_SETTINGS_PATH: file };
  }

  it('passes on the seed settings: file, placeholders from Vault KV, Vault, a login with fresh credentials', async () => {
    const run = await runCli(['check'], backends.env);
    console.log(run.stdout);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^settings file\s+ok\s+.*settings\.json \(DATAVERK_SETTINGS_PATH\)$/m);
    expect(run.stdout).toMatch(/^placeholders\s+ok\s+all resolved; databases: postgres_database$/m);
    expect(run.stdout).toMatch(/^vault\s+ok\s+http:\/\/.*, VAULT_TOKEN, token TTL/m);
    expect(run.stdout).toMatch(
      /^database postgres_database\s+ok\s+v-\S+@\S+:\d+\/\S+, lease 1m00s \(renewable\), query \d+ ms$/m,
    );
    expect(run.stdout).toContain('all checks passed');
    expectNoSecrets(run.stdout + run.stderr, backends.secrets);
  });

  it('a database whose credentials come from a file: no Vault needed, the login checked', async () => {
    // The file holds the whole connection string (format url), as an agent could render it.
    const dir = backends.seed.settingsDir;
    const credentialsFile = join(dir, `credentials-${Math.random().toString(36).slice(2)}.url`);
    await writeFile(credentialsFile, `${inject('postgres').url}\n`, { mode: 0o600 });
    const env = await withSettings(
      JSON.stringify({ db_credentials_file: { files_db: { path: credentialsFile, format: 'url' } } }),
    );
    const { VAULT_ADDR: _address, VAULT_TOKEN: _token, ...withoutVault } = env;
    const run = await runCli(['check'], withoutVault);
    console.log(run.stdout);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^vault\s+skipped\s+every database reads its credentials from a file/m);
    expect(run.stdout).toMatch(
      /^database files_db\s+ok\s+\S+@\S+:\d+\/\S+, credentials from db_credentials_file, query \d+ ms$/m,
    );
    const password = decodeURIComponent(new URL(inject('postgres').url).password);
    expect(run.stdout + run.stderr).not.toContain(password);
  });

  it('revokes the lease it took for the check', async () => {
    const before = backends.record.leaseHistory().length;
    expect((await runCli(['check'], backends.env)).code).toBe(0);
    const taken = backends.record.leaseHistory().slice(before);
    expect(taken).toHaveLength(1);
    expect(taken[0]?.endReason).toBe('revoked');
  });

  it('names the line and column of a settings file that is not JSON', async () => {
    const env = await withSettings('{"db_connection_strings": {"postgres_database": "x",}}');
    const run = await runCli(['check'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^placeholders\s+FAILED\s+DATAVERK_SETTINGS_NOT_JSON$/m);
    expect(run.stdout).toMatch(
      /placeholders: DATAVERK_SETTINGS_NOT_JSON: settings file .* is not valid JSON: line 1, column \d+/,
    );
    expect(run.stdout).toMatch(/^databases\s+skipped/m);
    expect(run.stdout).toContain('checks failed');
  });

  it('names every placeholder no source has, and where it is used', async () => {
    const env = await withSettings(
      JSON.stringify({
        db_connection_strings: { postgres_database: '${POSTGRES_CREDENTIALS}', other: '${OTHER_URL}' },
        db_vault_path: { postgres_database: '${POSTGRES_CREDS_PATH}', other: '${OTHER_PATH}' },
      }),
    );
    const run = await runCli(['check'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^placeholders\s+FAILED\s+DATAVERK_SETTINGS_MISSING_PLACEHOLDER$/m);
    expect(run.stdout).toContain('${OTHER_URL} (in db_connection_strings.other)');
    expect(run.stdout).toContain('${OTHER_PATH} (in db_vault_path.other)');
    expect(run.stdout).toContain('Vault KV (DATAVERK_SECRETS_FROM_API)');
  });

  it('says where it looked when there is no settings file', async () => {
    const run = await runCli(['check', '--settings', join(backends.seed.settingsDir, 'nope')], backends.env);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^settings file\s+FAILED\s+DATAVERK_SETTINGS_FILE_MISSING$/m);
    expect(run.stdout).toMatch(/path option .*nope/);
    expect(run.stdout).toMatch(/^vault\s+ok/m);
  });

  it('fails the database row with the Vault error when db_vault_path names no role', async () => {
    const env = await withSettings(
      JSON.stringify({
        db_connection_strings: { postgres_database: '${POSTGRES_CREDENTIALS}' },
        db_vault_path: { postgres_database: 'database/creds/no-such-role' },
      }),
    );
    const run = await runCli(['check'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^database postgres_database\s+FAILED\s+VAULT_\w+$/m);
    expect(run.stdout).toContain('database/creds/no-such-role');
  });

  it('fails the database row with DATAVERK_CLI_DATABASE_FAILED when the database is not there', async () => {
    const env = await withSettings(
      JSON.stringify({
        db_connection_strings: {
          postgres_database: '${POSTGRES_CREDENTIALS}',
          gone: 'postgresql://user:pass@127.0.0.1:1/postgres',
        },
        db_vault_path: { postgres_database: '${POSTGRES_CREDS_PATH}', gone: '${POSTGRES_CREDS_PATH}' },
      }),
    );
    const run = await runCli(['check'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^database postgres_database\s+ok/m);
    expect(run.stdout).toMatch(/^database gone\s+FAILED\s+DATAVERK_CLI_DATABASE_FAILED$/m);
    expect(run.stdout).toMatch(
      /gone: DATAVERK_CLI_DATABASE_FAILED: gone \(v-\S+@127\.0\.0\.1:1\/postgres\): ECONNREFUSED/,
    );
    expectNoSecrets(run.stdout + run.stderr, backends.secrets);
  });

  it('checks only the names given', async () => {
    const run = await runCli(['check', 'nope'], backends.env);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^database nope\s+FAILED\s+DATAVERK_SETTINGS_CONNECTION_STRING_MISSING$/m);
    expect(run.stdout).not.toContain('database postgres_database');
  });

  it('fails the vault row, naming the problem, when the token is refused', async () => {
    const run = await runCli(['check'], { ...backends.env, VAULT_TOKEN: 'hvs.not-a-token' });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^vault\s+FAILED\s+VAULT_PERMISSION_DENIED$/m);
    expect(run.stdout).not.toContain('hvs.not-a-token');
  });

  it('fails the vault row when VAULT_ADDR is missing', async () => {
    const { VAULT_ADDR: _, ...env } = backends.env;
    const run = await runCli(['check'], env);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^vault\s+FAILED\s+VAULT_ADDRESS_MISSING$/m);
    expect(run.stdout).toContain('set VAULT_ADDR');
  });
});
