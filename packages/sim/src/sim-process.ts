import {
  agentSharedLeases,
  type CredentialEvents,
  createVaultClient,
  type DatabaseCredentials,
  type VaultClient,
  VaultCredentialProvider,
  type VaultTransport,
} from '@dataverk/core';
import { seededRandom } from '../../../bench/src/seeded-random.js';
import { CallerWorkload } from './caller-workload.js';
import type { ProcessClock } from './process-clock.js';
import { ProcessTransport } from './process-transport.js';
import { RetainedCredentials } from './retained-credentials.js';
import type { SimDatabase } from './sim-database.js';
import type { SimProcessPlan } from './sim-plan.js';
import { codeOf } from './sim-pool.js';
import type { SimRecord, TokenRecord } from './sim-record.js';
import type { ProcessCredentials, SimVault } from './sim-vault.js';

const EVENTS: readonly (keyof CredentialEvents)[] = ['issued', 'renewed', 'rotated', 'revoked', 'expired', 'error'];

/** How long after a new login the superseded token is looked up (time enough to revoke it). */
export const SUPERSEDED_CHECK_AFTER_MS = 60_000;

/** A full collection costs milliseconds: counted only where enough rotations make growth visible. */
const RETAINED_CHECK_MIN_ROTATIONS = 12;

/** How long an exiting process waits for its pools to drain before it closes the provider anyway. */
const EXIT_DRAIN_MAX_MS = 15 * 60_000;

/** What a process shares with the run. */
export interface SimProcessContext {
  readonly plan: SimProcessPlan;
  readonly seed: number;
  readonly clock: ProcessClock;
  readonly vault: SimVault;
  readonly credentials: ProcessCredentials;
  /** Towards Vault: the outage layer, or a proxy in front of it. */
  readonly upstream: VaultTransport;
  readonly database: SimDatabase;
  readonly record: SimRecord;
}

/**
 * One simulated application process: a real Vault client (token session included) and a real
 * {@link VaultCredentialProvider} on the process's clock, its pools and callers, and what it
 * reports: every event and log line, the tokens and leases it got, the connections it counts.
 */
export class SimProcess {
  readonly index: number;
  readonly #context: SimProcessContext;
  readonly #client: VaultClient;
  readonly #provider: VaultCredentialProvider;
  readonly #workloads: CallerWorkload[] = [];
  readonly #retained = new RetainedCredentials();
  readonly #lastLease = new Map<string, string>();
  #token: TokenRecord | undefined;
  /** Closing: the provider no longer counts anything, so the step checks stop. */
  #closed = false;
  #rotations = 0;

  constructor(context: SimProcessContext) {
    this.#context = context;
    const { plan, clock, record, credentials } = context;
    this.index = plan.index;
    const random = seededRandom(context.seed * 7919 + plan.index + 1);
    const transport = new ProcessTransport({
      inner: context.upstream,
      clock,
      record,
      process: plan.index,
      hooks: { loggedIn: (token, ttlS) => this.#loggedIn(token, ttlS), leaseRead: (path, id) => this.#read(path, id) },
    });
    const logger = { warn: (message: string) => this.#output(`warn ${message}`) };
    const client = createVaultClient({
      ...environment(credentials),
      transport,
      clock,
      random,
      logger,
      sleep: (ms) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms)),
    });
    // Behind a proxy, as the default provider does (docs/fleet.md): shared leases, never revoked.
    this.#client = credentials.kind === 'proxy' ? agentSharedLeases(client, { now: () => clock.now() }) : client;
    this.#provider = this.#makeProvider(random);
    for (const event of EVENTS) this.#provider.on(event, (payload) => this.#event(event, payload));
    if (credentials.kind === 'token' && plan.auth.kind === 'fixed') {
      this.#token = this.#tokenRecord(credentials.token, plan.auth.ttlS);
    }
    plan.pools.forEach((pool, i) => {
      const key = `p${plan.index}.pool${i}`;
      const poolContext = {
        provider: this.#provider,
        database: context.database,
        clock,
        record,
        process: plan.index,
        afterStep: () => this.#checkConnectionCounts(),
        handedOut: (c: DatabaseCredentials) => this.#retained.track(c.leaseId, c),
      };
      this.#workloads.push(new CallerWorkload(key, pool, poolContext, random));
    });
  }

  /** True when the process runs on a fixed `VAULT_TOKEN` (no login can replace it). */
  get fixedToken(): boolean {
    return this.#context.plan.auth.kind === 'fixed';
  }

