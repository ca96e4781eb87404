import { createVaultClient, VaultCredentialProvider } from '@dataverk/core';
import { dataverkConfig } from '@dataverk/knex';
import { DataverkPostgresDialect } from '@dataverk/kysely';
import { createPool } from '@dataverk/pg';
import knex from 'knex';
import { CompiledQuery, Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';
import { type ProbeQuery, queriesAfterLeaseEnd, runQueryLoad, summarise } from '../support/query-load.js';
import { countRequests } from '../support/request-counts.js';
import { bothVaultBackends, type SuiteBackend } from '../support/vault-backends.js';
import { probeSql } from './rotation-scenario.js';

/**
 * Issue 14's real-clock proof: the Vault token that reads the leases lives 3 s (max 6 s), the leases
 * 20 s (max 60 s). Vault revokes a lease with the token that read it, so every lease must be
 * replaced, on a new token, before its token ends: a new database user at least every 6 s, one
 * login per token lifetime, and not one failed query under bursty load (bursts of 16, then one
 * caller while the other connections sit idle).
 */
const TOKEN_TTL_S = 3;
const TOKEN_MAX_TTL_S = 6;
const LEASE_TTL_S = 20;
const LEASE_MAX_TTL_S = 60;
const BURSTY = { concurrency: 16, burstMs: 500, quietMs: 1_500 };
/** The primary backend runs the 20 s; the second one shorter, still three token lifetimes. */
const DURATION_MS = { primary: 20_000, secondary: 14_000 };

type Adapter = 'pg' | 'knex' | 'kysely';
const ADAPTERS: readonly Adapter[] = ['pg', 'knex', 'kysely'];

/** A probe over `adapter` and a way to close it. */
function adapterProbe(
  adapter: Adapter,
  fixture: DatabaseFixture,
  provider: VaultCredentialProvider,
): { probe: ProbeQuery; close: () => Promise<void> } {
  const sql = probeSql(fixture.table);
  type Row = { user: string; serverAt: number };
  if (adapter === 'pg') {
    const pool = createPool(fixture.name, { provider, max: 10 });
    return { probe: async () => (await pool.query<Row>(sql)).rows[0]!, close: () => pool.end() };
  }
  if (adapter === 'knex') {
    const db = knex(dataverkConfig(fixture.name, { provider, pool: { min: 0, max: 10 } }));
    return { probe: async () => (await db.raw<{ rows: Row[] }>(sql)).rows[0]!, close: () => db.destroy() };
  }
  const db = new Kysely<Record<never, never>>({
    dialect: new DataverkPostgresDialect(fixture.name, { provider, pool: { max: 10 } }),
  });
  const query = CompiledQuery.raw(sql);
  return { probe: async () => (await db.executeQuery<Row>(query)).rows[0]!, close: () => db.destroy() };
}

const cases = (await bothVaultBackends()).flatMap((suite) => ADAPTERS.map((adapter) => ({ ...suite, adapter })));

describe.each<SuiteBackend & { adapter: Adapter }>(cases)(
  'leases bounded by a 3 s / 6 s login token, under bursty load ($adapter, Vault $backend)',
  ({ adapter, backend, primary }) => {
    let fixture: DatabaseFixture;
    let provider: VaultCredentialProvider;
    const durationMs = primary ? DURATION_MS.primary : DURATION_MS.secondary;

    beforeAll(async () => {
      fixture = await databaseFixture({ ttl: LEASE_TTL_S, maxTtl: LEASE_MAX_TTL_S, backend });
      const policy = `db-user-${adapter}`;
      await fixture.vault.admin.writePolicy(
        policy,
        'path "database/creds/*" { capabilities = ["read"] }\npath "sys/leases/*" { capabilities = ["update"] }',
      );
      const { roleId, secretId } = await fixture.vault.admin.enableAppRole({
        role: `short-token-${adapter}`,
        policies: [policy],
        tokenTtl: TOKEN_TTL_S,
        tokenMaxTtl: TOKEN_MAX_TTL_S,
      });
      const { host, port, database } = fixture.postgres;
      provider = new VaultCredentialProvider({
        vault: createVaultClient({ address: fixture.vault.address, auth: { method: 'approle', roleId, secretId } }),
        resolve: async () => ({
          connectionString: `postgresql://user:pass@${host}:${port}/${database}`,
          vaultPath: fixture.vaultPath,
        }),
      });
    });
    afterAll(async () => {
      await provider?.close({ revoke: true });
      await fixture?.close();
    });

    it(`${durationMs / 1000} s: 0 failed queries, a new user at least every ${TOKEN_MAX_TTL_S} s, one login per token`, async () => {
      const record = fixture.record;
      let rotations = 0;
      provider.on('rotated', () => rotations++);
      const { probe, close } = adapterProbe(adapter, fixture, provider);
      record.resetCounts();
      const startedAt = Date.now();
      const outcomes = await runQueryLoad(probe, { ...BURSTY, durationMs });
      const endedAt = Date.now();
      await close();
      const counts = record.requestCounts();
      const logins = countRequests(counts, /approle\/login/);
      const summary = summarise(outcomes);
      const leases = record.leaseHistory().filter((lease) => lease.path === fixture.vaultPath);
      const issuedInWindow = leases
        .map((lease) => lease.issuedAt)
        .filter((at) => at >= startedAt - TOKEN_MAX_TTL_S * 1000 && at <= endedAt)
        .sort((a, b) => a - b);
      const gaps = issuedInWindow.slice(1).map((at, i) => at - issuedInWindow[i]!);
      const late = queriesAfterLeaseEnd(outcomes, leases);
      console.log(
        `[token-bounded ${adapter}, Vault ${backend}] ${durationMs / 1000} s: ${summary.total} queries, ${summary.failed} failed, ` +
          `${summary.users} users, ${logins} logins, ${rotations} rotations, longest gap between new users ${Math.max(...gaps)} ms, ` +
          `${late.length} after lease end`,
      );
      expect(summary.failures).toEqual([]);
      expect(summary.failed).toBe(0);
      expect(summary.total).toBeGreaterThan(100);
      expect(late).toEqual([]);
      // A new user at least every token lifetime: no lease outlives the token that read it.
      expect(Math.max(...gaps)).toBeLessThanOrEqual(TOKEN_MAX_TTL_S * 1000);
      expect(summary.users).toBeGreaterThanOrEqual(Math.floor(durationMs / (TOKEN_MAX_TTL_S * 1000)));
      // One login per token lifetime (≈ duration / 6 s + 1), not one per lease or per connection.
      const expectedLogins = durationMs / (TOKEN_MAX_TTL_S * 1000) + 1;
      expect(logins).toBeGreaterThanOrEqual(Math.floor(expectedLogins) - 1);
      expect(logins).toBeLessThanOrEqual(Math.ceil(expectedLogins) + 1);
    }, 60_000);
  },
);
