import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BenchResults } from './bench-results.js';
import { rotationChart } from './report/rotation-chart.js';

/** Writes `latest.json` and `rotation.svg` into `dir`; each file appears whole or not at all. */
export async function writeResults(results: BenchResults, dir: string): Promise<{ json: string; svg: string }> {
  await mkdir(dir, { recursive: true });
  const json = path.join(dir, 'latest.json');
  const svg = path.join(dir, 'rotation.svg');
  await writeAtomically(json, `${JSON.stringify(results, null, 2)}\n`);
  await writeAtomically(svg, rotationChart(results.rotation));
  return { json, svg };
}

async function writeAtomically(file: string, content: string): Promise<void> {
  // `.tmp` files under bench/results are git-ignored.
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, file);
}
