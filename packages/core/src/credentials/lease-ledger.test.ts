import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import type { DatabaseCredentials } from './credential-provider.js';
import { LeaseLedger } from './lease-ledger.js';

const START = Date.parse('2026-01-01T00:00:00Z');
const LEASE = 'database/creds/app/L1';

function credentials(expiresAt: number): DatabaseCredentials {
  return {
    name: 'sales',
    user: 'v-app-1',
    password: 'not-a-secret',
    host: '127.0.0.1',
    port: 5432,
    database: 'sales',
    ssl: false,
    options: {},
    leaseId: LEASE,
    leaseDuration: 360,
    renewable: true,
    issuedAt: START,
    expiresAt,
  };
}

function ledgerOn(clock: ManualClock): { ledger: LeaseLedger; expired: string[] } {
  const expired: string[] = [];
  const ledger = new LeaseLedger(clock, { revoke: () => {}, expired: (leaseId) => expired.push(leaseId) });
  return { ledger, expired };
}

// Behind a caching proxy the provider knows a lease for a tenth of its TTL at a time; a process that
// slept past that sees it end, then gets the same lease back from the cache (the simulator's seed 924,
// a 20-minute freeze of a process with a pooled connection, 1 h leases behind a proxy).
describe('LeaseLedger, a lease back after its end by our reckoning', () => {
  it('counts the connections still open on it from before', async () => {
    const clock = new ManualClock(START);
    const { ledger, expired } = ledgerOn(clock);
    ledger.add(credentials(START + 360_000));
    expect(ledger.retain('sales', LEASE)).toBe(true);
    expect(ledger.retain('sales', LEASE)).toBe(true);
    await clock.advance(20 * 60_000);
    expect(expired).toEqual([LEASE]);
    expect(ledger.refs(LEASE)).toBe(0);
    expect(ledger.retain('sales', LEASE)).toBe(false);

    ledger.add(credentials(clock.now() + 360_000));
    expect(ledger.refs(LEASE)).toBe(2);
    ledger.release('sales', LEASE);
    expect(ledger.refs(LEASE)).toBe(1);
  });

  it('forgets a connection released while the lease was gone', async () => {
    const clock = new ManualClock(START);
    const { ledger } = ledgerOn(clock);
    ledger.add(credentials(START + 360_000));
    ledger.retain('sales', LEASE);
    ledger.retain('sales', LEASE);
    await clock.advance(20 * 60_000);
    ledger.release('sales', LEASE);
    ledger.release('sales', LEASE);
    ledger.release('sales', LEASE);

    ledger.add(credentials(clock.now() + 360_000));
    expect(ledger.refs(LEASE)).toBe(0);
  });
});
