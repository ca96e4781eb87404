// `pnpm soak` (not in CI): createPool and knex under steady and bursty load while 2 s leases renew
// and rotate, for 10 minutes; every 30 s it prints failures, heap (after gc) and handles. Exits 1 on
// any failed query or when the heap grew more than HEAP_GROWTH_LIMIT_MB from the first report to the last.
//
// SOAK_MINUTES (10), SOAK_CONCURRENCY (32), SOAK_TTL_S (2), SOAK_MAX_TTL_S (10), SOAK_REPORT_S (30).
import { randomBytes } from 'node:crypto';
import { createVaultClient, VaultCredentialProvider } from '@dataverk/core';
import { dataverkConfig } from '@dataverk/knex';
import { createPool } from '@dataverk/pg';
import { startPostgres, startVault } from '@dataverk/testkit';
import knex from 'knex';
import pg from 'pg';

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const MINUTES = env('SOAK_MINUTES', 10);
const CONCURRENCY = env('SOAK_CONCURRENCY', 32);
const TTL_S = env('SOAK_TTL_S', 2);
const MAX_TTL_S = env('SOAK_MAX_TTL_S', 10);
const REPORT_MS = env('SOAK_REPORT_S', 30) * 1000;
/** Heap after GC may grow this much between the first and the last report before it counts as a leak. */
const HEAP_GROWTH_LIMIT_MB = 32;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const gc = (globalThis as { gc?: () => void }).gc;

function handleSummary(): string {
  const counts = new Map<string, number>();
  for (const resource of process.getActiveResourcesInfo()) counts.set(resource, (counts.get(resource) ?? 0) + 1);
  return [...counts].map(([type, n]) => `${type}:${n}`).join(' ');
}

async function main(): Promise<number> {
  const postgres = await startPostgres();
  const vault = await startVault({ postgres });
  const suffix = randomBytes(4).toString('hex');
  const table = `soak_${suffix}`;
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, note text)`);
  await admin.end();
  await vault.admin.configureDatabase();
  await vault.admin.writeDatabaseRole(`soak_${suffix}`, {
    creationStatements: [
      `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
      `GRANT SELECT, INSERT ON ${table} TO "{{name}}";`,
      `GRANT USAGE ON SEQUENCE ${table}_id_seq TO "{{name}}";`,
    ],
    defaultTtl: TTL_S,
    maxTtl: MAX_TTL_S,
  });
  const provider = new VaultCredentialProvider({
    vault: createVaultClient({ address: vault.address, token: vault.rootToken }),
    resolve: async () => ({
      connectionString: `postgresql://u:p@${postgres.host}:${postgres.port}/${postgres.database}`,
      vaultPath: `database/creds/soak_${suffix}`,
    }),
  });
  const events = { rotated: 0, renewed: 0, issued: 0, revoked: 0, expired: 0, error: 0 };
  for (const name of Object.keys(events) as (keyof typeof events)[]) provider.on(name, () => events[name]++);
  // Provider errors are reports (a renewal refused near max_ttl, then a rotation), not failed queries.
  const providerErrors = new Map<string, number>();
  provider.on('error', ({ operation, error }) => {
    const key = `${operation}: ${error.message.slice(0, 80)}`;
    providerErrors.set(key, (providerErrors.get(key) ?? 0) + 1);
  });
  const pool = createPool('soak', { provider, max: 16 });
  const db = knex(dataverkConfig('soak', { provider, pool: { min: 0, max: 16 } }));
  const sql = `INSERT INTO ${table} (note) VALUES ('soak') RETURNING current_user`;
  const probes = [() => pool.query(sql), () => db.raw(sql)];

  let ok = 0;
  const failures = new Map<string, number>();
  const started = Date.now();
  const end = started + MINUTES * 60_000;
  let running = true;
  // Bursts of 5 s at full concurrency, then 5 s with 2 callers: connections sit idle across rotations.
  const active = (worker: number) => worker < 2 || Math.floor((Date.now() - started) / 5_000) % 2 === 0;
  const worker = async (id: number) => {
    while (running) {
      if (!active(id)) {
        await sleep(50);
        continue;
      }
      try {
        await probes[id % probes.length]!();
        ok++;
      } catch (error) {
        const code = (error as { code?: string }).code ?? (error as Error).name;
        failures.set(code, (failures.get(code) ?? 0) + 1);
        await sleep(50);
      }
    }
  };
  const workers = Promise.all(Array.from({ length: CONCURRENCY }, (_, id) => worker(id)));
  console.log(
    `[soak] ${MINUTES} min, concurrency ${CONCURRENCY}, lease ttl ${TTL_S} s (max ${MAX_TTL_S} s), PostgreSQL ${postgres.backend}, Vault ${vault.backend}`,
  );
  const heaps: number[] = [];
  while (Date.now() < end) {
    await sleep(Math.min(REPORT_MS, end - Date.now()));
    gc?.();
    const heap = process.memoryUsage().heapUsed;
    heaps.push(heap);
    const failed = [...failures.values()].reduce((a, b) => a + b, 0);
    console.log(
      `[soak] t=${Math.round((Date.now() - started) / 1000)} s queries ok=${ok} failed=${failed} ${JSON.stringify(Object.fromEntries(failures))} ` +
        `heap=${mb(heap)} MB${gc ? ' (after gc)' : ''} rss=${mb(process.memoryUsage().rss)} MB handles[${handleSummary()}] ` +
        `leases=${provider.liveLeaseIds.length} pool=${pool.totalCount} events=${JSON.stringify(events)}`,
    );
  }
  running = false;
  await workers;
  await pool.end();
  await db.destroy();
  await provider.close({ revoke: true });
  await vault.stop();
  await postgres.stop();
  await sleep(200);
  const failed = [...failures.values()].reduce((a, b) => a + b, 0);
  const growth = heaps.length >= 2 ? mb(heaps.at(-1)! - heaps[0]!) : 0;
  const left = handleSummary();
  console.log(
    `[soak] done: ${ok} ok, ${failed} failed, heap growth ${growth} MB (first to last report), handles after shutdown [${left}]`,
  );
  console.log(`[soak] provider error events: ${JSON.stringify(Object.fromEntries(providerErrors))}`);
  const leaking = gc !== undefined && growth > HEAP_GROWTH_LIMIT_MB;
  return failed > 0 || leaking ? 1 : 0;
}

process.exitCode = await main();
