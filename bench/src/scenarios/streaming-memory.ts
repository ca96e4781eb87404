import { Client } from '@dataverk/pg';
import type { TestPostgres, VaultBackend } from '@dataverk/testkit';
import { seededRandom } from '../seeded-random.js';
import { startBenchStack } from '../stack/bench-stack.js';
import { collectGarbage } from '../support/collect-garbage.js';
import { loadAverage, type MachineInfo, machineInfo } from '../support/machine-info.js';

/** The bound the issue sets for streaming 5 million rows. */
export const MAX_RSS_GROWTH_BYTES = 100 * 1024 * 1024;
/** How often RSS is sampled while the stream runs (plus once after every batch). */
const SAMPLE_INTERVAL_MS = 25;

/** Options of {@link measureStreamingMemory}. */
export interface StreamingMemoryOptions {
  readonly rows: number;
  readonly batchSize: number;
  readonly postgres?: TestPostgres;
  readonly vaultBackend?: VaultBackend;
  readonly log?: (line: string) => void;
}

/** What one streaming run measured; written to `bench/results/streaming-memory.json`. */
export interface StreamingMemoryResult {
  readonly scenario: 'readSqlStream memory';
  readonly sql: string;
  readonly rows: number;
  readonly batchSize: number;
  readonly vault: VaultBackend;
  readonly durationMs: number;
  readonly rowsPerSecond: number;
  /** RSS after a warm-up stream and a full GC, before the measured stream. */
  readonly rssBaselineBytes: number;
  readonly rssPeakBytes: number;
  /** Peak RSS during the stream minus the baseline: what the issue bounds. */
  readonly rssPeakGrowthBytes: number;
  readonly heapPeakGrowthBytes: number;
  /** Heap growth left after the stream and a full GC: what a leak would show as (≈ 0 expected). */
  readonly heapRetainedBytes: number;
  readonly samples: number;
  readonly limitBytes: number;
  readonly met: boolean;
  readonly machine: MachineInfo;
  readonly loadAtEnd: readonly number[];
}

/** A few columns of different types per row, computed by the server as the cursor is read. */
const SQL = `SELECT n AS id, 'row-' || n AS note, n * 0.5 AS half, n % 2 = 0 AS even,
                    timestamptz '2026-01-01' + n * interval '1 second' AS at
               FROM generate_series(1, $1::int) AS n`;

/**
 * Streams `rows` rows with `Client.readSqlStream` against a real PostgreSQL and Vault and samples
 * the process's RSS and heap throughout; the consumer touches every row and keeps nothing, as a
 * job writing batches to a file would. A short warm-up stream first loads the code paths, so the
 * baseline holds what any stream needs once.
 */
export async function measureStreamingMemory(options: StreamingMemoryOptions): Promise<StreamingMemoryResult> {
  const log = options.log ?? (() => {});
  const machine = machineInfo();
  const stack = await startBenchStack({
    rotationTtlSeconds: 3_600,
    ...(options.postgres === undefined ? {} : { postgres: options.postgres }),
    vaultBackend: options.vaultBackend ?? 'dev-server',
  });
  const provider = stack.provider(stack.steadyPath, seededRandom(18));
  const client = new Client({ provider });
  try {
    await streamAll(client, Math.min(options.rows, options.batchSize * 2), options.batchSize);
    collectGarbage();
    collectGarbage();
    const baseline = process.memoryUsage();
    let peakRss = baseline.rss;
    let peakHeap = baseline.heapUsed;
    let samples = 0;
    const sample = () => {
      const usage = process.memoryUsage();
      peakRss = Math.max(peakRss, usage.rss);
      peakHeap = Math.max(peakHeap, usage.heapUsed);
      samples++;
    };
    const timer = setInterval(sample, SAMPLE_INTERVAL_MS);
    const started = performance.now();
    let streamed: number;
    try {
      streamed = await streamAll(client, options.rows, options.batchSize, sample);
    } finally {
      clearInterval(timer);
    }
    const durationMs = performance.now() - started;
    collectGarbage();
    collectGarbage();
    const retained = process.memoryUsage().heapUsed - baseline.heapUsed;
    if (streamed !== options.rows) throw new Error(`streamed ${streamed} rows, expected ${options.rows}`);
    const growth = peakRss - baseline.rss;
    const result: StreamingMemoryResult = {
      scenario: 'readSqlStream memory',
      sql: SQL.replace(/\s+/g, ' '),
      rows: streamed,
      batchSize: options.batchSize,
      vault: stack.vault.backend,
      durationMs: Math.round(durationMs),
      rowsPerSecond: Math.round(streamed / (durationMs / 1000)),
      rssBaselineBytes: baseline.rss,
      rssPeakBytes: peakRss,
      rssPeakGrowthBytes: growth,
      heapPeakGrowthBytes: peakHeap - baseline.heapUsed,
      heapRetainedBytes: retained,
      samples,
      limitBytes: MAX_RSS_GROWTH_BYTES,
      met: growth < MAX_RSS_GROWTH_BYTES,
      machine,
      loadAtEnd: loadAverage(),
    };
    log(`[bench:stream] ${describeStreamingMemory(result)}`);
    return result;
  } finally {
    await client.close();
    await provider.close({ revoke: true });
    await stack.close();
  }
}

/** One line for the console and the README. */
export function describeStreamingMemory(result: StreamingMemoryResult): string {
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
  return (
    `${result.rows.toLocaleString('en-US')} rows in batches of ${result.batchSize.toLocaleString('en-US')}: ` +
    `peak RSS growth ${mb(result.rssPeakGrowthBytes)} (limit ${mb(result.limitBytes)}, ${result.met ? 'met' : 'NOT met'}), ` +
    `peak heap growth ${mb(result.heapPeakGrowthBytes)} (${mb(result.heapRetainedBytes)} retained after GC), ${result.rowsPerSecond.toLocaleString('en-US')} rows/s ` +
    `(${(result.durationMs / 1000).toFixed(1)} s, ${result.samples} samples, Vault ${result.vault})`
  );
}

/** Streams the series, touching every row; returns the row count. */
async function streamAll(client: Client, rows: number, batchSize: number, afterBatch?: () => void): Promise<number> {
  let count = 0;
  let checksum = 0;
  for await (const batch of client.readSqlStream<{ id: number; note: string }>('bench', SQL, [rows], { batchSize })) {
    for (const row of batch) checksum += row.id + row.note.length;
    count += batch.length;
    afterBatch?.();
  }
  if (checksum <= 0 && count > 0) throw new Error('rows without content');
  return count;
}
