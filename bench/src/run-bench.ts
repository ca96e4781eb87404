import { performance } from 'node:perf_hooks';
import type { TestPostgres, VaultBackend } from '@dataverk/testkit';
import type { BenchProfile } from './bench-options.js';
import type { BenchResults } from './bench-results.js';
import { coldStartHerd } from './scenarios/cold-start-herd.js';
import { leaseChurn } from './scenarios/lease-churn.js';
import { newConnectionCost } from './scenarios/new-connection-cost.js';
import { pooledThroughput } from './scenarios/pooled-throughput.js';
import { rotationUnderLoad } from './scenarios/rotation-under-load.js';
import { startupCost } from './scenarios/startup-cost.js';
import { startBenchStack } from './stack/bench-stack.js';
import { loadAverage, machineInfo } from './support/machine-info.js';

/** Options of {@link runBench}. */
export interface RunBenchOptions {
  readonly profile: BenchProfile;
  /** A running PostgreSQL to use (superuser URL); otherwise an embedded one is started. */
  readonly postgres?: TestPostgres;
  /** The Vault to measure against: the dev server by default, or real OpenBao. */
  readonly vaultBackend?: VaultBackend;
  /** Progress lines; silent by default. */
  readonly log?: (line: string) => void;
}

/**
 * Runs the five scenarios in one process: lease churn first (it needs a quiet process to read heap
 * and handles), then, against one PostgreSQL and one Vault (the dev server, or OpenBao), the cold-start herd, pooled
 * throughput, new-connection cost and rotation under load.
 *
 * @example
 * const results = await runBench({ profile: SMOKE_PROFILE, log: console.log });
 * console.log(resultsTable(results));
 */
export async function runBench(options: RunBenchOptions): Promise<BenchResults> {
  const { profile } = options;
  const log = options.log ?? (() => {});
  const started = new Date();
  const begin = performance.now();
  const machine = machineInfo();
  log(
    `[bench] ${profile.mode} run, seed ${profile.seed}, ${machine.cpus} × ${machine.cpuModel}, Node ${machine.node}, load ${machine.loadAtStart.join(' ')}`,
  );
  const step = async <T>(label: string, run: () => Promise<T>): Promise<T> => {
    const at = performance.now();
    log(`[bench] ${label} …`);
    const result = await run();
    log(`[bench] ${label} done in ${((performance.now() - at) / 1000).toFixed(1)} s`);
    return result;
  };
  const churn = await step('5. lease churn', () => leaseChurn(profile));
  const stack = await step(`starting PostgreSQL and Vault (${options.vaultBackend ?? 'dev-server'})`, () =>
    startBenchStack({
      rotationTtlSeconds: profile.rotation.ttlSeconds,
      ...(options.vaultBackend === undefined ? {} : { vaultBackend: options.vaultBackend }),
      ...(options.postgres === undefined ? {} : { postgres: options.postgres }),
    }),
  );
  log(`[bench] PostgreSQL: ${stack.postgres.backend}; Vault: ${stack.vault.backend}`);
  try {
    const herd = await step('3. cold-start herd', () => coldStartHerd(stack, profile));
    const throughput = await step('1. pooled throughput', () => pooledThroughput(stack, profile));
    const connection = await step('2. new-connection cost', () => newConnectionCost(stack, profile));
    const rotation = await step('4. rotation under load', () => rotationUnderLoad(stack, profile));
    const startup = await step('6. start-up (child processes, built packages)', () => startupCost(stack, profile));
    return {
      schemaVersion: 1,
      mode: profile.mode,
      seed: profile.seed,
      startedAt: started.toISOString(),
      durationMs: Math.round(performance.now() - begin),
      machine,
      loadAtEnd: loadAverage(),
      backends: { postgres: stack.postgres.backend, vault: stack.vault.backend },
      pooledThroughput: throughput,
      newConnection: connection,
      coldHerd: herd,
      rotation,
      leaseChurn: churn,
      startup,
    };
  } finally {
    await step('stopping', () => stack.close());
  }
}
