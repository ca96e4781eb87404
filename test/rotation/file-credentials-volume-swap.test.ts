import { mkdir, mkdtemp, rename, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDataverkError, loadSettings, settingsResolver } from '@dataverk/core';
import { createPool } from '@dataverk/pg';
import { envPostgres, type TestPostgres } from '@dataverk/testkit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registerIssuedSecretSource } from '../../packages/testkit/src/vault/issued-secrets-in-process.js';
import {
  ADAPTERS,
  type Adapter,
  adapterPools,
  type SessionProbe as Probe,
  sessionProbeSql,
} from '../support/adapter-pools.js';
import { countedProviders, newcomerLogin, noVault, perAdapter } from '../support/adapter-providers.js';
import { fixtureDatabase, superuserQuery } from '../support/database-fixture.js';
import { runQueryLoad, summarise } from '../support/query-load.js';

/**
 * Issue 29, part 3: a Kubernetes Secret volume (username and password files, links through `..data`,
 * swapped the way the kubelet's AtomicWriter does it) on a real PostgreSQL, every adapter under a
 * light bursty load. The password changes twice (the database first, the volume 300 ms later, as a
 * kubelet sync lags), then the user; then the files go away. Proves: no failed query, sessions kept
 * across password changes, the old user's sessions retired once the volume names another, the
 * credentials held serving while the files are gone, and then, for a new login the database
 * refuses, an error that names the setting and the file and shows no password.
 */

const NAME = 'k8s_secret';

/** A Secret volume as the kubelet writes it: `..<timestamp>/` with the keys, `..data` → it, `key` → `..data/key`. */
class SecretVolume {
  #generation = 0;
  #current: string | undefined;

  constructor(readonly dir: string) {}

