import { randomBytes } from 'node:crypto';
import { createVaultClient, VaultCredentialProvider } from '@dataverk/core';
import { dataverkConfig } from '@dataverk/knex';
import { DataverkPostgresDialect } from '@dataverk/kysely';
import {
  envPostgres,
  HttpVaultAdmin,
  locateOpenBao,
  type OpenBaoCluster,
  type OpenBaoClusterNode,
  startOpenBaoCluster,
  type TestPostgres,
} from '@dataverk/testkit';
import knex from 'knex';
import { Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { probeSql } from '../rotation/rotation-scenario.js';
import { superuserQuery } from '../support/database-fixture.js';
import type { LoadShape } from '../support/query-load.js';
import { type FailoverFigures, runFailover } from './failover-run.js';

/** Leases long enough to outlive a failover (~2–4 s here) with margin, short enough to renew and rotate after it. */
const TTL = 10;
const MAX_TTL = 20;
/** Bursty load from knex and Kysely at once (6 callers each during bursts, DESIGN §7). */
const LOAD = { concurrency: 6, durationMs: 36_000, burstMs: 500, quietMs: 1_500 };
/** A third of the way in: the first lease has been renewed once and still has ~6 s to run. */
const STOP_AFTER_MS = 11_000;
const NAME = 'ha_db';
/**
 * Clients whose only address is the node that crashes: 45 s leases, whose first renewal is due
 * 31.5–33 s in (2/3 of the lease plus a third of a 10–20 % grace) with ~13 s left; the node is
 * killed 30.5 s in and started again 3 s later (a standby then), so that renewal meets the outage
 * while the lease still has time to wait for it.
 */
const CRASHED_ADDRESS = {
  ttl: 45,
  maxTtl: 90,
  stopAfterMs: 30_500,
  restartAfterMs: 3_000,
  load: { ...LOAD, durationMs: 48_000 },
};

const bao = locateOpenBao();
if (!bao.found) console.log(`[ha] SKIPPED: the HA failover scenario needs the bao binary: ${bao.reason}`);

describe.skipIf(!bao.found)('a 3-node OpenBao cluster with raft storage (server mode, loopback)', () => {
  let cluster: OpenBaoCluster;
  let postgres: TestPostgres;
  let vaultPath: string;
  let table: string;
  let login: { roleId: string; secretId: string };

  beforeAll(async () => {
    if (!bao.found) return;
    const startedAt = Date.now();
    cluster = await startOpenBaoCluster({ binary: bao.path });
    console.log(`[ha] cluster of ${cluster.nodes.length} started, unsealed and voting in ${Date.now() - startedAt} ms`);
    postgres = envPostgres(inject('postgres').url);
    const suffix = randomBytes(4).toString('hex');
    table = `ha_probe_${suffix}`;
    await superuserQuery(postgres, `CREATE TABLE ${table} (id serial PRIMARY KEY, note text)`);
    const admin = new HttpVaultAdmin({
      address: cluster.nodes[0]!.address,
      rootToken: cluster.rootToken,
      backend: 'openbao',
      postgres,
    });
    await admin.configureDatabase();
    const role = `ha_app_${suffix}`;
    const creationStatements = [
      `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
      `GRANT SELECT, INSERT ON ${table} TO "{{name}}";`,
      `GRANT USAGE ON SEQUENCE ${table}_id_seq TO "{{name}}";`,
    ];
    await admin.writeDatabaseRole(role, { creationStatements, defaultTtl: TTL, maxTtl: MAX_TTL });
    const { ttl, maxTtl } = CRASHED_ADDRESS;
    await admin.writeDatabaseRole(`${role}_long`, { creationStatements, defaultTtl: ttl, maxTtl });
    vaultPath = `database/creds/${role}`;
    await admin.writePolicy(
      'ha-app',
      `path "${vaultPath}*" { capabilities = ["read"] }
path "sys/leases/renew" { capabilities = ["update"] }
path "sys/leases/revoke" { capabilities = ["update"] }`,
    );
    login = await admin.enableAppRole({ role: 'ha-app', policies: ['ha-app'], tokenTtl: 600, tokenMaxTtl: 3600 });
    // Standbys serve reads from their own copy of the data: wait until each has the role.
    for (const node of cluster.nodes) await waitUntilReadable(node, `database/roles/${role}_long`, cluster.rootToken);
  }, 120_000);

  afterAll(async () => {
    const active = await cluster?.activeNode();
    if (active !== undefined && postgres !== undefined) {
      const admin = new HttpVaultAdmin({
        address: active.address,
        rootToken: cluster.rootToken,
        backend: 'openbao',
        postgres,
      });
      await admin.revokeDatabaseLeases().catch(() => {});
    }
    await cluster?.stop();
  });

  it('answers sys/health as documented: 501 before init, active 200, standby 429 (200 with standbyok=true)', async () => {
    const [active, ...standbys] = cluster.nodes;
    const statuses = {
      beforeInit: cluster.healthBeforeInit,
      active: (await cluster.health(active!)).status,
      standbys: await Promise.all(standbys.map(async (node) => (await cluster.health(node)).status)),
      standbysWithStandbyOk: await Promise.all(
        standbys.map(async (node) => (await cluster.health(node, 'standbyok=true')).status),
      ),
    };
    console.log(`[ha] sys/health ${JSON.stringify(statuses)}`);
    expect(statuses).toEqual({
      beforeInit: [501, 501, 501],
      active: 200,
      standbys: [429, 429],
      standbysWithStandbyOk: [200, 200],
    });
  });

  it('a sealed standby answers sys/health 503, and a read through it fails with VAULT_SEALED', async () => {
    const standby = cluster.nodes[2]!;
    await cluster.seal(standby);
    const health = await cluster.health(standby, 'standbyok=true');
    const client = createVaultClient({ address: standby.address, token: cluster.rootToken, maxAttempts: 1 });
    const error = await client.readDatabaseCredentials(vaultPath).then(
      () => undefined,
      (failure: unknown) => failure as { code?: string; status?: number },
    );
    await client.close();
    await cluster.unseal(standby);
    await cluster.waitUntilSettled();
    console.log(`[ha] sealed ${standby.nodeId}: sys/health ${health.status}, read: ${error?.code} ${error?.status}`);
    expect(health.status).toBe(503);
    expect(health.body?.sealed).toBe(true);
    expect(error?.code).toBe('VAULT_SEALED');
  });

  it('SIGKILL of the active node under load, clients at a standby: 0 failed queries, renewals and a rotation afterwards', async () => {
    const [victim, clientNode] = cluster.nodes;
    expect(await cluster.activeNode()).toBe(victim);
    // Clients talk to a standby (node 2), which forwards what it cannot serve to the active node.
    const figures = await failoverWithClientsAt(clientNode!, victim!, {
      vaultPath,
      load: LOAD,
      stopAfterMs: STOP_AFTER_MS,
    });
    console.log(`[ha] failover, clients at standby ${clientNode!.nodeId}: ${JSON.stringify(figures)}`);
    expect(figures.failures).toEqual([]);
    expect(figures.failed).toBe(0);
    expect(figures.queries).toBeGreaterThan(100);
    expect(figures.queriesAfterLeaseEnd).toBe(0);
    expect(figures.stopToNewLeaderMs).toBeDefined();
    expect(figures.stopToFirstVaultSuccessMs).toBeDefined();
    expect(figures.renewalsAfterStop).toBeGreaterThanOrEqual(1);
    expect(figures.rotationsAfterStop).toBeGreaterThanOrEqual(1);
  }, 150_000);

  it('clients pointed at the node that crashes: Vault calls fail until it is back, queries on valid leases do not', async () => {
    const stopped = cluster.nodes[0]!;
    if (!stopped.isRunning()) await cluster.restartNode(stopped);
    await cluster.waitUntilSettled();
    const active = await cluster.activeNode();
    // The single address the clients know is the active node's; it crashes and returns as a standby.
    const { stopAfterMs, restartAfterMs, load } = CRASHED_ADDRESS;
    const figures = await failoverWithClientsAt(active!, active!, {
      vaultPath: `${vaultPath}_long`,
      load,
      stopAfterMs,
      restartAfterMs,
    });
    console.log(`[ha] failover, clients at the crashing node ${active!.nodeId}: ${JSON.stringify(figures)}`);
    expect(figures.failures).toEqual([]);
    expect(figures.failed).toBe(0);
    expect(figures.queriesAfterLeaseEnd).toBe(0);
    expect(figures.stopToRestartedMs).toBeDefined();
    expect(figures.providerErrorsAfterStop.length).toBeGreaterThanOrEqual(1);
    // Nothing of the cluster answers the clients before the node is back.
    expect(figures.stopToFirstVaultSuccessMs).toBeGreaterThanOrEqual(restartAfterMs);
    // The renewal that met the outage is retried, or the lease replaced: either way through the returned node.
    expect(figures.renewalsAfterStop + figures.rotationsAfterStop).toBeGreaterThanOrEqual(1);
  }, 150_000);

  /** Bursty knex and Kysely load through a provider whose Vault address is `clientNode` (recorded); stops `victim`. */
  async function failoverWithClientsAt(
    clientNode: OpenBaoClusterNode,
    victim: OpenBaoClusterNode,
    run: {
      readonly vaultPath: string;
      readonly load: LoadShape;
      readonly stopAfterMs: number;
      readonly restartAfterMs?: number;
    },
  ): Promise<FailoverFigures> {
    const recorded = await cluster.recordNode(clientNode);
    const provider = new VaultCredentialProvider({
      vault: createVaultClient({ address: recorded.address, auth: { method: 'approle', ...login } }),
      resolve: async () => ({
        connectionString: `postgresql://user:pass@${postgres.host}:${postgres.port}/${postgres.database}`,
        vaultPath: run.vaultPath,
      }),
    });
    const knexDb = knex(dataverkConfig(NAME, { provider, pool: { min: 0, max: 8 } }));
    const kyselyDb = new Kysely<Record<string, never>>({
      dialect: new DataverkPostgresDialect(NAME, { provider, pool: { max: 8 } }),
    });
    const statement = probeSql(table);
    try {
      return await runFailover({
        cluster,
        provider,
        record: recorded.record,
        probes: [
          async () => (await knexDb.raw<{ rows: { user: string; serverAt: number }[] }>(statement)).rows[0]!,
          async () => (await sql.raw<{ user: string; serverAt: number }>(statement).execute(kyselyDb)).rows[0]!,
        ],
        shape: run.load,
        victim,
        signal: 'SIGKILL',
        stopAfterMs: run.stopAfterMs,
        ...(run.restartAfterMs === undefined ? {} : { restartAfterMs: run.restartAfterMs }),
      });
    } finally {
      await knexDb.destroy();
      await kyselyDb.destroy();
      await provider.close({ revoke: true });
    }
  }
});

async function waitUntilReadable(node: OpenBaoClusterNode, path: string, token: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const response = await fetch(`${node.address}/v1/${path}`, { headers: { 'X-Vault-Token': token } });
    await response.body?.cancel();
    if (response.status === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${node.nodeId} did not serve ${path} within 30 s`);
}
