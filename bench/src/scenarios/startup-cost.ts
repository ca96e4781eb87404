import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { BenchProfile } from '../bench-options.js';
import type { StartupResult, StartupTimes } from '../bench-results.js';
import type { BenchStack } from '../stack/bench-stack.js';

const PACKAGES = fileURLToPath(new URL('../../../packages/', import.meta.url));

/** What a user's process imports without dataverk, and with it (knex's own import of pg is lazy). */
const IMPORT_BASELINE = "await import('knex'); await import('pg');";
const IMPORT_DATAVERK = `${IMPORT_BASELINE} await import('@dataverk/knex');`;
/** The line a child prints at the moment measured: the CPU time its process has used so far. */
const REPORT_CPU =
  'const cpu = process.cpuUsage(); console.log(JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000 }));';
/** The issue's target for the import ratio. */
const IMPORT_TARGET = 1.15;

/**
 * 6. Start-up, as a short job or a serverless cold start pays it, in child processes running the
 * built packages (`packages/*\/dist`, as a user's process loads them; run `pnpm build` first),
 * paired runs (one of each, alternating which goes first), median of each:
 * - import cost: `knex` + `pg` + `@dataverk/knex` against `knex` + `pg`, from spawn to the imports
 *   done. The ratio checked is of the CPU time the process used by then: loading modules is
 *   single-threaded CPU work, so on an idle machine wall time is about that CPU time, and on a
 *   shared one (CI, two cores and four jobs) wall time measures the neighbours. Wall times are
 *   reported too;
 * - cold start: from spawn to the first row, with Vault (Kubernetes login, a KV placeholder in
 *   settings.json, a database credentials read, the connection) against static credentials: wall
 *   time (it waits on Vault and PostgreSQL), and CPU time.
 * Reported as ratios, never asserted.
 */
export async function startupCost(stack: BenchStack, profile: BenchProfile): Promise<StartupResult> {
  for (const pkg of ['core', 'pg', 'knex']) {
    if (!existsSync(path.join(PACKAGES, pkg, 'dist', 'index.js')))
      throw new Error(`6. start-up measures the built packages: run \`pnpm build\` first (no packages/${pkg}/dist)`);
  }
  const pairs = profile.startup.pairs;
  const knexDir = path.join(PACKAGES, 'knex');
  const importRuns = await pairedRuns(pairs, {
    baseline: () => runChild(knexDir, `${IMPORT_BASELINE} ${REPORT_CPU}`, {}),
    dataverk: () => runChild(knexDir, `${IMPORT_DATAVERK} ${REPORT_CPU}`, {}),
  });
  const job = await coldStartJob(stack);
  try {
    const coldRuns = await pairedRuns(pairs, {
      baseline: () => runChild(job.dir, job.staticCode, job.env),
      dataverk: () => runChild(job.dir, job.dataverkCode, job.env),
    });
    const importRatio = importRuns.dataverk.cpuMs / importRuns.baseline.cpuMs;
    return {
      pairs,
      importMs: { baseline: importRuns.baseline, dataverk: importRuns.dataverk },
      importRatio: {
        measured: importRatio,
        target: `<= ${IMPORT_TARGET}`,
        met: importRatio <= IMPORT_TARGET,
      },
      importWallRatio: importRuns.dataverk.wallMs / importRuns.baseline.wallMs,
      firstRowMs: { static: coldRuns.baseline, dataverk: coldRuns.dataverk },
      firstRowRatio: coldRuns.dataverk.wallMs / coldRuns.baseline.wallMs,
    };
  } finally {
    await job.close();
  }
}

/** Medians of `pairs` runs of each, one of each per pair, the first of a pair alternating. */
async function pairedRuns(
  pairs: number,
  runs: { baseline: () => Promise<StartupTimes>; dataverk: () => Promise<StartupTimes> },
): Promise<{ baseline: StartupTimes; dataverk: StartupTimes }> {
  const baseline: StartupTimes[] = [];
  const dataverk: StartupTimes[] = [];
  for (let pair = 0; pair < pairs; pair++) {
    if (pair % 2 === 0) {
      baseline.push(await runs.baseline());
      dataverk.push(await runs.dataverk());
    } else {
      dataverk.push(await runs.dataverk());
      baseline.push(await runs.baseline());
    }
  }
  const medians = (times: readonly StartupTimes[]) => ({
    wallMs: median(times.map((t) => t.wallMs)),
    cpuMs: median(times.map((t) => t.cpuMs)),
  });
  return { baseline: medians(baseline), dataverk: medians(dataverk) };
}

