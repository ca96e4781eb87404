/**
 * A short rotation under load, run by test/runtimes/ under Deno and Bun (any runtime works): bursts
 * of concurrent `readSql` queries through three rotations of a lease of 2 s renewable up to 4 s.
 * Prints one `summary:` line that the test checks: 0 failed queries, ≥ 3 rotations, a new database
 * user after each, one Vault read per lease.
 */
import { closeDefaultProvider, defaultProvider } from '@dataverk/core';
import { Client } from '@dataverk/pg';
import { startExampleEnvironment } from '../../examples/support/example-environment.js';

const ROTATIONS = 3;
const DEADLINE_MS = 60_000;
const BURST_QUERIES = 8;
const MAX_PAUSE_MS = 150;

const runtime = process.versions.bun !== undefined ? `bun ${process.versions.bun}` : describeDeno();
const environment = await startExampleEnvironment({ ttl: 2, maxTtl: 4, label: 'rotation' });
const provider = defaultProvider();
let rotations = 0;
let issued = 0;
provider.on('rotated', () => {
  rotations++;
});
provider.on('issued', () => {
  issued++;
});

const dv = new Client();
const users = new Set<string>();
let ok = 0;
let failed = 0;
const failures = new Set<string>();
const deadline = Date.now() + DEADLINE_MS;
try {
  while (rotations < ROTATIONS && Date.now() < deadline) {
    const burst = Array.from({ length: BURST_QUERIES }, () =>
      dv.readSql<{ user: string }>('postgres_database', 'SELECT current_user AS "user", pg_sleep(0.005)'),
    );
    for (const outcome of await Promise.allSettled(burst)) {
      if (outcome.status === 'fulfilled') {
        ok++;
        users.add(outcome.value[0]?.user ?? '');
      } else {
        failed++;
        failures.add(outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason));
      }
    }
    await new Promise((resolve) => setTimeout(resolve, Math.random() * MAX_PAUSE_MS));
  }
  // One more burst after the last rotation: it must run as the newest user.
  const [{ user: last = '' } = {}] = await dv.readSql<{ user: string }>(
    'postgres_database',
    'SELECT current_user AS "user"',
  );
  users.add(last);
} finally {
  await dv.close();
  await closeDefaultProvider({ revoke: true });
  await environment.stop();
}
for (const failure of failures) console.log(`failure: ${failure}`);
console.log(`runtime: ${runtime}`);
console.log(
  `summary: ${ok} queries, ${failed} failed, ${rotations} rotations, ${users.size} users, ${issued} leases issued`,
);
process.exitCode = failed === 0 && rotations >= ROTATIONS ? 0 : 1;

function describeDeno(): string {
  const deno = (globalThis as { Deno?: { version: { deno: string } } }).Deno;
  return deno === undefined ? `node ${process.versions.node}` : `deno ${deno.version.deno}`;
}
