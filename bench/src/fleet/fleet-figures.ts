import type { RequestKind } from './request-ledger.js';

/** Lease and token lengths of one production profile, in seconds. */
export interface FleetTtlProfile {
  readonly name: string;
  readonly leaseTtl: number;
  readonly leaseMaxTtl: number;
  readonly tokenTtl: number;
  readonly tokenMaxTtl: number;
}

/** What the dev server saw and held during one modelled run. */
export interface FleetFigures {
  readonly scenario: string;
  readonly processes: number;
  readonly proxies: number;
  readonly hours: number;
  readonly vaultRequests: number;
  /** Requests the dev server answered with 400 or more (an ended lease's renewal, a 403). */
  readonly refusedRequests: number;
  readonly requestsByKind: Readonly<Record<RequestKind, number>>;
  readonly requestsPerHour: readonly number[];
  /** Busiest second in the first 10 minutes (the deploy) and after it. */
  readonly peakPerSecondAtStart: number;
  readonly peakPerSecondAfterStart: number;
  /** Most leases the dev server held at once, sampled at every start and query round. */
  readonly peakLiveLeases: number;
  /** Most database roles that existed at once, counted at every statement the engine ran. */
  readonly peakDatabaseRoles: number;
  readonly peakLiveTokens: number;
  /** `CREATE ROLE` statements the dev server's database engine ran. */
  readonly rolesCreated: number;
  readonly queries: number;
  /** Queries whose credentials Vault no longer honoured (or that failed or never finished). */
  readonly failedQueries: number;
  readonly proxyCacheHits: number;
}
