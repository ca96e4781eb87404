import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import { caught, expectNoSecret } from '../secrets/expect-no-secret.test-helpers.js';
import { createVaultClient } from './create-vault-client.js';
import { authBody, credsBody, FakeTransport } from './fake-transport.test-helpers.js';
import { SimulatedVault, type SimulatedVaultOptions } from './simulated-vault.test-helpers.js';

// Code review 2026-12: a 403 is Vault's answer about one path. The client checks the token
// (lookup-self) before it concludes the token died, and logs in again at a bounded rate.
const START = Date.parse('2026-01-01T00:00:00Z');
const HOUR = 3_600;
const DAY = 24 * HOUR;
const LOGIN = 'POST auth/approle/login';
const LOOKUP = 'GET auth/token/lookup-self';
const HEALTHY = 'database/creds/ro';
const FORBIDDEN = 'database/creds/secret';

function setup(options: Partial<SimulatedVaultOptions> = {}) {
  const clock = new ManualClock(START);
  const sim = new SimulatedVault(clock, {
    tokenTtl: HOUR,
    tokenMaxTtl: 768 * HOUR,
    leaseTtl: DAY,
    leaseMaxTtl: 32 * DAY,
    ...options,
  });
  sim.forbidden.add(FORBIDDEN);
  const vault = createVaultClient({
    address: 'http://vault.test:8200',
    env: {},
    auth: { method: 'approle', roleId: 'role', secretId: 'secret-id-value' },
    transport: sim,
    clock,
    random: () => 0.5,
    sleep: (ms) => new Promise((resolve) => clock.setTimeout(resolve, ms)),
    logger: { warn: () => {} },
  });
  return { clock, sim, vault };
}

describe('a 403 on a path the policy refuses', () => {
  it('checks the token once, does not log in again, and says the path was refused by policy', async () => {
    const { sim, vault } = setup();
    const healthy = await vault.readDatabaseCredentials(HEALTHY);
    const error = await caught(() => vault.readDatabaseCredentials(FORBIDDEN));
    expect(error).toMatchObject({ code: 'VAULT_PERMISSION_DENIED', path: FORBIDDEN, status: 403 });
    const message = (error as Error).message;
    expect(message).toContain(`Vault denied GET ${FORBIDDEN} (403: permission denied)`);
    expect(message).toContain('refused by policy');
    expect(message).not.toMatch(/expired/);
    expectNoSecret(error, [sim.lastLoginToken ?? 'hvs.sim-1', 'secret-id-value']);
    expect([sim.count(LOGIN), sim.count(LOOKUP)]).toEqual([1, 1]);
    // The token that read the healthy lease was not replaced: nothing tells the lease to rotate.
    expect(healthy.token?.current).toBe(true);
    expect(sim.isValid(healthy.leaseId)).toBe(true);
    await vault.close();
  });

  it('concurrent 403s share one lookup-self and no login', async () => {
    const { sim, vault } = setup();
    await vault.read('sys/health').catch(() => {}); // logs in
    const errors = await Promise.all(
      Array.from({ length: 10 }, () => caught(() => vault.readDatabaseCredentials(FORBIDDEN))),
    );
    expect(errors.every((e) => (e as Error).message.includes('refused by policy'))).toBe(true);
    expect([sim.count(LOGIN), sim.count(LOOKUP), sim.count(`GET ${FORBIDDEN}`)]).toEqual([1, 1, 10]);
    await vault.close();
  });

  it('a dead token and a refused path at once: one new login, one retry, then the policy is checked and named', async () => {
    const { sim, vault } = setup();
    await vault.readDatabaseCredentials(HEALTHY);
    sim.revokeToken(sim.lastLoginToken as string);
    const error = await caught(() => vault.readDatabaseCredentials(FORBIDDEN));
    expect((error as Error).message).toContain('refused by policy');
    // lookup-self: once for the dead token, once for the new one the retry was refused with.
    expect([sim.count(LOGIN), sim.count(LOOKUP), sim.count(`GET ${FORBIDDEN}`)]).toEqual([2, 2, 2]);
    await vault.close();
  });
});