  async write(data: Record<string, string>): Promise<void> {
    const version = `..2026_12_07_00_00_00.${String(++this.#generation).padStart(9, '0')}`;
    await mkdir(join(this.dir, version));
    for (const [key, value] of Object.entries(data)) await writeFile(join(this.dir, version, key), value);
    // The atomic part: a new ..data link renamed over the old one.
    await symlink(version, join(this.dir, '..data_tmp'));
    await rename(join(this.dir, '..data_tmp'), join(this.dir, '..data'));
    for (const key of Object.keys(data)) {
      await symlink(join('..data', key), join(this.dir, key)).catch(() => {});
    }
    if (this.#current !== undefined) await rm(join(this.dir, this.#current), { recursive: true });
    this.#current = version;
  }

  async remove(keys: readonly string[]): Promise<void> {
    for (const key of keys) await unlink(join(this.dir, key));
  }
}

describe('a Kubernetes Secret volume (..data swap) on every adapter', () => {
  let postgres: TestPostgres;
  let dir: string;
  let table: string;
  let users: [string, string];

  beforeAll(async () => {
    const suffix = Math.random().toString(16).slice(2, 10);
    postgres = await fixtureDatabase(envPostgres(inject('postgres').url), `k8s_${suffix}`);
    table = `probe_${suffix}`;
    users = [`k8s_a_${suffix}`, `k8s_b_${suffix}`];
    await superuserQuery(postgres, `CREATE TABLE ${table} (id serial PRIMARY KEY, note text)`);
    for (const user of users) {
      await superuserQuery(postgres, `CREATE ROLE ${user} LOGIN PASSWORD 'volume-pw-0-${suffix}'`);
      await superuserQuery(postgres, `GRANT SELECT, INSERT ON ${table} TO ${user}`);
      await superuserQuery(postgres, `GRANT USAGE ON SEQUENCE ${table}_id_seq TO ${user}`);
    }
    dir = await mkdtemp(join(tmpdir(), 'dataverk-k8s-'));
    await mkdir(join(dir, 'secret'));
    await writeFile(
      join(dir, 'settings.json'),
      JSON.stringify({
        db_connection_strings: {
          [NAME]: `postgresql://user:pass@${postgres.host}:${postgres.port}/${postgres.database}`,
        },
        db_credentials_file: {
          [NAME]: { username_file: join(dir, 'secret', 'username'), password_file: join(dir, 'secret', 'password') },
        },
      }),
    );
  });

  afterAll(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('password changes keep sessions, a new user retires them, files gone: held credentials serve, then a clear error', async () => {
    const suffix = table.slice('probe_'.length);
    const volume = new SecretVolume(join(dir, 'secret'));
    const password = (n: number) => `volume-pw-${n}-${suffix}`;
    // The suite's after-all check looks for these in everything this file printed.
    registerIssuedSecretSource({
      list: () =>
        [0, 1, 2, 3]
          .map((n) => password(n))
          .concat(`changed-behind-the-volume-${suffix}`)
          .map((value) => ({ kind: 'password' as const, path: 'k8s-secret-volume', value })),
    });
    await volume.write({ username: users[0], password: password(0) });
    const { providers, refused } = countedProviders(() => ({
      vault: noVault('credentials files'),
      resolve: settingsResolver(() => loadSettings({ path: dir })),
    }));
    const sql = sessionProbeSql(table);
    const pools = adapterPools(NAME, providers, { max: 3 });
    const probes = (adapter: Adapter) => async () => (await pools[adapter].query<Probe>(sql))[0]!;
    const rows = perAdapter(() => [] as Probe[]);
    const marks: Record<string, number> = {};
    // A new pool that logs in between the database's change and the volume's: the password it gets
    // is refused, and its login waits for the volume, then succeeds.
    const newcomer = (adapter: Adapter) => newcomerLogin(adapter, NAME, providers[adapter]);
    let newcomers: Promise<PromiseSettledResult<string>[]> | undefined;
    const script = async () => {
      const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
      for (const n of [1, 2]) {
        await pause(1_500);
        await superuserQuery(postgres, `ALTER ROLE ${users[0]} PASSWORD '${password(n)}'`);
        marks[`db${n}`] = Date.now();
        if (n === 1) newcomers = Promise.allSettled(ADAPTERS.map((adapter) => newcomer(adapter)));
        await pause(300); // the kubelet's sync comes later
        await volume.write({ username: users[0], password: password(n) });
        marks[`volume${n}`] = Date.now();
      }
      await pause(1_500);
      await superuserQuery(postgres, `ALTER ROLE ${users[1]} PASSWORD '${password(3)}'`);
      await volume.write({ username: users[1], password: password(3) });
      marks.user = Date.now();
      await pause(1_500);
      await volume.remove(['username', 'password']);
      marks.removed = Date.now();
      await pause(1_500);
    };
    const scripted = script();
    let done = false;
    void scripted.finally(() => {
      done = true;
    });
    const outcomes = await Promise.all(
      ADAPTERS.map((adapter) =>
        runQueryLoad(
          async () => {
            const row = await probes(adapter)();
            rows[adapter].push(row);
            return row;
          },
          { concurrency: 3, durationMs: 20_000, burstMs: 300, quietMs: 700, quietPauseMs: 20, until: () => done },
        ),
      ),
    );
    await scripted;
    const joined = await newcomers!;

    // Files gone, then the database refuses the password held: a new login fails, saying why.
    await superuserQuery(postgres, `ALTER ROLE ${users[1]} PASSWORD 'changed-behind-the-volume-${suffix}'`);
    const lateLogin = createPool(NAME, { provider: providers.pg, max: 1 });
    const failure = await lateLogin.query('SELECT 1').catch((error: unknown) => error);
    await lateLogin.end();
    // Sessions already open still work (their password was checked at login).
    const stillOpen = await pools.pg.query<Probe>(sql);

    await Promise.all(ADAPTERS.map((a) => pools[a].close()));
    await Promise.all(ADAPTERS.map((a) => providers[a].close()));

    const refusedLogins = { ...refused };
    console.log(
      `[k8s-volume] new pools logging in between the database's change and the volume's: ${joined
        .map((r, i) => `${ADAPTERS[i]} ${r.status === 'fulfilled' ? 'ok' : `failed (${(r.reason as Error).message})`}`)
        .join(', ')}`,
    );
    const message = failure instanceof Error ? failure.message : String(failure);
    console.log(`[k8s-volume] a new login after the files went and the password changed: ${message}`);
    for (const [i, adapter] of ADAPTERS.entries()) {
      const summary = summarise(outcomes[i]!);
      const first = rows[adapter].filter((r) => r.serverAt < marks.db1!).map((r) => r.pid);
      const keptAfterSecond = new Set(
        rows[adapter].filter((r) => r.serverAt > marks.volume2! && r.user === users[0]).map((r) => r.pid),
      );
      const kept = new Set(first.filter((pid) => keptAfterSecond.has(pid))).size;
      const oldUserAfter = rows[adapter].filter((r) => r.user === users[0] && r.serverAt > marks.user! + 1_000).length;
      const servedWhileGone = rows[adapter].filter((r) => r.serverAt > marks.removed! + 200).length;
      console.log(
        `[k8s-volume] ${adapter}: ${summary.total} queries, ${summary.failed} failed, ${refused[adapter]} refused logins, ` +
          `${kept} sessions from before the password changes used after them, ${oldUserAfter} queries as the old user 1 s after the new one, ` +
          `${servedWhileGone} served with the files gone` +
          (summary.failures.length > 0 ? `; ${summary.failures.slice(0, 3).join(' | ')}` : ''),
      );
      expect({ adapter, failed: summary.failed, failures: summary.failures }).toEqual({
        adapter,
        failed: 0,
        failures: [],
      });
      expect({ adapter, kept: kept > 0, oldUserAfter, servedWhileGone: servedWhileGone > 0 }).toEqual({
        adapter,
        kept: true,
        oldUserAfter: 0,
        servedWhileGone: true,
      });
    }
    expect(joined.map((r) => (r.status === 'fulfilled' ? r.value : String(r.reason)))).toEqual(
      ADAPTERS.map(() => users[0]),
    );
    // Each newcomer was refused once (then waited for the volume); the late login once more (pg).
    expect(refusedLogins).toEqual({ pg: 2, knex: 1, kysely: 1, postgres: 1 });
    expect(stillOpen[0]!.user).toBe(users[1]);
    expect(isDataverkError(failure, 'DATAVERK_CREDENTIALS_FILE_UNREADABLE')).toBe(true);
    expect(message).toContain(`'${NAME}'`);
    expect(message).toContain(join(dir, 'secret', 'username'));
    for (const n of [0, 1, 2, 3]) expect(message).not.toContain(password(n));
  });
});
