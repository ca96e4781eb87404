import { createVaultClient, VaultCredentialProvider } from '@dataverk/core';
import { createPool } from '@dataverk/pg';
import { envPostgres, startVault, type TestPostgres, type TestVault } from '@dataverk/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { fixtureDatabase, superuserQuery } from '../support/database-fixture.js';

/**
 * Issue 29, part 1: Vault down across a static role's rotation. Pinned to the dev server: its seal
 * switch answers 503 to the client while its rotation queue goes on (as a Vault cut off from the
 * application, not from the database, would). Open sessions keep working; new logins fail with an
 * error that names the setting and says what to do; logins resume once Vault answers.
 */

const NAME = 'postgres_database';
const ROTATION_PERIOD_S = 10;

describe('Vault static role, Vault sealed across a rotation (Vault dev-server, fault switch)', () => {
  let postgres: TestPostgres;
  let vault: TestVault;
  let user: string;
  let staticPath: string;

  beforeAll(async () => {
    const suffix = Math.random().toString(16).slice(2, 10);
    postgres = await fixtureDatabase(envPostgres(inject('postgres').url), `static_down_${suffix}`);
    vault = await startVault({ postgres, backend: 'dev-server' });
    user = `app_${suffix}`;
    await superuserQuery(postgres, `CREATE ROLE ${user} LOGIN PASSWORD 'set-by-hand-before-vault'`);
    await vault.admin.configureDatabase();
    await vault.admin.writeStaticRole(`app-${suffix}`, { username: user, rotationPeriod: ROTATION_PERIOD_S });
    staticPath = `database/static-creds/app-${suffix}`;
  });

  afterAll(async () => {
    vault?.faults?.unseal();
    await vault?.stop();
  });

  it('keeps open sessions, fails new logins naming db_vault_path, resumes when Vault answers, refuses no login', async () => {
    const provider = new VaultCredentialProvider({
      vault: createVaultClient({ address: vault.address, token: vault.rootToken }),
      resolve: async () => ({
        connectionString: `postgresql://user:pass@${postgres.host}:${postgres.port}/${postgres.database}`,
        vaultPath: staticPath,
      }),
    });
    let refused = 0;
    const invalidate = provider.invalidate.bind(provider);
    provider.invalidate = (name, leaseId) => {
      refused++;
      invalidate(name, leaseId);
    };
    const pool = createPool(NAME, { provider, max: 3 });
    const pids = async () => {
      const clients = await Promise.all([pool.connect(), pool.connect(), pool.connect()]);
      const rows = await Promise.all(
        clients.map((client) => client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')),
      );
      for (const client of clients) client.release();
      return rows.map((r) => r.rows[0]!.pid).sort();
    };
    const before = await pids();
    const held = await provider.getCredentials(NAME);
    // Sealed shortly before the password stops being good for new logins.
    const sealAt = (held.loginsValidUntil ?? Number.POSITIVE_INFINITY) - 1_000;
    expect(Number.isFinite(sealAt)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, sealAt - Date.now())));
    const faults = vault.faults;
    if (faults === undefined) throw new Error('the dev server has fault switches');
    faults.seal();

    // Wait on what PostgreSQL records: the password the provider held no longer logs in.
    const deadline = Date.now() + 2 * ROTATION_PERIOD_S * 1000;
    while ((await loginCode(postgres, user, held.password)) === 'ok' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await loginCode(postgres, user, held.password)).toBe('28P01');

    // Open sessions keep working: the same three backends answer.
    expect(await pids()).toEqual(before);
    // A new login fails, naming the setting and what to do, with no password in it.
    const fresh = createPool(NAME, { provider, max: 1 });
    const error = await fresh.query('SELECT 1').catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    console.log(`[static-down] a new login while Vault is sealed: ${message}`);
    expect(message).toContain(`db_vault_path.${NAME} = ${staticPath}`);
    expect(message).toContain('Sessions already open keep working');
    expect(message).not.toContain(held.password);

    faults.unseal();
    const unsealedAt = Date.now();
    let resumed = false;
    while (!resumed && Date.now() - unsealedAt < 10_000) {
      resumed = await fresh.query('SELECT 1').then(
        () => true,
        () => false,
      );
      if (!resumed) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    console.log(
      `[static-down] new logins resumed ${Date.now() - unsealedAt} ms after unseal; refused logins: ${refused}`,
    );
    expect(resumed).toBe(true);
    expect(await pids()).toEqual(before);
    expect(refused).toBe(0);
    await fresh.end();
    await pool.end();
    await provider.close();
  });
});

async function loginCode(postgres: TestPostgres, user: string, password: string): Promise<string> {
  const client = new pg.Client({
    host: postgres.host,
    port: postgres.port,
    database: postgres.database,
    user,
    password,
  });
  try {
    await client.connect();
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? 'error';
  } finally {
    await client.end().catch(() => {});
  }
}
