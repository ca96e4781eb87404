import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import { caught } from '../secrets/expect-no-secret.test-helpers.js';
import { SimulatedVault } from '../vault/simulated-vault.test-helpers.js';
import type { CredentialEvents } from './credential-provider.js';
import { simulatedProvider } from './simulated-provider.test-helpers.js';

// Code review 2026-12, defect 1: one name whose Vault path the policy refuses made every caller's
// 403 a new login, and every new login rotated the healthy names (13 logins and 13 new roles in
// 60 s of fake time). A 403 on a path is Vault's answer about that path.
const START = Date.parse('2026-01-01T00:00:00Z');
const HOUR = 3_600;
const DAY = 24 * HOUR;
const PATHS: Record<string, string> = { sales: 'database/creds/ro', payroll: 'database/creds/payroll' };

function setup(tokenTtl: number) {
  const clock = new ManualClock(START);
  const sim = new SimulatedVault(clock, { tokenTtl, tokenMaxTtl: 768 * HOUR, leaseTtl: HOUR, leaseMaxTtl: DAY });
  sim.forbidden.add(PATHS.payroll as string);
  const provider = simulatedProvider(clock, sim, {
    resolve: async (name) => ({
      connectionString: `postgresql://db.internal/${name}`,
      vaultPath: PATHS[name] as string,
    }),
  });
  const rotated: CredentialEvents['rotated'][] = [];
  provider.on('rotated', (event) => rotated.push(event));
  return { clock, sim, provider, rotated };
}

describe('a name the policy refuses, asked every 500 ms while a healthy name is held', () => {
  it.each([
    ['20 min', 20 * 60],
    ['1 h', HOUR],
  ])(
    'token %s, lease 1 h: one login in 60 s, the healthy lease is kept, Vault requests bounded',
    async (_label, tokenTtl) => {
      const { clock, sim, provider, rotated } = setup(tokenTtl);
      const handle = await provider.acquire('sales');
      const sales = handle.credentials;
      const messages = new Set<string>();
      for (let t = 0; t < 60_000; t += 500) {
        const error = await caught(() => provider.getCredentials('payroll'));
        messages.add((error as Error).message.replace(/[\d.]+ s\b/g, 'N s'));
        await clock.advance(500);
      }
      const logins = sim.count('POST auth/approle/login');
      const payrollReads = sim.count('GET database/creds/payroll');
      const lookups = sim.count('GET auth/token/lookup-self');
      console.log(
        `[forbidden name] token ${_label}: ${logins} logins, ${rotated.length} rotations, ${payrollReads} payroll reads, ` +
          `${lookups} lookups, ${sim.requests.length} requests in 60 s`,
      );
      expect(logins).toBe(1);
      expect(rotated).toEqual([]);
      expect(provider.isCurrent('sales', sales.leaseId)).toBe(true);
      expect(sim.isValid(sales.leaseId)).toBe(true);
      expect((await provider.getCredentials('sales')).user).toBe(sales.user);
      expect(sim.count('GET database/creds/ro')).toBe(1);
      // The name's request gate paces the refused reads (one per 4 s at most); one lookup-self each.
      expect(payrollReads).toBeLessThanOrEqual(60 / 4 + 1);
      expect(lookups).toBeLessThanOrEqual(payrollReads);
      expect(sim.requests.length).toBeLessThanOrEqual(1 + 1 + 2 * (60 / 4 + 1));
      expect([...messages].some((m) => m.includes('refused by policy'))).toBe(true);
      handle.release();
      await provider.close();
    },
  );
});

describe('a token Vault itself refuses, under a held lease (token 20 min, lease 1 h / 24 h)', () => {
  it('revoked from outside: found dead at the next renewal, one new login, the lease replaced once', async () => {
    const { clock, sim, provider, rotated } = setup(20 * 60);
    const first = await provider.getCredentials('sales');
    sim.revokeToken(sim.lastLoginToken as string);
    let deadMinutes = 0;
    for (let minute = 0; minute < 60; minute++) {
      await clock.advance(60_000);
      const creds = await provider.getCredentials('sales');
      if (!sim.isValid(creds.leaseId)) deadMinutes++;
    }
    const now = await provider.getCredentials('sales');
    console.log(
      `[dead token] ${deadMinutes} dead minutes until the next renewal found it; ${rotated.length} rotations`,
    );
    expect(sim.isValid(now.leaseId)).toBe(true);
    expect(now.leaseId).not.toBe(first.leaseId);
    expect(sim.count('POST auth/approle/login')).toBe(2);
    expect(rotated).toHaveLength(1);
    // No signal reaches us before a renewal: the first one (⅔ of 20 min plus grace) finds it.
    expect(deadMinutes).toBeLessThanOrEqual(15);
    await provider.close();
  });

  it('a policy without renew-self: the valid token is kept to its end and replaced on schedule, not every 403', async () => {
    const clock = new ManualClock(START);
    const sim = new SimulatedVault(clock, {
      tokenTtl: HOUR,
      tokenMaxTtl: 768 * HOUR,
      leaseTtl: DAY,
      leaseMaxTtl: 32 * DAY,
    });
    sim.forbidden.add('auth/token/renew-self');
    const provider = simulatedProvider(clock, sim);
    let deadMinutes = 0;
    for (let minute = 0; minute < 6 * 60; minute++) {
      const creds = await provider.getCredentials('sales');
      if (!sim.isValid(creds.leaseId)) deadMinutes++;
      await clock.advance(60_000);
    }
    const logins = sim.count('POST auth/approle/login');
    console.log(`[no renew-self] 6 h: ${logins} logins, ${deadMinutes} dead minutes`);
    expect(deadMinutes).toBe(0);
    // One login per token, at about ⅔ of its hour: neither one per refused renewal nor rate-bound.
    expect(logins).toBeGreaterThanOrEqual(6);
    expect(logins).toBeLessThanOrEqual(6 / (2 / 3) + 2);
    await provider.close();
  });
});
