// Python dataverk beside dataverk-js under rotation: `pnpm bench:python-dataverk`
// (about 2.5 minutes; results in bench/results/python-dataverk.json), `--smoke` for a few seconds
// per contender (results in a temporary directory unless `--out <file>`), `--vault dev-server` to
// use our Vault dev server instead of OpenBao. Both clients read the same settings.json, KV v1
// secret and database role of one Vault, logging in with Kubernetes auth, as in a pod.
import { mkdtempSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BAO_BINARY_VARIABLE, installOpenBao, startPostgres, startVault, type VaultBackend } from '@dataverk/testkit';
import { startPythonDataverkStage } from '../test/python-dataverk/python-dataverk-stage.js';
import {
  installPythonDataverk,
  PYTHON_DATAVERK_VAULT_VERSION,
  PYTHON_DATAVERK_VERSION,
} from '../test/python-dataverk/python-dataverk-venv.js';
import {
  CONTENDERS,
  type ContenderFigures,
  type ContenderName,
  runContender,
} from './src/python/python-dataverk-rotation.js';
import { type PythonDataverkResults, pythonDataverkTable } from './src/python/python-dataverk-table.js';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke') || process.env.BENCH_SMOKE === '1';
const profile = smoke
  ? { ttlSeconds: 2, durationMs: 5_000, concurrency: 3, burstMs: 1_000, quietMs: 1_000 }
  : { ttlSeconds: 5, durationMs: 30_000, concurrency: 8, burstMs: 1_500, quietMs: 1_500 };
const argumentAfter = (flag: string) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : undefined);
const vaultBackend = (argumentAfter('--vault') ?? 'openbao') as VaultBackend;
if (vaultBackend !== 'openbao' && vaultBackend !== 'dev-server')
  throw new Error("--vault takes 'openbao' or 'dev-server'");
const out = argumentAfter('--out')
  ? path.resolve(argumentAfter('--out') as string)
  : smoke
    ? path.join(mkdtempSync(path.join(os.tmpdir(), 'python-dataverk-bench-')), 'python-dataverk.json')
    : fileURLToPath(new URL('./results/python-dataverk.json', import.meta.url));

const dataverk = await installPythonDataverk();
if (!dataverk.found) throw new Error(`Python dataverk could not be installed: ${dataverk.reason}`);
if (vaultBackend === 'openbao') {
  const bao = await installOpenBao();
  if (!bao.found) throw new Error(`--vault openbao: ${bao.reason} (use --vault dev-server)`);
  process.env[BAO_BINARY_VARIABLE] = bao.path;
}
const postgres = await startPostgres();
const vault = await startVault({ postgres, backend: vaultBackend });
try {
  const record = vault.record;
  if (record === undefined) throw new Error(`the ${vault.backend} Vault keeps no request record`);
  const stage = await startPythonDataverkStage({
    postgres,
    vault,
    ttl: profile.ttlSeconds,
    maxTtl: profile.ttlSeconds,
  });
  const app = await stage.application('bench');
  const sql = `SELECT id, name, active FROM ${stage.table} ORDER BY id`;
  const startedAt = new Date().toISOString();
  const contenders = {} as Record<ContenderName, ContenderFigures>;
  for (const name of CONTENDERS) {
    console.log(`[bench] ${name}: ${profile.durationMs / 1000} s, leases of ${profile.ttlSeconds} s`);
    contenders[name] = await runContender(name, {
      app,
      record,
      sql,
      shape: profile,
      ttlSeconds: profile.ttlSeconds,
      python: dataverk.python,
    });
    console.log(`[bench]   ${contenders[name].queries} queries, ${contenders[name].failed} failed`);
  }
  const results: PythonDataverkResults = {
    mode: smoke ? 'smoke' : 'full',
    startedAt,
    vaultBackend: vault.backend,
    postgresBackend: postgres.backend,
    pythonDataverk: {
      dataverk: PYTHON_DATAVERK_VERSION,
      dataverkVault: PYTHON_DATAVERK_VAULT_VERSION,
      packages: dataverk.packages.length,
    },
    ttlSeconds: profile.ttlSeconds,
    maxTtlSeconds: profile.ttlSeconds,
    durationMs: profile.durationMs,
    concurrency: profile.concurrency,
    burstMs: profile.burstMs,
    quietMs: profile.quietMs,
    sql: sql.replace(stage.table, '<table>'),
    contenders,
  };
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${pythonDataverkTable(results)}\n`);
  console.log(`[bench] wrote ${out}`);
  await stage.remove();
} finally {
  await vault.stop();
  await postgres.stop();
}
