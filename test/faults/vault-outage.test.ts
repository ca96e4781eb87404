import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';
import { queriesAfterLeaseEnd } from '../support/query-load.js';
import { countRequests } from '../support/request-counts.js';
import {
  codeHistogram,
  failureLatency,
  failuresAround,
  firstSuccessAfter,
  report,
  sleep,
  startedBetween,
  startLoad,
} from './support/fault-load.js';
import { ADAPTERS, ownProvider, queryClient, watchUnhandledRejections } from './support/query-clients.js';

const TTL_S = 3;
const OUTAGE_MS = 6_000;
const AFTER_MS = 5_000;
/** Client and server judge a lease's end a few ms apart; queries that close to it are not judged. */
const EDGE_MS = 400;

describe.each(ADAPTERS)('Vault down for longer than a lease (%s)', (adapter) => {
  let fixture: DatabaseFixture;
  beforeAll(async () => {
    fixture = await databaseFixture({ ttl: TTL_S, maxTtl: 120 });
  });
  afterAll(async () => {
    fixture?.vault.faults?.refuseConnections(false);
    await fixture?.close();
  });

  it('serves while the lease is valid, then fails fast naming Vault, then resumes without a restart', async () => {
    const faults = fixture.vault.faults!;
    const provider = ownProvider(fixture);
    const client = queryClient(adapter, fixture, provider);
    const unhandled = watchUnhandledRejections();
    await client.query();
    const load = startLoad(client.query, { concurrency: 8 });
    await sleep(1_000);

    // What the client believes about its lease: the last grant it saw before Vault returned.
    let clientExpiry = 0;
    const onGrant = (event: { leaseId: string; expiresAt: number }) => {
      clientExpiry = event.expiresAt;
      heldLeaseId = event.leaseId;
    };
    let heldLeaseId = (await provider.getCredentials(fixture.name)).leaseId;
    provider.on('issued', onGrant).on('renewed', onGrant);
    faults.refuseConnections(true);
    const down = Date.now();
    clientExpiry = Math.max(clientExpiry, (await provider.getCredentials(fixture.name)).expiresAt);
    await sleep(OUTAGE_MS);
    provider.off('issued', onGrant).off('renewed', onGrant);
    faults.resetCounts();
    faults.refuseConnections(false);
    const up = Date.now();
    await sleep(AFTER_MS);
    const outcomes = await load.stop();
    await client.close();
    await provider.close({ revoke: true });
    unhandled.stop();

    // A renewal in flight when the connections dropped may have extended the lease on the server
    // only: the server's record says when the lease really ended.
    const leaseRecord = faults.leaseHistory().find((lease) => lease.leaseId === heldLeaseId);
    const serverEnd = leaseRecord?.endedAt ?? leaseRecord?.expiresAt ?? clientExpiry;
    const validUntil = Math.min(clientExpiry, serverEnd);
    const whileValid = startedBetween(outcomes, down, validUntil - EDGE_MS);
    // Queries wholly inside the time without credentials (one still waiting when Vault returns may succeed).
    const afterExpiry = startedBetween(outcomes, Math.max(clientExpiry, serverEnd) + EDGE_MS, up).filter(
      (o) => o.endedAt < up,
    );
    const lateOnServer = queriesAfterLeaseEnd(outcomes, faults.leaseHistory());
    const recovered = firstSuccessAfter(outcomes, up);
    const recoveryMs = recovered === undefined ? Number.POSITIVE_INFINITY : recovered.endedAt - up;
    const { inside, outside } = failuresAround(outcomes, { from: validUntil - EDGE_MS, to: up }, recoveryMs);
    const namingVault = afterExpiry.filter((o) => !o.ok && /Vault/.test(o.errorMessage ?? ''));
    report(`vault-down-longer-than-lease/${adapter}`, {
      window: `${validUntil - down} ms after outage start until Vault returned (${up - validUntil} ms without valid credentials; server ended the lease ${serverEnd - clientExpiry} ms after the client's reckoning)`,
      queries: outcomes.length,
      okWhileValid: `${whileValid.filter((o) => o.ok).length}/${whileValid.length}`,
      failedAfterExpiry: `${afterExpiry.filter((o) => !o.ok).length}/${afterExpiry.length}`,
      failuresInside: inside.length,
      failuresOutside: outside.length,
      codes: codeHistogram(outcomes),
      failP99Ms: failureLatency(afterExpiry, 0.99),
      recoveryMs,
      runningAcrossLeaseEnd: lateOnServer.length,
      requestsAfterReturn: countRequests(faults.requestCounts(), /database\/creds|sys\/leases/),
    });

    expect(unhandled.seen).toEqual([]);
    expect(validUntil - down).toBeGreaterThan(500);
    expect(whileValid.length).toBeGreaterThan(10);
    expect(whileValid.filter((o) => !o.ok)).toEqual([]);
    expect(afterExpiry.length).toBeGreaterThan(10);
    // No query succeeds on a lease Vault has ended; every one fails, quickly, naming Vault.
    expect(afterExpiry.filter((o) => o.ok)).toEqual([]);
    // A query checked out just before the client's cutoff (lease end minus the safety margin) may
    // still be running when the lease ends on a loaded machine; none may start after the lease end.
    expect(lateOnServer.filter((o) => o.startedAt >= clientExpiry)).toEqual([]);
    expect(namingVault.length).toBe(afterExpiry.length);
    expect(failureLatency(afterExpiry, 0.99)).toBeLessThan(3_000);
    // Back without a restart, and no failure after that.
    expect(recoveryMs).toBeLessThan(AFTER_MS - 1_000);
    expect(outside).toEqual([]);
  });
});
