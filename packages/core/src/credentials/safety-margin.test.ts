import { ManualClock } from '@dataverk/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeVaultClient } from './fake-vault-client.test-helpers.js';
import { SafetyMargin } from './safety-margin.js';
import { VaultCredentialProvider } from './vault-credential-provider.js';

const START = Date.parse('2026-01-01T00:00:00Z');
const HOUR_MS = 3_600_000;

function provider(safetyMarginMs: number) {
  const clock = new ManualClock(START);
  const vault = new FakeVaultClient(clock, 3600, 768 * 3600);
  const p = new VaultCredentialProvider({
    vault,
    clock,
    random: () => 0.5,
    safetyMarginMs,
    resolve: async () => ({ connectionString: 'postgresql://db.internal/sales', vaultPath: 'database/creds/ro' }),
  });
  return { clock, vault, provider: p };
}

const warnings: string[] = [];
const onWarning = (warning: Error & { code?: string }) => warnings.push(`${warning.code} ${warning.message}`);
afterEach(() => {
  process.off('warning', onWarning);
  warnings.length = 0;
});

describe('safetyMarginMs at or above the lease TTL', () => {
  it.each([HOUR_MS, 2 * HOUR_MS, Number.NaN])(
    'margin %s ms on a 1 h lease: 5 acquires a minute apart make 1 read, and one warning names the option',
    async (margin) => {
      process.on('warning', onWarning);
      const { clock, vault, provider: p } = provider(margin);
      for (let i = 0; i < 5; i++) {
        (await p.acquire('sales')).release();
        await clock.advance(60_000);
      }
      await new Promise((resolve) => setImmediate(resolve));
      expect(vault.count('read')).toBe(1);
      expect(vault.count('revoke')).toBe(0);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/^DATAVERK_SAFETY_MARGIN_CLAMPED safetyMarginMs .* using 900000 ms/);
      expect(warnings[0]).not.toMatch(/secret-password/);
      await p.close();
    },
  );
});

describe('SafetyMargin', () => {
  it('keeps a margin that fits, defaults to 5 % (at most 30 s), clamps a negative one to 0', () => {
    const seen: string[] = [];
    expect(new SafetyMargin(60_000, (m) => seen.push(m)).forLease(HOUR_MS, 'db')).toBe(60_000);
    expect(new SafetyMargin(undefined).forLease(HOUR_MS, 'db')).toBe(30_000);
    expect(new SafetyMargin(undefined).forLease(10_000, 'db')).toBe(500);
    const negative = new SafetyMargin(-5, (m) => seen.push(m));
    expect([negative.forLease(HOUR_MS, 'db'), negative.forLease(HOUR_MS, 'db')]).toEqual([0, 0]);
    expect(seen).toHaveLength(1);
  });
});
