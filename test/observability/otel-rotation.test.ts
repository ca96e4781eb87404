import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createPool } from '@dataverk/pg';
import { issuedSecretsInProcess } from '@dataverk/testkit';
import { trace } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertRotationWithoutLoss, probeSql, ROTATION_LOAD } from '../rotation/rotation-scenario.js';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';
import { captureForSecretCheck, leakedSecrets } from '../support/secret-capture.js';
import { type ExportedPoint, type InstalledOtelSdk, installOtelSdk, parentOf, total } from './otel-sdk.js';

/** A second settings name (same Vault role), first read before the SDK is registered. */
const EARLY_NAME = 'read_before_sdk';

describe('OpenTelemetry metrics and spans through a rotation (real SDK, PostgreSQL, Vault)', () => {
  let fixture: DatabaseFixture;
  let sdk: InstalledOtelSdk | undefined;
  beforeAll(async () => {
    fixture = await databaseFixture({ ttl: 3, maxTtl: 8 });
  });
  afterAll(async () => {
    await fixture?.close();
    await sdk?.shutdown();
  });

  it('exports lease counters, gauges, Vault and wait histograms and nested spans; health() follows', async () => {
    // The provider exists, and serves a name, before the SDK is registered (an app that sets up
    // NodeSDK late): that name's lease must still show once the SDK is there.
    await fixture.provider.getCredentials(EARLY_NAME);
    sdk = installOtelSdk();
    const installed = sdk;
    // Every lease event from here on is in the metrics: the test counts them too.
    let issuedEvents = 0;
    const onIssued = () => issuedEvents++;
    fixture.provider.on('issued', onIssued);
    const pool = createPool(fixture.name, { provider: fixture.provider, max: 10 });
    const sql = probeSql(fixture.table);
    const tracer = trace.getTracer('app');

    // The first query of the app, inside its own span: Vault shows up in its trace.
    await tracer.startActiveSpan('GET /orders', async (span) => {
      await pool.query(sql);
      span.end();
    });

    const healthDuring: ReturnType<typeof fixture.provider.health>[] = [];
    const sampler = setInterval(() => healthDuring.push(fixture.provider.health()), 500);
    // How late this process's timers ran meanwhile: with 3 s leases and a 300 ms margin, a loop
    // held up longer than the margin renews too late and health rightly says `failing` (printed,
    // to tell that apart from a library defect when the assertion below fails).
    const loopDelay = monitorEventLoopDelay({ resolution: 20 });
    loopDelay.enable();
    await assertRotationWithoutLoss(
      fixture,
      async () => {
        const { rows } = await pool.query<{ user: string; serverAt: number }>(sql);
        return rows[0]!;
      },
      'otel/pg',
      ROTATION_LOAD,
    );
    clearInterval(sampler);
    loopDelay.disable();
    // A checkout just before the collection puts a connection on the current lease, unless a rotation
    // comes between the two (then the connection is counted as superseded): counted, to tell which.
    let rotatedEvents = 0;
    const onRotated = () => rotatedEvents++;
    fixture.provider.on('rotated', onRotated);
    await pool.query(sql);
    // Leases go on rotating in the background: the events are counted on both sides of the collection.
    const issuedBefore = issuedEvents;
    const points = await installed.collectMetrics();
    const spans = installed.spans();
    const issuedAfter = issuedEvents;
    const health = fixture.provider.health();
    fixture.provider.off('issued', onIssued).off('rotated', onRotated);
    await pool.end();

    // Counters: the rotation is in the metrics.
    const name = { 'dataverk.name': fixture.name };
    const issued = total(points, 'dataverk.lease.issued', name);
    const rotated = total(points, 'dataverk.lease.rotated', name);
    const renewed = total(points, 'dataverk.lease.renewed', name);
    const revoked = total(points, 'dataverk.lease.revoked', { ...name, 'dataverk.revoke.reason': 'released' });
    const issuedAll = total(points, 'dataverk.lease.issued');
    console.log(
      `[otel] ${fixture.name}: ${issued} issued, ${rotated} rotated, ${renewed} renewed, ${revoked} revoked (released); ` +
        `all names: ${issuedAll} issued since the SDK registered (${issuedAfter} events), ${fixture.record.leaseHistory().length} leases in Vault's record`,
    );
    expect(rotated).toBeGreaterThanOrEqual(2);
    expect(issued).toBe(rotated + 1);
    expect(issuedAll).toBeGreaterThanOrEqual(issuedBefore);
    expect(issuedAll).toBeLessThanOrEqual(issuedAfter);
    // Vault's own record holds each of them, and the early name's first lease, read before the SDK.
    expect(fixture.record.leaseHistory().length).toBeGreaterThanOrEqual(issuedAll + 1);
    // A Vault read is measured when it answers, its lease counted a few awaits later: one per name may be between.
    const answeredReads = (count: number) => {
      expect(count).toBeGreaterThanOrEqual(issuedBefore);
      expect(count).toBeLessThanOrEqual(issuedAfter + 2);
    };
    expect(renewed).toBeGreaterThanOrEqual(1);
    expect(revoked).toBeGreaterThanOrEqual(1);
    const early = { 'dataverk.name': EARLY_NAME };
    expect(
      total(points, 'dataverk.lease.renewed', early) + total(points, 'dataverk.lease.rotated', early),
    ).toBeGreaterThan(0);

    // Attributes: semantic conventions, and the database the lease is for.
    const issuedPoint = points.find((p) => p.metric === 'dataverk.lease.issued');
    expect(issuedPoint?.attributes).toEqual({
      'dataverk.name': fixture.name,
      'db.system.name': 'postgresql',
      'db.namespace': fixture.postgres.database,
      'server.address': fixture.postgres.host,
      'server.port': fixture.postgres.port,
    });

    // Vault requests by operation and outcome.
    const vaultReads = points.filter(
      (p) =>
        p.metric === 'dataverk.vault.request.duration' &&
        p.attributes['dataverk.vault.operation'] === 'read-credentials',
    );
    answeredReads(vaultReads.reduce((n, p) => n + p.value, 0));
    expect(vaultReads.every((p) => p.unit === 's' && p.attributes['dataverk.outcome'] === 'ok')).toBe(true);
    expect(vaultReads[0]?.attributes['http.response.status_code']).toBe(200);
    const renewedAll = total(points, 'dataverk.lease.renewed');
    const renewOk = { 'dataverk.vault.operation': 'lease-renew', 'dataverk.outcome': 'ok' };
    // A renewal answered just as the reader collected may be in the histogram before its event is counted (one per name).
    const renewRequests = total(points, 'dataverk.vault.request.duration', renewOk);
    expect(renewRequests).toBeGreaterThanOrEqual(renewedAll);
    expect(renewRequests).toBeLessThanOrEqual(renewedAll + 2);

    // Callers' waits, the gauges.
    expect(total(points, 'dataverk.credentials.wait.duration', { ...name, 'dataverk.outcome': 'ok' })).toBeGreaterThan(
      0,
    );
    const timeLeft = points.filter((p) => p.metric === 'dataverk.lease.time_left');
    expect(timeLeft.map((p) => p.attributes['dataverk.name']).sort()).toEqual([EARLY_NAME, fixture.name].sort());
    for (const { value } of timeLeft) {
      expect(value).toBeGreaterThan(0);
      expect(value).toBeLessThanOrEqual(8);
    }
    const connections = points.filter(
      (p) => p.metric === 'dataverk.lease.connections' && p.attributes['dataverk.name'] === fixture.name,
    );
    expect(connections.map((p) => p.attributes['dataverk.lease.state']).sort()).toEqual(['current', 'superseded']);
    const current = connections.find((p) => p.attributes['dataverk.lease.state'] === 'current')?.value ?? 0;
    const superseded = connections.find((p) => p.attributes['dataverk.lease.state'] === 'superseded')?.value ?? 0;
    if (rotatedEvents === 0) expect(current).toBeGreaterThan(0);
    else expect(current + superseded).toBeGreaterThan(0);

    // Spans: the app's span → dataverk acquire (inside pg's connect) → vault read-credentials.
    const root = spans.find((s) => s.name === 'GET /orders')!;
    const firstRead = spans.find((s) => s.name === 'vault read-credentials')!;
    const acquire = parentOf(firstRead, spans);
    expect(acquire?.name).toBe('dataverk acquire');
    expect(acquire?.spanContext().traceId).toBe(root.spanContext().traceId);
    expect(parentOf(acquire!, spans)?.name).toBe('GET /orders');
    expect(firstRead.attributes).toMatchObject({
      'dataverk.vault.operation': 'read-credentials',
      'dataverk.vault.path': fixture.vaultPath,
      'dataverk.vault.retry_count': 0,
      'http.request.method': 'GET',
      'http.response.status_code': 200,
    });
    const renewSpans = spans.filter((s) => s.name === 'vault lease-renew');
    expect(renewSpans.length).toBeGreaterThanOrEqual(renewedAll);
    expect(renewSpans.every((s) => s.attributes['dataverk.vault.path'] === undefined)).toBe(true);
    answeredReads(spans.filter((s) => s.name === 'vault read-credentials').length);

    // health(): ok throughout, with the lease's time left.
    console.log(`[otel] health after the load: ${JSON.stringify(health)}`);
    expect(healthDuring.length).toBeGreaterThan(10);
    const states = healthDuring.map((h) => h.status);
    const maxLoopDelayMs = Math.round(loopDelay.max / 1e6);
    console.log(
      `[otel] health samples: ${states.filter((s) => s === 'ok').length} ok of ${states.length}; event loop delay max ${maxLoopDelayMs} ms`,
    );
    expect(
      states.filter((s) => s === 'failing'),
      `event loop delay max ${maxLoopDelayMs} ms`,
    ).toEqual([]);
    // A sample taken in the instant a lease is inside its safety margin, before its successor lands, is degraded.
    expect(states.filter((s) => s === 'ok').length).toBeGreaterThanOrEqual(states.length * 0.8);
    expect(health.status).not.toBe('failing');
    const own = health.names[fixture.name]!;
    expect(own.leaseEndsInMs).toBeGreaterThan(0);
    expect(own.leaseEndsInMs).toBeLessThanOrEqual(8_000);
    expect(own.vaultFailingForMs).toBeNull();

    // Nothing exported holds a secret, a lease id or a username.
    const exported = installed.exportedJson();
    captureForSecretCheck(exported); // and the after-all check of every test file searches it too
    expect(leakedSecrets(issuedSecretsInProcess(), exported)).toEqual([]);
    const history = fixture.record.leaseHistory();
    expect(history.filter((lease) => exported.includes(lease.username))).toEqual([]);
    expect(history.filter((lease) => exported.includes(lease.leaseId.split('/').at(-1)!))).toEqual([]);
    console.log(`[otel] exporter output excerpt:\n${excerpt(points)}`);
  });
});

/** One line per metric and attribute set, as the docs show. */
function excerpt(points: readonly ExportedPoint[]): string {
  return points
    .map((p) => {
      const value = p.sum === undefined ? `${round(p.value)}` : `count=${p.value} sum=${round(p.sum)}s`;
      return `${p.metric} ${JSON.stringify(p.attributes)} ${value}`;
    })
    .join('\n');
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
