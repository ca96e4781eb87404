import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAirflowScenario } from './airflow-scenario.js';
import { runDeployScenario } from './deploy-scenario.js';
import type { FleetTtlProfile } from './fleet-figures.js';
import { FLEET_TTL_PROFILES } from './fleet-plan.js';
import type { FleetResults } from './fleet-results.js';
import { runFleetBench } from './run-fleet-bench.js';

// Short TTLs so that a few minutes of fake time cover several max-TTL cycles.
const SHORT: FleetTtlProfile = {
  name: 'lease 60 s, max 180 s',
  leaseTtl: 60,
  leaseMaxTtl: 180,
  tokenTtl: 60,
  tokenMaxTtl: 180,
};
const base = { processes: 40, hours: 12 / 60, ttls: SHORT, queryEveryMs: 5_000, seed: 7, startJitterMs: 0 };

describe('fleet model (fake clock, the dev server in process, real providers)', () => {
  it('a deploy without a proxy: every process logs in and reads at the same instant; no query fails', async () => {
    const f = await runDeployScenario({ ...base, name: 'direct', processesPerProxy: 0, sharedLeaseAware: false });
    console.log(`[fleet test] direct: ${JSON.stringify({ ...f, requestsPerHour: undefined })}`);
    expect(f.peakPerSecondAtStart).toBe(2 * base.processes);
    expect(f.requestsByKind.login).toBeGreaterThanOrEqual(base.processes);
    expect(f.peakLiveLeases).toBeGreaterThanOrEqual(base.processes);
    // Every creds read ran one CREATE ROLE on the dev server's engine, and every role outlived its use.
    expect(f.rolesCreated).toBe(f.requestsByKind.read);
    expect(f.peakDatabaseRoles).toBeGreaterThanOrEqual(base.processes);
    expect(f.refusedRequests).toBe(0);
    expect(f.failedQueries).toBe(0);
  });

  it('start-up jitter spreads the deploy peak', async () => {
    const f = await runDeployScenario({
      ...base,
      name: 'jitter',
      startJitterMs: 30_000,
      processesPerProxy: 0,
      sharedLeaseAware: false,
    });
    expect(f.peakPerSecondAtStart).toBeLessThan(base.processes);
    expect(f.failedQueries).toBe(0);
  });

  it('behind a proxy, the provider as it is today revokes leases the other processes still use', async () => {
    const f = await runDeployScenario({ ...base, name: 'proxy today', processesPerProxy: 20, sharedLeaseAware: false });
    console.log(
      `[fleet test] proxy, today: failed ${f.failedQueries}/${f.queries}, revokes ${f.requestsByKind.revoke}`,
    );
    expect(f.requestsByKind.revoke).toBeGreaterThan(0);
    expect(f.failedQueries).toBeGreaterThan(0);
  });

  it('behind a proxy, shared-lease aware: one login per proxy, one read per lease, no revocation, no failed query', async () => {
    const f = await runDeployScenario({ ...base, name: 'proxy aware', processesPerProxy: 20, sharedLeaseAware: true });
    console.log(`[fleet test] proxy, aware: ${JSON.stringify({ ...f, requestsPerHour: undefined })}`);
    // 12 min of 180 s max TTL: at least 4 lease generations per proxy, and at most 3 leases per
    // generation (the plain path's lease, its successor, and the plain path's next after eviction),
    // however many of the 40 processes share them.
    expect(f.requestsByKind.login).toBeLessThanOrEqual(f.proxies * 5);
    expect(f.rolesCreated).toBeGreaterThanOrEqual(f.proxies * 4);
    expect(f.rolesCreated).toBeLessThanOrEqual(f.proxies * 12);
    expect(f.requestsByKind.revoke).toBe(0);
    expect(f.failedQueries).toBe(0);
  });

  it.each(FLEET_TTL_PROFILES)(
    'behind proxies at production lengths ($name, 24 h): Vault sees the proxies, not the processes',
    async (ttls) => {
      const f = await runDeployScenario({
        name: `proxy aware, ${ttls.name}`,
        processes: 60,
        hours: 24,
        ttls,
        queryEveryMs: 5 * 60_000,
        seed: 11,
        startJitterMs: 0,
        processesPerProxy: 20,
        sharedLeaseAware: true,
      });
      const perProxyHour = f.vaultRequests / f.hours / f.proxies;
      console.log(
        `[fleet test] ${ttls.name}, 60 processes, 3 proxies: ${perProxyHour.toFixed(2)} requests per proxy-hour ${JSON.stringify(f.requestsByKind)}, failed ${f.failedQueries}/${f.queries}`,
      );
      // What a process knows of a shared lease comes from the proxy's cache: nothing per process reaches Vault.
      expect(f.requestsByKind.lookup).toBe(0);
      expect(f.requestsByKind.renew + f.requestsByKind.read).toBeLessThanOrEqual(f.proxies * 24 * 2);
      // Issue 28's targets for 50 proxies (≤ 300/h at 1 h / 24 h, ≤ 20/h at 24 h / 768 h), per proxy.
      expect(perProxyHour).toBeLessThanOrEqual(ttls.leaseTtl === 3600 ? 300 / 50 : 20 / 50);
      expect(f.failedQueries).toBe(0);
    },
  );

  it('short processes: revoke on exit keeps live leases at zero; a proxy keeps them at a few per node', async () => {
    const airflow = { processesPerHour: 3600, hours: 10 / 60, ttls: SHORT, seed: 3, sharedLeaseAware: false };
    const kept = await runAirflowScenario({ ...airflow, name: 'kept', revokeOnExit: false, proxies: 0 });
    const revoked = await runAirflowScenario({ ...airflow, name: 'revoked', revokeOnExit: true, proxies: 0 });
    const proxied = await runAirflowScenario({
      ...airflow,
      name: 'proxied',
      revokeOnExit: false,
      proxies: 2,
      sharedLeaseAware: true,
    });
    expect(kept.peakLiveLeases).toBeGreaterThanOrEqual(50);
    expect(kept.peakDatabaseRoles).toBeGreaterThanOrEqual(50);
    expect(revoked.peakLiveLeases).toBeLessThanOrEqual(1);
    // The revocation's DROP ROLE ran before the next process started.
    expect(revoked.peakDatabaseRoles).toBeLessThanOrEqual(1);
    expect(revoked.peakLiveTokens).toBeLessThanOrEqual(1);
    // Per node: the plain path's lease, its successor and the next plain one overlap near max_ttl.
    expect(proxied.peakLiveLeases).toBeLessThanOrEqual(2 * 3);
    expect(proxied.requestsByKind.login).toBeLessThanOrEqual(2 * 5);
    for (const f of [kept, revoked, proxied]) expect(f.failedQueries).toBe(0);
  });

  it('pnpm bench --fleet --smoke writes well-formed fleet.json', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'dataverk-fleet-test-'));
    try {
      const lines: string[] = [];
      const results = await runFleetBench({ mode: 'smoke', outDir: dir, log: (line) => lines.push(line) });
      const json = JSON.parse(await readFile(path.join(dir, 'fleet.json'), 'utf8')) as FleetResults;
      expect(json).toEqual(results);
      expect(json.vault).toContain('dev server');
      expect(json.profiles.map((p) => [p.deploy.length, p.airflow.length])).toEqual([
        [4, 3],
        [4, 3],
      ]);
      for (const f of json.profiles.flatMap((p) => [...p.deploy, ...p.airflow])) {
        expect(f.vaultRequests).toBeGreaterThan(0);
        expect(f.requestsPerHour.every((n) => Number.isInteger(n) && n >= 0)).toBe(true);
      }
      expect(lines.join('\n')).toContain('Vault requests per hour');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
