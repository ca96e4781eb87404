import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import type { CredentialEvents } from '../credentials/credential-provider.js';
import { LoginCheckingDatabase } from '../credentials/login-checking-database.test-helpers.js';
import { VaultCredentialProvider } from '../credentials/vault-credential-provider.js';
import { isDataverkError } from '../errors.js';
import { AWS_REFUSED_READ_INTERVAL_MS } from './aws-rotation-watch.js';
import type { AwsSecretSettings } from './aws-secret-settings.js';
import { MemorySecretsManager } from './memory-secrets-manager.test-helpers.js';
import { SecretsManagerFailure } from './secrets-manager-port.js';

const START = Date.parse('2026-01-01T00:00:00.000Z');
const NAME = 'sales';
const SECRET_ID = 'prod/sales/postgres';
const DAY_MS = 86_400_000;
/** When the rotation function's steps run after the window opens (AWS starts it a little after). */
const CREATE_AFTER_MS = 2_000;
const SET_AFTER_MS = 2_300;
const FINISH_AFTER_MS = 2_600;

function awsProvider(clock: ManualClock, secrets: MemorySecretsManager, settings: Partial<AwsSecretSettings> = {}) {
  return new VaultCredentialProvider({
    vault: () => {
      throw new Error('an AWS secret must not make a Vault client');
    },
    clock,
    random: () => 0.5,
    secretsManager: () => secrets,
    resolve: async () => ({
      connectionString: 'postgresql://user:pass@db.internal:5432/sales',
      vaultPath: '',
      awsSecret: { secretId: SECRET_ID, refreshMs: 3_600_000, ...settings },
    }),
  });
}

function secretOf(username: string, password: string) {
  return { engine: 'postgres', host: 'db.internal', port: 5432, dbname: 'sales', username, password };
}

/**
 * Months of a 30-day schedule: one login an hour, every 250 ms from 10 s before each window
 * to 30 s after it; at each window the rotation function runs (`rotate(n)`).
 */
async function runSchedule(
  clock: ManualClock,
  secrets: MemorySecretsManager,
  db: LoginCheckingDatabase,
  rotations: number,
  rotate: (n: number) => void,
): Promise<void> {
  const pending: Promise<unknown>[] = [];
  for (let n = 1; n <= rotations; n++) {
    const windowAt = secrets.nextRotationAt ?? Number.POSITIVE_INFINITY;
    while (clock.now() < windowAt + 30_000) {
      const dense = clock.now() >= windowAt - 10_000;
      pending.push(db.login().then((handle) => handle?.release()));
      const step = dense ? 250 : 3_600_000;
      const next = Math.min(
        clock.now() + step,
        clock.now() < windowAt - 10_000 ? windowAt - 10_000 : Number.POSITIVE_INFINITY,
      );
      await clock.advance(next - clock.now());
      if (clock.now() === windowAt - 10_000) {
        clock.setTimeout(() => rotate(n), 10_000 + CREATE_AFTER_MS);
      }
    }
  }
  await clock.advance(20_000);
  await Promise.all(pending);
}

