// `pnpm bench` (full run, results in bench/results/) and `pnpm bench --smoke` (seconds, results in
// a temporary directory unless `--out <dir>` says otherwise). Speed is reported, never asserted.
// `--vault openbao` measures against real OpenBao instead of the dev server (results in
// bench/results/openbao/ for a full run).
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BAO_BINARY_VARIABLE, installOpenBao } from '@dataverk/testkit';
import { profileFrom } from './src/bench-options.js';
import { resultsTable } from './src/report/results-table.js';
import { runBench } from './src/run-bench.js';
import { writeResults } from './src/write-results.js';

// `pnpm bench --stream`: only the streaming memory measurement (readSqlStream, 5 million rows).
if (process.argv.includes('--stream')) {
  const { runStreamingBench } = await import('./src/run-streaming-bench.js');
  await runStreamingBench(process.argv.slice(2));
  process.exit(0);
}

// `pnpm bench --fleet [--smoke]`: only the fleet model (fake clock, in process; bench/results/fleet.json).
if (process.argv.includes('--fleet')) {
  const { runFleetBench } = await import('./src/fleet/run-fleet-bench.js');
  const smoke = process.argv.includes('--smoke');
  const dir = smoke
    ? mkdtempSync(path.join(os.tmpdir(), 'dataverk-fleet-smoke-'))
    : fileURLToPath(new URL('./results/', import.meta.url));
  await runFleetBench({ mode: smoke ? 'smoke' : 'full', outDir: dir, log: (line) => console.log(line) });
  process.exit(0);
}

const profile = profileFrom(process.argv.slice(2), process.env);
const vaultFlag = process.argv.indexOf('--vault');
const vaultBackend = vaultFlag >= 0 ? process.argv[vaultFlag + 1] : 'dev-server';
if (vaultBackend !== 'dev-server' && vaultBackend !== 'openbao') {
  throw new Error(`--vault takes 'dev-server' or 'openbao' (got '${vaultBackend}')`);
}
if (vaultBackend === 'openbao') {
  const installed = await installOpenBao();
  if (!installed.found) throw new Error(`--vault openbao: ${installed.reason}`);
  process.env[BAO_BINARY_VARIABLE] = installed.path;
}
const outFlag = process.argv.indexOf('--out');
const outDir =
  outFlag >= 0 && process.argv[outFlag + 1] !== undefined
    ? path.resolve(process.argv[outFlag + 1]!)
    : profile.mode === 'full'
      ? fileURLToPath(new URL(vaultBackend === 'openbao' ? './results/openbao/' : './results/', import.meta.url))
      : mkdtempSync(path.join(os.tmpdir(), 'dataverk-bench-smoke-'));

const results = await runBench({ profile, vaultBackend, log: (line) => console.log(line) });
console.log(`\n${resultsTable(results)}\n`);
if (results.mode === 'smoke')
  console.log('[bench] smoke run: a check that the code works, not a measurement; use `pnpm bench` for numbers');
const written = await writeResults(results, outDir);
console.log(`[bench] wrote ${written.json} and ${written.svg}`);
if (vaultBackend === 'dev-server') {
  // The fleet model (issue 16): a thousand processes over 24 h on a fake clock, in a few minutes.
  const { runFleetBench } = await import('./src/fleet/run-fleet-bench.js');
  await runFleetBench({ mode: results.mode, outDir, log: (line) => console.log(line) });
}
console.log(
  `[bench] ${results.mode} run took ${(results.durationMs / 1000).toFixed(0)} s; load average ${results.machine.loadAtStart.join(' ')} at start, ${results.loadAtEnd.join(' ')} at end`,
);
