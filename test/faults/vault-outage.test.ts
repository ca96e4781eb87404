import { type TestVault, VAULT_BACKEND_VARIABLE, type VaultBackend, vaultBackendAvailability } from '@dataverk/testkit';
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
/** After Vault returns: on-demand reads after a long outage are at most 5 s apart (core), plus margin. */
const AFTER_MS = 7_000;
/** Once Vault has answered a creds read, the pool has new credentials within this. */
const RECOVERY_AFTER_READ_MS = 1_500;
/** Client and server judge a lease's end a few ms apart; queries that close to it are not judged. */
const EDGE_MS = 400;
/** How long a query may wait for Vault once no valid credentials remain, before it must fail. */
const FAIL_FAST_MS = 3_000;

/** How Vault goes away: real OpenBao is stopped (SIGSTOP: sockets open, no answer, a hung or partitioned Vault); the dev server refuses connections. */
interface Outage {
  readonly backend: VaultBackend;
  readonly how: string;
  /** Vault client options of the provider under test. */
  readonly client: { readonly requestTimeoutMs?: number };
  begin(vault: TestVault): void;
  end(vault: TestVault): void;
}

const SIGSTOP: Outage = {
  backend: 'openbao',
  how: 'SIGSTOP/SIGCONT',
  // A stopped Vault is noticed only by the request timeout: with the default 10 s every query after
  // the lease end would wait for Vault's return (6 s here) instead of failing. An application that
  // must fail faster behind a hung Vault sets it lower, as here.
  client: { requestTimeoutMs: 2_000 },
  begin: (vault) => processOf(vault).suspend(),
  end: (vault) => processOf(vault).resume(),
};
// refuseConnections: a fault switch only the dev server has (connections closed at once).
const REFUSED: Outage = {
  backend: 'dev-server',
  how: 'refuseConnections',
  client: {},
  begin: (vault) => faultsOf(vault).refuseConnections(true),
  end: (vault) => faultsOf(vault).refuseConnections(false),
};

const openBao = (await vaultBackendAvailability()).openbao;
const forced = process.env[VAULT_BACKEND_VARIABLE] ?? '';
const outages = [
  ...(openBao.available && (forced === '' || forced === 'openbao') ? [SIGSTOP] : []),
  ...(forced === '' || forced === 'dev-server' ? [REFUSED] : []),
];
const cases = outages.flatMap((outage) => ADAPTERS.map((adapter) => ({ adapter, outage, backend: outage.backend })));