describe('AWS Secrets Manager at production periods (fake time)', () => {
  it('single user, rotated every 30 days for 6 months on a known schedule: 0 refused logins, bounded calls, sessions kept', async () => {
    const clock = new ManualClock(START);
    const secrets = new MemorySecretsManager(clock, SECRET_ID);
    secrets.putCurrent(secretOf('app', 'pw-0'));
    secrets.nextRotationAt = START + 30 * DAY_MS;
    const provider = awsProvider(clock, secrets);
    const db = new LoginCheckingDatabase(provider, NAME);
    const rotated: CredentialEvents['rotated'][] = [];
    provider.on('rotated', (e) => rotated.push(e));
    db.passwords.set('app', 'pw-0');
    const session = await db.login();
    const rotations = 6;
    await runSchedule(clock, secrets, db, rotations, (n) => {
      secrets.createPending(secretOf('app', `pw-${n}`)); // createSecret
      clock.setTimeout(() => db.passwords.set('app', `pw-${n}`), SET_AFTER_MS - CREATE_AFTER_MS); // setSecret
      clock.setTimeout(() => secrets.finish(30), FINISH_AFTER_MS - CREATE_AFTER_MS); // finishSecret
    });
    const days = (clock.now() - START) / DAY_MS;
    console.log(
      `aws secret, single user, 30 d x ${rotations} (${days.toFixed(0)} days): ${secrets.describes} DescribeSecret, ` +
        `${secrets.gets} GetSecretValue, ${db.ok} logins, ${db.refused} refused, ${db.failed} failed`,
    );
    expect(db.failed).toBe(0);
    expect(db.errors).toEqual([]);
    expect(db.refused).toBe(0);
    // One value read at the start and one per rotation; a description an hour and a few per window.
    expect(secrets.gets).toBe(1 + rotations);
    expect(secrets.describes).toBeLessThanOrEqual(Math.ceil(days * 24) + 6 * rotations + 2);
    expect(rotated).toHaveLength(rotations);
    // Same user, new password: the lease id stays, the session opened at the start is still current.
    expect(provider.isCurrent(NAME, session!.credentials.leaseId)).toBe(true);
    session!.release();
    await provider.close();
  });

  it('alternating users every 30 days: 0 refused logins, the previous user superseded at each rotation', async () => {
    // Three rotations: app → app_clone → app → app_clone (the first session's user is not current at the end).
    const clock = new ManualClock(START);
    const secrets = new MemorySecretsManager(clock, SECRET_ID);
    secrets.putCurrent(secretOf('app', 'pw-0'));
    secrets.nextRotationAt = START + 30 * DAY_MS;
    const provider = awsProvider(clock, secrets);
    const db = new LoginCheckingDatabase(provider, NAME);
    const rotated: CredentialEvents['rotated'][] = [];
    provider.on('rotated', (e) => rotated.push(e));
    db.passwords.set('app', 'pw-0');
    const session = await db.login();
    const userOf = (n: number) => (n % 2 === 0 ? 'app' : 'app_clone');
    await runSchedule(clock, secrets, db, 3, (n) => {
      secrets.createPending(secretOf(userOf(n), `pw-${n}`));
      // setSecret changes the other user's password: the current one keeps working.
      clock.setTimeout(() => db.passwords.set(userOf(n), `pw-${n}`), SET_AFTER_MS - CREATE_AFTER_MS);
      clock.setTimeout(() => secrets.finish(30), FINISH_AFTER_MS - CREATE_AFTER_MS);
    });
    console.log(
      `aws secret, alternating users, 30 d x 3: ${secrets.describes} DescribeSecret, ${secrets.gets} GetSecretValue, ` +
        `${db.ok} logins, ${db.refused} refused, ${db.failed} failed; users ${rotated.map((e) => e.user).join(', ')}`,
    );
    expect(db.failed).toBe(0);
    expect(db.refused).toBe(0);
    expect(rotated.map((e) => e.user)).toEqual(['app_clone', 'app', 'app_clone']);
    // The first user's lease was superseded at the first rotation: its sessions retire as they return.
    expect(provider.isCurrent(NAME, session!.credentials.leaseId)).toBe(false);
    expect(secrets.gets).toBe(4);
    session!.release();
    await provider.close();
  });

  it('a rotation nobody scheduled: one refused login, then the new password; reads paced while refused', async () => {
    const clock = new ManualClock(START);
    const secrets = new MemorySecretsManager(clock, SECRET_ID);
    secrets.putCurrent(secretOf('app', 'pw-0'));
    const provider = awsProvider(clock, secrets);
    const db = new LoginCheckingDatabase(provider, NAME);
    db.passwords.set('app', 'pw-0');
    const session = await db.login();
    // Day 10, 13:37: an operator's "rotate now" (createSecret, setSecret, finishSecret in 600 ms).
    await clock.advance(10 * DAY_MS + 49_020_000);
    secrets.createPending(secretOf('app', 'pw-1'));
    await clock.advance(300);
    db.passwords.set('app', 'pw-1');
    await clock.advance(300);
    secrets.finish();
    const before = secrets.calls;
    const login = db.login();
    await clock.advance(10);
    expect((await login) === undefined).toBe(false);
    expect(db.refused).toBe(1);
    expect(secrets.calls - before).toBe(2); // one DescribeSecret, one GetSecretValue

    // Day 20: a login between setSecret and finishSecret (AWSPENDING not promoted for 3 s).
    await clock.advance(10 * DAY_MS);
    secrets.createPending(secretOf('app', 'pw-2'));
    db.passwords.set('app', 'pw-2');
    const atRefusal = secrets.describes;
    const waiting = db.login();
    clock.setTimeout(() => secrets.finish(), 3_000);
    for (let t = 0; t < 8; t++) await clock.advance(1_000);
    expect((await waiting) === undefined).toBe(false);
    // At the refusal (pending seen, not promoted), then 5 s later (promoted): two checks.
    expect(secrets.describes - atRefusal).toBe(2);
    expect(db.refused).toBe(2);

    // The password changed behind the secret's back: logins keep being refused, reads stay paced.
    db.passwords.set('app', 'changed-by-hand');
    const describesBefore = secrets.describes;
    const logins: Promise<unknown>[] = [];
    for (let t = 0; t < 240; t++) {
      logins.push(db.login().then((handle) => handle?.release()));
      await clock.advance(250);
    }
    await clock.advance(10_000);
    await Promise.all(logins);
    const reads = secrets.describes - describesBefore;
    console.log(
      `aws secret, refused for 60 s: ${db.refused - 2} refused logins, ${reads} DescribeSecret (at most one per 5 s)`,
    );
    expect(reads).toBeLessThanOrEqual(70_000 / AWS_REFUSED_READ_INTERVAL_MS + 1);
    expect(db.failed).toBeGreaterThan(0);
    expect(provider.isCurrent(NAME, session!.credentials.leaseId) || db.refused > 0).toBe(true);
    session!.release();
    await provider.close();
  });

  it('Secrets Manager down: held credentials keep serving; a first read fails with a code naming the setting', async () => {
    const clock = new ManualClock(START);
    const secrets = new MemorySecretsManager(clock, SECRET_ID);
    secrets.putCurrent(secretOf('app', 'pw-0'));
    const provider = awsProvider(clock, secrets, { refreshMs: 60_000 });
    const first = await provider.getCredentials(NAME);
    secrets.failure = new SecretsManagerFailure('unreachable', 'TimeoutError');
    await clock.advance(5 * 60_000);
    const later = await provider.getCredentials(NAME);
    expect(later.leaseId).toBe(first.leaseId);
    expect(provider.health().names[NAME]?.lastError?.code).toBe('DATAVERK_AWS_SECRET_UNREACHABLE');
    // Checks while failing: at most one per 5 s (plus the planned one).
    expect(secrets.describes).toBeLessThanOrEqual(1 + 5 * 12 + 1);
    await provider.close();

    const missing = new MemorySecretsManager(clock, 'another/secret');
    const none = awsProvider(clock, missing);
    const error = await none.getCredentials(NAME).catch((e: unknown) => e);
    expect(isDataverkError(error, 'DATAVERK_AWS_SECRET_NOT_FOUND')).toBe(true);
    expect((error as Error).message).toContain(`db_aws_secret.${NAME}`);
    await none.close();

    const denied = new MemorySecretsManager(clock, SECRET_ID);
    denied.failure = new SecretsManagerFailure('access-denied', 'AccessDeniedException: not authorized');
    const refusedProvider = awsProvider(clock, denied);
    const deniedError = await refusedProvider.getCredentials(NAME).catch((e: unknown) => e);
    expect(isDataverkError(deniedError, 'DATAVERK_AWS_SECRET_ACCESS_DENIED')).toBe(true);
    expect((deniedError as Error).message).toContain('secretsmanager:GetSecretValue');
    await refusedProvider.close();
  });

  it('a malformed secret: the missing field named, the value never shown', async () => {
    const clock = new ManualClock(START);
    const secrets = new MemorySecretsManager(clock, SECRET_ID);
    secrets.putCurrent({ username: 'app', pass: 'hunter2-secret-value' });
    const provider = awsProvider(clock, secrets);
    const error = await provider.getCredentials(NAME).catch((e: unknown) => e);
    expect(isDataverkError(error, 'DATAVERK_AWS_SECRET_INVALID')).toBe(true);
    expect((error as Error).message).toContain('"password"');
    expect((error as Error).message).not.toContain('hunter2');
    secrets.putCurrent('not json hunter2-secret-value');
    await clock.advance(10_000);
    const notJson = await provider.getCredentials(NAME).catch((e: unknown) => e);
    expect((notJson as Error).message).toContain('is not JSON');
    expect((notJson as Error).message).not.toContain('hunter2');
    await provider.close();
  });
});