describe('a token that really died', () => {
  it('revoked from outside: lookup-self confirms it, one new login, the request succeeds', async () => {
    const { sim, vault } = setup();
    const first = await vault.readDatabaseCredentials(HEALTHY);
    sim.revokeToken(sim.lastLoginToken as string);
    const second = await vault.readDatabaseCredentials(HEALTHY);
    expect(sim.isValid(second.leaseId)).toBe(true);
    expect([sim.count(LOGIN), sim.count(LOOKUP)]).toEqual([2, 1]);
    // The old token's leases are gone with it: its lifetime says it ended and is superseded.
    expect(first.token?.current).toBe(false);
    expect(first.token?.expiresAt).toBeLessThanOrEqual(START);
    await vault.close();
  });

  it('concurrent 403s with a revoked token: one lookup-self and one login', async () => {
    const { sim, vault } = setup();
    await vault.readDatabaseCredentials(HEALTHY);
    sim.revokeToken(sim.lastLoginToken as string);
    const reads = await Promise.all(Array.from({ length: 10 }, () => vault.readDatabaseCredentials(HEALTHY)));
    expect(reads.every((r) => sim.isValid(r.leaseId))).toBe(true);
    expect([sim.count(LOGIN), sim.count(LOOKUP)]).toEqual([2, 1]);
    await vault.close();
  });

  it('a token that keeps dying: at most one re-login per 30 s, whatever the callers do', async () => {
    const { clock, sim, vault } = setup();
    await vault.readDatabaseCredentials(HEALTHY);
    let served = 0;
    let refused = 0;
    // 10 minutes: every token is revoked a second after it is used; a caller reads every 500 ms.
    for (let t = 0; t < 600_000; t += 500) {
      if (t % 1_000 === 0) for (const id of sim.tokens.keys()) sim.revokeToken(id);
      try {
        await vault.readDatabaseCredentials(HEALTHY, { retry: false });
        served++;
      } catch (error) {
        expect(error).toMatchObject({ code: 'VAULT_PERMISSION_DENIED' });
        refused++;
      }
      await clock.advance(500);
    }
    const logins = sim.count(LOGIN);
    console.log(`[token keeps dying] 10 min: ${logins} logins, ${served} served, ${refused} refused`);
    expect(logins).toBeLessThanOrEqual(1 + 600 / 30 + 1);
    expect(logins).toBeGreaterThanOrEqual(600 / 30 - 1); // still recovers as often as allowed
    // Requests bounded too: no lookup per refused caller once the token is known dead.
    expect(sim.requests.length).toBeLessThanOrEqual(4 * (600 / 30 + 2) + served + refused);
    await vault.close();
  });

  it('num_uses: a token revoked by Vault when its uses run out is replaced by the bounded re-login', async () => {
    const { clock, sim, vault } = setup({ tokenNumUses: 4 });
    for (let i = 0; i < 3; i++) await vault.readDatabaseCredentials(HEALTHY);
    // Uses: 3 reads + the 4th request runs them out; the next read gets 403, lookup-self too.
    await vault.readDatabaseCredentials(HEALTHY);
    const after = await vault.readDatabaseCredentials(HEALTHY);
    expect(sim.isValid(after.leaseId)).toBe(true);
    expect(sim.count(LOGIN)).toBe(2);
    // Run out again at once: this time the re-login waits for the window.
    for (let i = 0; i < 3; i++) await vault.readDatabaseCredentials(HEALTHY).catch(() => {});
    const error = await caught(() => vault.readDatabaseCredentials(HEALTHY));
    expect(error).toMatchObject({ code: 'VAULT_PERMISSION_DENIED' });
    expect((error as Error).message).toMatch(/at most once every 30 s/);
    expect(sim.count(LOGIN)).toBe(2);
    await clock.advance(30_000);
    expect(sim.isValid((await vault.readDatabaseCredentials(HEALTHY)).leaseId)).toBe(true);
    expect(sim.count(LOGIN)).toBe(3);
    await vault.close();
  });
});

const CREDS = 'GET database/creds/readonly';
const APPROLE = 'POST auth/approle/login';
const appRole = { auth: { method: 'approle', roleId: 'rid', secretId: 'super-secret-id' } } as const;

/** The client over a scripted transport, for the exact requests a 403 leads to. */
function client(transport: FakeTransport, options: Partial<Parameters<typeof createVaultClient>[0]> = {}) {
  const vault = createVaultClient({
    address: 'http://vault.test:8200',
    env: {},
    transport,
    clock: new ManualClock(1_000_000),
    random: () => 1,
    sleep: async () => {},
    logger: { warn: () => {} },
    ...options,
  });
  return { vault };
}

