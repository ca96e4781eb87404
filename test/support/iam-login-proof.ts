import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AcquireOptions,
  type CredentialProvider,
  closeIamLoginProviders,
  type IamLoginSettings,
  isDataverkError,
  type JsonValue,
  type LoginTokenSourceFactory,
  loadSettings,
  settingsResolver,
  type VaultCredentialProvider,
} from '@dataverk/core';
import { dataverkConfig } from '@dataverk/knex';
import { DataverkPostgresDialect } from '@dataverk/kysely';
import { Client, createPool } from '@dataverk/pg';
import { dataverkSql } from '@dataverk/postgres';
import { envPostgres, type IamLoginFront, type TestPostgres } from '@dataverk/testkit';
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
} from './adapter-pools.js';
import { countedProviders, newcomerLogin, noVault, perAdapter } from './adapter-providers.js';
import { fixtureDatabase, superuserQuery } from './database-fixture.js';
import { runQueryLoad, summarise } from './query-load.js';

/** The cloud's identity endpoint stand-in (AWS container credentials, Google metadata server). */
export interface IdentityEndpoint {
  /** Requests it refused (every request while down). */
  readonly refused: number;
  /** Resets every request until `up()`. */
  down(): void;
  up(): void;
}

/** Logins the database stand-in must refuse with `28P01`, and a good token it takes. */
export interface RefusalCases<Refusal extends string> {
  /** A token the stand-in takes for the proof's user. */
  readonly good: string;
  /** When the stand-in stops taking `good`, by its own record (then it is refused as `expired`). */
  readonly goodUntil: number;
  /** Each refused login, in order: its password, its user (default the proof's), and why by the stand-in's record. */
  readonly refused: readonly { readonly password: string; readonly user?: string; readonly outcome: Refusal }[];
}

/** One cloud's stand-ins, started for a proof by {@link IamLoginCloud.start}. */
export interface IamLoginStandIns<Refusal extends string> {
  /** The database user the tokens log in as (the role the proof creates). */
  readonly user: string;
  /** What the cloud SDK finds in `process.env` (`undefined`: unset), as on the cloud's hosts. */
  readonly environment: Readonly<Record<string, string | undefined>>;
  readonly endpoint: IdentityEndpoint;
  /** Tokens (or credentials) the endpoint has served so far. */
  served(): number;
  /** `db_iam.<name>` in `settings.json`. */
  readonly dbIam: JsonValue;
  /** The adapters' `iam` option, naming the same. */
  readonly iam: IamLoginSettings;
  /** The real token source (told the stand-in's token lifetime where the token does not say it). */
  readonly tokens: LoginTokenSourceFactory;
  /** Starts the token-checking database stand-in in front of the proof's PostgreSQL. */
  startFront(
    upstream: { readonly host: string; readonly port: number },
    upstreamPassword: () => string,
  ): Promise<IamLoginFront<Refusal>>;
  /** The cloud's own 28P01 cases against `front`. */
  refusalCases(front: IamLoginFront<Refusal>): Promise<RefusalCases<Refusal>>;
  /** What `DATAVERK_IAM_TOKEN_UNAVAILABLE` must say (besides `db_iam.<name>`) while the endpoint is down. */
  readonly unavailableWording: readonly string[];
  close(): Promise<void>;
}

