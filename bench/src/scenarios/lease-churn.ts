import { type LeaseHandle, VaultCredentialProvider } from '@dataverk/core';
import { ManualClock } from '@dataverk/testkit';
import type { BenchProfile } from '../bench-options.js';
import { check, type LeaseChurnResult } from '../bench-results.js';
import { seededRandom } from '../seeded-random.js';
import { activeHandles, handleTotal } from '../support/active-handles.js';
import { heapUsedAfterGc } from '../support/collect-garbage.js';
import { FakeVaultClient } from './fake-vault-client.js';

const NAME = 'churn';
/** Lease length the fake Vault grants; only the ratio to the clock's steps matters. */
const LEASE_SECONDS = 60;
/** Connections a pool holds per lease in this simulation. */
const CONNECTIONS_PER_LEASE = 2;
const MAX_HEAP_GROWTH_BYTES = 2 * 1024 * 1024;

/**
 * Scenario 5: a provider on a fake clock and an in-memory Vault goes through `rotations` rotations
 * while a simulated pool opens connections on each new lease and closes those of the superseded
 * one (so each old lease is revoked, as with a real pool). Heap after GC and the process's active
 * handles are taken after a warm-up and again at the end; whatever a rotation leaves behind
 * (timers, listeners, ledger entries) would show up as growth.
 */
export async function leaseChurn(profile: BenchProfile): Promise<LeaseChurnResult> {
  const { rotations, warmupRotations } = profile.churn;
  const random = seededRandom(profile.seed + 5);
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const vault = new FakeVaultClient({ leaseSeconds: LEASE_SECONDS, random });
  const provider = new VaultCredentialProvider({
    vault,
    clock,
    random,
    resolve: async () => ({
      connectionString: 'postgresql://user:pass@127.0.0.1:5432/bench',
      vaultPath: 'database/creds/churn',
    }),
  });
  let rotated = 0;
  // Each lease is held by CONNECTIONS_PER_LEASE pooled connections until it is superseded.
  const held = new Map<string, Promise<LeaseHandle[]>>();
  provider.on('issued', ({ leaseId }) => {
    held.set(leaseId, Promise.all(Array.from({ length: CONNECTIONS_PER_LEASE }, () => provider.acquire(NAME))));
  });
  provider.on('rotated', ({ previousLeaseId }) => {
    rotated++;
    void held.get(previousLeaseId)?.then((handles) => {
      for (const handle of handles) handle.release();
    });
    held.delete(previousLeaseId);
  });
  await provider.getCredentials(NAME);
  await churnUntil(clock, provider, () => rotated >= warmupRotations);
  const heapBefore = heapUsedAfterGc();
  const handlesBefore = activeHandles();
  const pendingTimersBefore = clock.pendingTimers;
  await churnUntil(clock, provider, () => rotated >= warmupRotations + rotations);
  const heapAfter = heapUsedAfterGc();
  const handlesAfter = activeHandles();
  const liveLeasesAtEnd = provider.liveLeaseIds.length;
  const pendingTimersAtEnd = clock.pendingTimers;
  await provider.close({ revoke: true });
  const handlesAfterClose = activeHandles();
  const growth = heapAfter - heapBefore;
  const handleGrowth = handleTotal(handlesAfter) - handleTotal(handlesBefore);
  return {
    rotations,
    clock: 'manual',
    heapBeforeBytes: heapBefore,
    heapAfterBytes: heapAfter,
    heapGrowth: check(growth, '< 2 MiB', growth < MAX_HEAP_GROWTH_BYTES),
    handlesBefore,
    handlesAfter,
    handlesAfterClose,
    handleGrowth: check(handleGrowth, '<= 0', handleGrowth <= 0),
    liveLeasesAtEnd,
    leasesRevoked: vault.revoked,
    pendingTimersBefore,
    pendingTimersAtEnd,
  };
}

/** Moves the clock from timer to timer (renew, rotate, …) until `done`, asking for credentials as a pool would. */
async function churnUntil(clock: ManualClock, provider: VaultCredentialProvider, done: () => boolean): Promise<void> {
  while (!done()) {
    const due = clock.nextDueAt;
    if (due === undefined) throw new Error('The provider scheduled nothing: lease churn cannot go on.');
    await clock.advance(due - clock.now());
    await provider.getCredentials(NAME);
  }
}
