import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import { FakeVaultClient, fakeVaultError } from '../credentials/fake-vault-client.test-helpers.js';
import { VaultCredentialProvider } from '../credentials/vault-credential-provider.js';
import type { NameSnapshot } from './name-snapshot.js';
import { providerHealth, worstStatus } from './provider-health.js';

const NAME = 'postgres_database';
const START = Date.parse('2026-01-01T00:00:00Z');

function setup(ttl = 60, maxTtl = 600) {
  const clock = new ManualClock(START);
  const vault = new FakeVaultClient(clock, ttl, maxTtl);
  const provider = new VaultCredentialProvider({
    vault,
    clock,
    random: () => 0.5,
    resolve: async () => ({ connectionString: 'postgresql://u:p@db:5432/sales', vaultPath: 'database/creds/app' }),
  });
  return { clock, vault, provider };
}

describe('provider.health()', () => {
  it('is ok with no name in use, and lists every name once asked for, with the time its lease has left', async () => {
    const { clock, provider } = setup();
    expect(provider.health()).toEqual({ status: 'ok', names: {} });
    await provider.getCredentials(NAME);
    await clock.advance(10_000);
    expect(provider.health()).toEqual({
      status: 'ok',
      names: { [NAME]: { status: 'ok', leaseEndsInMs: 50_000, vaultFailingForMs: null, lastError: null } },
    });
    await provider.close();
  });

  it('is degraded while Vault fails and the lease still works, failing once it has ended; the last error stays', async () => {
    const { clock, vault, provider } = setup();
    await provider.getCredentials(NAME);
    vault.failWith = fakeVaultError(503, 'Vault is sealed');
    // The renewal at ~2/3 of the lease fails; the lease still has time left.
    await clock.advance(45_000);
    const degraded = provider.health();
    expect(degraded.status).toBe('degraded');
    const name = degraded.names[NAME]!;
    expect(name.leaseEndsInMs).toBe(15_000);
    expect(name.vaultFailingForMs).toBeGreaterThan(0);
    expect(name.lastError).toMatchObject({ code: 'VAULT_REQUEST_FAILED', operation: 'renew' });
    await clock.advance(20_000);
    const failing = provider.health();
    expect(failing.status).toBe('failing');
    expect(failing.names[NAME]?.vaultFailingForMs).toBeGreaterThan(20_000);
    vault.failWith = undefined;
    await provider.getCredentials(NAME).catch(() => provider.getCredentials(NAME));
    await clock.advance(6_000);
    await provider.getCredentials(NAME);
    const recovered = provider.health();
    expect(recovered.status).toBe('ok');
    expect(recovered.names[NAME]).toMatchObject({
      vaultFailingForMs: null,
      lastError: { code: 'VAULT_REQUEST_FAILED' },
    });
    await provider.close();
  });

  it('is failing once the provider is closed', async () => {
    const { provider } = setup();
    await provider.getCredentials(NAME);
    await provider.close();
    expect(provider.health().status).toBe('failing');
  });

  it('holds no secret, lease id or username', async () => {
    const { provider } = setup();
    const credentials = await provider.getCredentials(NAME);
    const json = JSON.stringify(provider.health());
    for (const secret of [credentials.password, credentials.user, credentials.leaseId])
      expect(json).not.toContain(secret);
    await provider.close();
  });
});

describe('providerHealth', () => {
  const snapshot = (over: Partial<NameSnapshot>): NameSnapshot => ({
    name: NAME,
    credentials: undefined,
    fresh: false,
    failingSince: undefined,
    lastError: undefined,
    connections: { current: 0, superseded: 0 },
    ...over,
  });

  it('calls a name without a lease degraded while its first read is under way, failing once Vault fails it', () => {
    expect(providerHealth([snapshot({})], START, false).status).toBe('degraded');
    expect(providerHealth([snapshot({ failingSince: START - 1 })], START, false).names[NAME]).toEqual({
      status: 'failing',
      leaseEndsInMs: null,
      vaultFailingForMs: 1,
      lastError: null,
    });
  });

  it('takes the worst status of all names', () => {
    expect(worstStatus('ok', 'degraded')).toBe('degraded');
    expect(worstStatus('failing', 'degraded')).toBe('failing');
    expect(worstStatus('ok', 'ok')).toBe('ok');
  });
});
