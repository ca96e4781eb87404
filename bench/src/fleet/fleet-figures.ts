import type { RequestKind } from './request-ledger.js';

/** Lease and token lengths of one production profile, in seconds. */
export interface FleetTtlProfile {
  readonly name: string;
  readonly leaseTtl: number;
  readonly leaseMaxTtl: number;
  readonly tokenTtl: number;
  readonly tokenMaxTtl: number;
}

/** What Vault saw and held during one modelled run. */
export interface FleetFigures {
  readonly scenario: string;
  readonly processes: number;
  readonly proxies: number;
  readonly hours: number;
  readonly vaultRequests: number;
  readonly requestsByKind: Readonly<Record<RequestKind, number>>;
  readonly requestsPerHour: readonly number[];
  /** Busiest second in the first 10 minutes (the deploy) and after it. */
  readonly peakPerSecondAtStart: number;
  readonly peakPerSecondAfterStart: number;
  /** Most leases live at once (each one a database role), sampled every tick. */
  readonly peakLiveLeases: number;
  readonly peakLiveTokens: number;
  /** Leases read over the run: `CREATE ROLE` statements PostgreSQL ran. */
  readonly rolesCreated: number;
  readonly queries: number;
  /** Queries whose credentials Vault no longer honoured (or that failed or never finished). */
  readonly failedQueries: number;
  readonly proxyCacheHits: number;
}
