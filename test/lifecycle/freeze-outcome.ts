/** The clients the frozen child runs, each on the settings name of the same spelling (its own Vault role). */
export const FREEZE_CLIENTS = ['pg', 'knex', 'kysely', 'postgres', 'readSql'] as const;
export type FreezeClient = (typeof FREEZE_CLIENTS)[number];

/** One query as the child saw it (its clock and the parent's are one machine's). */
export interface FreezeOutcome {
  readonly client: FreezeClient;
  readonly ok: boolean;
  readonly startedAt: number;
  readonly endedAt: number;
  /** The server's `current_user` for a query that ran. */
  readonly user?: string;
  /** The error's `code` for one that failed (`none` when it had none). */
  readonly code?: string;
}

/** The prefix of an outcome line on the child's stdout. */
export const OUTCOME_PREFIX = 'OUTCOME ';
/** What the child prints once it has closed everything. */
export const CLOSED_LINE = 'CLOSED';
/** What the parent writes to the child's stdin to end it. */
export const STOP_LINE = 'stop';
