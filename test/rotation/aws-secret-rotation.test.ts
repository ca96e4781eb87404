import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import {
  loadSettings,
  type SecretsManagerPort,
  secretsManagerClient,
  settingsResolver,
  VaultCredentialProvider,
} from '@dataverk/core';
import {
  envPostgres,
  installMoto,
  locateMoto,
  MOTO_REQUIRED_VARIABLE,
  startMoto,
  type TestMoto,
  type TestPostgres,
} from '@dataverk/testkit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registerIssuedSecretSource } from '../../packages/testkit/src/vault/issued-secrets-in-process.js';
import {
  ADAPTERS,
  type Adapter,
  adapterPool,
  adapterPools,
  type SessionProbe as Probe,
  sessionProbeSql,
} from '../support/adapter-pools.js';
import { countedProviders, newcomerLogin, noVault, perAdapter } from '../support/adapter-providers.js';
import { fixtureDatabase, superuserQuery } from '../support/database-fixture.js';
import { runQueryLoad, summarise } from '../support/query-load.js';

/**
 * Issue 29, part 2: AWS Secrets Manager on a real moto server and a real PostgreSQL, every adapter
 * under a light bursty load. The test plays the rotation function, as a Lambda would: createSecret
 * (`PutSecretValue` with `AWSPENDING`), setSecret (`ALTER ROLE … PASSWORD`), finishSecret
 * (`UpdateSecretVersionStage` moving `AWSCURRENT`): first single-user (same user, new password),
 * then alternating users (the `_clone` user takes over). moto schedules rotations in whole days, so
 * here nobody knows the schedule: each rotation is seen by the 1 s `refresh_seconds` check or by a
 * refused login. Proves: no failed query, sessions kept across the single-user rotation, the old
 * user's sessions retired after the switch, AWS calls bounded, no password or AWS key in any output.
 * Then a single-user rotation at a known window (DescribeSecret's answer from moto, with the
 * `NextRotationDate` the test states, since moto's are whole days away): new pools logging in every
 * 200 ms through it, none refused.
 */

const NAME = 'aws_sales';
// As the notebook and Python dataverk tests do with theirs: moto is installed from PyPI (into .moto/)
// when it is not there yet, so that the README's test command runs this proof on a fresh clone.
const found = locateMoto();
const location = found.found ? found : await installMoto();
// CI installs moto and sets DATAVERK_TEST_MOTO_REQUIRED: there, a missing moto fails instead of skipping.
const required = process.env.CI !== undefined || process.env[MOTO_REQUIRED_VARIABLE] !== undefined;
const skipped = !location.found && !required;
if (skipped) {
  console.log(
    `[aws-secret] skipped: ${location.reason}. Install it with: node --import tsx scripts/install-moto.ts (moto[server] into .moto/)`,
  );
}

/**
 * Counts the calls a provider makes to Secrets Manager, everything else as the SDK does it; with
 * `nextRotationAt`, DescribeSecret states that window (moto schedules rotations in whole days).
 */
function counted(
  port: SecretsManagerPort,
  calls: { describe: number; get: number },
  nextRotationAt?: () => number,
): SecretsManagerPort {
  return {
    describeSecret: async (id) => {
      calls.describe++;
      const description = await port.describeSecret(id);
      return nextRotationAt === undefined ? description : { ...description, nextRotationAt: nextRotationAt() };
    },
    getCurrentValue: (id) => {
      calls.get++;
      return port.getCurrentValue(id);
    },
    close: () => port.close?.(),
  };
}

