import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import { leaseStillServed } from '../adapter-support/lease-still-served.js';
import { onRotation } from '../adapter-support/on-provider-event.js';
import { CredentialsUnavailableError } from '../errors.js';
import type { CredentialEvents } from './credential-provider.js';
import { FakeStaticRoleVault, LoginModel, staticRoleProvider } from './fake-static-role.test-helpers.js';
import { fakeVaultError } from './fake-vault-client.test-helpers.js';

const START = Date.parse('2026-01-01T00:00:00.300Z');
const NAME = 'postgres_database';
const DAY_MS = 86_400_000;

/**
 * Runs `days` of logins: one a minute, and one every 250 ms from a minute before each rotation Vault
 * will make until 30 s after it (where a stale password would be refused).
 */
async function runDays(clock: ManualClock, vault: FakeStaticRoleVault, logins: LoginModel, days: number) {
  const end = clock.now() + days * DAY_MS;
  while (clock.now() < end) {
    const nextRotation = vault.passwords.at(-1)!.setAt + vault.periodMs;
    const sinceLast = clock.now() - (vault.passwords.at(-1)?.setAt ?? 0);
    const dense = clock.now() >= nextRotation - 60_000 || sinceLast < 30_000;
    logins.start();
    await clock.advance(dense ? 250 : 60_000);
  }
  await clock.advance(30_000);
}

describe('Vault static role: proactive re-read at rotation_period 24 h', () => {
  it('reads once or twice per rotation, refuses no login, and keeps sessions opened before a rotation', async () => {
    const clock = new ManualClock(START);
    // Ticks in phase with the period (every 24 h is a multiple of 5 s): Vault rotates on time.
    const vault = new FakeStaticRoleVault(clock, { periodSeconds: 86_400, tickPhaseMs: 2_000 });
    const provider = staticRoleProvider(clock, vault);
    const refused: CredentialEvents['refused'][] = [];
    const rotated: CredentialEvents['rotated'][] = [];
    provider.on('refused', (e) => refused.push(e));
    provider.on('rotated', (e) => rotated.push(e));
    const logins = new LoginModel(clock, vault, provider);
    // A session opened at the start, kept for the whole run (an idle pooled connection).
    const session = await provider.acquire(NAME);
    await clock.advance(1_000);

    await runDays(clock, vault, logins, 5);

    console.log(
      `24 h, in phase: ${vault.rotations} rotations, ${vault.count('read ')} reads, ${logins.ok} logins, ${logins.refused} refused, longest wait ${logins.longestWaitMs} ms`,
    );
    expect(vault.rotations).toBeGreaterThanOrEqual(5);
    expect(logins.refused).toBe(0);
    expect(refused).toEqual([]);
    expect(logins.failed).toBe(0);
    expect(logins.ok).toBeGreaterThan(5 * 1_440);
    // One read at first, then one or two per rotation, whatever the number of logins.
    const reads = vault.count('read ');
    expect(reads).toBeGreaterThanOrEqual(1 + vault.rotations);
    expect(reads).toBeLessThanOrEqual(1 + 2 * vault.rotations);
    expect(rotated).toHaveLength(vault.rotations);
    // Logins waited for the new password for a few seconds at most: 2.5 s before the rotation is due
    // to the read 0.75 s after it, and up to a queue tick more for the first rotation after the role
    // was created (off the queue's phase).
    expect(logins.longestWaitMs).toBeLessThanOrEqual(9_000);
    // The session opened before the first rotation is still served: never retired for a rotation.
    expect(provider.isStillValid(NAME, session.credentials.leaseId)).toBe(true);
    expect(provider.isCurrent(NAME, session.credentials.leaseId)).toBe(true);
    expect(provider.connectionsOn('')).toBe(1);
    session.release();
    await provider.close();
  });

  it('handles a queue out of phase (rotations up to a tick late) and a rotation Vault could not make at first', async () => {
    const clock = new ManualClock(START);
    const vault = new FakeStaticRoleVault(clock, { periodSeconds: 86_400, tickPhaseMs: 4_900 });
    // Every rotation takes long enough to push the next one's whole second past the tick: each is
    // up to 5 s late.
    vault.rotationMs = 1_050;
    const provider = staticRoleProvider(clock, vault);
    const logins = new LoginModel(clock, vault, provider);
    const session = await provider.acquire(NAME);
    await runDays(clock, vault, logins, 2);
    // The third rotation fails at first (the database refused it) and comes 10 s, 20 s later.
    const due = vault.passwords.at(-1)!.setAt + vault.periodMs;
    vault.failRotationsUntil = due + 12_000;
    await runDays(clock, vault, logins, 2);

    console.log(
      `24 h, out of phase: ${vault.rotations} rotations, ${vault.count('read ')} reads, ${logins.ok} logins, ${logins.refused} refused, longest wait ${logins.longestWaitMs} ms`,
    );
    expect(vault.rotations).toBeGreaterThanOrEqual(4);
    expect(logins.refused).toBe(0);
    expect(logins.failed).toBe(0);
    // Late rotations cost a few more reads (0.5, 1, 2, 2 … s apart), never one per login.
    expect(vault.count('read ')).toBeLessThanOrEqual(1 + 2 * vault.rotations + 8);
    expect(logins.longestWaitMs).toBeLessThanOrEqual(25_000);
    expect(provider.isCurrent(NAME, session.credentials.leaseId)).toBe(true);
    session.release();
    await provider.close();
  });

  it('a rotation it could not predict (an operator rotate-role) costs one refused login, counted, and no session', async () => {
    const clock = new ManualClock(START);
    const vault = new FakeStaticRoleVault(clock, { periodSeconds: 86_400 });
    const provider = staticRoleProvider(clock, vault);
    const refused: CredentialEvents['refused'][] = [];
    provider.on('refused', (e) => refused.push(e));
    const logins = new LoginModel(clock, vault, provider);
    const session = await provider.acquire(NAME);
    logins.start();
    await clock.advance(3_600_000);
    vault.rotateNow();
    // Vault does not answer the read the refusal asks for at first: the login fails, the session
    // stays (same user, its password was checked at its login), and nothing else is refused.
    vault.failWith = fakeVaultError(503, 'Vault is sealed');
    logins.start();
    let servedThroughout = true;
    for (let i = 0; i < 10; i++) {
      await clock.advance(100);
      servedThroughout &&= provider.isStillValid(NAME, '');
    }
    expect(servedThroughout).toBe(true);
    expect(logins.failed).toBe(1);
    vault.failWith = undefined;
    await clock.advance(5_000);
    logins.start();
    await clock.advance(1_000);
    expect(provider.isCurrent(NAME, '')).toBe(true);
    expect(provider.connectionsOn('')).toBe(1);
    session.release();
    expect(logins.refused).toBe(1);
    expect(refused).toEqual([{ name: NAME, leaseId: '' }]);
    expect(logins.ok).toBe(2);
    await provider.close();
  });
});

