import type { AirflowScenario } from './airflow-scenario.js';
import type { DeployScenario } from './deploy-scenario.js';
import type { FleetTtlProfile } from './fleet-figures.js';

/** Production TTL profiles; the login token is assumed to live as long as the lease may. */
export const FLEET_TTL_PROFILES: readonly FleetTtlProfile[] = [
  {
    name: 'lease 24 h, max 768 h',
    leaseTtl: 86_400,
    leaseMaxTtl: 768 * 3600,
    tokenTtl: 86_400,
    tokenMaxTtl: 768 * 3600,
  },
  { name: 'lease 1 h, max 24 h', leaseTtl: 3600, leaseMaxTtl: 86_400, tokenTtl: 3600, tokenMaxTtl: 86_400 },
];

/** Sizes of one fleet run: `full` is `pnpm bench`, `smoke` is the CI check of the code. */
export interface FleetSizes {
  readonly mode: 'full' | 'smoke';
  readonly processes: number;
  readonly hours: number;
  readonly processesPerProxy: number;
  /** A deploy's start-up jitter: first requests spread uniformly over this window. */
  readonly startJitterMs: number;
  readonly queryEveryMs: number;
  readonly airflowPerHour: number;
  readonly airflowHours: number;
  /** Airflow worker nodes, one proxy each. */
  readonly airflowProxies: number;
  readonly seed: number;
}

export const FULL_FLEET: FleetSizes = {
  mode: 'full',
  processes: 1000,
  hours: 24,
  processesPerProxy: 20,
  startJitterMs: 30_000,
  queryEveryMs: 5 * 60_000,
  airflowPerHour: 10_000,
  airflowHours: 2,
  airflowProxies: 10,
  seed: 20_261_129,
};

// Through the dev server a smoke run costs about 2.5 times the CPU the model Vault did; these sizes
// keep `fleet-model.test.ts` near its old duration and still cover 2 h of hourly leases and renewals.
export const SMOKE_FLEET: FleetSizes = {
  ...FULL_FLEET,
  mode: 'smoke',
  processes: 20,
  hours: 2,
  airflowPerHour: 200,
  airflowHours: 1,
  airflowProxies: 2,
};

/** The deploy scenarios of one profile: direct with and without jitter, and behind proxies. */
export function deployScenarios(sizes: FleetSizes, ttls: FleetTtlProfile): DeployScenario[] {
  const base = {
    processes: sizes.processes,
    hours: sizes.hours,
    ttls,
    queryEveryMs: sizes.queryEveryMs,
    seed: sizes.seed,
    sharedLeaseAware: false,
  };
  return [
    { ...base, name: 'direct, all start at once', startJitterMs: 0, processesPerProxy: 0 },
    {
      ...base,
      name: `direct, start-up jitter ${sizes.startJitterMs / 1000} s`,
      startJitterMs: sizes.startJitterMs,
      processesPerProxy: 0,
    },
    {
      ...base,
      name: `proxy per ${sizes.processesPerProxy}, provider as today (revokes superseded leases)`,
      startJitterMs: 0,
      processesPerProxy: sizes.processesPerProxy,
    },
    {
      ...base,
      name: `proxy per ${sizes.processesPerProxy}, shared-lease aware (agentSharedLeases)`,
      startJitterMs: 0,
      processesPerProxy: sizes.processesPerProxy,
      sharedLeaseAware: true,
    },
  ];
}

/** The Airflow-like scenarios of one profile. */
export function airflowScenarios(sizes: FleetSizes, ttls: FleetTtlProfile): AirflowScenario[] {
  const base = {
    processesPerHour: sizes.airflowPerHour,
    hours: sizes.airflowHours,
    ttls,
    seed: sizes.seed + 1,
    sharedLeaseAware: false,
    proxies: 0,
  };
  return [
    { ...base, name: 'airflow, no revoke on exit', revokeOnExit: false },
    { ...base, name: 'airflow, revoke on exit', revokeOnExit: true },
    {
      ...base,
      name: `airflow, ${sizes.airflowProxies} proxies (one per worker), shared-lease aware`,
      revokeOnExit: false,
      proxies: sizes.airflowProxies,
      sharedLeaseAware: true,
    },
  ];
}