async function until(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.skipIf(skipped)(
  'AWS Secrets Manager (moto) on every adapter: single-user then alternating-users rotation',
  () => {
    let moto: TestMoto;
    let postgres: TestPostgres;
    let dir: string;
    let table: string;
    let users: [string, string];
    let admin: SecretsManagerClient;
    const savedEnv: Record<string, string | undefined> = {};
    const secretId = `dataverk/${NAME}/${randomUUID().slice(0, 8)}`;
    const passwords = Array.from({ length: 5 }, () => randomBytes(18).toString('base64url'));

    beforeAll(async () => {
      moto = await startMoto();
      registerIssuedSecretSource({
        list: () => [
          ...passwords.map((value) => ({ kind: 'password' as const, path: 'aws-secrets-manager', value })),
          { kind: 'token' as const, path: 'aws-secret-access-key', value: moto.secretAccessKey },
        ],
      });
      // The SDK's own chain, as in production: region, endpoint and credentials from the environment.
      const env = {
        AWS_REGION: moto.region,
        AWS_ENDPOINT_URL_SECRETS_MANAGER: moto.endpoint,
        AWS_ACCESS_KEY_ID: moto.accessKeyId,
        AWS_SECRET_ACCESS_KEY: moto.secretAccessKey,
      };
      for (const [key, value] of Object.entries(env)) {
        savedEnv[key] = process.env[key];
        process.env[key] = value;
      }
      const suffix = Math.random().toString(16).slice(2, 10);
      postgres = await fixtureDatabase(envPostgres(inject('postgres').url), `aws_${suffix}`);
      table = `probe_${suffix}`;
      users = [`aws_app_${suffix}`, `aws_app_${suffix}_clone`];
      await superuserQuery(postgres, `CREATE TABLE ${table} (id serial PRIMARY KEY, note text)`);
      for (const [i, user] of users.entries()) {
        await superuserQuery(postgres, `CREATE ROLE ${user} LOGIN PASSWORD '${passwords[i === 0 ? 0 : 2]}'`);
        await superuserQuery(postgres, `GRANT SELECT, INSERT ON ${table} TO ${user}`);
        await superuserQuery(postgres, `GRANT USAGE ON SEQUENCE ${table}_id_seq TO ${user}`);
      }
      admin = new SecretsManagerClient({});
      await admin.send(new CreateSecretCommand({ Name: secretId, SecretString: secretOf(users[0], passwords[0]!) }));
      dir = await mkdtemp(join(tmpdir(), 'dataverk-aws-'));
      await writeFile(
        join(dir, 'settings.json'),
        // No db_connection_strings: host, port and dbname come from the secret.
        JSON.stringify({ db_aws_secret: { [NAME]: { secret_id: secretId, refresh_seconds: 1, sslmode: 'disable' } } }),
      );
    });

    afterAll(async () => {
      admin?.destroy();
      await moto?.stop();
      for (const [key, value] of Object.entries(savedEnv)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      if (dir !== undefined) await rm(dir, { recursive: true, force: true });
    });

    function secretOf(username: string, password: string): string {
      return JSON.stringify({
        engine: 'postgres',
        host: postgres.host,
        port: postgres.port,
        dbname: postgres.database,
        username,
        password,
      });
    }

    /** The rotation function's four steps; `user` is the one whose password changes. */
    async function rotate(user: string, password: string): Promise<{ setAt: number; finishedAt: number }> {
      const token = randomUUID();
      const described = await admin.send(new DescribeSecretCommand({ SecretId: secretId }));
      const current = Object.entries(described.VersionIdsToStages ?? {}).find(([, s]) => s.includes('AWSCURRENT'))?.[0];
      await admin.send(
        new PutSecretValueCommand({
          SecretId: secretId,
          ClientRequestToken: token,
          SecretString: secretOf(user, password),
          VersionStages: ['AWSPENDING'],
        }),
      ); // createSecret
      await superuserQuery(postgres, `ALTER ROLE ${user} PASSWORD '${password}'`); // setSecret
      const setAt = Date.now();
      await admin.send(
        new UpdateSecretVersionStageCommand({
          SecretId: secretId,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: token,
          ...(current === undefined ? {} : { RemoveFromVersionId: current }),
        }),
      ); // finishSecret
      return { setAt, finishedAt: Date.now() };
    }

    it('rotations under bursty load: 0 failed queries, sessions kept, the old user retired, AWS calls bounded', async () => {
      const calls = perAdapter(() => ({ describe: 0, get: 0 }));
      const { providers, refused } = countedProviders((adapter) => ({
        vault: noVault('an AWS secret'),
        resolve: settingsResolver(() => loadSettings({ path: dir })),
        secretsManager: async (settings, name) => counted(await secretsManagerClient(settings, name), calls[adapter]),
      }));
      const sql = sessionProbeSql(table);
      const pools = adapterPools(NAME, providers, { max: 3 });
      const rows = perAdapter(() => [] as Probe[]);
      const marks: Record<string, number> = {};
      const after = (adapter: Adapter, at: number, user?: string) =>
        rows[adapter].some((r) => r.serverAt > at && (user === undefined || r.user === user));
      // A new pool logging in just after the single-user rotation, before anything told dataverk.
      const newcomer = (adapter: Adapter) => newcomerLogin(adapter, NAME, providers[adapter]);
      let newcomers: Promise<PromiseSettledResult<string>[]> | undefined;
      const script = async () => {
        // Every adapter has sessions in use before the first rotation.
        await until(() => ADAPTERS.every((a) => rows[a].length >= 10), 'queries before the rotation');
        marks.start = Date.now();
        const single = await rotate(users[0], passwords[1]!);
        marks.single = single.setAt;
        newcomers = Promise.allSettled(ADAPTERS.map((adapter) => newcomer(adapter)));
        await newcomers;
        // Each adapter's pool has run queries after the rotation (on sessions logged in before it, too).
        await until(
          () => ADAPTERS.every((a) => after(a, single.finishedAt + 1_500)),
          'queries after the single-user rotation',
        );
        const alternating = await rotate(users[1], passwords[3]!);
        marks.alternating = alternating.finishedAt;
        await until(
          () => ADAPTERS.every((a) => after(a, alternating.finishedAt, users[1])),
          'queries as the clone user',
        );
        marks.firstClone = Math.max(
          ...ADAPTERS.map((a) => rows[a].find((r) => r.user === users[1])?.serverAt ?? Number.POSITIVE_INFINITY),
        );
        await until(() => ADAPTERS.every((a) => after(a, marks.firstClone! + 1_500)), 'queries 1.5 s after the switch');
      };
      const scripted = script();
      let done = false;
      void scripted.finally(() => {
        done = true;
      });
      const startedAt = Date.now();
      const outcomes = await Promise.all(
        ADAPTERS.map((adapter) =>
          runQueryLoad(
            async () => {
              const row = (await pools[adapter].query<Probe>(sql))[0]!;
              rows[adapter].push(row);
              return row;
            },
            { concurrency: 3, durationMs: 40_000, burstMs: 300, quietMs: 700, quietPauseMs: 20, until: () => done },
          ),
        ),
      );
      await scripted;
      const elapsedMs = Date.now() - startedAt;
      const joined = await newcomers!;
      await Promise.all(ADAPTERS.map((a) => pools[a].close()));
      await Promise.all(ADAPTERS.map((a) => providers[a].close()));

      console.log(
        `[aws-secret] moto ${moto.endpoint}, ${(elapsedMs / 1000).toFixed(1)} s of load; new pools logging in right after the ` +
          `single-user rotation: ${joined.map((r, i) => `${ADAPTERS[i]} ${r.status === 'fulfilled' ? 'ok' : 'failed'}`).join(', ')}`,
      );
      for (const [i, adapter] of ADAPTERS.entries()) {
        const summary = summarise(outcomes[i]!);
        const before = new Set(rows[adapter].filter((r) => r.serverAt < marks.single!).map((r) => r.pid));
        const kept = new Set(
          rows[adapter]
            .filter((r) => r.serverAt > marks.single! && r.serverAt < marks.alternating! && before.has(r.pid))
            .map((r) => r.pid),
        ).size;
        const oldUserLate = rows[adapter].filter(
          (r) => r.user === users[0] && r.serverAt > marks.firstClone! + 1_000,
        ).length;
        const awsCalls = calls[adapter].describe + calls[adapter].get;
        console.log(
          `[aws-secret] ${adapter}: ${summary.total} queries, ${summary.failed} failed, ${refused[adapter]} refused logins, ` +
            `${awsCalls} AWS calls (${calls[adapter].describe} DescribeSecret, ${calls[adapter].get} GetSecretValue), ` +
            `${kept} sessions from before the single-user rotation used after it, ` +
            `${oldUserLate} queries as the old user 1 s after the switch` +
            (summary.failures.length > 0 ? `; ${summary.failures.slice(0, 3).join(' | ')}` : ''),
        );
        expect({ adapter, failed: summary.failed, failures: summary.failures }).toEqual({
          adapter,
          failed: 0,
          failures: [],
        });
        expect({ adapter, kept: kept > 0, oldUserLate }).toEqual({ adapter, kept: true, oldUserLate: 0 });
        // One check a second (refresh_seconds: 1), a value read per version, a few for the refusals.
        expect(calls[adapter].get).toBeLessThanOrEqual(3 + refused[adapter]);
        expect(awsCalls).toBeLessThanOrEqual(Math.ceil(elapsedMs / 1000) + 3 * (3 + refused[adapter]));
        // The newcomer's login was refused at most once; the load's logins rarely meet the window.
        expect(refused[adapter]).toBeLessThanOrEqual(4);
      }
      expect(joined.map((r) => (r.status === 'fulfilled' ? r.value : String(r.reason)))).toEqual(
        ADAPTERS.map(() => users[0]),
      );
    });

    it('a single-user rotation at a known NextRotationDate: new pools log in through it with 0 refused logins', async () => {
      // The window opens 2.5 s from now; the rotation function runs 300 ms into it, as AWS starts it.
      let windowAt = Date.now() + 2_500;
      const rotatedAt = perAdapter(() => 0);
      const calls = perAdapter(() => ({ describe: 0, get: 0 }));
      const { providers, refused } = countedProviders((adapter) => ({
        vault: noVault('an AWS secret'),
        resolve: settingsResolver(() => loadSettings({ path: dir })),
        secretsManager: async (settings, name) =>
          counted(await secretsManagerClient(settings, name), calls[adapter], () => windowAt),
      }));
      for (const adapter of ADAPTERS) {
        providers[adapter].on('rotated', () => {
          rotatedAt[adapter] = Date.now();
        });
      }
      const pools = adapterPools(NAME, providers, { max: 1 });
      const sql = sessionProbeSql(table);
      const before = await Promise.all(ADAPTERS.map(async (a) => (await pools[a].query<Probe>(sql))[0]!));
      // Single user: the rotation changes the password of the user the secret names now.
      const currentUser = before[0]!.user;
      const logins: { adapter: Adapter; startedAt: number; endedAt: number; user?: string; error?: string }[] = [];
      const login = async (adapter: Adapter) => {
        const startedAt = Date.now();
        const fresh = adapterPool(adapter, NAME, providers[adapter], { max: 1 });
        try {
          const [row] = await fresh.query<{ user: string }>('SELECT current_user::text AS "user"');
          logins.push({ adapter, startedAt, endedAt: Date.now(), user: row!.user });
        } catch (error) {
          logins.push({ adapter, startedAt, endedAt: Date.now(), error: String(error) });
        } finally {
          await fresh.close();
        }
      };
      const rotation = (async () => {
        await new Promise((resolve) => setTimeout(resolve, windowAt + 300 - Date.now()));
        const done = await rotate(currentUser, passwords[4]!);
        windowAt += 30 * 86_400_000; // AWS moves NextRotationDate on once the rotation succeeded
        return done;
      })();
      // New logins every 200 ms per adapter, from 1.5 s before the window to 2 s after it.
      const pending: Promise<void>[] = [];
      await new Promise((resolve) => setTimeout(resolve, windowAt - 1_500 - Date.now()));
      const endAt = windowAt + 2_000;
      while (Date.now() < endAt) {
        for (const adapter of ADAPTERS) pending.push(login(adapter));
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const { setAt, finishedAt } = await rotation;
      await Promise.all(pending);
      const after = await Promise.all(ADAPTERS.map(async (a) => (await pools[a].query<Probe>(sql))[0]!));
      await Promise.all(ADAPTERS.map((a) => pools[a].close()));
      await Promise.all(ADAPTERS.map((a) => providers[a].close()));
      for (const [i, adapter] of ADAPTERS.entries()) {
        const mine = logins.filter((l) => l.adapter === adapter);
        const failed = mine.filter((l) => l.error !== undefined);
        const longest = mine.reduce((worst, l) =>
          l.endedAt - l.startedAt > worst.endedAt - worst.startedAt ? l : worst,
        );
        const opened = windowAt - 30 * 86_400_000;
        const awsCalls = calls[adapter].describe + calls[adapter].get;
        console.log(
          `[aws-secret] known schedule, ${adapter}: ${mine.length} new logins through the rotation (set ${setAt - opened} ms ` +
            `into the window, promoted ${finishedAt - setAt} ms later, seen ${rotatedAt[adapter] - opened} ms into it), ${failed.length} failed, ` +
            `${refused[adapter]} refused, longest login ${longest.endedAt - longest.startedAt} ms (from ${longest.startedAt - opened} ms), ` +
            `${awsCalls} AWS calls, session from before ${before[i]!.pid === after[i]!.pid ? 'kept' : 'replaced'}`,
        );
        expect({ adapter, failed: failed.map((l) => l.error), refused: refused[adapter] }).toEqual({
          adapter,
          failed: [],
          refused: 0,
        });
        expect(after[i]!.pid).toBe(before[i]!.pid);
        expect(calls[adapter].get).toBe(2);
      }
    });

    it('through the real SDK: a missing secret, a malformed one and an unreachable endpoint fail with codes naming the setting, no value shown', async () => {
      const malformedId = `${secretId}-malformed`;
      const leaked = passwords[0]!;
      await admin.send(
        new CreateSecretCommand({ Name: malformedId, SecretString: JSON.stringify({ user: 'x', password: leaked }) }),
      );
      const settings = {
        missing: `${secretId}-missing`,
        malformed: malformedId,
        down: { secret_id: secretId, endpoint: 'http://127.0.0.1:9' },
      };
      await writeFile(join(dir, 'errors.json'), JSON.stringify({ db_aws_secret: settings }));
      const provider = new VaultCredentialProvider({
        vault: () => {
          throw new Error('an AWS secret needs no Vault client');
        },
        resolve: settingsResolver(() => loadSettings({ path: join(dir, 'errors.json') })),
      });
      const errorOf = async (name: string): Promise<Error & { code: string }> => {
        const error: unknown = await provider.getCredentials(name).then(
          () => new Error(`'${name}' got credentials`),
          (e: unknown) => e,
        );
        return error as Error & { code: string };
      };
      const [missing, malformed, down] = await Promise.all([errorOf('missing'), errorOf('malformed'), errorOf('down')]);
      await provider.close();
      for (const error of [missing, malformed, down]) console.log(`[aws-secret] ${error.code}: ${error.message}`);
      expect([missing.code, malformed.code, down.code]).toEqual([
        'DATAVERK_AWS_SECRET_NOT_FOUND',
        'DATAVERK_AWS_SECRET_INVALID',
        'DATAVERK_AWS_SECRET_UNREACHABLE',
      ]);
      expect(missing.message).toContain('db_aws_secret.missing');
      expect(malformed.message).toContain('"username"');
      expect(down.message).toContain('db_aws_secret.down');
      for (const error of [missing, malformed, down]) {
        expect(error.message).not.toContain(leaked);
        expect(error.message).not.toContain(moto.secretAccessKey);
      }
    });
  },
);
