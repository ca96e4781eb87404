import type { FleetFigures, FleetTtlProfile } from './fleet-figures.js';
import type { FleetSizes } from './fleet-plan.js';

/** `bench/results/fleet.json`. */
export interface FleetResults {
  readonly generatedAt: string;
  /** What answered for Vault, in words. */
  readonly vault: string;
  readonly sizes: FleetSizes;
  readonly profiles: readonly {
    readonly ttls: FleetTtlProfile;
    readonly deploy: readonly FleetFigures[];
    readonly airflow: readonly FleetFigures[];
  }[];
  readonly durationMs: number;
}

export const FLEET_VAULT_DESCRIPTION =
  "the testkit Vault dev server (the one the contract suite checks against OpenBao) on the fleet's fake clock " +
  "(fleet-clock.ts: ManualClock's rules on a heap), " +
  'answering in process through its own request handling (VaultDevServer.exchange, no sockets), its database ' +
  'engine running role statements on an in-memory PostgreSQL role catalogue (InMemoryRoleExecutor); ' +
  'the providers, Vault clients, token sessions and lease schedules are the real dataverk code, the proxies a model ' +
  "of OpenBao Proxy's lease cache (proxy-lease-cache-model.ts)";
