import type { DatabaseSecret, RandomSource, VaultClient, VaultLease, VaultResponse } from '@dataverk/core';

/**
 * A Vault that answers database reads, renewals and revocations from memory, for churning through
 * a thousand leases in a second. Renewals grant a third of what was asked, as Vault does when a
 * role's max_ttl is near, so every lease is renewed once and then rotated.
 */
export class FakeVaultClient implements VaultClient {
  readonly address = 'http://fake-vault.invalid';
  readonly #leaseSeconds: number;
  readonly #random: RandomSource;
  readonly #live = new Set<string>();
  #issued = 0;
  #revoked = 0;

  constructor(options: { readonly leaseSeconds: number; readonly random: RandomSource }) {
    this.#leaseSeconds = options.leaseSeconds;
    this.#random = options.random;
  }

  get issued(): number {
    return this.#issued;
  }

  get revoked(): number {
    return this.#revoked;
  }

  /** Leases neither revoked nor let go. */
  get live(): number {
    return this.#live.size;
  }

  async readDatabaseCredentials(path: string): Promise<DatabaseSecret> {
    const n = ++this.#issued;
    const leaseId = `${path}/lease-${n}`;
    this.#live.add(leaseId);
    return {
      path,
      leaseId,
      leaseDuration: this.#leaseSeconds,
      renewable: true,
      warnings: [],
      username: `v-bench-churn-${n}`,
      password: Math.floor(this.#random() * 2 ** 52).toString(36),
    };
  }

  async renewLease(leaseId: string, incrementSeconds = this.#leaseSeconds): Promise<VaultLease> {
    return { leaseId, leaseDuration: incrementSeconds / 3, renewable: true, warnings: [] };
  }

  async revokeLease(leaseId: string): Promise<void> {
    if (this.#live.delete(leaseId)) this.#revoked++;
  }

  async read(path: string): Promise<VaultResponse> {
    throw new Error(`FakeVaultClient does not serve ${path}`);
  }

  async write(path: string): Promise<VaultResponse | undefined> {
    throw new Error(`FakeVaultClient does not serve ${path}`);
  }

  async close(): Promise<void> {}
}
