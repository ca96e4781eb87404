import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';
import { type InstalledOtelSdk, installOtelSdk, total } from './otel-sdk.js';

/** Polls `health()` until `status` (timing on a loaded 2-core machine: generous, not exact). */
async function untilStatus(fixture: DatabaseFixture, status: string, withinMs: number): Promise<number> {
  const started = Date.now();
  while (fixture.provider.health().status !== status) {
    if (Date.now() - started > withinMs) throw new Error(`health() not ${status} within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - started;
}

// Sealing Vault and failing requests on demand needs the fault switches of our Vault dev server.
describe('OpenTelemetry and health() when Vault fails (real SDK and PostgreSQL, Vault dev server faults)', () => {
  let fixture: DatabaseFixture;
  let sdk: InstalledOtelSdk;
  beforeAll(async () => {
    sdk = installOtelSdk();
    fixture = await databaseFixture({ ttl: 3, maxTtl: 8, backend: 'dev-server' });
  });
  afterAll(async () => {
    fixture?.vault.faults?.unseal();
    await fixture?.close();
    await sdk?.shutdown();
  });

  it('counts retries on a span, then reports a sealed Vault: degraded, failing, errors by code; ok once unsealed', async () => {
    const faults = fixture.vault.faults!;
    faults.failNext(503, 2, 'database/creds/');
    await fixture.provider.getCredentials(fixture.name);
    const read = sdk.spans().find((s) => s.name === 'vault read-credentials')!;
    expect(read.attributes).toMatchObject({ 'dataverk.vault.retry_count': 2, 'http.response.status_code': 200 });
    expect(fixture.provider.health().status).toBe('ok');

    faults.seal();
    const degradedAfter = await untilStatus(fixture, 'degraded', 6_000);
    const degraded = fixture.provider.health().names[fixture.name]!;
    const failingAfter = await untilStatus(fixture, 'failing', 10_000);
    const failing = fixture.provider.health().names[fixture.name]!;
    console.log(
      `[otel/faults] sealed: degraded after ${degradedAfter} ms ${JSON.stringify(degraded)}; failing ${failingAfter} ms later ${JSON.stringify(failing)}`,
    );
    expect(degraded.leaseEndsInMs).toBeGreaterThan(0);
    expect(degraded.vaultFailingForMs).toBeGreaterThanOrEqual(0);
    expect(degraded.lastError?.code).toBe('VAULT_SEALED');
    expect(failing.vaultFailingForMs).toBeGreaterThan(degraded.vaultFailingForMs!);
    await expect(fixture.provider.getCredentials(fixture.name)).rejects.toMatchObject({
      code: 'DATAVERK_CREDENTIALS_UNAVAILABLE',
    });

    let points = await sdk.collectMetrics();
    const sealedErrors = total(points, 'dataverk.errors', {
      'dataverk.name': fixture.name,
      'error.type': 'VAULT_SEALED',
    });
    const failedRequests = total(points, 'dataverk.vault.request.duration', {
      'dataverk.outcome': 'error',
      'error.type': 'VAULT_SEALED',
      'http.response.status_code': 503,
    });
    const failedWaits = total(points, 'dataverk.credentials.wait.duration', {
      'dataverk.outcome': 'error',
      'error.type': 'DATAVERK_CREDENTIALS_UNAVAILABLE',
    });
    console.log(
      `[otel/faults] ${sealedErrors} VAULT_SEALED errors, ${failedRequests} failed Vault requests, ${failedWaits} failed waits`,
    );
    expect(sealedErrors).toBeGreaterThanOrEqual(1);
    expect(failedRequests).toBeGreaterThanOrEqual(1);
    expect(failedWaits).toBeGreaterThanOrEqual(1);
    const failedSpan = sdk.spans().find((s) => s.status.code === 2 && s.name.startsWith('vault '));
    expect(failedSpan?.status.message).toBe('VAULT_SEALED');
    expect(failedSpan?.attributes['error.type']).toBe('VAULT_SEALED');

    faults.unseal();
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await fixture.provider.getCredentials(fixture.name);
        break;
      } catch (error) {
        if (Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    const recovered = fixture.provider.health();
    console.log(`[otel/faults] unsealed: ${JSON.stringify(recovered)}`);
    expect(recovered.status).not.toBe('failing');
    expect(recovered.names[fixture.name]).toMatchObject({
      vaultFailingForMs: null,
      lastError: { code: 'VAULT_SEALED' },
    });
    points = await sdk.collectMetrics();
    expect(points.some((p) => p.metric === 'dataverk.lease.time_left' && p.value > 0)).toBe(true);
    // The lease that ended while sealed is counted as expired, or as revoked when the re-read after
    // unsealing superseded it within the ledger's 1 s slack past its end (then the provider revokes it),
    // or as a failed revocation: Vault's own revocation of it at its end and the new lease's GRANT run
    // at about that moment, and PostgreSQL may refuse one of them (`tuple concurrently updated`).
    const ended = { 'dataverk.name': fixture.name };
    const revokeErrors = () => total(points, 'dataverk.errors', { ...ended, 'dataverk.operation': 'revoke' });
    const endedCount = () =>
      total(points, 'dataverk.lease.expired', ended) + total(points, 'dataverk.lease.revoked', ended) + revokeErrors();
    const endedBy = Date.now() + 5_000;
    while (endedCount() === 0 && Date.now() < endedBy) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      points = await sdk.collectMetrics();
    }
    console.log(
      `[otel/faults] the sealed-through lease: ${total(points, 'dataverk.lease.expired', ended)} expired, ${total(points, 'dataverk.lease.revoked', ended)} revoked, ${revokeErrors()} revocations failed`,
    );
    expect(endedCount()).toBeGreaterThanOrEqual(1);
  });
});
