import { createRequire } from 'node:module';
import { createPool } from '@dataverk/pg';
import { trace } from '@opentelemetry/api';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';
import { type InstalledOtelSdk, installOtelSdk, parentOf } from './otel-sdk.js';

describe('@opentelemetry/instrumentation-pg around a dataverk pool (real SDK, PostgreSQL, Vault)', () => {
  let fixture: DatabaseFixture;
  let sdk: InstalledOtelSdk;
  let instrumentation: PgInstrumentation;
  beforeAll(async () => {
    sdk = installOtelSdk();
    // What NodeSDK's auto-instrumentation does at start: patch pg and pg-pool as they are required.
    instrumentation = new PgInstrumentation();
    instrumentation.enable();
    const requirePg = createRequire(createRequire(import.meta.url).resolve('pg'));
    requirePg('pg');
    requirePg('pg-pool');
    fixture = await databaseFixture({ ttl: 3, maxTtl: 8 });
  });
  afterAll(async () => {
    await fixture?.close();
    instrumentation?.disable();
    await sdk?.shutdown();
  });

  it("traces connect and queries through rotations, with dataverk's credential wait and Vault inside pg's connect", async () => {
    const pool = createPool(fixture.name, { provider: fixture.provider, max: 4 });
    const tracer = trace.getTracer('app');
    const users = new Set<string>();
    const deadline = Date.now() + 12_000; // past one max TTL (8 s): at least one rotation
    let queries = 0;
    await tracer.startActiveSpan('first request', async (span) => {
      const { rows } = await pool.query<{ user: string }>('SELECT current_user::text AS "user"');
      users.add(rows[0]!.user);
      span.end();
    });
    while (Date.now() < deadline) {
      await tracer.startActiveSpan('request', async (span) => {
        const { rows } = await pool.query<{ user: string }>('SELECT current_user::text AS "user"');
        users.add(rows[0]!.user);
        queries++;
        span.end();
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await pool.end();

    const spans = sdk.spans();
    const names = new Map<string, number>();
    for (const span of spans) names.set(span.name, (names.get(span.name) ?? 0) + 1);
    console.log(
      `[otel/pg] ${queries + 1} queries, ${users.size} users; spans: ${JSON.stringify(Object.fromEntries(names))}`,
    );
    expect(users.size).toBeGreaterThanOrEqual(2);

    // Ours only: the fixture's superuser ran a CREATE TABLE through pg too.
    const pgQueries = spans.filter(
      (s) => s.instrumentationScope.name.includes('instrumentation-pg') && s.name.startsWith('pg.query:SELECT'),
    );
    expect(pgQueries.length).toBe(queries + 1);
    expect(
      pgQueries.every(
        (s) =>
          parentOf(s, spans)?.name.startsWith('pg-pool.connect') ||
          ['request', 'first request'].includes(parentOf(s, spans)?.name ?? ''),
      ),
    ).toBe(true);

    // The first request's trace: request → pg-pool.connect → pg.connect → dataverk acquire → vault read-credentials.
    const first = spans.find((s) => s.name === 'first request')!;
    const inFirst = spans.filter((s) => s.spanContext().traceId === first.spanContext().traceId);
    const read = inFirst.find((s) => s.name === 'vault read-credentials');
    expect(read, 'the first request waited for Vault, and its trace shows it').toBeDefined();
    const chain: string[] = [];
    for (let span = parentOf(read!, spans); span !== undefined; span = parentOf(span, spans)) chain.push(span.name);
    console.log(`[otel/pg] first request: vault read-credentials ← ${chain.join(' ← ')}`);
    expect(chain[0]).toBe('dataverk acquire');
    expect(chain.at(-1)).toBe('first request');
    expect(chain.some((name) => name.startsWith('pg.connect') || name.startsWith('pg-pool.connect'))).toBe(true);
    // No span from pg or from us names a leased user.
    const attributeText = JSON.stringify(spans.map((s) => s.attributes));
    for (const user of users)
      expect(attributeText.includes(user), 'a span attribute holds a leased username').toBe(false);
  });
});
