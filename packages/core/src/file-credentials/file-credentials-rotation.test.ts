import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import type { CredentialEvents } from '../credentials/credential-provider.js';
import { LoginCheckingDatabase } from '../credentials/login-checking-database.test-helpers.js';
import { VaultCredentialProvider } from '../credentials/vault-credential-provider.js';
import { isDataverkError } from '../errors.js';
import type { CredentialsFileSettings } from './credentials-file-settings.js';
import { MemoryFiles } from './memory-files.test-helpers.js';

const START = Date.parse('2026-01-01T00:00:00.000Z');
const NAME = 'sales';
const FILE = '/vault/secrets/sales.env';
const DAY_MS = 86_400_000;
/** How long after the database got a new password the agent renders it (it reads it after the rotation). */
const AGENT_LAG_MS = 3_000;

function fileProvider(clock: ManualClock, files: MemoryFiles, settings: CredentialsFileSettings = { path: FILE }) {
  return new VaultCredentialProvider({
    vault: () => {
      throw new Error('a credentials file must not make a Vault client');
    },
    clock,
    random: () => 0.5,
    files,
    resolve: async () => ({
      connectionString: 'postgresql://user:pass@db.internal:5432/sales',
      vaultPath: '',
      credentialsFile: { format: 'auto', pollMs: 10_000, ...settings },
    }),
  });
}

function envFile(user: string, password: string): string {
  return `# rendered by bao agent\nexport PGUSER=${user}\nPGPASSWORD='${password}'\n`;
}

