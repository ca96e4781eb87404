import type { Clock } from '../clock/clock.js';
import { VaultError } from '../errors.js';
import type { DatabaseSecret, ReadOptions, VaultClient, VaultLease, VaultResponse } from '../vault/vault-client.js';
import { VaultCredentialProvider } from './vault-credential-provider.js';

/**
 * A provider on `clock` over a fake `vault`, with fixed jitter, for one name whose settings point at
 * `database/creds/ro`.
 *
 * @example
 * const provider = fakeVaultProvider(clock, new FakeVaultClient(clock, 3600, 768 * 3600));
 */
export function fakeVaultProvider(clock: Clock, vault: VaultClient): VaultCredentialProvider {
  return new VaultCredentialProvider({
    vault,
    clock,
    random: () => 0.5,
    resolve: async () => ({ connectionString: 'postgresql://db.internal/sales', vaultPath: 'database/creds/ro' }),
  });
}

interface FakeLease {
  readonly issuedAt: number;
  expiresAt: number;
  readonly maxAt: number;
  revoked: boolean;
}

/** An error shaped like the client's Vault errors: a `status` and a message naming the path. */
export function fakeVaultError(status: number, message: string): VaultError {
  return new VaultError('VAULT_REQUEST_FAILED', message, { path: 'fake', status });
}

/**
 * A VaultClient for timing unit tests: leases live on the test's clock, renewals are capped at a
 * max TTL like Vault's, and `failWith` makes every call fail until cleared. Integration tests use
 * the Vault dev server instead.
 */
export class FakeVaultClient implements VaultClient {
  readonly address = 'http://fake-vault.invalid';
  readonly calls: string[] = [];
  readonly leases = new Map<string, FakeLease>();
  failWith: Error | undefined;
  #serial = 0;

  constructor(
    readonly clock: Clock,
    readonly ttlSeconds: number,
    readonly maxTtlSeconds: number,
    readonly renewable = true,
  ) {}

  async read(path: string): Promise<VaultResponse> {
    throw fakeVaultError(404, `no fake for ${path}`);
  }

  async write(_path: string, _body: Readonly<Record<string, unknown>>): Promise<VaultResponse | undefined> {
    return undefined;
  }

  /** The `retry` option of every read, in order (`undefined`: the client's default, retries on). */
  readonly readRetries: (boolean | undefined)[] = [];

  async readDatabaseCredentials(path: string, options: ReadOptions = {}): Promise<DatabaseSecret> {
    this.readRetries.push(options.retry);
    this.#call(`read ${path}`);
    const n = ++this.#serial;
    const leaseId = `${path}/lease-${n}`;
    const now = this.clock.now();
    this.leases.set(leaseId, {
      issuedAt: now,
      expiresAt: now + this.ttlSeconds * 1000,
      maxAt: now + this.maxTtlSeconds * 1000,
      revoked: false,
    });
    return {
      path,
      leaseId,
      leaseDuration: this.ttlSeconds,
      renewable: this.renewable,
      warnings: [],
      username: `v-user-${n}`,
      password: `secret-password-${n}`,
    };
  }

  async renewLease(leaseId: string, incrementSeconds = this.ttlSeconds): Promise<VaultLease> {
    this.#call(`renew ${leaseId}`);
    const lease = this.leases.get(leaseId);
    const now = this.clock.now();
    if (lease === undefined || lease.revoked || now >= lease.expiresAt) throw fakeVaultError(400, 'lease not found');
    if (now >= lease.maxAt) throw fakeVaultError(400, 'past the max TTL, cannot renew');
    lease.expiresAt = Math.min(now + incrementSeconds * 1000, lease.maxAt);
    return { leaseId, leaseDuration: Math.floor((lease.expiresAt - now) / 1000), renewable: true, warnings: [] };
  }

  async revokeLease(leaseId: string): Promise<void> {
    this.#call(`revoke ${leaseId}`);
    const lease = this.leases.get(leaseId);
    if (lease !== undefined) lease.revoked = true;
  }

  async close(): Promise<void> {
    this.calls.push('close');
  }

  /** Leases neither revoked nor past their end. */
  liveLeases(): string[] {
    const now = this.clock.now();
    return [...this.leases].filter(([, l]) => !l.revoked && now < l.expiresAt).map(([id]) => id);
  }

  count(prefix: string): number {
    return this.calls.filter((call) => call.startsWith(prefix)).length;
  }

  #call(call: string): void {
    this.calls.push(call);
    if (this.failWith !== undefined) throw this.failWith;
  }
}
