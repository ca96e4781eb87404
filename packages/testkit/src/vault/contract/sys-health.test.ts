import { expect, it } from 'vitest';
import { describeEachVaultBackend, GO_UUID, vaultFetch } from './vault-backends.test-helpers.js';

describeEachVaultBackend('sys/health', ({ vault }) => {
  it('answers 200 for an initialized, unsealed, active node without a token (api-docs/system/health)', async () => {
    const { status, body } = await vaultFetch(vault(), 'GET', 'sys/health', { token: null });
    expect(status).toBe(200);
    expect(Object.keys(body)).toEqual([
      'initialized',
      'sealed',
      'standby',
      'replication_performance_mode',
      'replication_dr_mode',
      'server_time_utc',
      'version',
      'cluster_name',
      'cluster_id',
    ]);
    expect(body).toMatchObject({
      initialized: true,
      sealed: false,
      standby: false,
      replication_performance_mode: 'disabled',
      replication_dr_mode: 'disabled',
    });
    // Deliberately different (VAULT-DEV-SERVER.md): version, cluster name and id.
    expect(String(body.version)).toMatch(/^\d+\.\d+\.\d+/);
    expect(String(body.cluster_name)).toMatch(/^vault-cluster-/);
    expect(String(body.cluster_id)).toMatch(GO_UUID);
    expect(Math.abs(Number(body.server_time_utc) - Date.now() / 1000)).toBeLessThan(5);
  });

  it('sends the headers OpenBao sends with every answer (internal/http/handler.go)', async () => {
    const { headers } = await vaultFetch(vault(), 'GET', 'sys/health', { token: null });
    expect(headers.get('content-type')).toBe('application/json');
    expect(headers.get('cache-control')).toBe('no-store');
    expect(headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
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
