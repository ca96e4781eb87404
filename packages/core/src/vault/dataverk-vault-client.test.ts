import { ManualClock } from '@dataverk/testkit';
import { describe, expect, it } from 'vitest';
import { VaultError } from '../errors.js';
import { caught, expectNoSecret } from '../secrets/expect-no-secret.test-helpers.js';
import { createVaultClient, type VaultClientOptions } from './create-vault-client.js';
import { authBody, credsBody, FakeTransport } from './fake-transport.test-helpers.js';

const CREDS = 'GET database/creds/readonly';
const APPROLE = 'POST auth/approle/login';

function client(transport: FakeTransport, options: Partial<VaultClientOptions> = {}) {
  const sleeps: number[] = [];
  const clock = new ManualClock(1_000_000);
  const warnings: string[] = [];
  const vault = createVaultClient({
    address: 'http://vault.test:8200',
    env: {},
    transport,
    clock,
    random: () => 1,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    logger: { warn: (m) => warnings.push(m) },
    ...options,
  });
  return { vault, sleeps, clock, warnings };
}

const appRole = { auth: { method: 'approle', roleId: 'rid', secretId: 'super-secret-id' } } as const;

describe('reads: retries with jittered exponential backoff', () => {
  it('retries network errors, 429 and 5xx, then succeeds', async () => {
    const transport = new FakeTransport()
      .on(CREDS, credsBody('u', 'p'))
      .on(CREDS, { network: 'ECONNRESET' }, 1)
      .on(CREDS, { status: 429, errors: ['rate limit quota exceeded'] }, 1)
      .on(CREDS, { status: 502 }, 1);
    const { vault, sleeps } = client(transport, { token: 't', maxAttempts: 4 });
    expect((await vault.readDatabaseCredentials('database/creds/readonly')).username).toBe('u');
    expect(transport.count(CREDS)).toBe(4);
    expect(sleeps).toEqual([250, 500, 1000]);
  });

  it('gives up after maxAttempts with the typed error and the attempt count', async () => {
    const transport = new FakeTransport().on(CREDS, { status: 503, errors: ['Vault is sealed'] });
    const { vault, sleeps } = client(transport, { token: 't' });
    const error = await caught(() => vault.readDatabaseCredentials('database/creds/readonly'));
    expect(error).toMatchObject({ code: 'VAULT_SEALED' });
    expect(error).toMatchObject({ code: 'VAULT_SEALED', status: 503, attempts: 3, path: 'database/creds/readonly' });
    expect(sleeps).toHaveLength(2);
    const limited = new FakeTransport().on('GET kv/x', { status: 429 });
    expect(await caught(() => client(limited, { token: 't' }).vault.read('kv/x'))).toBeInstanceOf(VaultError);
  });

  it('jitters: equal jitter puts each delay in [ceiling/2, ceiling]', async () => {
    const transport = new FakeTransport().on('GET kv/x', { network: 'ECONNREFUSED' });
    const { vault, sleeps } = client(transport, { token: 't', random: () => 0, maxAttempts: 3 });
    const error = await caught(() => vault.read('kv/x'));
    expect(error).toMatchObject({ code: 'VAULT_UNAVAILABLE' });
    expect(sleeps).toEqual([125, 250]);
  });

  it('does not retry 400, 403, 404 or writes', async () => {
    const transport = new FakeTransport()
      .on('GET auth/token/lookup-self', { body: { data: { ttl: 0 } } })
      .on('GET kv/missing', { status: 404 })
      .on('GET kv/bad', { status: 400, errors: ['bad'] })
      .on('GET kv/denied', { status: 403 })
      .on('POST sys/leases/renew', { status: 503 })
      .on('POST kv/x', { status: 500 });
    const { vault, sleeps } = client(transport, { token: 't' });
    expect(await caught(() => vault.read('/v1/kv/missing'))).toMatchObject({ code: 'VAULT_NOT_FOUND' });
    expect(await caught(() => vault.read('kv/bad'))).toMatchObject({ code: 'VAULT_INVALID_REQUEST' });
    expect(await caught(() => vault.read('kv/denied'))).toMatchObject({ code: 'VAULT_PERMISSION_DENIED' });
    expect(await caught(() => vault.renewLease('lease-1', 60))).toMatchObject({ code: 'VAULT_UNAVAILABLE' });
    expect(await caught(() => vault.write('kv/x', { a: 1 }))).toMatchObject({ code: 'VAULT_UNAVAILABLE' });
    expect(transport.requests.map((r) => r.path)).toEqual([
      'auth/token/lookup-self',
      'kv/missing',
      'kv/bad',
      'kv/denied',
      'auth/token/lookup-self', // the 403 checks the token (not a retry of kv/denied)
      'sys/leases/renew',
      'kv/x',
    ]);
    expect(sleeps).toEqual([]);
  });
});

