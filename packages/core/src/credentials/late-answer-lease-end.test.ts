import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import { SimulatedVault, type SimulatedVaultOptions } from '../vault/simulated-vault.test-helpers.js';
import { VaultHttpFailure } from '../vault/vault-http-failure.js';
import type { VaultRequest, VaultTransport } from '../vault/vault-transport.js';
import { settledAdvancing, simulatedProvider } from './simulated-provider.test-helpers.js';

// Vault starts a lease's (and a token's) TTL when it issues or renews it; its answer may arrive
// much later on a loaded machine. CI saw p99 query latencies of 840 ms under load and a MikroORM
// transaction on a 3 s lease (300 ms margin) meet its session's end: an end reckoned from the
// answer is late by the answer's delay, so connections were still handed out after Vault's end.
const NAME = 'sales';
const START = Date.parse('2026-01-01T00:00:00Z');
const ANSWER_DELAY_MS = 800;

/** Vault answers at once, on the fake clock, and the answer reaches the client `delayMs` later. */
class LateAnswers implements VaultTransport {
  constructor(
    private readonly vault: VaultTransport,
    private readonly clock: ManualClock,
    private readonly delayMs: number,
  ) {}

  async send(request: VaultRequest): Promise<unknown> {
    const answer = await this.vault.send(request).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    await new Promise<void>((resolve) => this.clock.setTimeout(resolve, this.delayMs));
    if ('error' in answer) throw answer.error;
    return answer.value;
  }
}

/** The first `count` database credentials reads fail with 503 (the client retries them). */
class FirstReadsFail implements VaultTransport {
  constructor(
    private readonly vault: VaultTransport,
    private count: number,
  ) {}

  send(request: VaultRequest): Promise<unknown> {
    if (request.path.startsWith('database/creds/') && this.count > 0) {
      this.count--;
      return Promise.reject(new VaultHttpFailure({ status: 503, errors: ['Vault is sealed'] }));
    }
    return this.vault.send(request);
  }
}

function setUp(options: SimulatedVaultOptions, failedReads = 0) {
  const clock = new ManualClock(START);
  const sim = new SimulatedVault(clock, options);
  const transport = new LateAnswers(new FirstReadsFail(sim, failedReads), clock, ANSWER_DELAY_MS);
  const provider = simulatedProvider(clock, transport);
  return { clock, sim, provider };
}

describe('lease and token ends reckoned from the request, not the late answer', () => {
  it('a read: the credentials end no later than Vault ends the lease', async () => {
    const { clock, sim, provider } = setUp({ tokenTtl: 3_600, tokenMaxTtl: 86_400, leaseTtl: 60, leaseMaxTtl: 600 });
    const credentials = await settledAdvancing(clock, provider.getCredentials(NAME));
    const lease = sim.leases.get(credentials.leaseId);
    expect(lease).toBeDefined();
    expect(credentials.expiresAt).toBeLessThanOrEqual(lease?.expiresAt ?? 0);
    await provider.close();
  });

  it('a read retried twice: the end counts from the attempt Vault answered, not from the first', async () => {
    const hour = { tokenTtl: 3_600, tokenMaxTtl: 86_400, leaseTtl: 60, leaseMaxTtl: 600 };
    const { clock, sim, provider } = setUp(hour, 2);
    const credentials = await settledAdvancing(clock, provider.getCredentials(NAME));
    // Vault issued the lease as the third attempt arrived: the provider's end is Vault's, to the ms.
    expect(credentials.expiresAt).toBe(sim.leases.get(credentials.leaseId)?.expiresAt);
    await provider.close();
  });

  it('a renewal: the renewed end is no later than Vault renewed it to', async () => {
    const { clock, sim, provider } = setUp({ tokenTtl: 3_600, tokenMaxTtl: 86_400, leaseTtl: 60, leaseMaxTtl: 600 });
    const first = await settledAdvancing(clock, provider.getCredentials(NAME));
    // Past the first renewal (⅔ of 60 s and the answer's delay), before the lease would end.
    await clock.advance(50_000);
    expect(sim.count('POST sys/leases/renew')).toBeGreaterThanOrEqual(1);
    const renewed = await provider.getCredentials(NAME);
    expect(renewed.leaseId).toBe(first.leaseId);
    expect(renewed.expiresAt).toBeGreaterThan(first.expiresAt);
    expect(renewed.expiresAt).toBeLessThanOrEqual(sim.leases.get(first.leaseId)?.expiresAt ?? 0);
    await provider.close();
  });

  it("a login: credentials bounded by a token that cannot be renewed end no later than Vault's token", async () => {
    // A 60 s token that cannot be renewed under 1 h leases: the credentials end with the token.
    const { clock, sim, provider } = setUp({
      tokenTtl: 60,
      tokenMaxTtl: 60,
      tokenRenewable: false,
      leaseTtl: 3_600,
      leaseMaxTtl: 3_600,
    });
    const credentials = await settledAdvancing(clock, provider.getCredentials(NAME));
    const token = sim.tokens.get(sim.lastLoginToken ?? '');
    expect(token).toBeDefined();
    expect(credentials.expiresAt).toBeLessThan(sim.leases.get(credentials.leaseId)?.expiresAt ?? 0);
    expect(credentials.expiresAt).toBeLessThanOrEqual(token?.expiresAt ?? 0);
    await provider.close();
  });

  it("production lengths (24 h leases, 768 h max, 1 h tokens), 3 days: every end the provider holds is within Vault's", async () => {
    const { clock, sim, provider } = setUp({
      tokenTtl: 3_600,
      tokenMaxTtl: 768 * 3_600,
      leaseTtl: 24 * 3_600,
      leaseMaxTtl: 768 * 3_600,
    });
    const first = await settledAdvancing(clock, provider.getCredentials(NAME));
    let checked = 0;
    for (let hour = 1; hour <= 72; hour++) {
      await clock.advance(3_600_000);
      const held = await provider.getCredentials(NAME);
      const lease = sim.leases.get(held.leaseId);
      expect(held.expiresAt).toBeLessThanOrEqual(lease?.expiresAt ?? 0);
      // Late answers make ends early by at most the answer's delay, never a lease shorter than that.
      expect(held.expiresAt).toBeGreaterThanOrEqual((lease?.expiresAt ?? 0) - 2 * ANSWER_DELAY_MS);
      checked++;
    }
    expect(checked).toBe(72);
    expect(sim.count('POST sys/leases/renew')).toBeGreaterThanOrEqual(3);
    expect(sim.leases.get(first.leaseId)?.revoked).toBe(false);
    await provider.close();
  });
});
