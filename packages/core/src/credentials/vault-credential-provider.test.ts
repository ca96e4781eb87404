import { inspect } from 'node:util';
import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import { CredentialsUnavailableError, vaultInvalidRequest, vaultUnavailable } from '../errors.js';
import type { CredentialEvents } from './credential-provider.js';
import { FakeVaultClient, fakeVaultError } from './fake-vault-client.test-helpers.js';
import { settledAdvancing } from './simulated-provider.test-helpers.js';
import { VaultCredentialProvider } from './vault-credential-provider.js';

const NAME = 'postgres_database';
/** Test lengths and production ones (24 h leases, 768 h max), both under fake time. */
const LENGTHS = [
  { label: '6 s lease', ttl: 6, maxTtl: 100 },
  { label: '24 h lease, 768 h max', ttl: 24 * 3600, maxTtl: 768 * 3600 },
];
const START = Date.parse('2026-01-01T00:00:00Z');

function setup(options: { ttl?: number; maxTtl?: number; renewable?: boolean; random?: () => number } = {}) {
  const clock = new ManualClock(START);
  const vault = new FakeVaultClient(clock, options.ttl ?? 3, options.maxTtl ?? 8, options.renewable ?? true);
  const provider = new VaultCredentialProvider({
    vault,
    clock,
    random: options.random ?? (() => 0.5),
    resolve: async () => ({
      connectionString: 'postgresql://user:pass@db.internal:6432/sales?sslmode=require&application_name=etl',
      vaultPath: 'database/creds/readonly',
    }),
  });
  const events: { event: keyof CredentialEvents; at: number; payload: unknown }[] = [];
  for (const event of ['issued', 'renewed', 'rotated', 'revoked', 'expired', 'error'] as const) {
    provider.on(event, (payload) => events.push({ event, at: clock.now() - START, payload }));
  }
  return { clock, vault, provider, events };
}

