import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import type { CredentialEvents, LeaseHandle } from '../credentials/credential-provider.js';
import { VaultCredentialProvider } from '../credentials/vault-credential-provider.js';
import { isDataverkError } from '../errors.js';
import { MemoryTokenCloud } from './memory-token-source.test-helpers.js';
import { TOKEN_REFUSED_READ_INTERVAL_MS, TOKEN_RETRY_MAX_MS } from './token-refresh-watch.js';

const START = Date.parse('2026-01-01T00:00:00.000Z');
const NAME = 'sales';
const HOUR_MS = 3_600_000;
/** An RDS IAM token's lifetime. */
const RDS_TOKEN_MS = 900_000;

function iamProvider(clock: ManualClock, cloud: MemoryTokenCloud) {
  const provider = new VaultCredentialProvider({
    vault: () => {
      throw new Error('an IAM login must not make a Vault client');
    },
    clock,
    random: () => 0.5,
    iamTokens: () => cloud.source,
    resolve: async () => ({
      connectionString: 'postgresql://app@db.internal:5432/sales',
      vaultPath: '',
      iamLogin: { provider: 'aws-rds', region: 'eu-north-1', user: 'app', host: 'db.internal', port: 5432 },
    }),
  });
  const errors: CredentialEvents['error'][] = [];
  provider.on('error', (e) => errors.push(e));
  return { provider, errors };
}

/** Logs in as a pool does: the database checks the token; refused → invalidate → one retry. */
async function login(
  provider: VaultCredentialProvider,
  cloud: MemoryTokenCloud,
  counts: { ok: number; refused: number; failed: number; errors: unknown[] },
): Promise<LeaseHandle | undefined> {
  for (let attempt = 0; attempt < 2; attempt++) {
    let handle: LeaseHandle;
    try {
      handle = await provider.acquire(NAME);
    } catch (error) {
      counts.errors.push(error);
      break;
    }
    if (cloud.accepts(handle.credentials.password)) {
      counts.ok++;
      return handle;
    }
    handle.release();
    counts.refused++;
    provider.invalidate(NAME, handle.credentials.leaseId);
  }
  counts.failed++;
  return undefined;
}

const counter = () => ({ ok: 0, refused: 0, failed: 0, errors: [] as unknown[] });

