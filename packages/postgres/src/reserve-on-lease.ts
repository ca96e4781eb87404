import type postgres from 'postgres';
import type { LeaseRouter } from './lease-router.js';

/**
 * `sql.reserve()` on the current lease's instance; the lease stays counted (not revoked) until
 * `release()`. A login refused before the connection was handed out is tried once more.
 */
export async function reserveOnLease(router: LeaseRouter): Promise<postgres.ReservedSql<Record<string, unknown>>> {
  for (let attempt = 0; ; attempt++) {
    // Without a wait when an instance is ready, so that the reservation queues in the caller's turn.
    const instance = router.ready() ?? (await router.instance());
    const done = instance.hold();
    try {
      const reserved = await instance.sql.reserve();
      const release = reserved.release.bind(reserved);
      reserved.release = () => {
        release();
        done();
      };
      return reserved;
    } catch (error) {
      done();
      if (router.afterError(instance, error) && attempt === 0) continue;
      throw error;
    }
  }
}
