import { expect, it } from 'vitest';
import { describeEachVaultBackend, vaultFetch } from './vault-backends.test-helpers.js';

describeEachVaultBackend('rate limit quotas', ({ vault }) => {
  it('answers 429 naming the request path, without Retry-After by default (api-docs/system/rate-limit-quotas)', async () => {
    await vault().admin.enableKv('contract-rl', 1);
    await vault().admin.writeKv('contract-rl', 'key', { value: 'x' });
    const faults = vault().faults;
    if (faults !== undefined) {
      // The dev server has no quotas: its fault switch answers as a quota would.
      faults.failNext(429, 1, 'contract-rl/');
    } else {
      const quota = await vaultFetch(vault(), 'POST', 'sys/quotas/rate-limit/contract-rl', {
        body: { path: 'contract-rl/', rate: 1, interval: '1h' },
      });
      expect(quota.status).toBe(204);
      expect((await vaultFetch(vault(), 'GET', 'contract-rl/key')).status).toBe(200);
    }
    try {
      const { status, body, headers } = await vaultFetch(vault(), 'GET', 'contract-rl/key');
      expect(status).toBe(429);
      expect(body).toEqual({ errors: ['request path "contract-rl/key": rate limit quota exceeded'] });
      expect(headers.get('retry-after')).toBeNull();
    } finally {
      if (faults === undefined) await vaultFetch(vault(), 'DELETE', 'sys/quotas/rate-limit/contract-rl');
    }
  });
});