describe('403: the token is checked; a dead one is replaced once, a refused path is named', () => {
  const LOOKUP = 'GET auth/token/lookup-self';
  const refusedFor = (dead: string) => (r: { token?: string }) =>
    r.token === dead
      ? { status: 403, errors: ['permission denied'] }
      : { body: { data: { ttl: 600, renewable: true } } };

  it('a token lookup-self refuses: logs in again and retries once with the new token', async () => {
    const transport = new FakeTransport()
      .on(APPROLE, authBody('token-2', 600), Number.POSITIVE_INFINITY)
      .on(APPROLE, authBody('token-1', 600), 1)
      .on(LOOKUP, refusedFor('token-1'))
      .on(CREDS, (r) => (r.token === 'token-2' ? credsBody('u', 'p') : { status: 403, errors: ['permission denied'] }));
    const { vault } = client(transport, appRole);
    expect((await vault.readDatabaseCredentials('database/creds/readonly')).username).toBe('u');
    expect(transport.requests.map((r) => `${r.method} ${r.path} ${r.token ?? '-'}`)).toEqual([
      `${APPROLE} -`,
      `${CREDS} token-1`,
      `${LOOKUP} token-1`,
      `${APPROLE} -`,
      `${CREDS} token-2`,
    ]);
  });

  it('a token lookup-self accepts: no new login, and the error says the path was refused by policy', async () => {
    const transport = new FakeTransport()
      .on(APPROLE, authBody('hvs.approle-token-value', 600))
      .on(LOOKUP, refusedFor('none'))
      .on(CREDS, { status: 403, errors: ['permission denied'] });
    const error = await caught(() =>
      client(transport, appRole).vault.readDatabaseCredentials('database/creds/readonly'),
    );
    expect(error).toMatchObject({ code: 'VAULT_PERMISSION_DENIED', path: 'database/creds/readonly', status: 403 });
    expect((error as Error).message).toContain('This path was refused by policy');
    expect([transport.count(APPROLE), transport.count(CREDS), transport.count(LOOKUP)]).toEqual([1, 1, 1]);
    expectNoSecret(error, ['super-secret-id', 'hvs.approle-token-value']);
  });

  it('refused again after the new login: surfaces the second 403, checked, after exactly one re-login', async () => {
    const transport = new FakeTransport()
      .on(APPROLE, authBody('tok-2', 600), Number.POSITIVE_INFINITY)
      .on(APPROLE, authBody('tok-1', 600), 1)
      .on(LOOKUP, refusedFor('tok-1'))
      .on(CREDS, { status: 403, errors: ['permission denied'] });
    const error = await caught(() =>
      client(transport, appRole).vault.readDatabaseCredentials('database/creds/readonly'),
    );
    expect((error as Error).message).toContain('This path was refused by policy');
    expect([transport.count(APPROLE), transport.count(CREDS), transport.count(LOOKUP)]).toEqual([2, 2, 2]);
    expectNoSecret(error, ['super-secret-id']);
  });

  it('concurrent 403s share one lookup-self and one login', async () => {
    let logins = 0;
    const transport = new FakeTransport()
      .on(APPROLE, () => authBody(`token-${++logins}`, 600))
      .on(LOOKUP, refusedFor('token-1'))
      .on(CREDS, (r) => (r.token === 'token-1' ? { status: 403 } : credsBody('u', 'p')));
    const { vault } = client(transport, appRole);
    await vault.read('sys/health').catch(() => {});
    await Promise.all(Array.from({ length: 5 }, () => vault.readDatabaseCredentials('database/creds/readonly')));
    expect([logins, transport.count(LOOKUP)]).toEqual([2, 1]);
  });

  it('with a fixed VAULT_TOKEN the 403 surfaces without a retry, says why, and shows no token', async () => {
    const transport = new FakeTransport()
      .on(LOOKUP, { body: { data: { ttl: 0, renewable: false } } })
      .on(CREDS, { status: 403, errors: ['permission denied'] });
    const error = await caught(() =>
      client(transport, { env: { VAULT_TOKEN: 'hvs.fixed-token-value' } }).vault.readDatabaseCredentials(
        'database/creds/readonly',
      ),
    );
    expect(error).toMatchObject({ code: 'VAULT_PERMISSION_DENIED' });
    expect((error as Error).message).toContain('refused by policy: the token from VAULT_TOKEN is valid');
    expect(transport.count(CREDS)).toBe(1);
    expectNoSecret(error, ['hvs.fixed-token-value']);
  });

  it('a fixed VAULT_TOKEN that Vault refuses itself: the error says it expired or was revoked', async () => {
    const transport = new FakeTransport()
      .on(LOOKUP, { status: 403, errors: ['permission denied'] })
      .on(CREDS, { status: 403, errors: ['permission denied'] });
    const error = await caught(() =>
      client(transport, { env: { VAULT_TOKEN: 'hvs.fixed-token-value' } }).vault.readDatabaseCredentials(
        'database/creds/readonly',
      ),
    );
    expect((error as Error).message).toContain('The token from VAULT_TOKEN has expired or was revoked');
    expect(transport.count(CREDS)).toBe(1);
    expectNoSecret(error, ['hvs.fixed-token-value']);
  });
});

describe('behind an agent with auto-auth (VAULT_AGENT_ADDR, no token of our own)', () => {
  const agent = { env: { VAULT_AGENT_ADDR: 'http://127.0.0.1:8100' } };

  it("lookup-self answers for the agent's token: the path was refused by policy", async () => {
    const transport = new FakeTransport()
      .on('GET auth/token/lookup-self', { body: { data: { ttl: 600, renewable: true } } })
      .on(CREDS, { status: 403, errors: ['permission denied'] });
    const error = await caught(() => client(transport, agent).vault.readDatabaseCredentials(CREDS.slice(4)));
    expect((error as Error).message).toContain('This path was refused by policy');
    expect(transport.count(CREDS)).toBe(1);
  });

  it('lookup-self refused too: the agent owns that token, and its advice stands', async () => {
    const transport = new FakeTransport()
      .on('GET auth/token/lookup-self', { status: 403, errors: ['permission denied'] })
      .on(CREDS, { status: 403, errors: ['permission denied'] });
    const error = await caught(() => client(transport, agent).vault.readDatabaseCredentials(CREDS.slice(4)));
    expect((error as Error).message).toContain('use_auto_auth_token');
    expect([transport.count(CREDS), transport.count('GET auth/token/lookup-self')]).toEqual([1, 1]);
  });
});
