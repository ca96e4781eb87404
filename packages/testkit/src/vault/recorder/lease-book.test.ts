import { describe, expect, it } from 'vitest';
import { LeaseBook } from './lease-book.js';

const LEASE = { leaseId: 'database/creds/app/a1', path: 'database/creds/app', username: 'v-app-1', token: 't1' };

describe('LeaseBook', () => {
  it('extends a lease on renewal and infers its expiry once the announced end has passed', () => {
    const book = new LeaseBook();
    book.issued({ ...LEASE, at: 1_000, ttlSeconds: 10 });
    book.renewed(LEASE.leaseId, 5_000, 10);
    expect(book.history(14_000)).toEqual([
      { leaseId: LEASE.leaseId, path: LEASE.path, username: LEASE.username, issuedAt: 1_000, expiresAt: 15_000 },
    ]);
    expect(book.history(15_000)[0]).toMatchObject({ endedAt: 15_000, endReason: 'expired' });
  });

  it('records a revocation, by id or by whole prefix, at the time Vault answered it', () => {
    const book = new LeaseBook();
    book.issued({ ...LEASE, at: 0, ttlSeconds: 60 });
    book.issued({ ...LEASE, leaseId: 'database/creds/app2/b1', at: 0, ttlSeconds: 60 });
    book.revoked(LEASE.leaseId, 2_000);
    book.revoked('database/creds/app2/', 3_000, true);
    expect(book.history(4_000).map((lease) => [lease.endedAt, lease.endReason])).toEqual([
      [2_000, 'revoked'],
      [3_000, 'revoked'],
    ]);
  });

  it('revokes by prefix whole path segments only, as Vault does', () => {
    const book = new LeaseBook();
    book.issued({ ...LEASE, at: 0, ttlSeconds: 60 });
    book.issued({ ...LEASE, leaseId: 'database/creds/app2/b1', at: 0, ttlSeconds: 60 });
    book.revoked('database/creds/app', 1_000, true);
    expect(book.history(2_000).map((lease) => lease.endReason)).toEqual(['revoked', undefined]);
    book.revoked('database/creds/app2/b1', 1_500, true); // a full lease id is its own prefix
    expect(book.history(2_000)[1]?.endReason).toBe('revoked');
  });

  it('ends the leases a token read when that token ends, revoked or expired', () => {
    const book = new LeaseBook();
    book.tokenLifetime('t1', 0, 5);
    book.issued({ ...LEASE, at: 1_000, ttlSeconds: 60 });
    book.issued({ ...LEASE, leaseId: 'database/creds/app/a2', token: 't2', at: 1_000, ttlSeconds: 60 });
    expect(book.history(5_000)[0]).toMatchObject({ expiresAt: 5_000, endedAt: 5_000, endReason: 'expired' });
    book.tokenRevoked('t2', 7_000);
    expect(book.history(8_000)[1]).toMatchObject({ endedAt: 7_000, endReason: 'revoked' });
  });

  it('ignores renewals of unknown or ended leases', () => {
    const book = new LeaseBook();
    book.issued({ ...LEASE, at: 0, ttlSeconds: 10 });
    book.revoked(LEASE.leaseId, 1_000);
    book.renewed(LEASE.leaseId, 2_000, 100);
    book.renewed('database/creds/other/x', 2_000, 100);
    expect(book.history(3_000)).toEqual([expect.objectContaining({ expiresAt: 10_000, endedAt: 1_000 })]);
  });
});