describe('IAM login tokens at production lengths (fake time)', () => {
  it('15 min RDS tokens for 24 h, a login every 10 s: 0 refused, tokens by lifetime, the first session never retired', async () => {
    const clock = new ManualClock(START);
    const cloud = new MemoryTokenCloud(clock, RDS_TOKEN_MS);
    const { provider, errors } = iamProvider(clock, cloud);
    const counts = counter();
    const first = await login(provider, cloud, counts);
    const pending: Promise<unknown>[] = [];
    while (clock.now() < START + 24 * HOUR_MS) {
      // Three logins at once, as a burst opening connections: one token for all of them.
      for (let i = 0; i < 3; i++) pending.push(login(provider, cloud, counts).then((h) => h?.release()));
      await clock.advance(10_000);
      // The session from the start is kept: its credentials are good for as long as it lives.
      if (!provider.isStillValid(NAME, first!.credentials.leaseId)) throw new Error('first session retired');
    }
    await Promise.all(pending);
    const tokensPerHour = (cloud.minted / 24).toFixed(1);
    console.log(
      `iam tokens, 15 min, 24 h: ${counts.ok} logins, ${counts.refused} refused, ${counts.failed} failed, ` +
        `${cloud.minted} tokens (${tokensPerHour} an hour)`,
    );
    expect(counts).toEqual({ ok: 3 * 8_640 + 1, refused: 0, failed: 0, errors: [] });
    expect(errors).toEqual([]);
    // 2/3 of the 14.5 min a token is good for logins: one every 9 min 40 s, whatever the logins.
    expect(cloud.minted).toBeGreaterThanOrEqual(Math.floor((24 * HOUR_MS) / 580_000));
    expect(cloud.minted).toBeLessThanOrEqual(Math.ceil((24 * HOUR_MS) / 580_000) + 1);
    expect(provider.isCurrent(NAME, first!.credentials.leaseId)).toBe(true);
    first!.release();
    await provider.close();
  });

  it('the identity endpoint down for 4 min while the token lasts: 0 failed logins, retries backed off', async () => {
    const clock = new ManualClock(START);
    const cloud = new MemoryTokenCloud(clock, RDS_TOKEN_MS);
    const { provider, errors } = iamProvider(clock, cloud);
    const counts = counter();
    (await login(provider, cloud, counts))?.release();
    // The second token comes at 9 min 40 s (2/3 of the 14.5 min it is good for logins); down from a
    // minute before the third is due (19 min 20 s) to 3 min after: the second lasts for logins until 24 min.
    await clock.advance(580_000 + 1_000);
    expect(cloud.minted).toBe(2);
    await clock.advance(520_000);
    expect(cloud.minted).toBe(2);
    cloud.failing = true;
    const attemptsBefore = cloud.attempts;
    for (let t = 0; t < 240_000; t += 5_000) {
      (await login(provider, cloud, counts))?.release();
      await clock.advance(5_000);
    }
    cloud.failing = false;
    await clock.advance(TOKEN_RETRY_MAX_MS);
    const attempts = cloud.attempts - attemptsBefore;
    console.log(
      `iam tokens, endpoint down 4 min inside a token: ${counts.ok} logins, ${counts.failed} failed, ${attempts} attempts`,
    );
    expect({ failed: counts.failed, refused: counts.refused }).toEqual({ failed: 0, refused: 0 });
    // The refresh (at 9 min 40 s of the token) failed and was retried: 0.5, 1, 2 … 30 s apart.
    expect(errors.length).toBeGreaterThan(0);
    expect(attempts).toBeLessThanOrEqual(4 + 240_000 / TOKEN_RETRY_MAX_MS + 2);
    expect(cloud.minted).toBe(3);
    expect(provider.health().names[NAME]?.status).toBe('ok');
    await provider.close();
  });

  it('the identity endpoint down for 1 h: past the token new logins fail at once naming the source; sessions stay; back within 30 s', async () => {
    const clock = new ManualClock(START);
    const cloud = new MemoryTokenCloud(clock, RDS_TOKEN_MS);
    const { provider } = iamProvider(clock, cloud);
    const counts = counter();
    const session = await login(provider, cloud, counts);
    cloud.failing = true;
    const attemptsBefore = cloud.attempts;
    await clock.advance(HOUR_MS);
    // A login now: rejected without waiting on the clock (no advance), with the source's error.
    const startedAt = clock.now();
    const error = await provider.acquire(NAME).catch((e: unknown) => e);
    expect(clock.now()).toBe(startedAt);
    expect(isDataverkError(error, 'DATAVERK_IAM_TOKEN_UNAVAILABLE')).toBe(true);
    expect((error as Error).message).toContain(`db_iam.${NAME}`);
    expect((error as Error).message).toContain('test token for app@db.internal:5432');
    expect((error as Error).message).toContain('Check the test identity endpoint.');
    expect((error as Error).message).not.toContain('token-1');
    const health = provider.health().names[NAME];
    expect(health?.status).toBe('degraded');
    expect(health?.loginsEndInMs).toBeLessThan(0);
    // The session that logged in before is not concerned.
    expect(provider.isStillValid(NAME, session!.credentials.leaseId)).toBe(true);
    const attempts = cloud.attempts - attemptsBefore;
    expect(attempts).toBeLessThanOrEqual(Math.ceil(HOUR_MS / TOKEN_RETRY_MAX_MS) + 10);
    cloud.failing = false;
    await clock.advance(TOKEN_RETRY_MAX_MS);
    (await login(provider, cloud, counts))?.release();
    console.log(
      `iam tokens, endpoint down 1 h: ${attempts} attempts; logins again within ${TOKEN_RETRY_MAX_MS / 1000} s`,
    );
    expect(counts.failed).toBe(0);
    expect(provider.health().names[NAME]?.status).toBe('ok');
    session!.release();
    await provider.close();
  });

  it('a refused token (a key revoked): a new token at once, then at most one per 5 s while refusals follow', async () => {
    const clock = new ManualClock(START);
    const cloud = new MemoryTokenCloud(clock, RDS_TOKEN_MS);
    const { provider } = iamProvider(clock, cloud);
    const counts = counter();
    (await login(provider, cloud, counts))?.release();
    cloud.revokeAll();
    // The new token is asked for at once (a timer of 0 ms on the fake clock).
    const retried = login(provider, cloud, counts);
    await clock.advance(1);
    (await retried)?.release();
    expect({ refused: counts.refused, failed: counts.failed, minted: cloud.minted }).toEqual({
      refused: 1,
      failed: 0,
      minted: 2,
    });
    // Refused again at once: the next token waits for the 5 s interval.
    cloud.revokeAll();
    const waiting = login(provider, cloud, counts);
    await clock.advance(TOKEN_REFUSED_READ_INTERVAL_MS - 2);
    expect(cloud.minted).toBe(2);
    await clock.advance(2);
    (await waiting)?.release();
    expect({ refused: counts.refused, failed: counts.failed, minted: cloud.minted }).toEqual({
      refused: 2,
      failed: 0,
      minted: 3,
    });
    await provider.close();
  });
});
