import type { CredentialProvider } from '@dataverk/core';

/** Counts of one library. */
export interface LibraryCounts {
  ok: number;
  failed: number;
}

/** A line worth printing above the status line. */
export type DemoEventListener = (line: string) => void;

const FAILURE_SAMPLES = 5;

/**
 * What the demo has seen: queries per library, users, and the provider's lease events (issued,
 * renewed, rotated, revoked, errors). No password is ever in here: events carry none.
 *
 * @example
 * const stats = new DemoStats(['knex', 'kysely', 'readSql']);
 * stats.watch(defaultProvider(), (line) => console.log(line));
 */
export class DemoStats<L extends string = string> {
  readonly started = Date.now();
  readonly libraries: Readonly<Record<L, LibraryCounts>>;
  readonly users = new Set<string>();
  readonly failures: string[] = [];
  lastUser: string | undefined;
  leaseExpiresAt: number | undefined;
  credsReads = 0;
  renewals = 0;
  rotations = 0;
  revocations = 0;
  providerErrors = 0;

  constructor(libraries: readonly L[]) {
    this.libraries = Object.fromEntries(libraries.map((library) => [library, { ok: 0, failed: 0 }])) as Record<
      L,
      LibraryCounts
    >;
  }

  get ok(): number {
    return this.#sum('ok');
  }

  get failed(): number {
    return this.#sum('failed');
  }

  /** Seconds since the demo's traffic began. */
  get elapsedSeconds(): number {
    return (Date.now() - this.started) / 1000;
  }

  record(library: L, outcome: { ok: true; user?: string } | { ok: false; error: unknown }): void {
    const counts = this.libraries[library];
    if (outcome.ok) {
      counts.ok++;
      if (outcome.user !== undefined) {
        this.users.add(outcome.user);
        this.lastUser = outcome.user;
      }
      return;
    }
    counts.failed++;
    if (this.failures.length < FAILURE_SAMPLES) {
      const { code, message } = outcome.error as { code?: string; message?: string };
      this.failures.push(`${library}: ${code ?? 'error'}: ${message ?? String(outcome.error)}`);
    }
  }

  /** Follows the provider's lease events; `onEvent` gets the ones a person should see. */
  watch(provider: CredentialProvider, onEvent: DemoEventListener): void {
    provider
      .on('issued', (event) => {
        this.credsReads++;
        this.leaseExpiresAt = event.expiresAt;
        if (this.credsReads === 1) onEvent(`first lease: ${event.user}, ${this.#leftOf(event.expiresAt)} left`);
      })
      .on('renewed', (event) => {
        this.renewals++;
        this.leaseExpiresAt = event.expiresAt;
      })
      .on('rotated', (event) => {
        this.rotations++;
        onEvent(`rotation ${this.rotations}: new user ${event.user} (max TTL reached; old connections retire)`);
      })
      .on('revoked', () => {
        this.revocations++;
      })
      .on('error', (event) => {
        this.providerErrors++;
        onEvent(`provider ${event.operation} error: ${(event.error as { code?: string }).code ?? event.error.message}`);
      });
  }

  /** Lease time left, e.g. `2.4 s`. */
  leaseLeft(): string {
    return this.leaseExpiresAt === undefined ? '-' : this.#leftOf(this.leaseExpiresAt);
  }

  #leftOf(expiresAt: number): string {
    return `${Math.max(0, (expiresAt - Date.now()) / 1000).toFixed(1)} s`;
  }

  #sum(field: keyof LibraryCounts): number {
    return Object.values<LibraryCounts>(this.libraries).reduce((total, counts) => total + counts[field], 0);
  }
}
