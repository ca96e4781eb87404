import type { IssuedSecret, LeaseHistoryEntry, RecordedVaultRequest, VaultFaults } from '../test-vault.js';
import { IssuedSecretLog } from './issued-secrets.js';
import { VaultErrorReply } from './vault-error-reply.js';

/** What the fault switches act on inside the server. */
export interface FaultTargets {
  expireLease(leaseId: string): Promise<void>;
  expireToken(token: string): void;
  leaseHistory(): readonly LeaseHistoryEntry[];
  /** Drops every open TCP connection. */
  dropConnections(): void;
}

/**
 * Error texts for injected failures, as OpenBao words them: a rate limit quota names the request
 * path (internal/http/util.go), `internal error` and `Vault is sealed` are core's errors.
 */
const INJECTED_ERRORS: Readonly<Record<number, (path: string) => string>> = {
  429: (path) => `request path "${path}": rate limit quota exceeded`,
  500: () => 'internal error',
  502: () => 'upstream rate limited',
  503: () => 'Vault is sealed',
};

interface FailureRule {
  readonly status: 429 | 500 | 502 | 503;
  remaining: number;
  readonly pathPrefix: string;
}

/**
 * The dev server's fault switches and request counters. The server asks it, for every request,
 * whether to refuse, delay, fail or answer sealed; tests flip the switches in-process.
 */
export class DevServerFaults implements VaultFaults {
  readonly #targets: FaultTargets;
  readonly #failures: FailureRule[] = [];
  /** Filled by the server for every exchange; read by tests through `issuedSecrets()`. */
  readonly secrets = new IssuedSecretLog();
  #counts = new Map<string, number>();
  #log: RecordedVaultRequest[] = [];
  #sealed = false;
  #latencyMs = 0;
  #refusing = false;

  constructor(targets: FaultTargets) {
    this.#targets = targets;
  }

  get sealed(): boolean {
    return this.#sealed;
  }

  get latencyMs(): number {
    return this.#latencyMs;
  }

  get refusing(): boolean {
    return this.#refusing;
  }

  seal(): void {
    this.#sealed = true;
  }

  unseal(): void {
    this.#sealed = false;
  }

  setLatency(ms: number): void {
    this.#latencyMs = Math.max(0, ms);
  }

  refuseConnections(on: boolean): void {
    this.#refusing = on;
    if (on) this.#targets.dropConnections();
  }

  failNext(status: 429 | 500 | 502 | 503, count: number, pathPrefix = ''): void {
    this.#failures.push({ status, remaining: count, pathPrefix: pathPrefix.replace(/^\/?(v1\/)?/, '') });
  }

  expireLease(leaseId: string): Promise<void> {
    return this.#targets.expireLease(leaseId);
  }

  expireToken(token: string): void {
    this.#targets.expireToken(token);
  }

  requestCounts(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.#counts);
  }

  resetCounts(): void {
    this.#counts = new Map();
    this.#log = [];
  }

  leaseHistory(): readonly LeaseHistoryEntry[] {
    return this.#targets.leaseHistory();
  }

  requestLog(): readonly RecordedVaultRequest[] {
    return [...this.#log];
  }

  issuedSecrets(): readonly IssuedSecret[] {
    return this.secrets.list();
  }

  /** Counts a request under `METHOD template`. */
  count(method: string, template: string): void {
    const key = `${method} ${template}`;
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1);
  }

  record(entry: RecordedVaultRequest): void {
    this.#log.push(entry);
  }

  /** The injected failure for this request, if one is armed for its path. */
  takeFailure(path: string): VaultErrorReply | undefined {
    const rule = this.#failures.find((candidate) => candidate.remaining > 0 && path.startsWith(candidate.pathPrefix));
    if (rule === undefined) return undefined;
    rule.remaining--;
    return new VaultErrorReply(rule.status, [INJECTED_ERRORS[rule.status]?.(path) ?? 'internal error']);
  }
}
