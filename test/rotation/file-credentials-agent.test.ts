import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadSettings, nodeCredentialFileSystem, settingsResolver } from '@dataverk/core';
import { envPostgres, locateOpenBao, startVault, type TestPostgres, type TestVault } from '@dataverk/testkit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  ADAPTERS,
  type Adapter,
  adapterPools,
  type SessionProbe as Probe,
  sessionProbeSql,
} from '../support/adapter-pools.js';
import { countedProviders, noVault, perAdapter } from '../support/adapter-providers.js';
import { type BaoAgent, startBaoAgent } from '../support/bao-agent.js';
import { fixtureDatabase, superuserQuery } from '../support/database-fixture.js';
import { type QueryOutcome, runPacedCaller, runQueryLoad, summarise } from '../support/query-load.js';

/**
 * Issue 29, part 3: credentials from files a real `bao agent` renders, one from a Vault static role
 * (rotation_period 5 s: one user, a new password at each rotation) and one from a dynamic role
 * (6 s leases, ttl = max_ttl: a new user each time, its lease rendered), named by
 * `db_credentials_file` in settings.json, under bursty load on pg, knex, Kysely and postgres.js at
 * once, with a pool per adapter that logs in anew every 300 ms. Proves: no failed query; sessions of
 * the static role's user that logged in before the first password change still serve after the
 * second; no query as a dynamic user at or after the end its file stated; one file read per write
 * of the agent; and it counts the logins refused between Vault's rotation and the agent's render
 * (each one waited for the file, then logged in).
 */

const bao = locateOpenBao();
const ROTATION_PERIOD_S = 5;
const DYNAMIC_TTL_S = 6;
const STATIC_NAME = 'static_file';
const DYNAMIC_NAME = 'dynamic_file';

/**
 * Every version of a file the agent rendered, as read by the test every 50 ms (content, first
 * seen), and every write (a new inode or mtime, whether or not the content changed).
 */
class RenderLog {
  readonly versions: { readonly content: string; readonly seenAt: number }[] = [];
  writes = 0;
  #stamp = '';
  #stopped = false;
  readonly #done: Promise<void>;

  constructor(readonly path: string) {
    this.#done = this.#poll();
  }

  get changes(): number {
    return Math.max(0, this.versions.length - 1);
  }

