import type { Writable } from 'node:stream';
import type { CredentialEvents, VaultCredentialProvider } from '@dataverk/core';
import { writeLine } from './cli-io.js';
import { describeError } from './exit-code.js';
import { formatSeconds } from './text-table.js';

/** What a watch learned about one lease. */
export interface WatchedLease {
  readonly name: string;
  readonly leaseId: string;
  readonly user: string;
  renewals: number;
  expiresAt: number;
  state: 'current' | 'superseded' | 'revoked' | 'expired';
}

/**
 * Follows the leases a provider takes, printing one line per event (issued, renewed with the TTL
 * Vault granted, rotated, revoked, expired, error) with the time since the watch began, and keeps
 * a record per lease for the summary.
 *
 * @example
 * const watch = new LeaseWatch(provider, process.stdout);
 * await provider.getCredentials('postgres_database');
 * // +0.0s  issued   postgres_database  database/creds/app/AbC  v-token-app-…  TTL 1h00m00s
 */
export class LeaseWatch {
  readonly leases = new Map<string, WatchedLease>();
  readonly #out: Writable;
  readonly #started = Date.now();

  constructor(provider: VaultCredentialProvider, out: Writable) {
    this.#out = out;
    provider
      .on('issued', (event) => this.#issued(event))
      .on('renewed', (event) => this.#renewed(event))
      .on('rotated', (event) => this.#rotated(event))
      .on('revoked', (event) => this.#ended(event.leaseId, 'revoked', event.name, event.reason))
      .on('expired', (event) => this.#ended(event.leaseId, 'expired', event.name, ''))
      .on('error', (event) => this.#line('error', event.name, event.leaseId ?? '', describeError(event.error)));
  }

  #issued(event: CredentialEvents['issued']): void {
    this.leases.set(event.leaseId, {
      name: event.name,
      leaseId: event.leaseId,
      user: event.user,
      renewals: 0,
      expiresAt: event.expiresAt,
      state: 'current',
    });
    this.#line('issued', event.name, event.leaseId, `${event.user}  TTL ${this.#ttl(event.expiresAt)}`);
  }

  #renewed(event: CredentialEvents['renewed']): void {
    const lease = this.leases.get(event.leaseId);
    if (lease !== undefined) {
      lease.renewals++;
      lease.expiresAt = event.expiresAt;
    }
    this.#line('renewed', event.name, event.leaseId, `TTL ${formatSeconds(event.leaseDuration)}`);
  }

  #rotated(event: CredentialEvents['rotated']): void {
    const previous = this.leases.get(event.previousLeaseId);
    if (previous !== undefined && previous.state === 'current') previous.state = 'superseded';
    this.#line('rotated', event.name, event.leaseId, `replaces ${event.previousLeaseId}`);
  }

  #ended(leaseId: string, state: 'revoked' | 'expired', name: string, reason: string): void {
    const lease = this.leases.get(leaseId);
    if (lease !== undefined) lease.state = state;
    this.#line(state, name, leaseId, reason);
  }

  #ttl(expiresAt: number): string {
    return formatSeconds((expiresAt - Date.now()) / 1000);
  }

  #line(event: string, name: string, leaseId: string, detail: string): void {
    const at = `+${((Date.now() - this.#started) / 1000).toFixed(1)}s`;
    writeLine(this.#out, [at.padStart(7), event.padEnd(8), name, leaseId, detail].join('  ').trimEnd());
  }
}