  /** The token this process uses now, if it holds one. */
  get token(): string | undefined {
    return this.#token?.token;
  }

  /** The last lease read for `name`. */
  lastLease(name: string): string | undefined {
    return this.#lastLease.get(name);
  }

  start(): void {
    for (const workload of this.#workloads) workload.start();
  }

  /** The process stops running (its timers wait) until {@link thaw}. */
  freeze(): void {
    this.#context.clock.freeze();
  }

  thaw(): void {
    this.#context.clock.thaw();
  }

  /** True when enough rotations make growth visible: {@link checkRetained} then counts. */
  get countsRetained(): boolean {
    return this.#rotations >= RETAINED_CHECK_MIN_ROTATIONS;
  }

  /**
   * Counts superseded leases whose credentials the provider still keeps reachable (call between
   * clock steps, after a macrotask turn: WeakRefs made in a job keep their target until it ends,
   * and right after a full collection).
   */
  checkRetained(): void {
    if (!this.countsRetained) return;
    const inUse = new Set<string>(this.#lastLease.values());
    for (const workload of this.#workloads) for (const leaseId of workload.leasesReferenced()) inUse.add(leaseId);
    const retained = this.#retained.retainedExcept(inUse);
    const { record, clock } = this.#context;
    record.retained.push({ process: this.index, at: clock.now(), retained, rotations: this.#rotations });
    record.line(clock.now(), this.index, `retained credentials of ${retained} superseded leases`);
  }

  /** Exits: ends the pools, closes the provider (revoking when planned) and the client. */
  async exit(): Promise<void> {
    const { plan, record, clock, vault } = this.#context;
    clock.thaw();
    record.line(clock.now(), this.index, `exit${plan.revokeOnExit ? ' (revoke)' : ''}`);
    const ended = Promise.all(this.#workloads.map((w) => w.end(false)));
    // Callers finish what they hold (minutes at most); the bound is for a pool stuck on a hung Vault.
    await Promise.race([ended, new Promise<void>((resolve) => clock.setTimeout(resolve, EXIT_DRAIN_MAX_MS))]);
    this.#closed = true;
    const revoke = plan.revokeOnExit;
    await this.#provider.close({ revoke }).catch((error: unknown) => this.#output(`close failed ${codeOf(error)}`));
    await this.#client.close({ revokeToken: revoke }).catch((error: unknown) => this.#output(`close ${codeOf(error)}`));
    // Behind a proxy nothing is revoked by design: the leases are shared (docs/fleet.md).
    if (!revoke || plan.auth.kind === 'proxy') return;
    const closedAt = clock.now();
    const left: string[] = [];
    for (const leases of record.leases.entries()) {
      if (!leases[0].startsWith(`${this.index}/`)) continue;
      for (const leaseId of leases[1]) if (await vault.holdsLease(leaseId)) left.push(leaseId);
    }
    record.leftAfterClose.push({ process: this.index, at: closedAt, leaseIds: left });
  }

  #makeProvider(random: () => number): VaultCredentialProvider {
    const { plan, record, clock } = this.#context;
    const names = new Map(plan.names.map((n) => [n.name, n]));
    const options = {
      vault: this.#client,
      clock,
      random,
      ownsVaultClient: false,
      revokeSuperseded: plan.auth.kind === 'proxy' ? ('never' as const) : ('released' as const),
      resolve: async (name: string) => ({
        connectionString: 'postgres://db.sim.invalid:5432/app',
        vaultPath: `database/creds/${names.get(name)?.role ?? name}`,
      }),
    };
    if (plan.safetyMarginMs === undefined) return new VaultCredentialProvider(options);
    try {
      return new VaultCredentialProvider({ ...options, safetyMarginMs: plan.safetyMarginMs });
    } catch (error) {
      // Refusing an absurd margin at construction is a fine answer: the process runs with the default.
      record.line(clock.now(), this.index, `provider refused safetyMarginMs ${plan.safetyMarginMs}: ${codeOf(error)}`);
      return new VaultCredentialProvider(options);
    }
  }

  #event(event: keyof CredentialEvents, payload: CredentialEvents[keyof CredentialEvents]): void {
    const { record, clock } = this.#context;
    const error = 'error' in payload ? payload.error : undefined;
    this.#output(
      `${event} ${JSON.stringify(payload)} ${error === undefined ? '' : `${error.message} ${String(error)}`}`,
    );
    const lease = 'leaseId' in payload && payload.leaseId !== undefined ? record.alias(payload.leaseId, 'L') : '';
    const detail = error === undefined ? '' : ` ${codeOf(error)}`;
    const previous =
      event === 'rotated' ? ` from ${record.alias((payload as CredentialEvents['rotated']).previousLeaseId, 'L')}` : '';
    record.line(clock.now(), this.index, `${event} ${payload.name} ${lease}${previous}${detail}`);
    if (event !== 'rotated') return;
    this.#rotations++;
    const { previousLeaseId, leaseId } = payload as CredentialEvents['rotated'];
    if (previousLeaseId === leaseId) {
      record.stepViolations.push({
        invariant: 'no-self-rotation',
        at: clock.now(),
        detail: `p${this.index} ${payload.name}: lease ${record.alias(leaseId, 'L')} "rotated" to itself`,
      });
    }
  }

  /** The provider's count of handles on a lease never falls below the connections open on it. */
  #checkConnectionCounts(): void {
    if (this.#closed) return;
    const mine = new Map<string, number>();
    for (const workload of this.#workloads) {
      for (const [leaseId, n] of workload.pool?.connectionsByLease() ?? [])
        mine.set(leaseId, (mine.get(leaseId) ?? 0) + n);
    }
    const { record, clock } = this.#context;
    // A lease the provider saw end (expired, revoked) is forgotten: its connections are dead anyway.
    const live = new Set(this.#provider.liveLeaseIds);
    for (const [leaseId, open] of mine) {
      if (!live.has(leaseId)) continue;
      const counted = this.#provider.connectionsOn(leaseId);
      if (counted >= open) continue;
      record.stepViolations.push({
        invariant: 'connection-count-consistent',
        at: clock.now(),
        detail: `p${this.index}: ${open} connections open on ${record.alias(leaseId, 'L')}, the provider counts ${counted}`,
      });
    }
  }

  #output(text: string): void {
    this.#context.record.output.push(text);
  }

  #loggedIn(token: string, ttlS: number): void {
    const { clock, record, vault } = this.#context;
    const previous = this.#token;
    this.#token = this.#tokenRecord(token, ttlS);
    record.line(clock.now(), this.index, `logged in: token ${record.alias(token, 'T')} ttl ${ttlS} s`);
    if (previous === undefined || previous.token === token) return;
    previous.supersededAt = clock.now();
    // Looked up a minute later: by then a superseded token is revoked, or near its natural end.
    clock.setTimeout(() => {
      void vault.tokenSecondsLeft(previous.token).then((left) => {
        previous.leftAfterSupersedeS = left;
      });
    }, SUPERSEDED_CHECK_AFTER_MS);
  }

  #tokenRecord(token: string, ttlS: number): TokenRecord {
    const record: TokenRecord = {
      process: this.index,
      token,
      issuedAt: this.#context.clock.now(),
      ttlS,
      maxTtlS: maxTtlOf(this.#context.plan),
      supersededAt: undefined,
      leftAfterSupersedeS: undefined,
    };
    this.#context.record.tokens.push(record);
    return record;
  }

  #read(path: string, leaseId: string): void {
    const { plan, record, clock } = this.#context;
    // A path read with a query string (agentSharedLeases sent one until 2026-12-08) names the same role.
    const bare = path.split('?')[0];
    const name = plan.names.find((n) => bare === `database/creds/${n.role}`)?.name ?? path;
    this.#lastLease.set(name, leaseId);
    record.leaseRead(this.index, name, leaseId, clock.now());
    record.line(clock.now(), this.index, `read ${name} → lease ${record.alias(leaseId, 'L')}`);
  }
}

function environment(credentials: ProcessCredentials): Parameters<typeof createVaultClient>[0] {
  switch (credentials.kind) {
    case 'approle':
      return {
        env: { VAULT_ADDR: 'http://vault.sim.invalid' },
        auth: { method: 'approle', roleId: credentials.login.roleId, secretId: credentials.login.secretId },
      };
    case 'token':
      return { env: { VAULT_ADDR: 'http://vault.sim.invalid', VAULT_TOKEN: credentials.token } };
    case 'proxy':
      return { env: { VAULT_AGENT_ADDR: 'http://proxy.sim.invalid' } };
  }
}

function maxTtlOf(plan: SimProcessPlan): number {
  const { auth } = plan;
  if (auth.kind === 'approle') return Math.max(auth.ttlS, auth.maxTtlS);
  if (auth.kind === 'fixed' && !auth.periodic) return auth.ttlS;
  return Number.POSITIVE_INFINITY;
}