  async #poll(): Promise<void> {
    while (!this.#stopped) {
      const stamp = await stat(this.path).then(
        (s) => `${s.ino}:${s.size}:${s.mtimeMs}`,
        () => '',
      );
      if (stamp !== '' && stamp !== this.#stamp) {
        if (this.#stamp !== '') this.writes++;
        this.#stamp = stamp;
      }
      const content = await readFile(this.path, 'utf8').catch(() => '');
      if (content !== '' && content !== this.versions.at(-1)?.content) {
        this.versions.push({ content, seenAt: Date.now() });
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#done;
  }
}

describe.skipIf(!bao.found)('credentials files rendered by bao agent, under bursty load on every adapter', () => {
  let postgres: TestPostgres;
  let vault: TestVault;
  let agent: BaoAgent | undefined;
  let dir: string;
  let table: string;

  beforeAll(async () => {
    if (!bao.found) return;
    const suffix = Math.random().toString(16).slice(2, 10);
    postgres = await fixtureDatabase(envPostgres(inject('postgres').url), `file_${suffix}`);
    vault = await startVault({ postgres });
    const user = `app_${suffix}`;
    table = `probe_${suffix}`;
    await superuserQuery(postgres, `CREATE ROLE ${user} LOGIN PASSWORD 'set-by-hand-before-vault'`);
    await superuserQuery(postgres, `CREATE TABLE ${table} (id serial PRIMARY KEY, note text)`);
    await superuserQuery(postgres, `GRANT SELECT, INSERT ON ${table} TO ${user}`);
    await superuserQuery(postgres, `GRANT USAGE ON SEQUENCE ${table}_id_seq TO ${user}`);
    await vault.admin.configureDatabase();
    await vault.admin.writeStaticRole(`app-${suffix}`, { username: user, rotationPeriod: ROTATION_PERIOD_S });
    await vault.admin.writeDatabaseRole(`dyn-${suffix}`, {
      creationStatements: [
        `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
        `GRANT SELECT, INSERT ON ${table} TO "{{name}}";`,
        `GRANT USAGE ON SEQUENCE ${table}_id_seq TO "{{name}}";`,
      ],
      defaultTtl: DYNAMIC_TTL_S,
      maxTtl: DYNAMIC_TTL_S,
    });
    dir = await mkdtemp(join(tmpdir(), 'dataverk-file-creds-'));
    agent = await startBaoAgent({
      binary: bao.path,
      vaultAddress: vault.address,
      token: vault.rootToken,
      templates: [
        {
          contents: `{{ with secret "database/static-creds/app-${suffix}" }}{"username":"{{ .Data.username }}","password":"{{ .Data.password }}"}{{ end }}`,
          destination: join(dir, 'static.json'),
        },
        {
          contents:
            `{{ with secret "database/creds/dyn-${suffix}" }}PGUSER={{ .Data.username }}\n` +
            `PGPASSWORD={{ .Data.password }}\nlease_id={{ .LeaseID }}\nlease_duration={{ .LeaseDuration }}\n{{ end }}`,
          destination: join(dir, 'dynamic.env'),
        },
      ],
    });
    const url = `postgresql://user:pass@${postgres.host}:${postgres.port}/${postgres.database}`;
    await writeFile(
      join(dir, 'settings.json'),
      JSON.stringify({
        db_connection_strings: { [STATIC_NAME]: url, [DYNAMIC_NAME]: url },
        db_credentials_file: {
          [STATIC_NAME]: join(dir, 'static.json'),
          [DYNAMIC_NAME]: { path: join(dir, 'dynamic.env'), format: 'env' },
        },
      }),
    );
    console.log(
      `[file-creds] Vault ${vault.backend}, bao agent ${agent.pid}: static role every ${ROTATION_PERIOD_S} s, dynamic ${DYNAMIC_TTL_S} s leases`,
    );
  });

  afterAll(async () => {
    await agent?.stop();
    await vault?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('0 failed queries; static sessions kept across two changes; no dynamic user used past its stated end; one read per change', async () => {
    const readTimes: string[] = [];
    const started = Date.now();
    const reads = perAdapter(() => 0);
    const { providers, invalidated, errors } = countedProviders((adapter) => ({
      vault: noVault('credentials files'),
      resolve: settingsResolver(() => loadSettings({ path: dir })),
      files: {
        ...nodeCredentialFileSystem,
        readFile: (path) => {
          reads[adapter]++;
          readTimes.push(`${adapter} ${path.endsWith('.json') ? 'static' : 'dynamic'} ${Date.now() - started}`);
          return nodeCredentialFileSystem.readFile(path);
        },
      },
    }));

    const sql = sessionProbeSql(table);
    const pools = [
      adapterPools(STATIC_NAME, providers, { max: 4 }),
      adapterPools(DYNAMIC_NAME, providers, { max: 3 }),
    ] as const;
    // Per adapter, a pool on the static file whose idle connection closes after 100 ms: its probe,
    // every 300 ms, logs in anew, also between Vault's rotation and the agent's render.
    const churnPools = adapterPools(STATIC_NAME, providers, { max: 1, idleMs: 100 });
    const churnProbe = async (adapter: Adapter) => (await churnPools[adapter].query<Probe>(sql))[0]!;
    const churnLogins = perAdapter(() => new Set<number>());
    let loadRunning = true;
    const churn = (adapter: Adapter): Promise<QueryOutcome[]> =>
      runPacedCaller(() => churnProbe(adapter), {
        pauseMs: 300,
        running: () => loadRunning,
        onRow: (row) => churnLogins[adapter].add(row.pid),
      });
    const probe = (adapter: Adapter, which: 0 | 1) => async () => (await pools[which][adapter].query<Probe>(sql))[0]!;
    const rows = perAdapter(() => [[], []] as Probe[][]);
    const recorded = (adapter: Adapter, which: 0 | 1) => async () => {
      const row = await probe(adapter, which)();
      rows[adapter][which]!.push(row);
      return row;
    };
    const staticLog = new RenderLog(join(dir, 'static.json'));
    const dynamicLog = new RenderLog(join(dir, 'dynamic.env'));
    // Until the agent has rendered each file anew twice and a burst and quiet phase ran since.
    const until = () =>
      staticLog.changes >= 2 &&
      dynamicLog.changes >= 2 &&
      Date.now() - Math.max(staticLog.versions[2]!.seenAt, dynamicLog.versions[2]!.seenAt) > 2_000;
    const shape = { durationMs: 30_000, burstMs: 400, quietMs: 1_200, quietPauseMs: 20, until };
    const churning = Promise.all(ADAPTERS.map((adapter) => churn(adapter)));
    const loads = await Promise.all(
      ADAPTERS.flatMap((adapter) => [
        runQueryLoad(recorded(adapter, 0), { ...shape, concurrency: 2 }),
        runQueryLoad(recorded(adapter, 1), { ...shape, concurrency: 1 }),
      ]),
    );
    loadRunning = false;
    const churned = await churning;
    const outcomes = ADAPTERS.map((_, i) => [...loads[2 * i]!, ...loads[2 * i + 1]!, ...churned[i]!]);
    await Promise.all([staticLog.stop(), dynamicLog.stop()]);
    const elapsed = Date.now() - started;
    await Promise.all([...ADAPTERS.flatMap((a) => [pools[0][a].close(), pools[1][a].close(), churnPools[a].close()])]);
    await Promise.all(ADAPTERS.map((a) => providers[a].close()));

    // The dynamic users' ends, as their files stated them: the first time each was seen plus its lease.
    const dynamicEnds = new Map<string, number>();
    for (const { content, seenAt } of dynamicLog.versions) {
      const user = /PGUSER=(.*)/.exec(content)?.[1] ?? '';
      const seconds = Number(/lease_duration=(\d+)/.exec(content)?.[1]);
      dynamicEnds.set(user, seenAt + seconds * 1000);
    }
    const staticFirst = staticLog.versions[1]!.seenAt;
    const staticSecond = staticLog.versions[2]!.seenAt;
    const changes = staticLog.changes + dynamicLog.changes;
    const writes = staticLog.writes + dynamicLog.writes;
    for (const [i, adapter] of ADAPTERS.entries()) {
      const all = summarise(outcomes[i]!);
      const kept = keptSessions(rows[adapter][0]!, staticFirst, staticSecond);
      const pastEnd = rows[adapter][1]!.filter((row) => row.serverAt >= (dynamicEnds.get(row.user) ?? 0)).length;
      const dynamicUsers = new Set(rows[adapter][1]!.map((row) => row.user)).size;
      console.log(
        `[file-creds] ${adapter}: ${all.total} queries, ${all.failed} failed, ${invalidated[adapter]} refused logins, ` +
          `${reads[adapter]} file reads for ${changes} changes in ${writes} writes (+2 first reads), ` +
          `${kept.kept} of ${kept.before} static sessions from before the first change used after the second, ` +
          `${dynamicUsers} dynamic users, ${pastEnd} queries past a stated end, ${churnLogins[adapter].size} churn logins, p99 ${all.p99} ms` +
          (all.failures.length > 0 ? `; ${all.failures.slice(0, 3).join(' | ')}` : ''),
      );
    }
    console.log(
      `[file-creds] ${(elapsed / 1000).toFixed(1)} s of load, ${staticLog.changes} static and ${dynamicLog.changes} dynamic renders; provider errors: ${errors.length}`,
    );
    for (const error of errors.slice(0, 5)) console.log(`[file-creds]   ${error}`);
    console.log(`[file-creds] reads (adapter, file, ms): ${readTimes.filter((r) => r.startsWith('pg ')).join('; ')}`);
    console.log(
      `[file-creds] renders seen (ms): static ${staticLog.versions.map((v) => v.seenAt - started).join(', ')}; dynamic ${dynamicLog.versions.map((v) => v.seenAt - started).join(', ')}`,
    );

    for (const [i, adapter] of ADAPTERS.entries()) {
      const all = summarise(outcomes[i]!);
      expect({ adapter, failed: all.failed, failures: all.failures }).toEqual({ adapter, failed: 0, failures: [] });
      expect({ adapter, kept: keptSessions(rows[adapter][0]!, staticFirst, staticSecond).kept > 0 }).toEqual({
        adapter,
        kept: true,
      });
      expect({
        adapter,
        pastEnd: rows[adapter][1]!.filter((row) => row.serverAt >= (dynamicEnds.get(row.user) ?? 0)).length,
      }).toEqual({ adapter, pastEnd: 0 });
      // A first read per file, then one per write of the agent (a new inode), never per login or poll.
      expect(reads[adapter]).toBeLessThanOrEqual(2 + writes);
      expect(reads[adapter]).toBeGreaterThanOrEqual(2 + changes);
    }
    expect(errors).toEqual([]);
  });
});

/** Backend pids that served a static query before `first` and again after `second` (server time). */
function keptSessions(rows: readonly Probe[], first: number, second: number) {
  const before = new Set(rows.filter((r) => r.serverAt < first).map((r) => r.pid));
  const after = new Set(rows.filter((r) => r.serverAt > second).map((r) => r.pid));
  return { before: before.size, kept: [...before].filter((pid) => after.has(pid)).length };
}
