import type { CredentialProvider, LeaseHandle } from '../credentials/credential-provider.js';
import { onProviderEvent } from './on-provider-event.js';

/**
 * How long closing with `revokeOnClose` waits for the provider to report the end of the leases it
 * revokes. Vault answers a revoke in milliseconds; the bound is for a provider that revokes nothing
 * (`revokeSuperseded: 'never'`), a provider without `revokeIfUnused` (a lease another pool still
 * holds is then revoked only when that pool lets go), and a Vault that does not answer.
 */
const REVOKE_WAIT_MS = 10_000;

/**
 * The lease handles one pool's connections hold, so that it knows at `end()` which leases it
 * leaves behind. The provider counts every pool's handles; this counts only ours.
 */
export class PoolLeases {
  readonly #open = new Set<LeaseHandle>();
  #latest: LeaseHandle | undefined;

  /** A connection of this pool took `handle`; returns the release to call once, when it ends. */
  hold(handle: LeaseHandle): () => void {
    this.#open.add(handle);
    this.#latest = handle;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#open.delete(handle);
      handle.release();
    };
  }

  /**
   * Leases still alive that this pool holds, and the one it used last while the provider still
   * serves it: current, fresh or inside its safety margin (`isStillValid`; `isCurrent` for a
   * provider without it). A lease inside its margin is no less alive: left out, it stayed in Vault
   * until its end although no connection held it.
   */
  liveLeaseIds(provider: CredentialProvider, name: string, now: number): string[] {
    const ids = new Set<string>();
    for (const handle of this.#open) if (handle.credentials.expiresAt > now) ids.add(handle.credentials.leaseId);
    const latest = this.#latest?.credentials.leaseId;
    // Not leaseStillServed: a pool closing must not start a read of a successor.
    if (latest !== undefined && (provider.isStillValid?.(name, latest) ?? provider.isCurrent(name, latest))) {
      ids.add(latest);
    }
    ids.delete(''); // static credentials: nothing to revoke
    return [...ids];
  }
}

/**
 * Runs `close` (which ends every connection, releasing its handle), then has the provider revoke
 * those of `leaseIds` that no other pool on it still holds (`revokeIfUnused`): a lease is the
 * provider's, shared by its pools, so one pool closing never pulls it from under another's
 * connections. A lease still held is left to its users (revoked once superseded and released, or
 * by `provider.close({ revoke: true })`) and not waited for. Revoking the current lease is no
 * refused login: the next pool gets a new lease at once. Resolves when each lease revoked has
 * ended, or after {@link REVOKE_WAIT_MS}. A failed revocation is reported by the provider's
 * `error` event. A provider without `revokeIfUnused` gets `invalidate` for each lease, as before.
 */
export async function closeRevokingLeases(
  provider: CredentialProvider,
  name: string,
  leaseIds: readonly string[],
  close: () => Promise<void>,
): Promise<void> {
  const ends = new LeaseEnds(provider);
  try {
    await close();
    const revoking = leaseIds.filter((leaseId) => revokeIfUnused(provider, name, leaseId));
    await ends.settled(revoking, REVOKE_WAIT_MS);
  } finally {
    ends.stop();
  }
}

/** True when `leaseId` is (being) revoked; false when another pool still holds it. */
function revokeIfUnused(provider: CredentialProvider, name: string, leaseId: string): boolean {
  if (provider.revokeIfUnused !== undefined) return provider.revokeIfUnused(name, leaseId);
  provider.invalidate(name, leaseId);
  return true;
}

/** Listens for the end of leases (revoked, expired, or a failed revoke) from the moment it is made. */
class LeaseEnds {
  readonly #ended = new Set<string>();
  readonly #stops: (() => void)[];
  #wake: (() => void) | undefined;

  constructor(provider: CredentialProvider) {
    this.#stops = [
      onProviderEvent(provider, 'revoked', (event) => this.#end(event.leaseId)),
      onProviderEvent(provider, 'expired', (event) => this.#end(event.leaseId)),
      onProviderEvent(provider, 'error', (event) => {
        if (event.operation === 'revoke' && event.leaseId !== undefined) this.#end(event.leaseId);
      }),
    ];
  }

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
    for (const stop of this.#stops) stop();
    this.#wake?.();
  }

  #end(leaseId: string): void {
    this.#ended.add(leaseId);
    this.#wake?.();
  }
}