/**
 * A job as it runs in a pod: settings.json with a KV placeholder, a service-account directory
 * (namespace and JWT) and a Kubernetes login allowed to read the KV secret and the steady role's
 * credentials.
 */
async function coldStartJob(stack: BenchStack) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'dataverk-cold-start-'));
  const { postgres, vault, table, staticLogin } = stack;
  await vault.admin.enableKv('kv', 2);
  await vault.admin.writeKv('kv', 'bench/cold-start/team', {
    DATABASE_URL: `postgresql://user:pass@${postgres.host}:${postgres.port}/${postgres.database}`,
  });
  await vault.admin.writePolicy(
    'cold-start',
    [
      'path "kv/data/bench/cold-start/*" { capabilities = ["read"] }',
      'path "sys/internal/ui/mounts/*" { capabilities = ["read"] }',
      `path "${stack.steadyPath}" { capabilities = ["read"] }`,
      'path "sys/leases/revoke" { capabilities = ["update"] }',
    ].join('\n'),
  );
  const kubernetes = await vault.admin.enableKubernetesAuth({
    role: 'cold-start',
    boundServiceAccountNames: ['cold-start'],
    boundServiceAccountNamespaces: ['team'],
    policies: ['cold-start'],
  });
  await writeFile(path.join(dir, 'namespace'), 'team');
  await writeFile(
    path.join(dir, 'token'),
    kubernetes.mintJwt({ serviceAccount: 'cold-start', namespace: 'team', ttlSeconds: 3_600 }),
  );
  await writeFile(
    path.join(dir, 'settings.json'),
    JSON.stringify({
      // biome-ignore lint/suspicious/noTemplateCurlyInString: a dataverk placeholder, not a template
      db_connection_strings: { postgres_database: '${DATABASE_URL}' },
      db_vault_path: { postgres_database: stack.steadyPath },
    }),
  );
  const query = `SELECT note FROM ${table} ORDER BY id LIMIT 1`;
  const staticUrl = new URL(`postgresql://${postgres.host}:${postgres.port}/${postgres.database}`);
  staticUrl.username = staticLogin.user;
  staticUrl.password = staticLogin.password;
  return {
    // packages/pg resolves pg and @dataverk/pg (itself) as a user's project would.
    dir: path.join(PACKAGES, 'pg'),
    env: {
      HOME: dir,
      VAULT_ADDR: vault.address,
      VAULT_ROLE: 'cold-start',
      DATAVERK_SETTINGS_PATH: dir,
      DATAVERK_SECRETS_FROM_API: 'true',
      VKS_KV_PATH: 'kv/bench',
      APPLICATION_NAME: 'cold-start',
      K8S_SERVICEACCOUNT_PATH: dir,
      STATIC_URL: staticUrl.toString(),
    },
    staticCode: [
      "const { default: pg } = await import('pg');",
      'const client = new pg.Client({ connectionString: process.env.STATIC_URL });',
      `await client.connect(); await client.query(${JSON.stringify(query)});`,
      `${REPORT_CPU} await client.end();`,
    ].join(' '),
    dataverkCode: [
      "const { Client } = await import('@dataverk/pg');",
      'const dv = new Client();',
      `await dv.readSql('postgres_database', ${JSON.stringify(query)});`,
      `${REPORT_CPU} await dv.close();`,
    ].join(' '),
    close: () => rm(dir, { recursive: true, force: true }),
  };
}

/**
 * Runs `code` as an ES module in a fresh `node` (no source condition: the built packages) in `cwd`;
 * resolves with the milliseconds from spawn to its report line and the CPU time the line states,
 * once the process has exited successfully.
 */
function runChild(cwd: string, code: string, env: Readonly<Record<string, string>>): Promise<StartupTimes> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let wallMs: number | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (wallMs === undefined && stdout.includes('\n')) wallMs = performance.now() - started;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (status) => {
      if (status !== 0 || wallMs === undefined) {
        reject(new Error(`start-up child failed (exit ${status}): ${stderr.slice(-1500)}`));
        return;
      }
      const { cpuMs } = JSON.parse(stdout.split('\n')[0]!) as { cpuMs: number };
      resolve({ wallMs, cpuMs });
    });
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
