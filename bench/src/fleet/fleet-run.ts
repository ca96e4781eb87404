import { ManualClock, type RandomSource, type VaultTransport } from '@dataverk/core';
import type { FleetFigures, FleetTtlProfile } from './fleet-figures.js';
import type { FleetAccess, FleetProcess } from './fleet-process.js';
import { ModelVault } from './model-vault.js';
import { ProxyLeaseCacheModel } from './proxy-lease-cache-model.js';
import { RequestLedger } from './request-ledger.js';

/** A Monday morning, so that hours in the results read as wall-clock hours from the deploy. */
export const FLEET_START_MS = Date.parse('2026-11-30T06:00:00Z');
const DEPLOY_WINDOW_MS = 10 * 60_000;

/**
 * The shared state of one run: the fake clock, the model Vault and its ledger, the proxies (one per
 * `processesPerProxy` processes, none when 0), and the tallies of queries and peaks.
 */
export class FleetRun {
  readonly clock = new ManualClock(FLEET_START_MS);
  readonly ledger = new RequestLedger(FLEET_START_MS);
  readonly vault: ModelVault;
  readonly proxies: readonly ProxyLeaseCacheModel[];
  readonly access: FleetAccess;
  #queries = 0;
  #settled = 0;
  #failed = 0;
  #peakLive = 0;
  #peakTokens = 0;

  constructor(options: {
    readonly ttls: FleetTtlProfile;
    readonly random: RandomSource;
    readonly proxies: number;
    readonly sharedLeaseAware: boolean;
  }) {
    this.vault = new ModelVault(this.clock, options.ttls, this.ledger);
    this.proxies = Array.from(
      { length: options.proxies },
      () => new ProxyLeaseCacheModel({ vault: this.vault, clock: this.clock, random: options.random }),
    );
    this.access =
      options.proxies > 0 ? { kind: 'proxy', sharedLeaseAware: options.sharedLeaseAware } : { kind: 'direct' };
  }

  /** Where process `index` sends its requests. */
  transportFor(index: number, processesPerProxy: number): VaultTransport {
    return this.proxies.length === 0
      ? this.vault
      : (this.proxies[Math.floor(index / processesPerProxy) % this.proxies.length] ?? this.vault);
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
    this.#peakLive = Math.max(this.#peakLive, this.vault.liveLeases());
    this.#peakTokens = Math.max(this.#peakTokens, this.vault.liveTokens());
  }

  figures(scenario: string, processes: number, hours: number): FleetFigures {
    for (const proxy of this.proxies) proxy.stop();
    const byKind = this.ledger.byKind();
    return {
      scenario,
      processes,
      proxies: this.proxies.length,
      hours,
      vaultRequests: this.ledger.total,
      requestsByKind: byKind,
      requestsPerHour: this.ledger.perHour(Math.ceil(hours)),
      peakPerSecondAtStart: this.ledger.peakSecond(0, DEPLOY_WINDOW_MS).requests,
      peakPerSecondAfterStart: this.ledger.peakSecond(DEPLOY_WINDOW_MS).requests,
      peakLiveLeases: this.#peakLive,
      peakLiveTokens: this.#peakTokens,
      rolesCreated: this.vault.leasesIssued,
      queries: this.#queries,
      // A query still waiting at the end counts as failed: something left it hanging.
      failedQueries: this.#failed + (this.#queries - this.#settled),
      proxyCacheHits: this.proxies.reduce((n, proxy) => n + proxy.hits, 0),
    };
  }
}
