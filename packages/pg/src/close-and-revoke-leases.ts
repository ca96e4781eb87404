import type { CredentialEvents, CredentialProvider } from '@dataverk/core';

/**
 * How long closing with `revokeOnClose` waits for the provider to report the revocations it asked
 * for. Vault answers a revoke in milliseconds; the bound is for a provider that revokes nothing
 * (`revokeSuperseded: 'never'`) and so reports nothing, and for a Vault that does not answer.
 */
export const REVOKE_ON_CLOSE_WAIT_MS = 10_000;

/** What a provider may offer beyond {@link CredentialProvider}; `VaultCredentialProvider` does. */
interface LeaseUsageView {
  readonly liveLeaseIds: readonly string[];
  connectionsOn(leaseId: string): number;
}

/**
 * Closes a pool's connections with `close`, then revokes the leases the pool leaves behind unless
 * another pool on the same provider still uses them:
 *
 * - a superseded lease is revoked by the provider as soon as its last connection closes; this waits
 *   for that revocation to be confirmed;
 * - the current lease, when no connection of any pool is open on it, is invalidated, which makes
 *   the provider revoke it now (its next caller gets a new lease); when another pool still has
 *   connections on it, it is left alone, to be revoked once superseded and drained.
 *
 * Without the provider's usage view (`liveLeaseIds`, `connectionsOn`), only the current lease is
 * considered, and it is revoked even if another pool shares it; that pool's connections then retire
 * on their next release or checkout, as after a rotation, and no query is interrupted.
 *
 * A revocation that fails is reported by the provider's `error` event; closing still succeeds.
 *
 * @example
 * await closeAndRevokeLeases(provider, 'postgres_database', usage.leaseIds, () => pool.end());
 */
export async function closeAndRevokeLeases(
  provider: CredentialProvider,
  name: string,
  leaseIds: ReadonlySet<string>,
  close: () => Promise<void>,
  waitMs: number = REVOKE_ON_CLOSE_WAIT_MS,
): Promise<void> {
  const usage = usageView(provider);
  const outcomes = new LeaseOutcomes(provider);
  try {
    const liveBefore = [...leaseIds].filter((id) =>
      usage === undefined ? provider.isCurrent(name, id) : usage.liveLeaseIds.includes(id),
    );
    await close();
    const revoking: string[] = [];
    for (const leaseId of liveBefore) {
      const live = usage === undefined ? provider.isCurrent(name, leaseId) : usage.liveLeaseIds.includes(leaseId);
      // Dropped while we closed: our last connection released a superseded lease, or it expired.
      if (!live) {
        if (usage !== undefined) revoking.push(leaseId);
        continue;
      }
      if (usage !== undefined && usage.connectionsOn(leaseId) > 0) continue;
      provider.invalidate(name, leaseId);
      revoking.push(leaseId);
    }
    await outcomes.settled(revoking, waitMs);
  } finally {
    outcomes.stop();
  }
}

function usageView(provider: CredentialProvider): LeaseUsageView | undefined {
  const candidate = provider as CredentialProvider & Partial<LeaseUsageView>;
  if (typeof candidate.connectionsOn !== 'function' || !Array.isArray(candidate.liveLeaseIds)) return undefined;
  return candidate as CredentialProvider & LeaseUsageView;
}

/** Listens for the end of leases (revoked, expired, or a failed revoke) from the moment it is made. */
class LeaseOutcomes {
  readonly #provider: CredentialProvider;
  readonly #ended = new Set<string>();
  #wake: (() => void) | undefined;
  readonly #onRevoked = (event: CredentialEvents['revoked']) => this.#end(event.leaseId);
  readonly #onExpired = (event: CredentialEvents['expired']) => this.#end(event.leaseId);
  readonly #onError = (event: CredentialEvents['error']) => {
    if (event.operation === 'revoke' && event.leaseId !== undefined) this.#end(event.leaseId);
  };

  constructor(provider: CredentialProvider) {
    this.#provider = provider;
    provider.on('revoked', this.#onRevoked).on('expired', this.#onExpired).on('error', this.#onError);
  }

  /** Resolves when every lease in `leaseIds` has ended, or after `waitMs`. */
  async settled(leaseIds: readonly string[], waitMs: number): Promise<void> {
    const deadline = Date.now() + waitMs;
    while (leaseIds.some((id) => !this.#ended.has(id))) {
      const left = deadline - Date.now();
      if (left <= 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  stop(): void {
    this.#provider.off('revoked', this.#onRevoked).off('expired', this.#onExpired).off('error', this.#onError);
    this.#wake?.();
  }

  #end(leaseId: string): void {
    this.#ended.add(leaseId);
    this.#wake?.();
  }
}