describe('responses are validated', () => {
  it.each([
    [{ lease_id: 'l', lease_duration: 60, renewable: true, data: { password: 'pw-secret' } }, 'data.username'],
    [{ lease_id: 'l', lease_duration: 60, renewable: true, data: { username: 'u' } }, 'data.password'],
    [{ lease_id: 'l', lease_duration: 60, renewable: true }, 'data'],
    [{ lease_duration: 60, renewable: true, data: { username: 'u', password: 'pw-secret' } }, 'lease_id'],
    [{ lease_id: 'l', renewable: true, data: { username: 'u', password: 'pw-secret' } }, 'lease_duration'],
    [{ lease_id: 'l', lease_duration: 60, data: { username: 'u', password: 'pw-secret' } }, 'renewable'],
    ['<html>proxy error</html>', 'the response body'],
  ])('rejects %j, naming %s and no value', async (body, field) => {
    const transport = new FakeTransport().on(CREDS, { body });
    const error = await caught(() => client(transport, { token: 't' }).vault.readDatabaseCredentials(CREDS.slice(4)));
    expect(error).toMatchObject({ code: 'VAULT_RESPONSE_INVALID' });
    expect(error).toMatchObject({ code: 'VAULT_RESPONSE_INVALID', field, path: 'database/creds/readonly' });
    expect((error as Error).message).toContain("Vault's answer for database/creds/readonly has no");
    expectNoSecret(error, ['pw-secret']);
  });

  it('maps a good answer and a lease renewal', async () => {
    const transport = new FakeTransport()
      .on(CREDS, credsBody('v-user', 'pw', 300))
      .on('POST sys/leases/renew', {
        body: {
          lease_id: 'database/creds/readonly/v-user',
          lease_duration: 120,
          renewable: true,
          warnings: ['capped'],
        },
      })
      .on('POST sys/leases/revoke', { body: undefined });
    const { vault } = client(transport, { token: 't' });
    expect(await vault.readDatabaseCredentials('database/creds/readonly')).toEqual({
      path: 'database/creds/readonly',
      username: 'v-user',
      password: 'pw',
      leaseId: 'database/creds/readonly/v-user',
      leaseDuration: 300,
      renewable: true,
      warnings: [],
      token: expect.objectContaining({ expiresAt: Number.POSITIVE_INFINITY }),
      requestedAt: expect.any(Number),
    });
    expect(await vault.renewLease('database/creds/readonly/v-user', 600)).toEqual({
      leaseId: 'database/creds/readonly/v-user',
      leaseDuration: 120,
      renewable: true,
      warnings: ['capped'],
    });
    await vault.revokeLease('database/creds/readonly/v-user');
    expect(transport.requests.filter((r) => r.path.startsWith('sys/')).map((r) => r.body)).toEqual([
      { lease_id: 'database/creds/readonly/v-user', increment: 600 },
      { lease_id: 'database/creds/readonly/v-user', sync: true },
    ]);
  });
});

describe('advice goes with the status it is about', () => {
  it('a 404 says the path does not exist and which mount to check, not that the token expired', async () => {
    const route = 'no handler for route "databse/creds/readonly". route entry not found.';
    const transport = new FakeTransport().on('GET databse/creds/readonly', { status: 404, errors: [route] });
    const error = await caught(() =>
      client(transport, { token: 't' }).vault.readDatabaseCredentials('databse/creds/readonly'),
    );
    expect(error).toMatchObject({ code: 'VAULT_NOT_FOUND', status: 404 });
    const message = (error as Error).message;
    expect(message).toContain('no secrets engine is mounted at databse/');
    expect(message).not.toMatch(/expired|vault login|token/i);
  });

  it('a 403 with a valid token names the policy line that allows the request', async () => {
    const transport = new FakeTransport()
      .on('GET auth/token/lookup-self', { body: { data: { ttl: 3600, renewable: true } } })
      .on(CREDS, { status: 403, errors: ['1 error occurred:\n\t* permission denied\n\n'] });
    const error = await caught(() =>
      client(transport, { token: 't' }).vault.readDatabaseCredentials('database/creds/readonly'),
    );
    expect(error).toMatchObject({ code: 'VAULT_PERMISSION_DENIED', status: 403 });
    const message = (error as Error).message;
    expect(message).toContain('(403: permission denied). This path was refused by policy');
    expect(message).toContain('path "database/creds/readonly" { capabilities = ["read"] }');
  });
});

