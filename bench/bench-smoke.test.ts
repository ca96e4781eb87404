import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { envPostgres } from '@dataverk/testkit';
import { describe, expect, inject, it } from 'vitest';
import { SMOKE_PROFILE } from './src/bench-options.js';
import type { BenchResults } from './src/bench-results.js';
import { resultsTable } from './src/report/results-table.js';
import { runBench } from './src/run-bench.js';
import { measureStreamingMemory } from './src/scenarios/streaming-memory.js';
import { writeResults } from './src/write-results.js';

// The benchmark's smoke profile, so that its code cannot rot. Speed is never asserted here: the
// machine running the tests is busy with other tests; `pnpm bench` is where numbers come from.
describe('pnpm bench --smoke', () => {
  it('runs every scenario and writes well-formed results', { timeout: 180_000 }, async () => {
    const results = await runBench({ profile: SMOKE_PROFILE, postgres: envPostgres(inject('postgres').url) });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'dataverk-bench-test-'));
    try {
      const written = await writeResults(results, dir);
      const json = JSON.parse(await readFile(written.json, 'utf8')) as BenchResults;
      expect(json).toEqual(results);
      expectWellFormed(json);
      const svg = await readFile(written.svg, 'utf8');
      expect(svg.startsWith('<svg ')).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      expect(svg).not.toContain('NaN');
      const table = resultsTable(json);
      const scenarios = [
        '1. pooled',
        '2. new connection',
        '3. cold start',
        '4. rotation',
        '5. lease churn',
        '6. import',
      ];
      for (const scenario of [...scenarios, '6. cold start: process start to first row'])
        expect(table).toContain(scenario);
      console.log(`[bench smoke]\n${table}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('pnpm bench --stream --smoke', () => {
  it('streams a small series through readSqlStream and reports its memory figures', { timeout: 120_000 }, async () => {
    const result = await measureStreamingMemory({
      rows: 5_000,
      batchSize: 1_000,
      postgres: envPostgres(inject('postgres').url),
    });
    expect(result.rows).toBe(5_000);
    expect(result.samples).toBeGreaterThan(0);
    for (const value of [result.rssBaselineBytes, result.rssPeakBytes, result.rowsPerSecond, result.durationMs])
      expect(Number.isFinite(value) && value > 0, String(value)).toBe(true);
    expect(result.rssPeakBytes).toBeGreaterThanOrEqual(result.rssBaselineBytes);
    expect(result.rssPeakGrowthBytes).toBe(result.rssPeakBytes - result.rssBaselineBytes);
    expect(result.met).toBe(result.rssPeakGrowthBytes < result.limitBytes);
  });
});

function expectWellFormed(results: BenchResults): void {
  expect(results.mode).toBe('smoke');
  expect(results.backends.vault).toBe('dev-server');
  const positive = (value: number) => expect(Number.isFinite(value) && value > 0, String(value)).toBe(true);
  for (const name of ['static', 'naive', 'dataverk'] as const) {
    const tp = results.pooledThroughput.contenders[name];
    expect(tp.queries).toBe(results.pooledThroughput.queries);
    for (const value of [tp.queriesPerSecond, tp.p50Ms, tp.p99Ms]) positive(value);
    const nc = results.newConnection.contenders[name];
    for (const value of [nc.p50Ms, nc.p99Ms]) positive(value);
    const herd = results.coldHerd.contenders[name];
    expect(herd.vaultRequests).toBeGreaterThanOrEqual(herd.logins + herd.credentialReads);
  }
  for (const ratio of [results.pooledThroughput.ratio, results.newConnection.ratio, results.coldHerd.vaultRequests])
    expect(typeof ratio.met).toBe('boolean');
  const { rotation } = results;
  for (const name of ['naive', 'dataverk'] as const) {
    const figures = rotation.contenders[name];
    expect(figures.queries).toBeGreaterThan(0);
    expect(figures.failed).toBeLessThanOrEqual(figures.queries);
    const buckets = Math.ceil(rotation.durationMs / figures.timeline.bucketMs);
    expect(figures.timeline.p99Ms).toHaveLength(buckets);
    expect(figures.timeline.queries.reduce((a, b) => a + b, 0)).toBe(figures.queries);
    expect(figures.timeline.failed.reduce((a, b) => a + b, 0)).toBe(figures.failed);
  }
  expect(results.leaseChurn.rotations).toBe(SMOKE_PROFILE.churn.rotations);
  const { startup } = results;
  for (const times of [startup.importMs.baseline, startup.importMs.dataverk, startup.firstRowMs.static]) {
    positive(times.wallMs);
    positive(times.cpuMs);
  }
  positive(startup.firstRowMs.dataverk.wallMs);
  expect(typeof startup.importRatio.met).toBe('boolean');
  expect(Number.isFinite(results.leaseChurn.heapGrowth.measured)).toBe(true);
}
