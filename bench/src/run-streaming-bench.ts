import { mkdir, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeStreamingMemory, measureStreamingMemory } from './scenarios/streaming-memory.js';

/** The figure: 5 million rows. */
const FULL_ROWS = 5_000_000;
const SMOKE_ROWS = 20_000;
const DEFAULT_BATCH_SIZE = 1_000;

/**
 * `pnpm bench --stream [--smoke] [--rows N] [--batch-size N] [--out DIR]`: the streaming memory
 * measurement alone. A full run writes `bench/results/streaming-memory.json`; a smoke run writes
 * into a temporary directory unless `--out` says otherwise.
 */
export async function runStreamingBench(argv: readonly string[]): Promise<void> {
  const smoke = argv.includes('--smoke');
  const rows = numberFlag(argv, '--rows') ?? (smoke ? SMOKE_ROWS : FULL_ROWS);
  const batchSize = numberFlag(argv, '--batch-size') ?? DEFAULT_BATCH_SIZE;
  const outFlag = argv.indexOf('--out');
  const outDir =
    outFlag >= 0 && argv[outFlag + 1] !== undefined
      ? path.resolve(argv[outFlag + 1]!)
      : smoke
        ? path.join(os.tmpdir(), 'dataverk-bench-stream-smoke')
        : fileURLToPath(new URL('../results/', import.meta.url));
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
    console.log('[bench:stream] note: run node with --expose-gc (pnpm bench does) for a clean baseline');
  }
  const result = await measureStreamingMemory({ rows, batchSize, log: (line) => console.log(line) });
  await mkdir(outDir, { recursive: true });
  const file = path.join(outDir, 'streaming-memory.json');
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(result, null, 2)}\n`);
  await rename(temporary, file);
  console.log(`\n${describeStreamingMemory(result)}\n[bench:stream] wrote ${file}`);
}

function numberFlag(argv: readonly string[], flag: string): number | undefined {
  const at = argv.indexOf(flag);
  if (at < 0) return undefined;
  const value = Number(argv[at + 1]);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${flag} takes a positive integer`);
  return value;
}
