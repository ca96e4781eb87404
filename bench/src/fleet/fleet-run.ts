import type { RandomSource, VaultTransport } from '@dataverk/core';
import { FleetClock } from './fleet-clock.js';
import type { FleetFigures, FleetTtlProfile } from './fleet-figures.js';
import type { FleetAccess, FleetProcess } from './fleet-process.js';
import { FleetVault } from './fleet-vault.js';
import { ProxyLeaseCacheModel } from './proxy-lease-cache-model.js';

/** A Monday morning, so that hours in the results read as wall-clock hours from the deploy. */
export const FLEET_START_MS = Date.parse('2026-11-30T06:00:00Z');
const DEPLOY_WINDOW_MS = 10 * 60_000;

/**
 * The shared state of one run: the fake clock, the dev server on it (its request log is the
 * ledger), the proxies (one per `processesPerProxy` processes, none when 0), and the tallies of
 * queries and peaks.
 */
export class FleetRun {
  readonly clock: FleetClock;
  readonly vault: FleetVault;
  readonly proxies: readonly ProxyLeaseCacheModel[];
  readonly access: FleetAccess;
  #queries = 0;
  #settled = 0;
  #failed = 0;
  #peakLive = 0;
  #peakTokens = 0;

  private constructor(clock: FleetClock, vault: FleetVault, options: FleetRunOptions) {
    this.clock = clock;
    this.vault = vault;
    this.proxies = Array.from(
      { length: options.proxies },
      () =>
        new ProxyLeaseCacheModel({
          vault: vault.transport,
          login: vault.proxyLogin,
          clock,
          random: options.random,
        }),
    );
    this.access =
      options.proxies > 0
        ? { kind: 'proxy', sharedLeaseAware: options.sharedLeaseAware }
        : { kind: 'direct', login: vault.processLogin };
  }

  /** Starts the dev server on a fresh fake clock at {@link FLEET_START_MS}. */
  static async start(options: FleetRunOptions): Promise<FleetRun> {
    const clock = new FleetClock(FLEET_START_MS);
    return new FleetRun(clock, await FleetVault.start(clock, options.ttls), options);
  }

  /** Where process `index` sends its requests. */
  transportFor(index: number, processesPerProxy: number): VaultTransport {
    return this.proxies.length === 0
      ? this.vault.transport
      : (this.proxies[Math.floor(index / processesPerProxy) % this.proxies.length] ?? this.vault.transport);
  }

  /** Whether PostgreSQL would let `username` log in now. */
  canLogIn(username: string): boolean {
    return this.vault.roles.canLogIn(username, this.clock.now());
  }

  /** Starts a query and counts its outcome when it settles (never awaited across clock moves). */
  query(process: FleetProcess): Promise<void> {
    this.#queries++;
    return process.query().then((outcome) => {
      this.#settled++;
      if (!outcome.ok) this.#failed++;
    });
  }

  sample(): void {
    const { leases, tokens } = this.vault.holdings;
    this.#peakLive = Math.max(this.#peakLive, leases);
    this.#peakTokens = Math.max(this.#peakTokens, tokens);
  }

  figures(scenario: string, processes: number, hours: number): FleetFigures {
    for (const proxy of this.proxies) proxy.stop();
    const ledger = this.vault.ledger();
    return {
      scenario,
      processes,
      proxies: this.proxies.length,
      hours,
      vaultRequests: ledger.total,
      refusedRequests: ledger.refused,
      requestsByKind: ledger.byKind(),
      requestsPerHour: ledger.perHour(Math.ceil(hours)),
      peakPerSecondAtStart: ledger.peakSecond(0, DEPLOY_WINDOW_MS).requests,
      peakPerSecondAfterStart: ledger.peakSecond(DEPLOY_WINDOW_MS).requests,
      peakLiveLeases: this.#peakLive,
      peakDatabaseRoles: this.vault.roles.peakLiveRoles,
      peakLiveTokens: this.#peakTokens,
      rolesCreated: this.vault.roles.counts.createRole,
      queries: this.#queries,
      // A query still waiting at the end counts as failed: something left it hanging.
      failedQueries: this.#failed + (this.#queries - this.#settled),
      proxyCacheHits: this.proxies.reduce((n, proxy) => n + proxy.hits, 0),
    };
  }
}

interface FleetRunOptions {
  readonly ttls: FleetTtlProfile;
  readonly random: RandomSource;
  readonly proxies: number;
  readonly sharedLeaseAware: boolean;
}