/** What differs per cloud in {@link describeIamLoginProof}. */
export interface IamLoginCloud<Refusal extends string> {
  /** The describe block's title. */
  readonly title: string;
  /** The settings name. */
  readonly name: string;
  /** How long the stand-ins accept a token (instead of the cloud's 15 min or hour). */
  readonly lifetimeMs: number;
  /** The load proof's bound: at most one token per this many ms of load, plus 2 (see the cloud's file). */
  readonly tokenAtMostEveryMs: number;
  /** The fixture database's name prefix. */
  readonly databasePrefix: string;
  /** Starts the endpoint (`suffix` makes names unique); the proof sets its environment. */
  start(suffix: string): Promise<IamLoginStandIns<Refusal>>;
  /** The titles of the cloud's own 28P01 test and of its endpoint-down test. */
  readonly titles: { readonly refusals: string; readonly endpointDown: string };
  /** Words of the printed figures, e.g. `rds-iam` for `[rds-iam] …` lines. */
  readonly words: {
    readonly tag: string;
    /** Where tokens live `lifetimeMs`: `the stand-in`. */
    readonly lifetimeAt: string;
    /** The load line's endpoint figure from what it had served before the load and after: `12 credentials served`. */
    readonly servedFigure: (served: { readonly before: number; readonly after: number }) => string;
    /** What the source does to make a token: `signed`. */
    readonly tokenVerb: string;
    /** The endpoint in the outage line: `endpoint`, then `the endpoint` came back. */
    readonly endpoint: string;
    readonly endpointBack: string;
  };
}

/** Tokens each adapter's provider asked its source for, and those it got. */
interface TokenCounts {
  readonly asked: Record<Adapter, number>;
  readonly made: Record<Adapter, number>;
}

/** What the endpoint and the source recorded between a new login asking its provider and the answer. */
interface LoginWait {
  readonly ok: boolean;
  readonly endpointRequests: number;
  readonly tokensAsked: number;
}

/** Hang guard of the recovery wait: the proof waits on the endpoint and the sources, never on a guess of speed. */
const RECOVERY_GUARD_MS = 45_000;

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** `tokens`, counting the tokens asked for and made by `adapter`'s provider. */
function countedTokens(
  tokens: LoginTokenSourceFactory,
  counts: TokenCounts,
  adapter: Adapter,
): LoginTokenSourceFactory {
  return async (settings, name) => {
    const source = await tokens(settings, name);
    return {
      ...source,
      fetchToken: async () => {
        counts.asked[adapter]++;
        const token = await source.fetchToken();
        counts.made[adapter]++;
        return token;
      },
    };
  };
}

/**
 * `provider` as a new login sees it, recording for each `acquire` / `getCredentials` what
 * `counters` moved by between the call and its answer.
 */
