import { expect, it } from 'vitest';
import { describeEachVaultBackend, vaultFetch } from './vault-backends.test-helpers.js';

describeEachVaultBackend('sys/health', ({ vault }) => {
  it('answers 200 for an initialized, unsealed, active node without a token (api-docs/system/health)', async () => {
    const { status, body } = await vaultFetch(vault(), 'GET', 'sys/health', { token: null });
    expect(status).toBe(200);
    expect(body).toMatchObject({ initialized: true, sealed: false, standby: false, performance_standby: false });
    expect(typeof body.version).toBe('string');
    expect(Math.abs(Number(body.server_time_utc) - Date.now() / 1000)).toBeLessThan(5);
  });

  it('answers HEAD with the status code and no body (api-docs/system/health)', async () => {
    const response = await fetch(`${vault().address}/v1/sys/health`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('');
  });

  it('uses activecode for an active node (api-docs/system/health, parameters)', async () => {
    const { status } = await vaultFetch(vault(), 'GET', 'sys/health?activecode=218', { token: null });
    expect(status).toBe(218);
  });

  it('reports the seal state on sys/seal-status (api-docs/system/seal-status)', async () => {
    const { status, body } = await vaultFetch(vault(), 'GET', 'sys/seal-status', { token: null });
    expect(status).toBe(200);
    expect(body).toMatchObject({ initialized: true, sealed: false });
  });
});
