import {
  type CredentialProvider,
  createVaultClient,
  type VaultClientOptions,
  VaultCredentialProvider,
} from '@dataverk/core';
import { dataverkConfig } from '@dataverk/knex';
import { createPool } from '@dataverk/pg';
import { dataverkSql } from '@dataverk/postgres';
import knex from 'knex';
import { probeSql } from '../../rotation/rotation-scenario.js';
import type { DatabaseFixture } from '../../support/database-fixture.js';
import type { ProbeQuery } from '../../support/query-load.js';
import { captureForSecretCheck } from '../../support/secret-capture.js';

/**
 * The adapters every Vault fault runs through; `pg-checkout` is createPool used as
 * `pool.connect()` + `client.release()` (pg's `pool.query` destroys a connection on any error, a
 * checked-out client released without an error stays pooled); `postgres` is `dataverkSql`.
 */
export type Adapter = 'pg' | 'knex' | 'pg-checkout' | 'postgres';
export const ADAPTERS: readonly Adapter[] = ['pg', 'knex'];

/** A pool of one adapter, reduced to the probe query and its shutdown. */
export interface QueryClient {
  readonly query: ProbeQuery;
  close(): Promise<void>;
}

/** A createPool or knex pool over `provider`, running the rotation probe (a write reporting who and when). */
export function queryClient(
  adapter: Adapter,
  fixture: Pick<DatabaseFixture, 'name' | 'table'>,
  provider: CredentialProvider,
  max = 8,
): QueryClient {
  const sql = probeSql(fixture.table);
  if (adapter === 'pg-checkout') {
    const pool = createPool(fixture.name, { provider, max });
    return {
      query: async () => {
        const client = await pool.connect();
        try {
          return (await client.query<{ user: string; serverAt: number }>(sql)).rows[0]!;
        } finally {
          client.release();
        }
      },
      close: () => closeCapturing(fixture.name, provider, pool, () => pool.end()),
    };
  }
  if (adapter === 'postgres') {
    const pooled = dataverkSql(fixture.name, { provider, max });
    return {
      query: async () => (await pooled.unsafe<{ user: string; serverAt: number }[]>(sql))[0]!,
      close: () => closeCapturing(fixture.name, provider, pooled, () => pooled.end()),
    };
  }
  if (adapter === 'pg') {
    const pool = createPool(fixture.name, { provider, max });
    return {
      query: async () => (await pool.query<{ user: string; serverAt: number }>(sql)).rows[0]!,
      close: () => closeCapturing(fixture.name, provider, pool, () => pool.end()),
    };
  }
  // knex warns with the stack of every failed acquire; the tests count failures themselves.
  const log = { warn: () => {} };
  const db = knex(
    dataverkConfig(fixture.name, { provider, pool: { min: 0, max }, acquireConnectionTimeout: 20_000, log }),
  );
  return {
    query: async () => (await db.raw<{ rows: { user: string; serverAt: number }[] }>(sql)).rows[0]!,
    close: () => closeCapturing(fixture.name, provider, db.client, () => db.destroy()),
  };
}

/** Before closing, hands what an application might log or inspect (pool, provider, credentials) to the secrets check. */
async function closeCapturing(
  name: string,
  provider: CredentialProvider,
  pool: unknown,
  close: () => Promise<void>,
): Promise<void> {
  captureForSecretCheck(pool);
  captureForSecretCheck(provider);
  const credentials = await provider.getCredentials(name).catch((error: unknown) => error);
  captureForSecretCheck(credentials);
  captureForSecretCheck(`${credentials}`);
  captureForSecretCheck(JSON.stringify(credentials));
  await close();
}

/**
 * A provider of its own over the fixture's Vault (root token) and PostgreSQL, so that a test starts
 * cold and may tune the Vault client (timeouts, retries).
 */
export function ownProvider(
  fixture: DatabaseFixture,
  vault: Omit<VaultClientOptions, 'token'> = {},
): VaultCredentialProvider {
  return providerFor(fixture, { token: fixture.vault.rootToken, ...vault });
}

/** A provider of its own that logs in with AppRole (`VAULT_ROLE_ID`/`VAULT_SECRET_ID`), as an application does. */
export function appRoleProvider(
  fixture: DatabaseFixture,
  login: { readonly roleId: string; readonly secretId: string },
): VaultCredentialProvider {
  return providerFor(fixture, { env: { VAULT_ROLE_ID: login.roleId, VAULT_SECRET_ID: login.secretId } });
}

function providerFor(fixture: DatabaseFixture, vault: Omit<VaultClientOptions, 'address'>): VaultCredentialProvider {
  return new VaultCredentialProvider({
    vault: createVaultClient({ address: fixture.vault.address, ...vault }),
    resolve: async () => ({
      connectionString: `postgresql://user:pass@${fixture.postgres.host}:${fixture.postgres.port}/${fixture.postgres.database}`,
      vaultPath: fixture.vaultPath,
    }),
  });
}

/** Records unhandled rejections while a test runs. */
export function watchUnhandledRejections(): { readonly seen: unknown[]; stop(): void } {
  const seen: unknown[] = [];
  const listener = (reason: unknown) => seen.push(reason);
  process.on('unhandledRejection', listener);
  return { seen, stop: () => process.off('unhandledRejection', listener) };
}