function watchedLogins(
  provider: VaultCredentialProvider,
  counters: () => { readonly endpointRequests: number; readonly tokensAsked: number },
  waits: LoginWait[],
): CredentialProvider {
  const watch = <T>(ask: () => Promise<T>): Promise<T> => {
    const before = counters();
    const record = (ok: boolean) => {
      const after = counters();
      waits.push({
        ok,
        endpointRequests: after.endpointRequests - before.endpointRequests,
        tokensAsked: after.tokensAsked - before.tokensAsked,
      });
    };
    return ask().then(
      (value) => {
        record(true);
        return value;
      },
      (error: unknown) => {
        record(false);
        throw error;
      },
    );
  };
  return new Proxy(provider, {
    get(target, key) {
      if (key === 'acquire')
        return (name: string, options?: AcquireOptions) => watch(() => target.acquire(name, options));
      if (key === 'getCredentials') return (name: string) => watch(() => target.getCredentials(name));
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/**
 * Registers the proof of a cloud's IAM database authentication on every adapter (issue 27): the
 * real SDK reaching the cloud's identity endpoint stand-in, a token-checking database stand-in in
 * front of a real PostgreSQL, and
 * - the stand-in's `28P01` for tokens it must refuse (the cloud's cases, then one past its end);
 * - every adapter's `iam` option, `Client.readSql` and Drizzle logging in with tokens;
 * - bursty load on four adapters across token expiries: 0 failed queries, tokens by lifetime, a
 *   session kept throughout;
 * - the endpoint down: 0 failed while tokens last, then new logins fail fast (answered from what
 *   the provider holds, no request to the endpoint) naming the source, sessions go on; new logins
 *   again once the endpoint serves tokens again.
 *
 * @example
 * describeIamLoginProof({ title: 'AWS RDS IAM on every adapter', name: 'rds_sales', lifetimeMs: 5_000, ... });
 */
export function describeIamLoginProof<Refusal extends string>(cloud: IamLoginCloud<Refusal>): void {
  const { name: NAME, lifetimeMs: LIFETIME_MS, words } = cloud;
  const tag = `[${words.tag}]`;

  describe(cloud.title, () => {
    let standIns: IamLoginStandIns<Refusal>;
    let front: IamLoginFront<Refusal>;
    let postgres: TestPostgres;
    let dir: string;
    let table: string;
    let user: string;
    let url: string;
    const upstreamPassword = randomBytes(18).toString('base64url');
    const savedEnv: Record<string, string | undefined> = {};

    beforeAll(async () => {
      registerIssuedSecretSource({
        list: () => [{ kind: 'password', path: `${words.tag} upstream`, value: upstreamPassword }],
      });
      const suffix = Math.random().toString(16).slice(2, 10);
      standIns = await cloud.start(suffix);
      user = standIns.user;
      for (const [key, value] of Object.entries(standIns.environment)) {
        savedEnv[key] = process.env[key];
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      postgres = await fixtureDatabase(envPostgres(inject('postgres').url), `${cloud.databasePrefix}_${suffix}`);
      table = `probe_${suffix}`;
      await superuserQuery(postgres, `CREATE TABLE ${table} (id serial PRIMARY KEY, note text)`);
      await superuserQuery(postgres, `CREATE ROLE "${user}" LOGIN PASSWORD '${upstreamPassword}'`);
      await superuserQuery(postgres, `GRANT SELECT, INSERT ON ${table} TO "${user}"`);
      await superuserQuery(postgres, `GRANT USAGE ON SEQUENCE ${table}_id_seq TO "${user}"`);
      front = await standIns.startFront({ host: postgres.host, port: postgres.port }, () => upstreamPassword);
      url = `postgresql://${encodeURIComponent(user)}@${front.host}:${front.port}/${postgres.database}`;
      dir = await mkdtemp(join(tmpdir(), `dataverk-${words.tag}-`));
      await writeFile(
        join(dir, 'settings.json'),
        JSON.stringify({ db_connection_strings: { [NAME]: url }, db_iam: { [NAME]: standIns.dbIam } }),
      );
    });

    afterAll(async () => {
      await front?.close();
      await standIns?.close();
      for (const [key, value] of Object.entries(savedEnv)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    /** A provider per adapter on the real token source, its tokens counted. */
    function providersWith(counts: TokenCounts) {
      return countedProviders((adapter) => ({
        vault: noVault('an IAM login'),
        resolve: settingsResolver(() => loadSettings({ path: dir })),
        iamTokens: countedTokens(standIns.tokens, counts, adapter),
      }));
    }

    const tokenCounts = (): TokenCounts => ({ asked: perAdapter(() => 0), made: perAdapter(() => 0) });

    it(cloud.titles.refusals, async () => {
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
      const cases = await standIns.refusalCases(front);
      expect(await login(cases.good)).toBe(user);
      for (const refused of cases.refused)
        expect(await login(refused.password, refused.user), refused.outcome).toBe('refused 28P01');
      // Past its end, by the stand-in's record of it.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, cases.goodUntil - Date.now()) + 50));
      expect(await login(cases.good)).toBe('refused 28P01');
      expect(front.logins.slice(-(cases.refused.length + 2)).map((l) => l.outcome)).toEqual([
        'accepted',
        ...cases.refused.map((refused) => refused.outcome),
        'expired',
      ]);
    });

    it("every adapter's iam option, Client.readSql and Drizzle log in with tokens, settings holding only the connection string", async () => {
      const plainDir = await mkdtemp(join(tmpdir(), `dataverk-${words.tag}-plain-`));
      await writeFile(join(plainDir, 'settings.json'), JSON.stringify({ db_connection_strings: { [NAME]: url } }));
      const saved = process.env.DATAVERK_SETTINGS_PATH;
      process.env.DATAVERK_SETTINGS_PATH = plainDir;
      const iam = standIns.iam;
      const loginsBefore = front.logins.length;
      try {
        const who = 'SELECT current_user::text AS "user"';
        const pool = createPool(NAME, { iam, max: 1 });
        const viaPg = (await pool.query<{ user: string }>(who)).rows[0]?.user;
        const viaDrizzle = (await drizzle({ client: pool }).execute<{ user: string }>(drizzleSql.raw(who))).rows[0]
          ?.user;
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
      const counts = tokenCounts();
      const { providers, refused, errors } = providersWith(counts);
      const sql = sessionProbeSql(table);
      // Connections that close when idle for 200 ms: every burst logs in anew.
      const pools = adapterPools(NAME, providers, { max: 3, idleMs: 200 });
      // One connection per adapter, kept open and used once a second across every token's end.
      const keepers = adapterPools(NAME, providers, { max: 1, idleMs: 600_000 });
      const kept = perAdapter(() => [] as Probe[]);
      const loginsBefore = front.logins.length;
      const servedBefore = standIns.served();
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
            // The kept sessions span three of the stand-in's token lifetimes, by the server's clock.
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
        `${tag} ${(elapsedMs / 1000).toFixed(1)} s, tokens live ${LIFETIME_MS / 1000} s at ${words.lifetimeAt}: ` +
          `${accepted} logins accepted, ${logins.length - accepted} refused, ${words.servedFigure({ before: servedBefore, after: standIns.served() })}`,
      );
      for (const [i, adapter] of ADAPTERS.entries()) {
        const summary = summarise(outcomes[i]!);
        const pids = new Set(kept[adapter].map((r) => r.pid));
        const span = kept[adapter].at(-1)!.serverAt - kept[adapter][0]!.serverAt;
        console.log(
          `${tag} ${adapter}: ${summary.total} queries, ${summary.failed} failed, ` +
            `${counts.made[adapter]} tokens ${words.tokenVerb}, ` +
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
        // Tokens by lifetime (refresh timers: a loaded machine makes fewer, never more), not per login.
        expect(counts.made[adapter]).toBeLessThanOrEqual(Math.ceil(elapsedMs / cloud.tokenAtMostEveryMs) + 2);
        expect(refused[adapter]).toBe(0);
        expect(health[i]?.status).toBe('ok');
      }
      // More logins than tokens: pools logged in at every burst, tokens came by lifetime.
      const totalMade = ADAPTERS.reduce((sum, a) => sum + counts.made[a], 0);
      expect(accepted).toBeGreaterThan(totalMade);
      expect(logins.length - accepted).toBe(0);
      expect(errors).toEqual([]);
    });

    it(cloud.titles.endpointDown, { timeout: 120_000 }, async () => {
      const counts = tokenCounts();
      const { providers, errors } = providersWith(counts);
      const { endpoint } = standIns;
      const sql = sessionProbeSql(table);
      const keepers = adapterPools(NAME, providers, { max: 1, idleMs: 600_000 });
      const probeAll = async (pools: Record<Adapter, AdapterPool>) =>
        Promise.all(ADAPTERS.map(async (a) => (await pools[a].query<Probe>(sql))[0]!));
      const first = await probeAll(keepers);
      const newcomers = (providerOf: (adapter: Adapter) => CredentialProvider = (a) => providers[a]) =>
        Promise.allSettled(ADAPTERS.map((a) => newcomerLogin(a, NAME, providerOf(a))));
      try {
        // Down just after each provider took a token: the held tokens outlast the first part.
        const tokensAt = ADAPTERS.map((a) => counts.made[a]);
        await until(() => ADAPTERS.every((a, i) => counts.made[a] > tokensAt[i]!), 'a token refreshed on schedule');
        endpoint.down();
        const downAt = Date.now();
        const refusedBefore = endpoint.refused;
        // While the held tokens last: new logins and open sessions work.
        const during = await newcomers();
        expect(during.map((r) => r.status)).toEqual(ADAPTERS.map(() => 'fulfilled'));
        // Until every provider has seen the source fail (through the SDK's own retries) and its token
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
        // Each new login's wait on its provider, with what the endpoint and the source recorded meanwhile.
        const waits = perAdapter(() => [] as LoginWait[]);
        const askedAt = Date.now();
        const past = await newcomers((a) =>
          watchedLogins(
            providers[a],
            () => ({ endpointRequests: standIns.served() + endpoint.refused, tokensAsked: counts.asked[a] }),
            waits[a],
          ),
        );
        const failFastMs = Date.now() - askedAt;
        const health = ADAPTERS.map((a) => providers[a].health().names[NAME]);
        const sessions = await probeAll(keepers);
        endpoint.up();
        const upAt = Date.now();
        // Recovery: once the endpoint has served again and every provider has made a token from it,
        // the next new logins succeed (the guard only stops a hang).
        const servedAtUp = standIns.served();
        const madeAtUp = ADAPTERS.map((a) => counts.made[a]);
        await until(
          () => standIns.served() > servedAtUp && ADAPTERS.every((a, i) => counts.made[a] > madeAtUp[i]!),
          'the endpoint serving again and every provider making a token from it',
          RECOVERY_GUARD_MS,
        );
        const after = await newcomers();
        const recoveredAt = Date.now();
        const reasons = past.map((r) => (r.status === 'rejected' ? (r.reason as Error) : undefined));
        const waited = ADAPTERS.map((a) => ({
          adapter: a,
          refused: waits[a].length > 0 && waits[a].every((w) => !w.ok),
          endpointRequests: waits[a].reduce((sum, w) => sum + w.endpointRequests, 0),
          tokensAsked: waits[a].reduce((sum, w) => sum + w.tokensAsked, 0),
        }));
        console.log(
          `${tag} ${words.endpoint} down ${((askedAt - downAt) / 1000).toFixed(1)} s before logins past the tokens were tried: ` +
            `${past.filter((r) => r.status === 'rejected').length}/4 refused in ${failFastMs} ms ` +
            `(${reasons.map((e) => (isDataverkError(e) ? e.code : String(e))).join(', ')}; ` +
            `${waited.reduce((sum, w) => sum + w.endpointRequests, 0)} endpoint requests and ` +
            `${waited.reduce((sum, w) => sum + w.tokensAsked, 0)} tokens asked while they waited); ` +
            `health ${health.map((h) => h?.status).join('/')}; open sessions answered: ${sessions.length}/4 ` +
            `(same backends: ${sessions.every((s, i) => s.pid === first[i]!.pid)}); ` +
            `new logins again ${recoveredAt - upAt} ms after ${words.endpointBack} came back; ${errors.length} error events`,
        );
        for (const [i, reason] of reasons.entries()) {
          expect(isDataverkError(reason, 'DATAVERK_IAM_TOKEN_UNAVAILABLE'), String(reason)).toBe(true);
          expect(reason!.message).toContain(`db_iam.${NAME}`);
          for (const wording of standIns.unavailableWording) expect(reason!.message).toContain(wording);
          // Open sessions work, new logins fail: degraded, with the token's time for logins past.
          expect(health[i]?.status).toBe('degraded');
          expect(health[i]?.loginsEndInMs).toBeLessThan(0);
        }
        // Fail fast (rule 4 of token-refresh-watch.ts): each refused new login was answered from what
        // its provider held. Between its asking and the refusal the endpoint got no request and the
        // source was asked for no token: it neither caused a request nor waited for one.
        expect(waited).toEqual(
          ADAPTERS.map((adapter) => ({ adapter, refused: true, endpointRequests: 0, tokensAsked: 0 })),
        );
        expect(sessions.every((s, i) => s.pid === first[i]!.pid)).toBe(true);
        // Back once the endpoint serves: the first new logins after a token came all log in.
        expect(after.map((r) => r.status)).toEqual(ADAPTERS.map(() => 'fulfilled'));
      } finally {
        endpoint.up();
        await Promise.all(ADAPTERS.map((a) => keepers[a].close()));
        await Promise.all(ADAPTERS.map((a) => providers[a].close()));
      }
    });
  });
}
