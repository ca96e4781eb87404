import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Signer } from '@aws-sdk/rds-signer';
import {
  awsRdsIamTokenSource,
  type CredentialProvider,
  closeIamLoginProviders,
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
  type AwsCredentialsEndpoint,
  envPostgres,
  parseAmzDate,
  type RdsIamFront,
  startAwsCredentialsEndpoint,
  startRdsIamFront,
  type TestPostgres,
} from '@dataverk/testkit';
import { sql as drizzleSql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
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
 * Issue 27: AWS RDS / Aurora IAM database authentication with the real AWS SDK (`@aws-sdk/rds-signer`,
 * its default credential chain reaching a container credentials endpoint of the testkit) against a
 * stand-in of RDS that checks every token as RDS does (SigV4 signature with the key's secret, user,
 * endpoint, region, expiry; `28P01` otherwise) before it hands the session to the real PostgreSQL.
 * The stand-in keeps tokens for `LIFETIME_MS` instead of 15 minutes, and the provider is told so by
 * a wrapper around the real token source (production lengths are proven under fake time in
 * packages/core/src/iam/iam-login-rotation.test.ts).
 */

const NAME = 'rds_sales';
const REGION = 'eu-north-1';
/** How long the stand-in accepts a token after its `X-Amz-Date` (whole seconds: tokens live 4–5 s). */
const LIFETIME_MS = 5_000;
/** How long the AWS credentials the endpoint hands out last. */
const CREDENTIALS_LIFETIME_MS = 1_000;

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('AWS RDS IAM on every adapter, through a token-checking RDS stand-in', () => {
  let endpoint: AwsCredentialsEndpoint;
  let front: RdsIamFront;
  let postgres: TestPostgres;
  let dir: string;
  let table: string;
  let user: string;
  const upstreamPassword = randomBytes(18).toString('base64url');
  const savedEnv: Record<string, string | undefined> = {};

  beforeAll(async () => {
    registerIssuedSecretSource({
      list: () => [{ kind: 'password', path: 'rds-iam upstream', value: upstreamPassword }],
    });
    // Credentials of 1 s: the SDK signs with those it holds until they end, whatever the endpoint does.
    endpoint = await startAwsCredentialsEndpoint({ credentialsLifetimeMs: CREDENTIALS_LIFETIME_MS });
    // The SDK's default chain, as on ECS/EKS: nothing in the environment but the container endpoint.
    const env: Record<string, string | undefined> = {
      ...endpoint.environment,
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_REGION: undefined,
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    };
    for (const [key, value] of Object.entries(env)) {
      savedEnv[key] = process.env[key];
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    const suffix = Math.random().toString(16).slice(2, 10);
    postgres = await fixtureDatabase(envPostgres(inject('postgres').url), `iam_${suffix}`);
    table = `probe_${suffix}`;
    user = `iam_app_${suffix}`;
    await superuserQuery(postgres, `CREATE TABLE ${table} (id serial PRIMARY KEY, note text)`);
    await superuserQuery(postgres, `CREATE ROLE ${user} LOGIN PASSWORD '${upstreamPassword}'`);
    await superuserQuery(postgres, `GRANT SELECT, INSERT ON ${table} TO ${user}`);
    await superuserQuery(postgres, `GRANT USAGE ON SEQUENCE ${table}_id_seq TO ${user}`);
    front = await startRdsIamFront({
      upstream: { host: postgres.host, port: postgres.port },
      region: REGION,
      keyOf: (id) => endpoint.keyOf(id),
      upstreamPassword: () => upstreamPassword,
      tokenLifetimeMs: LIFETIME_MS,
    });
    dir = await mkdtemp(join(tmpdir(), 'dataverk-rds-iam-'));
    await writeFile(
      join(dir, 'settings.json'),
      JSON.stringify({
        db_connection_strings: { [NAME]: `postgresql://${user}@${front.host}:${front.port}/${postgres.database}` },
        db_iam: { [NAME]: { provider: 'aws-rds', region: REGION } },
      }),
    );
  });

  afterAll(async () => {
    await front?.close();
    await endpoint?.close();
    for (const [key, value] of Object.entries(savedEnv)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  /** The real token source, its tokens counted, and told the stand-in's lifetime. */
  function tokens(signed: Record<Adapter, number>, adapter: Adapter): LoginTokenSourceFactory {
    return async (settings, name) => {
      const source = await awsRdsIamTokenSource(settings, name);
      return {
        ...source,
        fetchToken: async () => {
          const { token } = await source.fetchToken();
          signed[adapter]++;
          const date = /X-Amz-Date=(\d{8}T\d{6}Z)/.exec(token)?.[1] ?? '';
          return { token, expiresAt: (parseAmzDate(date) ?? Date.now()) + LIFETIME_MS };
        },
      };
    };
  }

  function providersWith(signed: Record<Adapter, number>) {
    return countedProviders((adapter) => ({
      vault: noVault('an IAM login'),
      resolve: settingsResolver(() => loadSettings({ path: dir })),
      iamTokens: tokens(signed, adapter),
    }));
  }

  it('the stand-in refuses a token signed with another key, or past its lifetime, with 28P01; takes a good one', async () => {
    const login = async (password: string) => {
      const client = new pg.Client({ host: front.host, port: front.port, user, database: postgres.database, password });
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
    const endpointOf = { hostname: front.host, port: front.port, username: user, region: REGION };
    const good = await new Signer(endpointOf).getAuthToken();
    const known = endpoint.keyOf(/X-Amz-Credential=([A-Z0-9]+)/.exec(good)![1]!)!;
    const forged = await new Signer({
      ...endpointOf,
      credentials: {
        accessKeyId: /X-Amz-Credential=([A-Z0-9]+)/.exec(good)![1]!,
        secretAccessKey: `${known.secretAccessKey}x`,
        sessionToken: known.sessionToken!,
      },
    }).getAuthToken();
    const otherUser = await new Signer({ ...endpointOf, username: `${user}_other` }).getAuthToken();
    registerIssuedSecretSource({
      list: () => [good, forged, otherUser].map((value) => ({ kind: 'token' as const, path: 'test', value })),
    });
    expect(await login(good)).toBe(user);
    expect(await login(forged)).toBe('refused 28P01');
    expect(await login(otherUser)).toBe('refused 28P01');
    // Past its lifetime by the stand-in's record of it (X-Amz-Date + LIFETIME_MS).
    const expiresAt = parseAmzDate(/X-Amz-Date=(\d{8}T\d{6}Z)/.exec(good)![1]!)! + LIFETIME_MS;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 50));
    expect(await login(good)).toBe('refused 28P01');
    expect(front.logins.slice(-4).map((l) => l.outcome)).toEqual([
      'accepted',
      'bad-signature',
      'wrong-user',
      'expired',
    ]);
  });

  it("every adapter's iam option, Client.readSql and Drizzle log in with tokens, settings holding only the connection string", async () => {
    const plainDir = await mkdtemp(join(tmpdir(), 'dataverk-rds-iam-plain-'));
    const url = `postgresql://${user}@${front.host}:${front.port}/${postgres.database}`;
    await writeFile(join(plainDir, 'settings.json'), JSON.stringify({ db_connection_strings: { [NAME]: url } }));
    const saved = process.env.DATAVERK_SETTINGS_PATH;
    process.env.DATAVERK_SETTINGS_PATH = plainDir;
    const iam: IamLoginSettings = { provider: 'aws-rds', region: REGION };
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
      // One provider for the name and these settings: logins with tokens, every one accepted.
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
    const signed = perAdapter(() => 0);
    const { providers, refused, errors } = providersWith(signed);
    const sql = sessionProbeSql(table);
    // Connections that close when idle for 200 ms: every burst logs in anew.
    const pools = adapterPools(NAME, providers, { max: 3, idleMs: 200 });
    // One connection per adapter, kept open and used once a second across every token's end.
    const keepers = adapterPools(NAME, providers, { max: 1, idleMs: 600_000 });
    const kept = perAdapter(() => [] as Probe[]);
    const loginsBefore = front.logins.length;
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
          // Three of the stand-in's token lifetimes, by the server's clock.
          until: () => ADAPTERS.every((a) => (kept[a].at(-1)?.serverAt ?? 0) > startedAt + 3 * LIFETIME_MS),
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
      `[rds-iam] ${(elapsedMs / 1000).toFixed(1)} s, tokens live ${LIFETIME_MS / 1000} s at the stand-in: ` +
        `${accepted} logins accepted, ${logins.length - accepted} refused, ${endpoint.served} credentials served`,
    );
    for (const [i, adapter] of ADAPTERS.entries()) {
      const summary = summarise(outcomes[i]!);
      const pids = new Set(kept[adapter].map((r) => r.pid));
      const span = kept[adapter].at(-1)!.serverAt - kept[adapter][0]!.serverAt;
      console.log(
        `[rds-iam] ${adapter}: ${summary.total} queries, ${summary.failed} failed, ${signed[adapter]} tokens signed, ` +
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
      // Tokens by lifetime (one every 2 s at least: 3 s of a 4–5 s token good for logins, × 2/3), not per login.
      expect(signed[adapter]).toBeLessThanOrEqual(Math.ceil(elapsedMs / 2_000) + 2);
      expect(refused[adapter]).toBe(0);
      expect(health[i]?.status).toBe('ok');
    }
    // More logins than tokens: pools logged in at every burst (110 against 32 here), tokens came by lifetime.
    const totalSigned = ADAPTERS.reduce((sum, a) => sum + signed[a], 0);
    expect(accepted).toBeGreaterThan(totalSigned);
    expect(logins.length - accepted).toBe(0);
    expect(errors).toEqual([]);
  });

  it('the credentials endpoint down: 0 failed while tokens last; past them new logins fail fast naming the source, sessions go on; back within seconds', async () => {
    const signed = perAdapter(() => 0);
    const { providers, errors } = providersWith(signed);
    const sql = sessionProbeSql(table);
    const keepers = adapterPools(NAME, providers, { max: 1, idleMs: 600_000 });
    const probeAll = async (pools: Record<Adapter, AdapterPool>) =>
      Promise.all(ADAPTERS.map(async (a) => (await pools[a].query<Probe>(sql))[0]!));
    const first = await probeAll(keepers);
    const newcomers = () =>
      Promise.allSettled(ADAPTERS.map((a) => newcomerLogin(a, NAME, providers[a] as CredentialProvider)));
    try {
      // Down just after each provider took a token: the held tokens outlast the first part.
      const tokensAt = ADAPTERS.map((a) => signed[a]);
      await until(() => ADAPTERS.every((a, i) => signed[a] > tokensAt[i]!), 'a token refreshed on schedule');
      endpoint.down();
      const downAt = Date.now();
      const refusedBefore = endpoint.refused;
      // While the held tokens last: new logins and open sessions work.
      const during = await newcomers();
      expect(during.map((r) => r.status)).toEqual(ADAPTERS.map(() => 'fulfilled'));
      // Until every provider has seen the source fail (the SDK's own retries take ~3 s) and its token
      // is past its time for logins.
      await until(
        () =>
          endpoint.refused > refusedBefore &&
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
      endpoint.up();
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
        `[rds-iam] endpoint down ${((askedAt - downAt) / 1000).toFixed(1)} s before logins past the tokens were tried: ` +
          `${past.filter((r) => r.status === 'rejected').length}/4 refused in ${failFastMs} ms ` +
          `(${reasons.map((e) => (isDataverkError(e) ? e.code : String(e))).join(', ')}); ` +
          `health ${health.map((h) => h?.status).join('/')}; open sessions answered: ${sessions.length}/4 ` +
          `(same backends: ${sessions.every((s, i) => s.pid === first[i]!.pid)}); ` +
          `new logins again ${recoveredAt - upAt} ms after the endpoint came back; ${errors.length} error events`,
      );
      for (const [i, reason] of reasons.entries()) {
        expect(isDataverkError(reason, 'DATAVERK_IAM_TOKEN_UNAVAILABLE'), String(reason)).toBe(true);
        expect(reason!.message).toContain(`db_iam.${NAME}`);
        expect(reason!.message).toContain('AWS RDS IAM token');
        expect(reason!.message).toContain('credential chain');
        // Open sessions work, new logins fail: degraded, with the token's time for logins past.
        expect(health[i]?.status).toBe('degraded');
        expect(health[i]?.loginsEndInMs).toBeLessThan(0);
      }
      expect(failFastMs).toBeLessThan(2_000);
      expect(sessions.every((s, i) => s.pid === first[i]!.pid)).toBe(true);
      // An attempt in flight when the endpoint returns may still be in the SDK's own retries (~3 s),
      // then the backoff (at most a quarter of a 5 s token): seconds, not the 30 s cap.
      expect(recoveredAt - upAt).toBeLessThan(8_000);
    } finally {
      endpoint.up();
      await Promise.all(ADAPTERS.map((a) => keepers[a].close()));
      await Promise.all(ADAPTERS.map((a) => (providers[a] as VaultCredentialProvider).close()));
    }
  });
});