describe('credentials from a file, at production periods (fake time)', () => {
  it('a password changing every 24 h for 5 days: one read per change, stats only between, sessions kept, no failed login', async () => {
    const clock = new ManualClock(START);
    const files = new MemoryFiles(clock);
    const provider = fileProvider(clock, files);
    const db = new LoginCheckingDatabase(provider, NAME);
    const rotated: CredentialEvents['rotated'][] = [];
    const refusedEvents: CredentialEvents['refused'][] = [];
    provider.on('rotated', (e) => rotated.push(e));
    provider.on('refused', (e) => refusedEvents.push(e));
    db.passwords.set('app', 'pw-0');
    files.render(FILE, envFile('app', 'pw-0'));

    // A session opened at the start and kept for the whole run (an idle pooled connection).
    const session = await db.login();
    expect(session).toBeDefined();
    let changes = 0;
    const pending: Promise<unknown>[] = [];
    for (let day = 1; day <= 5; day++) {
      const rotationAt = START + day * DAY_MS;
      // One login a minute, and one every 250 ms from 10 s before the rotation to 30 s after it.
      while (clock.now() < rotationAt + 30_000) {
        const dense = clock.now() >= rotationAt - 10_000;
        pending.push(db.login().then((handle) => handle?.release()));
        const step = dense ? 250 : 60_000;
        const next = Math.min(clock.now() + step, clock.now() < rotationAt ? rotationAt : Number.POSITIVE_INFINITY);
        await clock.advance(next - clock.now());
        if (clock.now() === rotationAt) {
          db.passwords.set('app', `pw-${day}`); // Vault rotated the static role...
          clock.setTimeout(() => files.render(FILE, envFile('app', `pw-${day}`)), AGENT_LAG_MS); // ...the agent renders it
          changes++;
        }
      }
    }
    await clock.advance(20_000);
    await Promise.all(pending);
    const stats = files.stats;
    console.log(
      `file, 24 h x 5: ${changes} changes, ${files.reads} reads, ${stats} stats, ${db.ok} logins, ${db.refused} refused, ${db.failed} failed`,
    );
    expect(db.failed).toBe(0);
    expect(db.errors).toEqual([]);
    // One read at the start and one per change, whatever the logins and the refusals.
    expect(files.reads).toBe(1 + changes);
    // Between changes only stats: two per poll period (10 s: the file, and its directory in case it
    // was replaced) and a few per change, no storm.
    const days = (clock.now() - START) / DAY_MS;
    expect(stats).toBeLessThanOrEqual(days * 8_640 * 2 + 20 * changes + 20);
    // Logins in the agent's 3 s lag are refused (the database changed first), then wait for the file.
    expect(db.refused).toBeLessThanOrEqual(changes * 2);
    expect(refusedEvents).toHaveLength(db.refused);
    // Same user, new password: the lease id stays, the session opened at the start is still current.
    expect(rotated).toHaveLength(changes);
    expect(rotated.every((e) => e.leaseId === 'file:app' && e.previousLeaseId === 'file:app')).toBe(true);
    expect(provider.isCurrent(NAME, session!.credentials.leaseId)).toBe(true);
    expect(provider.connectionsOn('file:app')).toBe(1);
    session!.release();
    await provider.close();
  });

  it('a refused login reading the new file while the watch sees the change: one read for that change, not two', async () => {
    const clock = new ManualClock(START);
    const files = new MemoryFiles(clock);
    const provider = fileProvider(clock, files);
    const db = new LoginCheckingDatabase(provider, NAME);
    db.passwords.set('app', 'pw-0');
    files.render(FILE, envFile('app', 'pw-0'));
    (await db.login())?.release();
    // Reads take 100 ms: the refused login's read is still going when the watch (50 ms after the
    // render) sees the change. CI21 saw the read after that one in the agent's real-server proof.
    files.readDelayMs = 100;
    db.passwords.set('app', 'pw-1');
    files.render(FILE, envFile('app', 'pw-1'));
    const login = db.login();
    await clock.advance(1_000);
    (await login)?.release();
    expect({ ok: db.ok, failed: db.failed, reads: files.reads }).toEqual({ ok: 2, failed: 0, reads: 2 });
    await provider.close();
  });

  it('another user in the file supersedes the previous one: its sessions are retired, nothing is revoked in Vault', async () => {
    const clock = new ManualClock(START);
    const files = new MemoryFiles(clock);
    const provider = fileProvider(clock, files, { path: '/vault/secrets/sales.json', format: 'json' });
    files.render('/vault/secrets/sales.json', JSON.stringify({ username: 'v-app-1', password: 'a' }));
    const first = await provider.acquire(NAME);
    files.render('/vault/secrets/sales.json', JSON.stringify({ username: 'v-app-2', password: 'b' }));
    await clock.advance(100);
    expect(provider.isCurrent(NAME, first.credentials.leaseId)).toBe(false);
    const second = await provider.getCredentials(NAME);
    expect(second.user).toBe('v-app-2');
    first.release();
    await provider.close({ revoke: true }); // the vault factory throws if anything reached Vault
    expect(files.reads).toBe(2);
  });

  it('a rendered lease ends where the file says: sessions retired within the margin, an error after the end naming the file', async () => {
    const clock = new ManualClock(START);
    const files = new MemoryFiles(clock);
    const path = '/vault/secrets/sales.json';
    const provider = fileProvider(clock, files, { path });
    files.render(
      path,
      JSON.stringify({ username: 'v-1', password: 'p1', lease_id: 'database/creds/app/x1', lease_duration: 3600 }),
    );
    const credentials = await provider.getCredentials(NAME);
    expect(credentials.expiresAt).toBe(START + 3_600_000);
    expect(credentials.leaseId).toBe('file:database/creds/app/x1');
    // Inside the 5 % margin (30 s at most): no longer current, still served.
    await clock.advance(3_600_000 - 20_000);
    expect(provider.isCurrent(NAME, credentials.leaseId)).toBe(false);
    expect((await provider.getCredentials(NAME)).user).toBe('v-1');
    await clock.advance(21_000);
    const error = await provider.getCredentials(NAME).catch((e: unknown) => e);
    expect(isDataverkError(error, 'DATAVERK_CREDENTIALS_FILE_ENDED')).toBe(true);
    expect(String(error)).toContain(path);
    expect(String(error)).not.toContain('p1');
    // The agent renders the next lease: served at once.
    files.render(
      path,
      JSON.stringify({ username: 'v-2', password: 'p2', lease_id: 'database/creds/app/x2', lease_duration: 3600 }),
    );
    await clock.advance(100);
    expect((await provider.getCredentials(NAME)).user).toBe('v-2');
    expect(files.reads).toBe(2);
    await provider.close();
  });

  it('the file removed: the credentials held keep serving; a refused login then fails with the file named, no secret', async () => {
    const clock = new ManualClock(START);
    const files = new MemoryFiles(clock);
    const provider = fileProvider(clock, files);
    const errors: CredentialEvents['error'][] = [];
    provider.on('error', (e) => errors.push(e));
    files.render(FILE, envFile('app', 'secret-one'));
    const held = await provider.getCredentials(NAME);
    files.remove(FILE);
    await clock.advance(1_000); // the read tries a few times, 100 ms apart (a writer that removes, then writes)
    expect(errors.map((e) => (e.error as { code?: string }).code)).toEqual(['DATAVERK_CREDENTIALS_FILE_UNREADABLE']);
    // Still served for new logins while the database accepts them; health says what went wrong.
    expect((await provider.getCredentials(NAME)).password).toBe(held.password);
    console.log(`file removed, health: ${JSON.stringify(provider.health())}`);
    expect(provider.health().names[NAME]).toMatchObject({
      status: 'degraded',
      lastError: { code: 'DATAVERK_CREDENTIALS_FILE_UNREADABLE' },
    });
    // Polls see the file still missing: no read, no new error.
    await clock.advance(60_000);
    expect(errors).toHaveLength(1);
    provider.invalidate(NAME, held.leaseId); // the database refused it
    const failure = provider.getCredentials(NAME).catch((e: unknown) => e);
    await clock.advance(16_000);
    const error = await failure;
    expect(isDataverkError(error, 'DATAVERK_CREDENTIALS_FILE_UNREADABLE')).toBe(true);
    const message = String((error as Error).message);
    expect(message).toContain(`'${NAME}'`);
    expect(message).toContain(FILE);
    expect(message).toContain('ENOENT');
    expect(message).not.toContain('secret-one');
    // The file comes back: the next login gets it.
    files.render(FILE, envFile('app', 'secret-two'));
    await clock.advance(100);
    expect((await provider.getCredentials(NAME)).password).toBe('secret-two');
    await provider.close();
  });

  it('the directory appears after the start (an agent creating it): the error says so, then the file is taken when rendered', async () => {
    const clock = new ManualClock(START);
    const files = new MemoryFiles(clock);
    files.missingDirectories.add('/vault/secrets');
    const provider = fileProvider(clock, files);
    const attempt = provider.getCredentials(NAME).catch((e: unknown) => e);
    await clock.advance(1_000); // a file missing for a moment is tried again, 100 ms apart
    const first = await attempt;
    expect(isDataverkError(first, 'DATAVERK_CREDENTIALS_FILE_UNREADABLE')).toBe(true);
    expect((first as Error).message).toContain('ENOENT');
    // The agent creates the directory and renders the file: the poll (10 s) finds it, and from
    // then on the directory is watched: the next change is read within the event's 50 ms.
    files.missingDirectories.delete('/vault/secrets');
    files.render(FILE, envFile('app', 'first'));
    await clock.advance(10_000);
    expect((await provider.getCredentials(NAME)).password).toBe('first');
    files.render(FILE, envFile('app', 'second'));
    await clock.advance(100);
    expect((await provider.getCredentials(NAME)).password).toBe('second');
    expect(files.reads).toBeLessThanOrEqual(2 + 6); // the failed first read tried 6 times
    await provider.close();
  });

  it('the directory removed and created again (an emptyDir, a remount): watched again at the next poll', async () => {
    const clock = new ManualClock(START);
    const files = new MemoryFiles(clock);
    const provider = fileProvider(clock, files);
    files.render(FILE, envFile('app', 'first'));
    expect((await provider.getCredentials(NAME)).password).toBe('first');
    // The old directory's watch goes silent with it; the new directory is found by the next poll (10 s).
    files.removeDirectory('/vault/secrets');
    files.render(FILE, envFile('app', 'second'));
    await clock.advance(10_000);
    expect((await provider.getCredentials(NAME)).password).toBe('second');
    // From then on the new directory is watched: a change is read within the event's 50 ms, not the poll's 10 s.
    files.render(FILE, envFile('app', 'third'));
    await clock.advance(100);
    expect((await provider.getCredentials(NAME)).password).toBe('third');
    expect(files.reads).toBe(3);
    await provider.close();
  });

  it('a writer caught half-way: the half file is never taken', async () => {
    const clock = new ManualClock(START);
    const files = new MemoryFiles(clock);
    const path = '/vault/secrets/sales.json';
    const provider = fileProvider(clock, files, { path });
    files.render(path, JSON.stringify({ username: 'app', password: 'old' }));
    await provider.getCredentials(NAME);
    const full = JSON.stringify({ username: 'app', password: 'new-password' });
    files.writeInPlace(path, full.slice(0, 20)); // truncated and half written...
    await clock.advance(120); // ...read while being written
    files.writeInPlace(path, full);
    await clock.advance(1_000);
    const errors: unknown[] = [];
    provider.on('error', (e) => errors.push(e));
    expect((await provider.getCredentials(NAME)).password).toBe('new-password');
    expect(errors).toEqual([]);
    await provider.close();
  });
});
