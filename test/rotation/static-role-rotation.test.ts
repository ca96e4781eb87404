import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createVaultClient, loadSettings, settingsResolver, type VaultClient } from '@dataverk/core';
import { envPostgres, startVault, type TestPostgres, type TestVault } from '@dataverk/testkit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ADAPTERS,
  type Adapter,
  type AdapterPool,
  adapterPools,
  type SessionProbe as Probe,
  sessionProbeSql,
} from '../support/adapter-pools.js';
import { countedProviders, perAdapter } from '../support/adapter-providers.js';
import { fixtureDatabase, superuserQuery } from '../support/database-fixture.js';
import { type QueryOutcome, runPacedCaller, runQueryLoad, summarise } from '../support/query-load.js';

/**
 * Issue 29, part 1: a Vault static role (`database/static-creds/<role>`, rotation_period 10 s) named
 * by Python dataverk's settings.json, under bursty load on every adapter at once, across two
 * rotations the server records. Proves: no failed query, no refused login (the provider reads the
 * new password just after each rotation instead of finding it by a 28P01), a bounded number of
 * Vault reads, and sessions that logged in before a rotation still serving queries after it.
 */

const ROTATION_PERIOD_S = 10;
const NAME = 'postgres_database';

/** The role's rotations as Vault records them (`last_vault_rotation`), polled while the test runs. */
class RotationLog {
  readonly rotations: number[] = [];
  #last: string | undefined;
  #stopped = false;
  readonly #done: Promise<void>;

  constructor(
    readonly vault: TestVault,
    readonly path: string,
  ) {
    this.#done = this.#poll();
  }

  async #poll(): Promise<void> {
    while (!this.#stopped) {
      const response = await fetch(`${this.vault.address}/v1/${this.path}`, {
        headers: { 'X-Vault-Token': this.vault.rootToken },
      });
      const { data } = (await response.json()) as { data: { last_vault_rotation: string } };
      if (this.#last !== undefined && data.last_vault_rotation !== this.#last) {
        this.rotations.push(Date.parse(data.last_vault_rotation));
      }
      this.#last = data.last_vault_rotation;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#done;
  }
}

/** A Vault client that counts the provider's reads of credentials. */
function countingClient(client: VaultClient, counts: { reads: number }): VaultClient {
  return {
    address: client.address,
    read: (path) => client.read(path),
    write: (path, body) => client.write(path, body),
    readDatabaseCredentials: (path, options) => {
      counts.reads++;
      return client.readDatabaseCredentials(path, options);
    },
    renewLease: (leaseId, increment) => client.renewLease(leaseId, increment),
    revokeLease: (leaseId, options) => client.revokeLease(leaseId, options),
    close: (options) => client.close(options),
  };
}

