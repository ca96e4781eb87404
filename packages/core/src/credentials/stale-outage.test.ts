import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import { vaultUnavailable } from '../errors.js';
import { FakeVaultClient, fakeVaultProvider } from './fake-vault-client.test-helpers.js';

const NAME = 'sales';
const START = Date.parse('2026-01-01T00:00:00Z');
const MINUTE_MS = 60_000;
/** How long a read takes once Vault answers again. */
const READ_MS = 20;

function setup() {
  const clock = new ManualClock(START);
  const vault = new FakeVaultClient(clock, 3600, 24 * 3600);
  const read = vault.readDatabaseCredentials.bind(vault);
  vault.readDatabaseCredentials = async (path, options) => {
    await new Promise<void>((resolve) => clock.setTimeout(resolve, READ_MS));
    return read(path, options);
  };
  const provider = fakeVaultProvider(clock, vault);
  return { clock, vault, provider };
}

describe('a Vault failure long past says nothing about Vault now', () => {
  it.each([
    ['refused', 'network'],
    ['did not answer', 'timeout'],
  ] as const)(
    'Vault %s 40 minutes ago, healthy since: callers joining the first read get its credentials',
    async (what, reason) => {
      const { clock, vault, provider } = setup();
      vault.failWith = vaultUnavailable(`Vault ${what}`, { path: 'database/creds/ro', reason });
      const during = provider.getCredentials(NAME).then(
        () => 'credentials',
        () => 'failed',
      );
      await clock.advance(READ_MS);
      expect(await during).toBe('failed');
      vault.failWith = undefined;
      // Nobody asks for 40 minutes; then a burst of callers: the first starts the read, the others join it.
      await clock.advance(40 * MINUTE_MS);
      const burst = Array.from({ length: 3 }, () =>
        provider.getCredentials(NAME).then(
          (credentials) => credentials.leaseId,
          (error: Error) => `failed: ${error.message}`,
        ),
      );
      await clock.advance(READ_MS);
      const leaseIds = await Promise.all(burst);
      expect(leaseIds).toEqual([leaseIds[0], leaseIds[0], leaseIds[0]]);
      expect(leaseIds[0]).toMatch(/^database\/creds\/ro\/lease-/);
      expect(vault.count('read')).toBe(2);
      await provider.close();
    },
  );

  it('a failure a minute ago still counts: callers behind the probe of a hung Vault fail at once', async () => {
    const { clock, vault, provider } = setup();
    vault.failWith = vaultUnavailable('Vault did not answer', { path: 'database/creds/ro', reason: 'timeout' });
    await Promise.all([provider.getCredentials(NAME).catch(() => undefined), clock.advance(READ_MS)]);
    await clock.advance(MINUTE_MS);
    void provider.getCredentials(NAME).catch(() => undefined); // the probe, failing after READ_MS
    let settled = false;
    const other = provider.getCredentials(NAME).finally(() => {
      settled = true;
    });
    other.catch(() => undefined);
    await clock.advance(0);
    expect(settled).toBe(true);
    await expect(other).rejects.toThrow(/did not answer/);
    await clock.advance(READ_MS);
    await provider.close();
  });
});