describe.each(cases)('Vault down for longer than a lease ($adapter, Vault $backend)', ({ adapter, outage }) => {
  let fixture: DatabaseFixture;
  beforeAll(async () => {
    fixture = await databaseFixture({ ttl: TTL_S, maxTtl: 120, backend: outage.backend });
  });
  afterAll(async () => {
    if (fixture !== undefined) outage.end(fixture.vault);
    await fixture?.close();
  });
  /** Queries that started while no valid credentials existed, early enough to be judged by FAIL_FAST_MS. */
  let withoutCredentials: { readonly started: number; readonly slowestMs: number } | undefined;

  it('serves while the lease is valid, never on an ended lease, names Vault in every failure, resumes without a restart', async () => {
    const record = fixture.record;
    const provider = ownProvider(fixture, outage.client);
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
    outage.begin(fixture.vault);
    const down = Date.now();
    clientExpiry = Math.max(clientExpiry, (await provider.getCredentials(fixture.name)).expiresAt);
    await sleep(OUTAGE_MS);
    provider.off('issued', onGrant).off('renewed', onGrant);
    // The server's lease record as Vault came back: a renewal answered after SIGCONT must not move
    // the end of a lease that ran out while the server was stopped.
    const recordAtReturn = record.leaseHistory();
    record.resetCounts();
    outage.end(fixture.vault);
    const up = Date.now();
    await sleep(AFTER_MS);
    const outcomes = await load.stop();
    await client.close();
    await provider.close({ revoke: true });
    unhandled.stop();

    // A renewal in flight when the connections dropped may have extended the lease on the server
    // only: the server's record says when the lease really ended.
    const leaseRecord = recordAtReturn.find((lease) => lease.leaseId === heldLeaseId);
    const serverEnd = leaseRecord?.endedAt ?? leaseRecord?.expiresAt ?? clientExpiry;
    const validUntil = Math.min(clientExpiry, serverEnd);
    const whileValid = startedBetween(outcomes, down, validUntil - EDGE_MS);
    // Queries wholly inside the time without credentials (one still waiting when Vault returns may succeed).
    const afterExpiry = startedBetween(outcomes, Math.max(clientExpiry, serverEnd) + EDGE_MS, up).filter(
      (o) => o.endedAt < up,
    );
    const lateOnServer = queriesAfterLeaseEnd(outcomes, [
      ...recordAtReturn,
      ...record.leaseHistory().filter((lease) => !recordAtReturn.some((seen) => seen.leaseId === lease.leaseId)),
    ]);
    const recovered = firstSuccessAfter(outcomes, up);
    const recoveryMs = recovered === undefined ? Number.POSITIVE_INFINITY : recovered.endedAt - up;
    // When Vault gave new credentials, by the server's record: the first creds read it answered
    // (one sent during a SIGSTOP is answered at the SIGCONT, recorded with its arrival time).
    const firstRead = record.requestLog().find((r) => r.status === 200 && /\/creds\//.test(r.path));
    const readAt = firstRead === undefined ? Number.POSITIVE_INFINITY : Math.max(up, firstRead.at);
    const { inside, outside } = failuresAround(outcomes, { from: validUntil - EDGE_MS, to: up }, recoveryMs);
    // Queries that waited while no valid credentials existed (started before, or after, the lease
    // end), early enough that FAIL_FAST_MS ends before Vault returns: how long each was held.
    const noCredentialsFrom = Math.max(clientExpiry, serverEnd) + EDGE_MS;
    const waiting = outcomes.filter((o) => o.endedAt > noCredentialsFrom && o.startedAt < up - FAIL_FAST_MS);
    const slowestMs = Math.max(
      0,
      ...waiting.map((o) => Math.min(o.endedAt, up) - Math.max(o.startedAt, noCredentialsFrom)),
    );
    const namingVault = afterExpiry.filter((o) => !o.ok && /Vault/.test(o.errorMessage ?? ''));
    report(`vault-down-longer-than-lease/${adapter}`, {
      vault: `${fixture.backend} (${outage.how}, request timeout ${outage.client.requestTimeoutMs ?? 'default'})`,
      window: `${validUntil - down} ms after outage start until Vault returned (${up - validUntil} ms without valid credentials; server ended the lease ${serverEnd - clientExpiry} ms after the client's reckoning)`,
      queries: outcomes.length,
      okWhileValid: `${whileValid.filter((o) => o.ok).length}/${whileValid.length}`,
      failedAfterExpiry: `${afterExpiry.filter((o) => !o.ok).length}/${afterExpiry.length}`,
      failuresInside: inside.length,
      failuresOutside: outside.length,
      codes: codeHistogram(outcomes),
      failP99Ms: failureLatency(afterExpiry, 0.99),
      slowestWithoutCredentialsMs: slowestMs,
      recoveryMs,
      firstReadAfterReturnMs: readAt - up,
      runningAcrossLeaseEnd: lateOnServer.length,
      requestsAfterReturn: countRequests(record.requestCounts(), /database\/creds|sys\/leases/),
    });

    expect(unhandled.seen).toEqual([]);
    expect(validUntil - down).toBeGreaterThan(500);
    expect(whileValid.length).toBeGreaterThan(10);
    expect(whileValid.filter((o) => !o.ok)).toEqual([]);
    withoutCredentials = { started: waiting.length, slowestMs };
    // No query succeeds on a lease Vault has ended; every one fails naming Vault.
    expect(afterExpiry.filter((o) => o.ok)).toEqual([]);
    // A query checked out just before the client's cutoff (lease end minus the safety margin) may
    // still be running when the lease ends on a loaded machine; none may start after the lease end.
    expect(lateOnServer.filter((o) => o.startedAt >= clientExpiry)).toEqual([]);
    expect(namingVault.length).toBe(afterExpiry.length);
    // Back without a restart, and no failure after that.
    expect(readAt - up).toBeLessThan(AFTER_MS - RECOVERY_AFTER_READ_MS);
    expect(recovered?.endedAt ?? Number.POSITIVE_INFINITY).toBeLessThan(readAt + RECOVERY_AFTER_READ_MS);
    expect(outside).toEqual([]);
  });

  it('fails fast while no valid credentials remain (one request timeout at most)', (context) => {
    if (withoutCredentials === undefined) return context.skip();
    expect(withoutCredentials.started).toBeGreaterThan(0);
    expect(withoutCredentials.slowestMs).toBeLessThan(FAIL_FAST_MS);
  });
});

function processOf(vault: TestVault): NonNullable<TestVault['process']> {
  if (vault.process === undefined) throw new Error(`the ${vault.backend} Vault has no process to stop`);
  return vault.process;
}

function faultsOf(vault: TestVault): NonNullable<TestVault['faults']> {
  if (vault.faults === undefined) throw new Error(`the ${vault.backend} Vault has no fault switches`);
  return vault.faults;
}
