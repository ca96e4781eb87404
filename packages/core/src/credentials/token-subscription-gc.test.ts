import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import { SimulatedVault } from '../vault/simulated-vault.test-helpers.js';
import { simulatedProvider } from './simulated-provider.test-helpers.js';

// Code review 2026-12, defect 2: each held lease waited on its token's "superseded" promise, which
// never settles for a fixed VAULT_TOKEN, a proxy's token or a periodic token, so every past lease
// (credentials and password included) stayed reachable: 300 rotations kept 300 of them.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const NAME = 'sales';
const START = Date.parse('2026-01-01T00:00:00Z');
const HOUR = 3_600;
const ROTATIONS = 300;

async function collectGarbage(): Promise<void> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('past leases are not kept alive by a token that never ends', () => {
  it(`fixed VAULT_TOKEN, ${ROTATIONS} rotations: the old credentials objects are collected`, async () => {
    const clock = new ManualClock(START);
    // 1 h leases that cannot be renewed: one rotation per ~40 min under a token that lasts a year, and
    // each lease's credentials object stays the one first handed out.
    const sim = new SimulatedVault(clock, {
      tokenTtl: HOUR,
      tokenMaxTtl: HOUR,
      leaseTtl: HOUR,
      leaseMaxTtl: HOUR,
      leaseRenewable: false,
    });
    sim.addToken('hvs.fixed', 365 * 24 * HOUR, false);
    const provider = simulatedProvider(clock, sim, { token: 'hvs.fixed' });
    const latest = new Map<string, WeakRef<object>>();
    let rotations = 0;
    provider.on('rotated', () => rotations++);
    while (rotations < ROTATIONS) {
      const credentials = await provider.getCredentials(NAME);
      latest.set(credentials.leaseId, new WeakRef(credentials));
      await clock.advance(60_000);
    }
    const current = await provider.getCredentials(NAME);
    await collectGarbage();
    const alive = [...latest.entries()].filter(([leaseId, ref]) => leaseId !== current.leaseId && ref.deref());
    console.log(
      `[token subscription] ${rotations} rotations, ${alive.length} past credentials objects still reachable`,
    );
    // Allow the one just superseded (its revocation may still be on its way).
    expect(alive.length).toBeLessThanOrEqual(1);
    await provider.close();
  });
});
