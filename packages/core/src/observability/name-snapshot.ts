import type { DatabaseCredentials } from '../credentials/credential-provider.js';

/** The last error the provider reported for a settings name. */
export interface RecordedError {
  /** Stable code (`VAULT_SEALED`, `DATAVERK_…`), else the error's class name. */
  readonly code: string;
  /** What the provider was doing: `read`, `renew`, `revoke`, `login`, `listener`. */
  readonly operation: string;
  /** When (ms since the epoch, provider clock). */
  readonly at: number;
}

/** One settings name's state as health and telemetry read it: cheap, synchronous, no secret used. */
export interface NameSnapshot {
  readonly name: string;
  /** The current lease's credentials (effective end in `expiresAt`), if one is held. */
  readonly credentials: DatabaseCredentials | undefined;
  /** False when the current lease is inside its safety margin (or there is none). */
  readonly fresh: boolean;
  /** Since when Vault requests for this name have been failing, if they are. */
  readonly failingSince: number | undefined;
  readonly lastError: RecordedError | undefined;
  /** Handles (pooled connections) on the current lease and on superseded leases still draining. */
  readonly connections: { readonly current: number; readonly superseded: number };
}
