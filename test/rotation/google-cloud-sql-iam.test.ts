import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CLOUD_SQL_LOGIN_SCOPE,
  type CredentialProvider,
  closeIamLoginProviders,
  googleCloudSqlIamTokenSource,
  type IamLoginSettings,
  isDataverkError,
  type LoginTokenSourceFactory,
  loadSettings,
  settingsResolver,
  type VaultCredentialProvider,
} from '@dataverk/core';
import { dataverkConfig } from '@dataverk/knex';
import { DataverkPostgresDialect } from '@dataverk/kysely';
import { Client, createPool } from '@dataverk/pg';
import { dataverkSql } from '@dataverk/postgres';
import {
  envPostgres,
  type GoogleMetadataServer,
  type GoogleTokenRefusal,
  googleTokenVerifier,
  type IamLoginFront,
  startGoogleMetadataServer,
  startIamLoginFront,
  type TestPostgres,
} from '@dataverk/testkit';
import { sql as drizzleSql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import { GoogleAuth } from 'google-auth-library';
import knex from 'knex';
import { Kysely, sql as kyselySql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registerIssuedSecretSource } from '../../packages/testkit/src/vault/issued-secrets-in-process.js';
import {
  ADAPTERS,
  type Adapter,
  type AdapterPool,
  adapterPools,
  type SessionProbe as Probe,
  sessionProbeSql,
} from '../support/adapter-pools.js';
import { countedProviders, newcomerLogin, noVault, perAdapter } from '../support/adapter-providers.js';
import { fixtureDatabase, superuserQuery } from '../support/database-fixture.js';
import { runQueryLoad, summarise } from '../support/query-load.js';

/**
 * Issue 27: Google Cloud SQL IAM database authentication with the real google-auth-library
 * (Application Default Credentials reaching the testkit's metadata server through
 * `GCE_METADATA_HOST`, as on Compute Engine, Cloud Run or GKE) against a stand-in of Cloud SQL that
 * checks every token as Cloud SQL does (a token the metadata server issued, before its end, with
 * the login scope, for the IAM user of the login; `28P01` otherwise) before it hands the session to
 * the real PostgreSQL. The metadata server issues tokens of `LIFETIME_MS` instead of an hour; the
 * token source reads that from `expires_in` as in production (production lengths are proven under
 * fake time in packages/core/src/iam/google-cloud-sql-iam-token-source.test.ts).
 */

const NAME = 'cloudsql_sales';
/** How long the metadata server's tokens live (`expires_in`). */
const LIFETIME_MS = 5_000;

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('Google Cloud SQL IAM on every adapter, through a token-checking Cloud SQL stand-in', () => {
  let metadata: GoogleMetadataServer;
  let front: IamLoginFront<GoogleTokenRefusal>;
  let postgres: TestPostgres;
  let dir: string;
  let table: string;
  /** The Cloud SQL IAM user: the service account's e-mail without `.gserviceaccount.com`. */
  let user: string;
  let url: string;
  const upstreamPassword = randomBytes(18).toString('base64url');
  const savedEnv: Record<string, string | undefined> = {};

  beforeAll(async () => {
    registerIssuedSecretSource({
      list: () => [{ kind: 'password', path: 'cloud-sql-iam upstream', value: upstreamPassword }],
    });
    const suffix = Math.random().toString(16).slice(2, 10);
    metadata = await startGoogleMetadataServer({
      tokenLifetimeMs: LIFETIME_MS,
      serviceAccount: `iam-app-${suffix}@dataverk-test.iam.gserviceaccount.com`,
    });
    user = `iam-app-${suffix}@dataverk-test.iam`;
    // Application Default Credentials as on Compute Engine: no key file, no gcloud login, the metadata server.
    const env: Record<string, string | undefined> = {
      ...metadata.environment,
      GOOGLE_APPLICATION_CREDENTIALS: undefined,
      CLOUDSDK_CONFIG: '/nonexistent/gcloud',
      // Spares the library's project lookup, which runs `gcloud config config-helper` in a shell
      // (1–2 s per GoogleAuth on this loaded machine) before the metadata server's project id.
      GOOGLE_CLOUD_PROJECT: 'dataverk-test',
      METADATA_SERVER_DETECTION: undefined,
    };
    for (const [key, value] of Object.entries(env)) {
      savedEnv[key] = process.env[key];
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    postgres = await fixtureDatabase(envPostgres(inject('postgres').url), `gcp_${suffix}`);
    table = `probe_${suffix}`;
    await superuserQuery(postgres, `CREATE TABLE ${table} (id serial PRIMARY KEY, note text)`);
    await superuserQuery(postgres, `CREATE ROLE "${user}" LOGIN PASSWORD '${upstreamPassword}'`);
    await superuserQuery(postgres, `GRANT SELECT, INSERT ON ${table} TO "${user}"`);
    await superuserQuery(postgres, `GRANT USAGE ON SEQUENCE ${table}_id_seq TO "${user}"`);
    front = await startIamLoginFront({
      upstream: { host: postgres.host, port: postgres.port },
      upstreamPassword: () => upstreamPassword,
      verify: googleTokenVerifier(metadata),
      refusal: (who) => `Cloud SQL IAM user authentication failed for user "${who}"`,
    });
    url = `postgresql://${encodeURIComponent(user)}@${front.host}:${front.port}/${postgres.database}`;
    dir = await mkdtemp(join(tmpdir(), 'dataverk-cloud-sql-iam-'));
    await writeFile(
      join(dir, 'settings.json'),
      JSON.stringify({ db_connection_strings: { [NAME]: url }, db_iam: { [NAME]: 'google-cloud-sql' } }),
    );
  });

  afterAll(async () => {
    await front?.close();
    await metadata?.close();
    for (const [key, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** The real token source, its tokens counted. */
  function tokens(fetched: Record<Adapter, number>, adapter: Adapter): LoginTokenSourceFactory {
    return async (settings, name) => {
      const source = await googleCloudSqlIamTokenSource(settings, name);
      return {
        ...source,
        fetchToken: async () => {
          const token = await source.fetchToken();
          fetched[adapter]++;
          return token;
        },
      };
    };
  }

  function providersWith(fetched: Record<Adapter, number>) {
    return countedProviders((adapter) => ({
      vault: noVault('an IAM login'),
      resolve: settingsResolver(() => loadSettings({ path: dir })),
      iamTokens: tokens(fetched, adapter),
    }));
  }

  it('the stand-in refuses an unknown token, one past its end, one without the login scope or for another user, with 28P01; takes a good one', async () => {
    const login = async (password: string, as = user) => {
      const client = new pg.Client({
        host: front.host,
        port: front.port,
        user: as,
        database: postgres.database,
        password,
      });
      try {
        await client.connect();
        const { rows } = await client.query<{ user: string }>('SELECT current_user::text AS "user"');
        return rows[0]!.user;
      } catch (error) {
        return `refused ${(error as { code?: string }).code}`;
      } finally {
        await client.end().catch(() => {});
      }
    };
    const good = (await new GoogleAuth({ scopes: [CLOUD_SQL_LOGIN_SCOPE] }).getAccessToken()) ?? '';
    const otherScope =
      (await new GoogleAuth({ scopes: ['https://www.googleapis.com/auth/userinfo.email'] }).getAccessToken()) ?? '';
    const forged = `ya29.${randomBytes(48).toString('base64url')}`;
    registerIssuedSecretSource({ list: () => [{ kind: 'token', path: 'test (forged)', value: forged }] });
    expect(await login(good)).toBe(user);
    expect(await login(forged)).toBe('refused 28P01');
    expect(await login(otherScope)).toBe('refused 28P01');
    expect(await login(good, 'someone-else@dataverk-test.iam')).toBe('refused 28P01');
    // Past its end, by the metadata server's record of it.
    const expiresAt = metadata.tokenInfo(good)!.expiresAt;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 50));
    expect(await login(good)).toBe('refused 28P01');
    expect(front.logins.slice(-5).map((l) => l.outcome)).toEqual([
      'accepted',
      'unknown-token',
      'missing-scope',
      'wrong-user',
      'expired',
    ]);
  });

  it("every adapter's iam option, Client.readSql and Drizzle log in with tokens, settings holding only the connection string", async () => {
    const plainDir = await mkdtemp(join(tmpdir(), 'dataverk-cloud-sql-iam-plain-'));
    await writeFile(join(plainDir, 'settings.json'), JSON.stringify({ db_connection_strings: { [NAME]: url } }));
    const saved = process.env.DATAVERK_SETTINGS_PATH;
    process.env.DATAVERK_SETTINGS_PATH = plainDir;
    const iam: IamLoginSettings = { provider: 'google-cloud-sql' };
    const loginsBefore = front.logins.length;
    try {
      const who = 'SELECT current_user::text AS "user"';
      const pool = createPool(NAME, { iam, max: 1 });
      const viaPg = (await pool.query<{ user: string }>(who)).rows[0]?.user;
      const viaDrizzle = (await drizzle({ client: pool }).execute<{ user: string }>(drizzleSql.raw(who))).rows[0]?.user;
      await pool.end();
      const knexDb = knex(dataverkConfig(NAME, { iam, pool: { min: 0, max: 1 } }));
      const viaKnex = (await knexDb.raw<{ rows: { user: string }[] }>(who)).rows[0]?.user;
      await knexDb.destroy();
      const kyselyDb = new Kysely<Record<string, never>>({ dialect: new DataverkPostgresDialect(NAME, { iam }) });
      const viaKysely = (await kyselySql<{ user: string }>`SELECT current_user::text AS "user"`.execute(kyselyDb))
        .rows[0]?.user;
      await kyselyDb.destroy();
      const postgresSql = dataverkSql(NAME, { iam, max: 1 });
      const viaPostgres = (await postgresSql.unsafe<{ user: string }[]>(who))[0]?.user;
      await postgresSql.end();
      const dv = new Client({ iam: { [NAME]: iam } });
      const viaReadSql = (await dv.readSql<{ user: string }>(NAME, who))[0]?.user;
      await dv.close();
      expect([viaPg, viaDrizzle, viaKnex, viaKysely, viaPostgres, viaReadSql]).toEqual(Array(6).fill(user));
      const logins = front.logins.slice(loginsBefore);
      expect(logins.length).toBeGreaterThanOrEqual(5);
      expect(logins.every((l) => l.outcome === 'accepted')).toBe(true);
    } finally {
      await closeIamLoginProviders();
      if (saved === undefined) delete process.env.DATAVERK_SETTINGS_PATH;
      else process.env.DATAVERK_SETTINGS_PATH = saved;
      await rm(plainDir, { recursive: true, force: true });
    }
  });

  it('bursty load across token expiries: 0 failed queries, tokens by lifetime not by login, a session kept throughout', async () => {
    const fetched = perAdapter(() => 0);
    const { providers, refused, errors } = providersWith(fetched);
    const sql = sessionProbeSql(table);
    // Connections that close when idle for 200 ms: every burst logs in anew.
    const pools = adapterPools(NAME, providers, { max: 3, idleMs: 200 });
    // One connection per adapter, kept open and used once a second across every token's end.
    const keepers = adapterPools(NAME, providers, { max: 1, idleMs: 600_000 });
    const kept = perAdapter(() => [] as Probe[]);
    const loginsBefore = front.logins.length;
    const issuedBefore = metadata.issued;
    const startedAt = Date.now();
    let done = false;
    const keeping = Promise.all(
      ADAPTERS.map(async (adapter) => {
        while (!done) {
          kept[adapter].push((await keepers[adapter].query<Probe>(sql))[0]!);
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        }
      }),
    );
    const outcomes = await Promise.all(
      ADAPTERS.map((adapter) =>
        runQueryLoad(async () => (await pools[adapter].query<Probe>(sql))[0]!, {
          concurrency: 3,
          durationMs: 30_000,
          burstMs: 200,
          quietMs: 800,
          quietPauseMs: 30,
          // The kept sessions span three of the metadata server's token lifetimes, by the server's clock.
          until: () =>
            ADAPTERS.every((a) => (kept[a].at(-1)?.serverAt ?? 0) - (kept[a][0]?.serverAt ?? 0) > 3 * LIFETIME_MS),
        }),
      ),
    );
    done = true;
    await keeping;
    const elapsedMs = Date.now() - startedAt;
    const health = ADAPTERS.map((a) => providers[a].health().names[NAME]);
    await Promise.all(ADAPTERS.flatMap((a) => [pools[a].close(), keepers[a].close()]));
    await Promise.all(ADAPTERS.map((a) => providers[a].close()));
    const logins = front.logins.slice(loginsBefore);
    const accepted = logins.filter((l) => l.outcome === 'accepted').length;
    console.log(
      `[cloud-sql-iam] ${(elapsedMs / 1000).toFixed(1)} s, tokens live ${LIFETIME_MS / 1000} s at the metadata server: ` +
        `${accepted} logins accepted, ${logins.length - accepted} refused, ${metadata.issued - issuedBefore} tokens issued`,
    );
    for (const [i, adapter] of ADAPTERS.entries()) {
      const summary = summarise(outcomes[i]!);
      const pids = new Set(kept[adapter].map((r) => r.pid));
      const span = kept[adapter].at(-1)!.serverAt - kept[adapter][0]!.serverAt;
      console.log(
        `[cloud-sql-iam] ${adapter}: ${summary.total} queries, ${summary.failed} failed, ${fetched[adapter]} tokens fetched, ` +
          `${refused[adapter]} refused logins, kept session: ${pids.size} backend over ${(span / 1000).toFixed(1)} s ` +
          `(${kept[adapter].length} queries), token time left ${health[i]?.loginsEndInMs} ms` +
          (summary.failures.length > 0 ? `; ${summary.failures.slice(0, 3).join(' | ')}` : ''),
      );
      expect({ adapter, failed: summary.failed, failures: summary.failures }).toEqual({
        adapter,
        failed: 0,
        failures: [],
      });
      // The kept connection was never retired: one backend across three token lifetimes.
      expect({ adapter, pids: pids.size, overLifetimes: span > 2.5 * LIFETIME_MS }).toEqual({
        adapter,
        pids: 1,
        overLifetimes: true,
      });
      // Tokens by lifetime (2/3 of the 4 s a 5 s token is good for logins: one every 2.7 s), not per login.
      expect(fetched[adapter]).toBeLessThanOrEqual(Math.ceil(elapsedMs / 2_500) + 2);
      expect(refused[adapter]).toBe(0);
      expect(health[i]?.status).toBe('ok');
    }
    const totalFetched = ADAPTERS.reduce((sum, a) => sum + fetched[a], 0);
    expect(accepted).toBeGreaterThan(totalFetched);
    expect(logins.length - accepted).toBe(0);
    expect(errors).toEqual([]);
  });

  it('the metadata server down: 0 failed while tokens last; past them new logins fail fast naming the source and the server, sessions go on; back within seconds', async () => {
    const fetched = perAdapter(() => 0);
    const { providers, errors } = providersWith(fetched);
    const sql = sessionProbeSql(table);
    const keepers = adapterPools(NAME, providers, { max: 1, idleMs: 600_000 });
    const probeAll = async (pools: Record<Adapter, AdapterPool>) =>
      Promise.all(ADAPTERS.map(async (a) => (await pools[a].query<Probe>(sql))[0]!));
    const first = await probeAll(keepers);
    const newcomers = () =>
      Promise.allSettled(ADAPTERS.map((a) => newcomerLogin(a, NAME, providers[a] as CredentialProvider)));
    try {
      // Down just after each provider took a token: the held tokens outlast the first part.
      const tokensAt = ADAPTERS.map((a) => fetched[a]);
      await until(() => ADAPTERS.every((a, i) => fetched[a] > tokensAt[i]!), 'a token refreshed on schedule');
      metadata.down();
      const downAt = Date.now();
      const refusedBefore = metadata.refused;
      // While the held tokens last: new logins and open sessions work.
      const during = await newcomers();
      expect(during.map((r) => r.status)).toEqual(ADAPTERS.map(() => 'fulfilled'));
      // Until every provider has seen the source fail and its token is past its time for logins.
      await until(
        () =>
          metadata.refused > refusedBefore &&
          ADAPTERS.every((a) => {
            const health = providers[a].health().names[NAME];
            return health?.vaultFailingForMs !== null && (health?.loginsEndInMs ?? 1) < 0;
          }),
        'tokens past their time for logins, the source failing',
      );
      const askedAt = Date.now();
      const past = await newcomers();
      const failFastMs = Date.now() - askedAt;
      const health = ADAPTERS.map((a) => providers[a].health().names[NAME]);
      const sessions = await probeAll(keepers);
      metadata.up();
      const upAt = Date.now();
      let recoveredAt = 0;
      for (;;) {
        const after = await newcomers();
        if (after.every((r) => r.status === 'fulfilled')) {
          recoveredAt = Date.now();
          break;
        }
        if (Date.now() - upAt > 15_000) throw new Error('no recovery within 15 s');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const reasons = past.map((r) => (r.status === 'rejected' ? (r.reason as Error) : undefined));
      console.log(
        `[cloud-sql-iam] metadata server down ${((askedAt - downAt) / 1000).toFixed(1)} s before logins past the tokens were tried: ` +
          `${past.filter((r) => r.status === 'rejected').length}/4 refused in ${failFastMs} ms ` +
          `(${reasons.map((e) => (isDataverkError(e) ? e.code : String(e))).join(', ')}); ` +
          `health ${health.map((h) => h?.status).join('/')}; open sessions answered: ${sessions.length}/4 ` +
          `(same backends: ${sessions.every((s, i) => s.pid === first[i]!.pid)}); ` +
          `new logins again ${recoveredAt - upAt} ms after the server came back; ${errors.length} error events`,
      );
      for (const [i, reason] of reasons.entries()) {
        expect(isDataverkError(reason, 'DATAVERK_IAM_TOKEN_UNAVAILABLE'), String(reason)).toBe(true);
        expect(reason!.message).toContain(`db_iam.${NAME}`);
        expect(reason!.message).toContain(`Google Cloud SQL IAM token for ${user}`);
        expect(reason!.message).toContain(`metadata server (${metadata.environment.GCE_METADATA_HOST})`);
        expect(health[i]?.status).toBe('degraded');
        expect(health[i]?.loginsEndInMs).toBeLessThan(0);
      }
      expect(failFastMs).toBeLessThan(2_000);
      expect(sessions.every((s, i) => s.pid === first[i]!.pid)).toBe(true);
      // The backoff is at most a quarter of a 5 s token, plus an attempt in the library's retries.
      expect(recoveredAt - upAt).toBeLessThan(8_000);
    } finally {
      metadata.up();
      await Promise.all(ADAPTERS.map((a) => keepers[a].close()));
      await Promise.all(ADAPTERS.map((a) => (providers[a] as VaultCredentialProvider).close()));
    }
  });
});
