import type { CredentialProvider, DatabaseCredentials, LeaseHandle } from '@dataverk/core';
import { DataverkError } from '@dataverk/core';
import { describe, expect, it, vi } from 'vitest';
import type { LeaseInstance } from './lease-instance.js';
import { LeaseRouter } from './lease-router.js';

const CREDENTIALS: DatabaseCredentials = {
  name: 'db',
  user: 'v-app-1',
  password: 'not-a-real-password',
  host: '127.0.0.1',
  port: 1,
  database: 'app',
  ssl: false,
  options: {},
  leaseId: 'database/creds/app/1',
  leaseDuration: 3600,
  renewable: true,
  issuedAt: 0,
  expiresAt: Number.MAX_SAFE_INTEGER,
};

/** A provider whose acquisitions are answered, in order, by `answers` (the last one repeats). */
function scriptedProvider(answers: ReadonlyArray<() => Promise<LeaseHandle>>) {
  let calls = 0;
  let released = 0;
  const provider = {
    acquire: () => answers[Math.min(calls++, answers.length - 1)]!(),
    isCurrent: () => true,
    invalidate: () => {},
    on() {
      return this;
    },
    off() {
      return this;
    },
    getCredentials: async () => CREDENTIALS,
    close: async () => {},
  } as unknown as CredentialProvider;
  const handle = (): LeaseHandle => ({ credentials: CREDENTIALS, release: () => void released++ });
  return { provider, handle, acquisitions: () => calls, released: () => released };
}

const router = (provider: CredentialProvider) =>
  new LeaseRouter('db', provider, { postgresOptions: {}, revokeOnClose: false, typeArrayMap: {} });

/** What `promise` has come to within `ms`: its value, its error, or 'still waiting'. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | unknown> {
  return Promise.race([
    promise.then(
      (value) => value,
      (error: unknown) => error,
    ),
    new Promise((resolve) => setTimeout(() => resolve('still waiting'), ms)),
  ]);
}

describe('LeaseRouter.instance', () => {
  it('fails a caller at once when the provider does, although the opening in flight still waits on Vault', async () => {
    const vaultDown = new DataverkError('DATAVERK_CREDENTIALS_UNAVAILABLE', "no valid credentials for 'db'");
    let answerProbe: (handle: LeaseHandle) => void = () => {};
    const probe = new Promise<LeaseHandle>((resolve) => {
      answerProbe = resolve;
    });
    const scripted = scriptedProvider([() => probe, () => Promise.reject(vaultDown)]);
    const sql = router(scripted.provider);

    const first = sql.instance();
    const second = sql.instance();

    expect(await within(second, 200)).toBe(vaultDown);
    expect(await within(first, 50)).toBe('still waiting');
    answerProbe(scripted.handle());
    const instance = await first;
    expect(instance.leaseId).toBe(CREDENTIALS.leaseId);
    await sql.end(0);
  });

  it('gives callers who joined an opening its instance, and releases the handles they took', async () => {
    const scripted = scriptedProvider([async () => scripted.handle()]);
    const sql = router(scripted.provider);

    const [a, b, c] = await Promise.all([sql.instance(), sql.instance(), sql.instance()]);

    expect(b).toBe(a);
    expect(c).toBe(a);
    expect(scripted.acquisitions()).toBe(3);
    expect(scripted.released()).toBe(2);
    await sql.end(0);
  });
});

/**
 * The current lease inside its safety margin while Vault is down: not `isCurrent`, but still
 * served (`isStillValid`). `checkLease` answers `live`, as Vault does for a user's own 42501.
 */
function leaseInItsMargin() {
  const state = { acquisitions: 0, invalidated: [] as string[] };
  const provider = {
    acquire: async () => {
      state.acquisitions++;
      return { credentials: CREDENTIALS, release: () => {} };
    },
    isCurrent: () => false,
    isStillValid: (_name: string, leaseId: string) => !state.invalidated.includes(leaseId),
    checkLease: async () => 'live' as const,
    invalidate: (_name: string, leaseId: string) => void state.invalidated.push(leaseId),
    on() {
      return this;
    },
    off() {
      return this;
    },
    getCredentials: async () => CREDENTIALS,
    close: async () => {},
  } as unknown as CredentialProvider;
  return { provider, state };
}

/** Lets the router's check of a lease (provider, then PostgreSQL, unless it retired the instance first) run to its end. */
async function checked(instance: LeaseInstance, roleProbe: ReturnType<typeof vi.spyOn>): Promise<void> {
  await vi.waitUntil(() => instance.retired || roleProbe.mock.calls.length > 0, { interval: 1 });
  await roleProbe.mock.results[0]?.value;
  for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setImmediate(resolve));
}

describe('LeaseRouter inside the safety margin (Vault down)', () => {
  it('sends queries to the instance of the still-served lease without acquiring again', async () => {
    const { provider, state } = leaseInItsMargin();
    const sql = router(provider);
    const instance = await sql.instance();
    expect(sql.ready()).toBe(instance);
    expect(await sql.instance()).toBe(instance);
    expect(state.acquisitions).toBe(1);
    await sql.end(0);
  });

  it('keeps the instance after an ordinary 42501 when Vault says the lease lives and its role exists', async () => {
    const { provider, state } = leaseInItsMargin();
    const sql = router(provider);
    const instance = await sql.instance();
    const roleProbe = vi.spyOn(instance, 'roleExists').mockResolvedValue(true);
    sql.afterError(instance, Object.assign(new Error('permission denied for table t'), { code: '42501' }));
    await checked(instance, roleProbe);
    expect(instance.retired).toBe(false);
    expect(sql.ready()).toBe(instance);
    expect(state).toEqual({ acquisitions: 1, invalidated: [] });
    await sql.end(0);
  });

  it('retires the instance and drops the lease when its role was dropped (Vault still holds the lease)', async () => {
    const { provider, state } = leaseInItsMargin();
    const sql = router(provider);
    const instance = await sql.instance();
    const roleProbe = vi.spyOn(instance, 'roleExists').mockResolvedValue(false);
    sql.afterError(instance, Object.assign(new Error('permission denied for table t'), { code: '42501' }));
    await checked(instance, roleProbe);
    expect(instance.retired).toBe(true);
    expect(state.invalidated).toEqual([CREDENTIALS.leaseId]);
    await sql.end(0);
  });
});