describe('Vault static role: the rotation window', () => {
  it('keeps sessions served, makes new logins wait for the next password, and tells pools of no rotation', async () => {
    const clock = new ManualClock(START);
    const vault = new FakeStaticRoleVault(clock, { periodSeconds: 86_400, tickPhaseMs: 2_000 });
    const provider = staticRoleProvider(clock, vault);
    const retire: string[] = [];
    const stop = onRotation(provider, (e) => retire.push(e.previousLeaseId));
    const session = await provider.acquire(NAME);
    const first = session.credentials;
    expect(first.expiresAt).toBe(Number.POSITIVE_INFINITY);
    const due = vault.passwords.at(-1)!.setAt + vault.periodMs;
    // Rule 2: the password is good for new logins until 2.5 s before the rotation (ttl is rounded).
    expect(first.loginsValidUntil).toBeGreaterThanOrEqual(due - 3_000);
    expect(first.loginsValidUntil).toBeLessThanOrEqual(due - 2_000);
    await clock.advance(first.loginsValidUntil! - clock.now());

    // Inside the window: not current for new logins, still served for the session.
    expect(provider.isCurrent(NAME, '')).toBe(false);
    expect(provider.isStillValid(NAME, '')).toBe(true);
    expect(leaseStillServed(provider, NAME, '')).toBe(true);
    // A scheduled wait is no degradation: readiness probes do not flap at every rotation.
    expect(provider.health().status).toBe('ok');
    let next: string | undefined;
    void provider.getCredentials(NAME).then((c) => {
      next = c.password;
    });
    await clock.advance(1_000);
    expect(next).toBeUndefined(); // waits: Vault has not rotated yet
    // The first rotation after the role's creation is off the queue's phase: up to a tick late.
    await clock.advance(due + 8_000 - clock.now());
    expect(vault.rotations).toBe(1);
    expect(next).toBe(vault.passwords.at(-1)?.password);
    expect(vault.accepts(next!)).toBe(true);
    // The session logged in before keeps its connection; pools heard of no rotation to act on.
    expect(provider.isCurrent(NAME, '')).toBe(true);
    expect(retire).toEqual([]);
    expect(provider.connectionsOn('')).toBe(1);
    stop();
    session.release();
    await provider.close();
  });
});

describe('Vault static role: Vault down across a rotation', () => {
  it('keeps sessions, fails new logins after the rotation with an error naming the setting, and recovers', async () => {
    const clock = new ManualClock(START);
    const vault = new FakeStaticRoleVault(clock, { periodSeconds: 86_400, tickPhaseMs: 2_000 });
    const provider = staticRoleProvider(clock, vault);
    const session = await provider.acquire(NAME);
    const logins = new LoginModel(clock, vault, provider);
    const due = vault.passwords.at(-1)!.setAt + vault.periodMs;
    await clock.advance(due - 120_000 - clock.now());
    vault.failWith = fakeVaultError(503, 'Vault is sealed');
    logins.start(); // before the rotation: the password held is still good
    await clock.advance(1_000);
    expect(logins.ok).toBe(1);
    await clock.advance(due + 5_000 - clock.now());

    const error = await provider.acquire(NAME).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialsUnavailableError);
    const message = (error as Error).message;
    expect(message).toContain("'postgres_database'");
    expect(message).toContain('db_vault_path.postgres_database = database/static-creds/app');
    expect(message).toContain('Sessions already open keep working');
    for (const { password } of vault.passwords) expect(message).not.toContain(password);
    // The session opened before keeps its connection: the password was checked at its login.
    expect(provider.isStillValid(NAME, session.credentials.leaseId)).toBe(true);
    expect(provider.health().status).toBe('degraded');
    // Vault sees a bounded number of reads while it is down (0.5, 1, 2, 4, 5, 5 … s apart).
    const readsWhileDown = vault.count('read ');
    await clock.advance(60_000);
    expect(vault.count('read ') - readsWhileDown).toBeLessThanOrEqual(13);

    vault.failWith = undefined;
    await clock.advance(6_000);
    logins.start();
    await clock.advance(1_000);
    expect(logins.ok).toBe(2);
    expect(logins.refused).toBe(0);
    session.release();
    await provider.close();
  });
});
