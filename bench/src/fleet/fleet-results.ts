import type { FleetFigures, FleetTtlProfile } from './fleet-figures.js';
import type { FleetSizes } from './fleet-plan.js';

/** `bench/results/fleet.json`. */
export interface FleetResults {
  readonly generatedAt: string;
  /** What answered for Vault, in words (it is a model, not a server). */
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
  'in-process model of Vault request accounting on the core ManualClock (bench/src/fleet/model-vault.ts): ' +
  'the testkit dev server runs on the real clock and real PostgreSQL, so it cannot move through 24 h in seconds; ' +
  'the providers, Vault clients, token sessions and lease schedules are the real dataverk code';
