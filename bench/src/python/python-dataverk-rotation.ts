import { execFile } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { closeDefaultProvider } from '@dataverk/core';
import { Client } from '@dataverk/pg';
import type { RecordedVaultRequest, VaultRecord } from '@dataverk/testkit';
import { withApplicationEnvironment } from '../../../test/python-dataverk/application-environment.js';
import { type Application, LOGIN_PATH, SOURCE } from '../../../test/python-dataverk/python-dataverk-stage.js';
import { summariseLatencies } from '../load/latency-summary.js';
import { QuerySamples } from '../load/query-samples.js';
import { type LoadShape, runShaped } from '../load/run-workers.js';

const run = promisify(execFile);
const WORKER = fileURLToPath(new URL('./read_sql_worker.py', import.meta.url));

/** The four ways of reading: Python dataverk and dataverk-js, each with a kept client and a client per query. */
export const CONTENDERS = [
  'python-dataverk, Client kept',
  'python-dataverk, new Client per query',
  'dataverk-js, Client kept',
  'dataverk-js, new Client per query',
] as const;
export type ContenderName = (typeof CONTENDERS)[number];

/** Vault requests one contender caused, by kind. */
export interface VaultRequestCounts {
  readonly logins: number;
  readonly credsReads: number;
  readonly kvReads: number;
  /** `sys/internal/ui/mounts/…`: which KV version a mount is (dataverk-js only). */
  readonly mountLookups: number;
  readonly leaseRenewals: number;
  readonly leaseRevocations: number;
  readonly other: number;
  readonly total: number;
  /** Requests Vault answered with a status ≥ 400. */
  readonly failed: number;
}

export interface ContenderFigures {
  readonly queries: number;
  readonly failed: number;
  /** Failures by SQLSTATE (or error type and first line for failures without one). */
  readonly errors: Readonly<Record<string, number>>;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly vault: VaultRequestCounts;
  readonly perQuery: { readonly logins: number; readonly credsReads: number; readonly vaultRequests: number };
  /** Per lease lifetime of the run (duration ÷ TTL), i.e. what one lease's worth of time cost. */
  readonly perLeasePeriod: { readonly logins: number; readonly credsReads: number; readonly vaultRequests: number };
  /** Python only: connections that failed and made dataverk fetch new credentials and retry. */
  readonly credentialUpdatesAfterFailedConnection?: number;
}

/** What one contender run needs: the application's environment, the Vault record, the query and the load. */
export interface ContenderRun {
  readonly app: Application;
  readonly record: VaultRecord;
  readonly sql: string;
  readonly shape: LoadShape;
  readonly ttlSeconds: number;
  /** The venv's python with dataverk importable. */
  readonly python: string;
}

/** Runs one contender for `shape.durationMs` and counts its queries and the Vault requests it made. */
export async function runContender(name: ContenderName, options: ContenderRun): Promise<ContenderFigures> {
  options.record.resetCounts();
  let samples: QuerySamples;
  let credentialUpdates: number | undefined;
  if (name.startsWith('python-dataverk')) {
    const mode = name.endsWith('kept') ? 'kept-client' : 'client-per-query';
    const result = await runPythonWorker(mode, options);
    samples = result.samples;
    credentialUpdates = result.credentialUpdates;
  } else {
    samples = await runDataverkJs(name.endsWith('kept') ? 'kept-client' : 'client-per-query', options);
  }
  const vault = countVaultRequests(options.record.requestLog());
  const latencies = summariseLatencies(samples.okLatencies());
  const periods = options.shape.durationMs / (options.ttlSeconds * 1000);
  // Three significant digits: dataverk-js's logins per query are in the ten-thousandths.
  const per = (count: number, by: number) => (by === 0 ? 0 : Number((count / by).toPrecision(3)));
  return {
    queries: samples.size,
    failed: samples.failed,
    errors: samples.errorCounts(),
    p50Ms: latencies.p50,
    p99Ms: latencies.p99,
    vault,
    perQuery: {
      logins: per(vault.logins, samples.size),
      credsReads: per(vault.credsReads, samples.size),
      vaultRequests: per(vault.total, samples.size),
    },
    perLeasePeriod: {
      logins: per(vault.logins, periods),
      credsReads: per(vault.credsReads, periods),
      vaultRequests: per(vault.total, periods),
    },
    ...(credentialUpdates === undefined ? {} : { credentialUpdatesAfterFailedConnection: credentialUpdates }),
  };
}

async function runPythonWorker(
  mode: 'kept-client' | 'client-per-query',
  options: ContenderRun,
): Promise<{ samples: QuerySamples; credentialUpdates: number }> {
  const config = { mode, source: SOURCE, sql: options.sql, ...options.shape };
  const { stdout } = await run(options.python, [WORKER, JSON.stringify(config)], {
    // Only the application's environment: nothing of ours (a VAULT_TOKEN) may change what dataverk does.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...options.app.env },
    timeout: options.shape.durationMs + 300_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  const lines = stdout.trim().split('\n');
  const output = JSON.parse(lines[lines.length - 1] ?? '{}') as {
    samples: [number, number, string | null][];
    credentialUpdates: number;
  };
  const samples = new QuerySamples();
  for (const [startedAt, latency, error] of output.samples) samples.record(startedAt, latency, error ?? undefined);
  return { samples, credentialUpdates: output.credentialUpdates };
}

// The default provider is built from process.env, as in an application: the environment is the
// application's (and only it) while dataverk-js runs, and the provider is closed (leases revoked) after.
async function runDataverkJs(mode: 'kept-client' | 'client-per-query', options: ContenderRun): Promise<QuerySamples> {
  return withApplicationEnvironment(options.app.env, async () => {
    const kept = mode === 'kept-client' ? new Client() : undefined;
    try {
      const query = async () => {
        if (kept !== undefined) return kept.readSql(SOURCE, options.sql);
        const client = new Client();
        try {
          return await client.readSql(SOURCE, options.sql);
        } finally {
          await client.close();
        }
      };
      return await runShaped(query, options.shape, performance.now());
    } finally {
      await kept?.close();
      await closeDefaultProvider({ revoke: true });
    }
  });
}

/** Sorts Vault's request log into the kinds the table shows. */
export function countVaultRequests(log: readonly RecordedVaultRequest[]): VaultRequestCounts {
  const count = (test: (request: RecordedVaultRequest) => boolean) => log.filter(test).length;
  const logins = count((r) => r.method === 'POST' && r.path === LOGIN_PATH);
  const credsReads = count((r) => r.method === 'GET' && r.path.startsWith('database/creds/'));
  const kvReads = count((r) => r.method === 'GET' && /^kv[12]\//.test(r.path));
  const mountLookups = count((r) => r.path.startsWith('sys/internal/ui/mounts/'));
  const leaseRenewals = count((r) => r.path === 'sys/leases/renew');
  const leaseRevocations = count((r) => r.path === 'sys/leases/revoke');
  const known = logins + credsReads + kvReads + mountLookups + leaseRenewals + leaseRevocations;
  return {
    logins,
    credsReads,
    kvReads,
    mountLookups,
    leaseRenewals,
    leaseRevocations,
    other: log.length - known,
    total: log.length,
    failed: count((r) => r.status >= 400),
  };
}
