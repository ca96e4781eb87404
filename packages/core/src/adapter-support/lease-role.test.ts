import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { CredentialProvider } from '../credentials/credential-provider.js';
import { confirmLeaseRole, pgRoleProbe, ROLE_EXISTS_SQL } from './lease-role.js';

const LEASE = 'database/creds/app/1';

/** Just enough of a provider to see what `confirmLeaseRole` drops. */
function provider(): CredentialProvider & { invalidated: [string, string | undefined][] } {
  const invalidated: [string, string | undefined][] = [];
  return {
    invalidated,
    invalidate: (name: string, leaseId?: string) => void invalidated.push([name, leaseId]),
  } as unknown as CredentialProvider & { invalidated: [string, string | undefined][] };
}

/** A SQLSTATE error as pg and postgres.js report one. */
function sqlError(code: string): Error & { code: string } {
  return Object.assign(new Error(code), { code });
}

describe('confirmLeaseRole', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.parse('2026-01-01T00:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('drops a lease whose role is gone from the provider, like a refused login', async () => {
    const owner = provider();
    expect(await confirmLeaseRole(owner, 'db', LEASE, async () => false)).toBe('dropped');
    expect(owner.invalidated).toEqual([['db', LEASE]]);
  });

  it('keeps the lease when the role exists, and asks PostgreSQL at most once a second per lease', async () => {
    const owner = provider();
    const probe = vi.fn(async () => true);
    expect(await confirmLeaseRole(owner, 'db', LEASE, probe)).toBe('exists');
    expect(await confirmLeaseRole(owner, 'db', LEASE, probe)).toBe('exists');
    expect(probe).toHaveBeenCalledTimes(1);
    vi.setSystemTime(Date.now() + 1_000);
    expect(await confirmLeaseRole(owner, 'db', LEASE, probe)).toBe('exists');
    expect(probe).toHaveBeenCalledTimes(2);
    // Another lease of the name is asked about on its own.
    expect(await confirmLeaseRole(owner, 'db', 'database/creds/app/2', probe)).toBe('exists');
    expect(probe).toHaveBeenCalledTimes(3);
    expect(owner.invalidated).toEqual([]);
  });

  it('runs one probe per lease at a time, however many sessions doubt it', async () => {
    const owner = provider();
    let answer: (exists: boolean) => void = () => {};
    const probe = vi.fn(() => new Promise<boolean>((resolve) => (answer = resolve)));
    const verdicts = Promise.all(Array.from({ length: 8 }, () => confirmLeaseRole(owner, 'db', LEASE, probe)));
    answer(false);
    expect(await verdicts).toEqual(Array(8).fill('dropped'));
    expect(probe).toHaveBeenCalledTimes(1);
    expect(owner.invalidated).toHaveLength(1);
  });

  it('says unknown when the probe could not ask (failed transaction, session gone), dropped when a login for it was refused', async () => {
    const owner = provider();
    const failing = (code: string) => () => Promise.reject(sqlError(code));
    expect(await confirmLeaseRole(owner, 'db', LEASE, failing('25P02'))).toBe('unknown');
    expect(await confirmLeaseRole(owner, 'db', LEASE, failing('57P01'))).toBe('unknown');
    expect(owner.invalidated).toEqual([]);
    // An unknown answer is not reused: the next doubt asks again.
    expect(await confirmLeaseRole(owner, 'db', LEASE, failing('28P01'))).toBe('dropped');
    expect(owner.invalidated).toEqual([['db', LEASE]]);
  });

  it('pgRoleProbe asks pg_roles for the lease user by parameter', async () => {
    const query = vi.fn(async () => ({ rowCount: 0 }));
    expect(await pgRoleProbe({ query }, 'v-app-1')()).toBe(false);
    expect(query).toHaveBeenCalledWith(ROLE_EXISTS_SQL, ['v-app-1']);
  });
});