describe('token renewal on the lease timing rules', () => {
  it('renews with renew-self at ⅔ TTL + grace/3, asking for the first TTL again', async () => {
    const transport = new FakeTransport()
      .on(APPROLE, authBody('tok', 60))
      .on('POST auth/token/renew-self', authBody('tok', 60))
      .on('GET kv/x', { body: { data: { a: 1 } } });
    const { vault, clock } = client(transport, { ...appRole, random: () => 0 });
    await vault.read('kv/x');
    // grace = 10 % of 60 s = 6 s; sleep = 40 s + 2 s = 42 s
    expect(clock.nextDueAt).toBe(1_000_000 + 42_000);
    await clock.advance(42_000);
    expect(transport.count('POST auth/token/renew-self')).toBe(1);
    expect(transport.requests.at(-1)).toMatchObject({ token: 'tok', body: { increment: 60 } });
    await clock.advance(42_000);
    expect(transport.count('POST auth/token/renew-self')).toBe(2);
    await vault.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it('logs in again when a renewal grants less than asked (max TTL near), and uses the new token', async () => {
    const transport = new FakeTransport()
      .on(APPROLE, authBody('tok-2', 60))
      .on(APPROLE, authBody('tok-1', 60), 1)
      .on('POST auth/token/renew-self', authBody('tok-1', 20))
      .on('GET kv/x', { body: { data: {} } });
    const { vault, clock } = client(transport, { ...appRole, random: () => 0 });
    await vault.read('kv/x');
    await clock.advance(42_000);
    expect(transport.count(APPROLE)).toBe(2);
    await vault.read('kv/x');
    expect(transport.requests.at(-1)?.token).toBe('tok-2');
    await vault.close();
  });

  it('logs in again when renew-self says 403, and retries other failures with backoff', async () => {
    const transport = new FakeTransport()
      .on(APPROLE, authBody('tok-2', 60))
      .on(APPROLE, authBody('tok-1', 60), 1)
      .on('POST auth/token/renew-self', { status: 403 })
      .on('POST auth/token/renew-self', { network: 'ECONNRESET' }, 1)
      .on('GET kv/x', { body: { data: {} } });
    const { vault, clock, warnings } = client(transport, { ...appRole, random: () => 0 });
    await vault.read('kv/x');
    await clock.advance(42_000); // renew → network error → retry in 3 s (the failing floor: 5 % of 60 s)
    expect(transport.count(APPROLE)).toBe(1);
    await clock.advance(2_999);
    expect(transport.count('POST auth/token/renew-self')).toBe(1);
    await clock.advance(1); // renew → 403 → login
    expect(transport.count('POST auth/token/renew-self')).toBe(2);
    expect(transport.count(APPROLE)).toBe(2);
    expect(warnings.join('\n')).toContain('Vault token renewal: Vault at http://vault.test:8200 could not be reached');
    await vault.close();
    expect(clock.pendingTimers).toBe(0);
  });

  it('a fixed renewable token is renewed but never replaced', async () => {
    const transport = new FakeTransport()
      .on('GET auth/token/lookup-self', { body: { data: { ttl: 30, renewable: true } } })
      .on('POST auth/token/renew-self', authBody('fixed', 10))
      .on('GET kv/x', { body: { data: {} } });
    const { vault, clock } = client(transport, { token: 'fixed', random: () => 0 });
    await vault.read('kv/x');
    await clock.advance(21_000);
    expect(transport.count('POST auth/token/renew-self')).toBe(1);
    expect(clock.pendingTimers).toBe(0); // capped at 10 s < 30 s asked: would rotate, but cannot
    await vault.close();
  });

  it('a fixed token whose lookup failed because Vault was down is looked up again, and then renewed', async () => {
    const transport = new FakeTransport()
      .on('GET auth/token/lookup-self', { body: { data: { ttl: 30, renewable: true } } })
      .on('GET auth/token/lookup-self', { network: 'ECONNREFUSED' }, 3)
      .on('POST auth/token/renew-self', authBody('fixed', 30))
      .on('GET kv/x', { body: { data: {} } });
    const { vault, clock, sleeps } = client(transport, { token: 'fixed', random: () => 0 });
    expect(await caught(() => vault.read('kv/x'))).toMatchObject({ code: 'VAULT_UNAVAILABLE' });
    expect(transport.count('GET kv/x')).toBe(0); // one round of retries, not two
    expect(sleeps).toHaveLength(2);
    await vault.read('kv/x');
    expect(transport.count('GET auth/token/lookup-self')).toBe(4);
    await clock.advance(21_000);
    expect(transport.count('POST auth/token/renew-self')).toBe(1);
    await vault.close();
  });

  it('close({ revokeToken }) revokes a login token, not a fixed one', async () => {
    const transport = new FakeTransport()
      .on(APPROLE, authBody('tok', 60))
      .on('GET auth/token/lookup-self', { body: { data: { ttl: 0 } } })
      .on('POST auth/token/revoke-self', { body: undefined })
      .on('GET kv/x', { body: { data: {} } });
    const login = client(transport, appRole);
    await login.vault.read('kv/x');
    await login.vault.close({ revokeToken: true });
    const fixed = client(transport, { token: 'fixed' });
    await fixed.vault.read('kv/x');
    await fixed.vault.close({ revokeToken: true });
    expect(transport.count('POST auth/token/revoke-self')).toBe(1);
    expect(login.clock.pendingTimers + fixed.clock.pendingTimers).toBe(0);
  });
});