describe('Vault static role (rotation_period 10 s) under bursty load on pg, knex, Kysely and postgres.js', () => {
  let postgres: TestPostgres;
  let vault: TestVault;
  let settingsDir: string;
  let table: string;
  let staticPath: string;

  beforeAll(async () => {
    const suffix = Math.random().toString(16).slice(2, 10);
    postgres = await fixtureDatabase(envPostgres(inject('postgres').url), `static_${suffix}`);
    vault = await startVault({ postgres });
    const user = `app_${suffix}`;
    table = `probe_${suffix}`;
    await superuserQuery(postgres, `CREATE ROLE ${user} LOGIN PASSWORD 'set-by-hand-before-vault'`);
    await superuserQuery(postgres, `CREATE TABLE ${table} (id serial PRIMARY KEY, note text)`);
    await superuserQuery(postgres, `GRANT SELECT, INSERT ON ${table} TO ${user}`);
    await superuserQuery(postgres, `GRANT USAGE ON SEQUENCE ${table}_id_seq TO ${user}`);
    await vault.admin.configureDatabase();
    await vault.admin.writeStaticRole(`app-${suffix}`, { username: user, rotationPeriod: ROTATION_PERIOD_S });
    staticPath = `database/static-creds/app-${suffix}`;
    // Python dataverk's settings.json, unchanged: a placeholder URL and a static-creds path.
    settingsDir = await mkdtemp(join(tmpdir(), 'dataverk-static-'));
    await writeFile(
      join(settingsDir, 'settings.json'),
      JSON.stringify({
        db_connection_strings: {
          [NAME]: `postgresql://user:pass@${postgres.host}:${postgres.port}/${postgres.database}`,
        },
        db_vault_path: { [NAME]: staticPath },
      }),
    );
    console.log(`[static-role] Vault ${vault.backend}: ${staticPath}, rotation_period ${ROTATION_PERIOD_S} s`);
  });

  afterAll(async () => {
    await vault?.stop();
    if (settingsDir !== undefined) await rm(settingsDir, { recursive: true, force: true });
  });

  it('0 failed queries, 0 refused logins, bounded reads, sessions kept across two rotations', async () => {
    const counts = perAdapter(() => ({ reads: 0 }));
    const { providers, refused, invalidated, errors } = countedProviders((adapter) => ({
      vault: countingClient(createVaultClient({ address: vault.address, token: vault.rootToken }), counts[adapter]),
      resolve: settingsResolver(() => loadSettings({ path: settingsDir })),
    }));

    const sql = sessionProbeSql(table);
    // Per adapter, a pool whose connections stay open (idle ones across both rotations), and a churn
    // pool whose idle connections close after 200 ms: its probe, every 600 ms, logs in anew through
    // the same long-lived pool (postgres.js: a new connection of the same instance), also just after
    // each rotation.
    const pools = adapterPools(NAME, providers, { max: 6 });
    const churnPools = adapterPools(NAME, providers, { max: 1, idleMs: 200 });
    const probe = async (from: Record<Adapter, AdapterPool>, adapter: Adapter) =>
      (await from[adapter].query<Probe>(sql))[0]!;
    const sessions = perAdapter(() => [] as Probe[]);
    const churned = perAdapter(() => [] as Probe[]);
    const recorded = (adapter: Adapter) => async () => {
      const row = await probe(pools, adapter);
      sessions[adapter].push(row);
      return row;
    };
    let loadRunning = true;
    const churn = (adapter: Adapter): Promise<QueryOutcome[]> =>
      runPacedCaller(() => probe(churnPools, adapter), {
        pauseMs: 600,
        running: () => loadRunning,
        onRow: (row) => churned[adapter].push(row),
      });
    const log = new RotationLog(vault, staticPath);
    const started = Date.now();
    // Until the server has rotated twice and a whole burst and quiet phase has run since.
    const until = () => log.rotations.length >= 2 && Date.now() - log.rotations[1]! > 3_000;
    const churning = Promise.all(ADAPTERS.map((adapter) => churn(adapter)));
    const outcomes = await Promise.all(
      ADAPTERS.map((adapter) =>
        runQueryLoad(recorded(adapter), {
          concurrency: 6,
          durationMs: 34_000,
          burstMs: 500,
          quietMs: 1_500,
          until,
        }),
      ),
    );
    loadRunning = false;
    const churnOutcomes = await churning;
    await log.stop();
    const byAdapter = perAdapter((a) => [...outcomes[ADAPTERS.indexOf(a)]!, ...churnOutcomes[ADAPTERS.indexOf(a)]!]);

    // Sessions (backend pids) that served a query before the first rotation and again after the second.
    const [first, second] = log.rotations;
    for (const adapter of ADAPTERS) {
      const summary = summarise(byAdapter[adapter]);
      const pids = pidsAround(sessions[adapter], first, second);
      const logins = pidsAround(churned[adapter], first, second).newAfterFirst;
      console.log(
        `[static-role] ${adapter}: ${summary.total} queries, ${summary.failed} failed, ${invalidated[adapter]} refused logins (${refused[adapter]} 'refused' events), ` +
          `${log.rotations.length} rotations, ${counts[adapter].reads} Vault reads, ` +
          `${pids.kept} of ${pids.before} sessions from before the first rotation used after the second, ` +
          `${logins} churn logins after the first, p99 ${summary.p99} ms` +
          (summary.failures.length > 0 ? `; ${summary.failures.join(' | ')}` : ''),
      );
    }
    console.log(
      `[static-role] ${((Date.now() - started) / 1000).toFixed(1)} s of load; provider errors: ${errors.length}`,
    );
    for (const error of errors.slice(0, 5)) console.log(`[static-role]   ${error}`);

    await Promise.all(ADAPTERS.flatMap((a) => [pools[a].close(), churnPools[a].close()]));
    await Promise.all(ADAPTERS.map((a) => providers[a].close()));

    expect(log.rotations.length).toBeGreaterThanOrEqual(2);
    for (const adapter of ADAPTERS) {
      const summary = summarise(byAdapter[adapter]);
      expect({ adapter, failed: summary.failed, failures: summary.failures }).toEqual({
        adapter,
        failed: 0,
        failures: [],
      });
      expect({ adapter, refused: refused[adapter], invalidated: invalidated[adapter] }).toEqual({
        adapter,
        refused: 0,
        invalidated: 0,
      });
      // A first read, then a few per rotation (the queue may rotate a tick late), never one per login.
      expect(counts[adapter].reads).toBeLessThanOrEqual(1 + 5 * log.rotations.length);
      const kept = pidsAround(sessions[adapter], first, second).kept;
      const logins = pidsAround(churned[adapter], first, second).newAfterFirst;
      expect({ adapter, kept: kept > 0, newLogins: logins > 5 }).toEqual({
        adapter,
        kept: true,
        newLogins: true,
      });
    }
  });
});

/**
 * Backend pids seen before `first` (server time), how many of them served a query after `second`,
 * and how many sessions first served a query after `first` (logins made after a rotation).
 */
function pidsAround(rows: readonly Probe[], first = Number.POSITIVE_INFINITY, second = Number.POSITIVE_INFINITY) {
  const before = new Set<number>();
  const after = new Set<number>();
  const firstSeen = new Map<number, number>();
  for (const { pid, serverAt } of rows) {
    if (serverAt < first) before.add(pid);
    if (serverAt > second) after.add(pid);
    firstSeen.set(pid, Math.min(firstSeen.get(pid) ?? serverAt, serverAt));
  }
  const newAfterFirst = [...firstSeen.values()].filter((at) => at > first).length;
  return { before: before.size, kept: [...before].filter((pid) => after.has(pid)).length, newAfterFirst };
}
