import {
  agentSharedLeases,
  type CredentialEvents,
  createVaultClient,
  type LeaseHandle,
  VaultCredentialProvider,
} from '@dataverk/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FleetClock } from './fleet-clock.js';
import { FLEET_START_MS } from './fleet-run.js';
import { FleetVault } from './fleet-vault.js';
import { ProxyLeaseCacheModel } from './proxy-lease-cache-model.js';

const HOUR_MS = 3_600_000;
/** Production lengths: 1 h leases, Vault's default max TTL of 768 h, 1 h (periodic) proxy tokens. */
const TTLS = {
  name: 'lease 1 h, max 768 h',
  leaseTtl: 3600,
  leaseMaxTtl: 768 * 3600,
  tokenTtl: 3600,
  tokenMaxTtl: 768 * 3600,
};

let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

/**
 * One process behind a caching OpenBao Proxy (the fleet model's proxy, on the dev server, on a fake
 * clock), with `agentSharedLeases` as the default provider sets it up behind `VAULT_AGENT_ADDR`.
 * `random` is fixed so that our renewal lands before the proxy's, the case the review found.
 */
async function processBehindProxy(random: () => number) {
  const clock = new FleetClock(FLEET_START_MS);
  const vault = await FleetVault.start(clock, TTLS);
  const proxy = new ProxyLeaseCacheModel({ vault: vault.transport, login: vault.proxyLogin, clock, random });
  const client = createVaultClient({
    env: { VAULT_AGENT_ADDR: 'http://proxy.model.invalid' },
    transport: proxy,
    clock,
    random,
    sleep: (ms) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms)),
  });
  const provider = new VaultCredentialProvider({
    vault: agentSharedLeases(client, { now: () => clock.now() }),
    clock,
    random,
    ownsVaultClient: false,
    revokeSuperseded: 'never',
    resolve: async () => ({
      connectionString: 'postgres://db.model.invalid:5432/app',
      vaultPath: 'database/creds/app',
    }),
  });
  stop = async () => {
    await provider.close();
    proxy.stop();
    await vault.stop();
  };
  return { clock, vault, proxy, provider };
}

describe('behind a caching proxy, a read that hands back the lease we hold is not a rotation', () => {
  it.each([0.1, 0.5, 0.9])('1 h lease, 6 h, 2 handles open (jitter %s): no self-rotation, refs kept', async (r) => {
    const { clock, vault, proxy, provider } = await processBehindProxy(() => r);
    const rotated: CredentialEvents['rotated'][] = [];
    provider.on('rotated', (event) => rotated.push(event));
    const handles: LeaseHandle[] = [await provider.acquire('app'), await provider.acquire('app')];
    const leaseId = handles[0]!.credentials.leaseId;
    const hitsAtStart = proxy.hits;
    // A pool's traffic: a checkout (acquire, release) every minute, while the two handles stay open.
    for (let t = 0; t < 6 * HOUR_MS; t += 60_000) {
      (await provider.acquire('app')).release();
      expect(provider.connectionsOn(leaseId)).toBe(2);
      await clock.advance(60_000);
    }
    expect(rotated.filter((event) => event.previousLeaseId === event.leaseId)).toEqual([]);
    // 768 h max TTL: the proxy keeps the one lease alive all along, so nothing rotates at all.
    expect(rotated).toEqual([]);
    expect(provider.isCurrent('app', leaseId)).toBe(true);
    expect(provider.connectionsOn(leaseId)).toBe(2);
    expect(handles.map((handle) => handle.credentials.expiresAt > clock.now())).toEqual([true, true]);
    expect(vault.ledger().byKind().read).toBe(1);
    // What the process knows of the lease it learns from the proxy's cache, never from Vault.
    expect(vault.ledger().byKind().lookup).toBe(0);
    console.log(`[proxy same lease] jitter ${r}: ${proxy.hits - hitsAtStart} cache hits in 6 h`);
    // No spinning on the cache: each answer shows the lease alive for a tenth of its TTL (360 s),
    // and the next read comes at about two thirds of that, not sooner.
    expect(proxy.hits - hitsAtStart).toBeLessThanOrEqual((6 * HOUR_MS) / ((2 / 3) * 360_000));
    for (const handle of handles) handle.release();
  });
});