describe('VaultCredentialProvider', () => {
  it('serves 1,000 concurrent callers on a cold provider with one Vault read', async () => {
    const { vault, provider } = setup();
    const all = await Promise.all(Array.from({ length: 1000 }, () => provider.getCredentials(NAME)));
    expect(vault.count('read')).toBe(1);
    expect(new Set(all.map((c) => c.leaseId)).size).toBe(1);
    await provider.close();
  });

  it('fills the connection parts from the connection string and the user/password from Vault', async () => {
    const { provider } = setup();
    const creds = await provider.getCredentials(NAME);
    expect(creds).toMatchObject({
      name: NAME,
      user: 'v-user-1',
      password: 'secret-password-1',
      host: 'db.internal',
      port: 6432,
      database: 'sales',
      ssl: true,
      options: { application_name: 'etl' },
      leaseId: 'database/creds/readonly/lease-1',
      leaseDuration: 3,
      renewable: true,
      issuedAt: START,
      expiresAt: START + 3000,
    });
    await provider.close();
  });

  it('never shows the password in toString, JSON, inspect or events', async () => {
    const { provider, events, clock } = setup();
    const creds = await provider.getCredentials(NAME);
    await clock.advance(20_000);
    const shown = [String(creds), JSON.stringify(creds), inspect(creds, { depth: 5 }), inspect(events, { depth: 5 })];
    for (const text of shown) expect(text).not.toMatch(/secret-password/);
    expect(JSON.stringify(creds)).toContain('[redacted]');
    expect({ ...creds }).not.toHaveProperty('password');
    await provider.close();
  });

  it('renews at 2/3 of the lease plus a third of the grace, detects max_ttl and rotates before expiry', async () => {
    // random() = 0.5 → grace = 15 % of 3 s = 450 ms; sleep = 2000 + 150 = 2150 ms.
    const { clock, vault, provider, events } = setup({ ttl: 3, maxTtl: 8 });
    await provider.getCredentials(NAME);
    await clock.advance(2149);
    expect(vault.count('renew')).toBe(0);
    await clock.advance(1);
    expect(vault.count('renew')).toBe(1);
    await clock.advance(20_000 - 2150);
    const timeline = events.filter((e) => e.event !== 'error').map((e) => `${e.event}@${e.at}`);
    // 0: issued; renew at 2150 → 4300 (3 s each); at 6450 the grant is capped at 1 s (max 8 s): rotate now.
    expect(timeline.slice(0, 6)).toEqual([
      'issued@0',
      'renewed@2150',
      'renewed@4300',
      'renewed@6450',
      'issued@6450',
      'rotated@6450',
    ]);
    // The superseded lease had no connection open: it is revoked at once.
    expect(timeline[6]).toBe('revoked@6450');
    // Every rotation happened while the previous lease was still valid.
    for (const rotated of events.filter((e) => e.event === 'rotated')) {
      const previous = (rotated.payload as CredentialEvents['rotated']).previousLeaseId;
      const lease = vault.leases.get(previous);
      expect(lease && START + rotated.at < lease.expiresAt).toBe(true);
    }
    expect(events.filter((e) => e.event === 'expired')).toEqual([]);
    await provider.close();
  });

  it("lets callers' reads retry, but makes the schedule's reads single requests (it retries them itself)", async () => {
    const { clock, vault, provider } = setup({ ttl: 6, renewable: false });
    await provider.getCredentials(NAME); // a caller's read
    await clock.advance(4300); // the scheduled rotation at 2/3 + jitter
    expect(vault.count('read')).toBe(2);
    // Behind a hung Vault a caller whose lease ended joins the scheduled read: one request
    // timeout at most, not the client's three attempts.
    expect(vault.readRetries).toEqual([undefined, false]);
    await provider.close();
  });

  it.each(LENGTHS)(
    "makes a caller's read a single request once a held lease ran out while its renewal hangs ($label)",
    async ({ ttl, maxTtl }) => {
      const { clock, vault, provider } = setup({ ttl, maxTtl });
      await provider.getCredentials(NAME); // the first read: retries on
      // Behind a hung Vault the renewal neither succeeds nor fails before the lease ends.
      vault.renewLease = () => new Promise(() => {});
      await clock.advance(ttl * 1000 + 100);
      await provider.getCredentials(NAME);
      expect(vault.count('read')).toBe(2);
      // Not the client's three attempts (3 × the request timeout) for the first caller left without credentials.
      expect(vault.readRetries).toEqual([undefined, false]);
      await provider.close();
    },
  );

  it('rotates a non-renewable lease at 2/3 of its duration plus jitter, with no renewal', async () => {
    const { clock, vault, provider, events } = setup({ ttl: 6, renewable: false });
    await provider.getCredentials(NAME);
    await clock.advance(4299);
    expect(vault.count('read')).toBe(1);
    await clock.advance(1); // 4000 + 900/3
    expect(vault.count('read')).toBe(2);
    expect(vault.count('renew')).toBe(0);
    expect(events.map((e) => e.event)).toContain('rotated');
    await provider.close();
  });

  it('keeps a superseded lease until its last connection is released, then revokes it', async () => {
    const { clock, vault, provider, events } = setup({ ttl: 3, maxTtl: 3 });
    const held = [await provider.acquire(NAME), await provider.acquire(NAME)];
    const first = held[0]?.credentials ?? expect.unreachable();
    await clock.advance(2150); // renewal capped at once (max 3 s) → rotate
    const second = await provider.getCredentials(NAME);
    expect(second.leaseId).not.toBe(first.leaseId);
    expect(provider.isCurrent(NAME, first.leaseId)).toBe(false);
    expect(provider.isCurrent(NAME, second.leaseId)).toBe(true);
    held[0]?.release();
    held[0]?.release(); // a handle counts once however often it is released
    await clock.advance(0);
    expect(vault.count(`revoke ${first.leaseId}`)).toBe(0);
    held[1]?.release();
    await clock.advance(0);
    expect(vault.count(`revoke ${first.leaseId}`)).toBe(1);
    expect(events.find((e) => e.event === 'revoked')?.payload).toMatchObject({
      leaseId: first.leaseId,
      reason: 'released',
    });
    await provider.close();
  });

  it('keeps serving valid credentials while Vault is down, then fails saying for how long', async () => {
    const { clock, vault, provider, events } = setup({ ttl: 3, maxTtl: 100 });
    const first = await provider.getCredentials(NAME);
    vault.failWith = fakeVaultError(503, 'Vault is sealed (GET database/creds/readonly)');
    await clock.advance(2900);
    expect((await provider.getCredentials(NAME)).leaseId).toBe(first.leaseId);
    expect(events.some((e) => e.event === 'error')).toBe(true);
    await clock.advance(200); // past the lease end
    const failure = await provider.getCredentials(NAME).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(CredentialsUnavailableError);
    expect((failure as Error).message).toMatch(
      /no valid credentials for 'postgres_database': Vault has been failing for \d+\.\d s; last Vault error: Vault is sealed/,
    );
    await clock.advance(1000); // Vault's TTLs are whole seconds: the lease is forgotten a second later
    expect(events.some((e) => e.event === 'expired')).toBe(true);
    const callsWhileDown = vault.calls.length;
    await Promise.allSettled(Array.from({ length: 100 }, () => provider.getCredentials(NAME)));
    expect(vault.calls.length - callsWhileDown).toBeLessThanOrEqual(1); // backoff, not a storm
    vault.failWith = undefined;
    await clock.advance(10_000);
    const recovered = await provider.getCredentials(NAME);
    expect(recovered.leaseId).not.toBe(first.leaseId);
    await provider.close();
  });

  it.each(LENGTHS)(
    'while Vault does not answer, callers do not wait for the probe read in flight: they fail at once ($label)',
    async ({ ttl, maxTtl }) => {
      const { clock, vault, provider } = setup({ ttl, maxTtl });
      await provider.getCredentials(NAME);
      const timedOut = vaultUnavailable('Vault did not answer within 2000 ms', {
        path: 'sys/leases/renew',
        reason: 'timeout',
      });
      vault.failWith = timedOut;
      await clock.advance(ttl * 1000 + 100); // renewals failed; the lease has ended
      await provider.getCredentials(NAME).catch(() => undefined); // the gate now knows Vault fails
      // Behind a hung Vault the next probe neither succeeds nor fails for a request timeout.
      vault.failWith = undefined;
      let timeOut: (error: Error) => void = () => {};
      vault.readDatabaseCredentials = () =>
        new Promise((_, reject) => {
          timeOut = reject;
        });
      await clock.advance(60_000); // the gate is open again: a caller starts the probe
      void provider.getCredentials(NAME).catch(() => undefined);
      let settled = false;
      const other = provider.getCredentials(NAME).then(
        () => 'credentials',
        (error: unknown) => error,
      );
      void other.finally(() => {
        settled = true;
      });
      await clock.advance(0);
      expect(settled).toBe(true);
      expect(await other).toBeInstanceOf(CredentialsUnavailableError);
      timeOut(timedOut);
      await provider.close();
    },
  );

  it('after a long Vault outage, reads again within 5 s of Vault coming back', async () => {
    const { clock, vault, provider } = setup({ ttl: 3, maxTtl: 100 });
    await provider.getCredentials(NAME);
    vault.failWith = fakeVaultError(503, 'Vault is sealed');
    for (let i = 0; i < 120; i++) {
      await clock.advance(5_000); // ten minutes of callers finding no valid credentials
      await provider.getCredentials(NAME).catch(() => {});
    }
    vault.failWith = undefined;
    await clock.advance(5_000);
    await expect(provider.getCredentials(NAME)).resolves.toMatchObject({ user: expect.stringMatching(/^v-user-/) });
    await provider.close();
  });

  it('rotates at once when Vault says the lease is gone (400 on renew)', async () => {
    const { clock, vault, provider } = setup({ ttl: 3, maxTtl: 100 });
    const first = await provider.getCredentials(NAME);
    await vault.revokeLease(first.leaseId);
    await clock.advance(2150);
    const next = await provider.getCredentials(NAME);
    expect(next.leaseId).not.toBe(first.leaseId);
    expect(vault.count('read')).toBe(2);
    await provider.close();
  });

  it('passes a settings mistake through as it is, not as Vault being unavailable', async () => {
    const clock = new ManualClock(START);
    const provider = new VaultCredentialProvider({
      vault: new FakeVaultClient(clock, 3, 8),
      clock,
      resolve: async () => ({ connectionString: 'mysql://user:pass@db/sales', vaultPath: 'database/creds/readonly' }),
    });
    await expect(provider.getCredentials(NAME)).rejects.toMatchObject({
      code: 'DATAVERK_SETTINGS_CONNECTION_STRING_INVALID',
    });
    await provider.close();
  });

  it('invalidate() makes the next call read new credentials', async () => {
    const { vault, provider } = setup();
    const first = await provider.getCredentials(NAME);
    provider.invalidate(NAME, 'some-other-lease');
    expect((await provider.getCredentials(NAME)).leaseId).toBe(first.leaseId);
    provider.invalidate(NAME, first.leaseId);
    const second = await provider.getCredentials(NAME);
    expect(second.leaseId).not.toBe(first.leaseId);
    expect(vault.count('read')).toBe(2);
    await provider.close();
  });

  it('revokes one lease at a time (two revocations on one database can collide in PostgreSQL)', async () => {
    const clock = new ManualClock(START);
    let inFlight = 0;
    let mostInFlight = 0;
    class SlowRevokes extends FakeVaultClient {
      override async revokeLease(leaseId: string): Promise<void> {
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 20));
        inFlight--;
        await super.revokeLease(leaseId);
      }
    }
    const vault = new SlowRevokes(clock, 3, 3, true);
    const provider = new VaultCredentialProvider({
      vault,
      clock,
      random: () => 0.5,
      resolve: async () => ({ connectionString: 'postgresql://db.internal/sales', vaultPath: 'database/creds/ro' }),
    });
    const held = await provider.acquire(NAME);
    await clock.advance(2150); // rotated: the first lease is superseded but still held
    await provider.getCredentials(NAME);
    held.release(); // its revocation starts…
    await provider.close({ revoke: true }); // …and close revokes the current lease meanwhile
    expect(vault.liveLeases()).toEqual([]);
    expect(mostInFlight).toBe(1);
  });

  it('tries a revocation again when PostgreSQL reports concurrent catalog updates, and only then', async () => {
    const clock = new ManualClock(START);
    const collision =
      'failed to revoke entry: could not perform all revocation statements: ERROR: tuple concurrently updated';
    let refusals = 0;
    class CollidingRevokes extends FakeVaultClient {
      override async revokeLease(leaseId: string): Promise<void> {
        if (refusals++ < 2)
          throw vaultInvalidRequest('Vault rejected the revocation', {
            path: 'sys/leases/revoke',
            status: 400,
            errors: [collision],
          });
        await super.revokeLease(leaseId);
      }
    }
    const vault = new CollidingRevokes(clock, 60, 120, true);
    const provider = new VaultCredentialProvider({
      vault,
      clock,
      random: () => 0.5,
      resolve: async () => ({ connectionString: 'postgresql://db.internal/sales', vaultPath: 'database/creds/ro' }),
    });
    const errors: unknown[] = [];
    provider.on('error', (event) => errors.push(event));
    await provider.getCredentials(NAME);
    // The retries wait on the provider's clock (200 ms × attempt, jittered).
    await settledAdvancing(clock, provider.close({ revoke: true }));
    expect(refusals).toBe(3);
    expect(vault.liveLeases()).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('close({ revoke: true }) revokes every live lease, current and superseded, and stops all timers', async () => {
    const { clock, vault, provider } = setup({ ttl: 3, maxTtl: 3 });
    await provider.acquire(NAME); // held by a connection that is never released
    await clock.advance(2150);
    await provider.getCredentials(NAME);
    expect(vault.liveLeases()).toHaveLength(2);
    await provider.close({ revoke: true });
    expect(vault.liveLeases()).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
    expect(vault.calls.at(-1)).toBe('close');
    await expect(provider.getCredentials(NAME)).rejects.toMatchObject({ code: 'DATAVERK_PROVIDER_CLOSED' });
  });
});
