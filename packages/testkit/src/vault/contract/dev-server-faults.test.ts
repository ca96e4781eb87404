import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVault } from '../start-vault.js';
import type { TestVault, VaultFaults } from '../test-vault.js';
import { superuserQuery, validUntil, waitForRoleDropped } from './postgres-probe.test-helpers.js';
import { runPostgres, vaultFetch } from './vault-backends.test-helpers.js';

const CREATE = [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`];

// Real Vault has no fault switches: these run on the dev server only.
describe('dev server fault switches', () => {
  const postgres = runPostgres();
  let vault: TestVault;
  let faults: VaultFaults;

  beforeAll(async () => {
    vault = await startVault({ postgres, backend: 'dev-server' });
    faults = vault.faults as VaultFaults;
    await vault.admin.configureDatabase();
    await vault.admin.writeDatabaseRole('faults-role', { creationStatements: CREATE, defaultTtl: 60, maxTtl: 600 });
    await vault.admin.writeDatabaseRole('faults-short', { creationStatements: CREATE, defaultTtl: 1, maxTtl: 1 });
  });
  afterAll(async () => {
    await vault.stop();
  });

  const creds = async (role = 'faults-role') => {
    const { body } = await vaultFetch(vault, 'GET', `database/creds/${role}`);
    return { leaseId: String(body.lease_id), username: (body.data as { username: string }).username };
  };

  it('lists every token, password and secret_id it issued or was sent, with the path that carried it', async () => {
    const { body } = await vaultFetch(vault, 'GET', 'database/creds/faults-role');
    const password = (body.data as { password: string }).password;
    const token = await vault.admin.createToken({ policies: ['default'], ttl: '1h' });
    const { roleId, secretId } = await vault.admin.enableAppRole({ role: 'secrets-listed' });
    const login = await vaultFetch(vault, 'POST', 'auth/approle/login', {
      token: null,
      body: { role_id: roleId, secret_id: secretId },
    });
    const loginToken = (login.body.auth as { client_token: string }).client_token;
    const issued = faults.issuedSecrets();
    const find = (value: string) => issued.find((entry) => entry.value === value);
    expect(find(vault.rootToken)).toMatchObject({ kind: 'token', path: 'root' });
    expect(find(password)).toMatchObject({ kind: 'password', path: 'database/creds/faults-role' });
    expect(find(token)).toMatchObject({ kind: 'token', path: 'auth/token/create' });
    expect(find(secretId)).toMatchObject({ kind: 'secret_id' });
    expect(find(loginToken)).toMatchObject({ kind: 'token', path: 'auth/approle/login' });
    expect(find(postgres.superuser.password)).toMatchObject({ kind: 'password' });
    faults.resetCounts();
    expect(faults.issuedSecrets().length).toBe(issued.length);
  });

  it('seals: sys/health answers 503 sealed (or sealedcode), everything else 503 Vault is sealed', async () => {
    faults.seal();
    try {
      const health = await vaultFetch(vault, 'GET', 'sys/health', { token: null });
      expect(health.status).toBe(503);
      expect(health.body).toMatchObject({ sealed: true, initialized: true });
      expect((await vaultFetch(vault, 'GET', 'sys/health?sealedcode=200', { token: null })).status).toBe(200);
      const read = await vaultFetch(vault, 'GET', 'database/creds/faults-role');
      expect(read.status).toBe(503);
      expect(read.body).toEqual({ errors: ['Vault is sealed'] });
    } finally {
      faults.unseal();
    }
    expect((await vaultFetch(vault, 'GET', 'sys/health', { token: null })).status).toBe(200);
  });

  it('delays every answer by the latency set', async () => {
    faults.setLatency(250);
    const started = Date.now();
    try {
      await vaultFetch(vault, 'GET', 'sys/health');
    } finally {
      faults.setLatency(0);
    }
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
  });

  it('refuses connections so that clients see a network error, then serves again', async () => {
    faults.refuseConnections(true);
    try {
      const failure = await fetch(`${vault.address}/v1/sys/health`).then(
        () => undefined,
        (error: Error & { cause?: { code?: string } }) => error.cause?.code ?? error.message,
      );
      expect(failure).toMatch(/ECONNRESET|ECONNREFUSED|UND_ERR_SOCKET|other side closed/);
    } finally {
      faults.refuseConnections(false);
    }
    expect((await vaultFetch(vault, 'GET', 'sys/health')).status).toBe(200);
  });

  it('fails the next requests under a path prefix with the status asked, then recovers', async () => {
    faults.failNext(429, 2, 'database/creds');
    expect((await vaultFetch(vault, 'GET', 'sys/health')).status).toBe(200);
    const first = await vaultFetch(vault, 'GET', 'database/creds/faults-role');
    expect(first.status).toBe(429);
    expect(first.body).toEqual({ errors: ['request path "database/creds/faults-role": rate limit quota exceeded'] });
    expect((await vaultFetch(vault, 'GET', 'database/creds/faults-role')).status).toBe(429);
    expect((await vaultFetch(vault, 'GET', 'database/creds/faults-role')).status).toBe(200);
    faults.failNext(500, 1);
    expect(await vaultFetch(vault, 'GET', 'sys/health')).toMatchObject({
      status: 500,
      body: { errors: ['internal error'] },
    });
    faults.failNext(502, 1);
    expect((await vaultFetch(vault, 'GET', 'auth/token/lookup-self')).status).toBe(502);
  });

  it('expires a lease early: revocation runs now and the history says expired', async () => {
    const { leaseId, username } = await creds();
    expect(await validUntil(postgres, username)).toBeDefined();
    await faults.expireLease(leaseId);
    expect(await validUntil(postgres, username)).toBeUndefined();
    const entry = faults.leaseHistory().find((lease) => lease.leaseId === leaseId);
    expect(entry).toMatchObject({ username, endReason: 'expired', path: 'database/creds/faults-role' });
    expect(entry?.revocationCompletedAt).toBeGreaterThanOrEqual(entry?.endedAt ?? Number.POSITIVE_INFINITY);
  });

  it('expires a token early: 403 from then on', async () => {
    const token = await vault.admin.createToken({ ttl: '1h' });
    faults.expireToken(token);
    const { status, body } = await vaultFetch(vault, 'GET', 'auth/token/lookup-self', { token });
    expect(status).toBe(403);
    expect(String(body.errors)).toMatch(/permission denied/);
  });

  it('records every lease: issue, renewal (latest expiry), revocation and expiry times', async () => {
    const renewed = await creds();
    await vaultFetch(vault, 'PUT', 'sys/leases/renew', { body: { lease_id: renewed.leaseId, increment: 300 } });
    await vault.admin.revokeLease(renewed.leaseId);
    const short = await creds('faults-short');
    expect(await waitForRoleDropped(postgres, short.username, 10_000)).toBeDefined();
    const history = faults.leaseHistory();
    const renewedEntry = history.find((lease) => lease.leaseId === renewed.leaseId);
    expect(renewedEntry?.endReason).toBe('revoked');
    expect((renewedEntry?.expiresAt ?? 0) - (renewedEntry?.issuedAt ?? 0)).toBeGreaterThanOrEqual(299_000);
    const shortEntry = history.find((lease) => lease.leaseId === short.leaseId);
    expect(shortEntry?.endReason).toBe('expired');
    // The expiry timer fires at expiresAt; a loaded machine may run it late, never early.
    expect(shortEntry?.endedAt ?? 0).toBeGreaterThanOrEqual(shortEntry?.expiresAt ?? Number.POSITIVE_INFINITY);
    expect((shortEntry?.endedAt ?? 0) - (shortEntry?.expiresAt ?? 0)).toBeLessThan(2_000);
  });

  it('counts requests per endpoint with ids replaced by placeholders, and resets', async () => {
    faults.resetCounts();
    await creds();
    await creds();
    await vaultFetch(vault, 'GET', 'sys/health');
    expect(faults.requestCounts()).toEqual({ 'GET database/creds/:role': 2, 'GET sys/health': 1 });
    faults.resetCounts();
    expect(faults.requestCounts()).toEqual({});
  });

  it('records X-Vault-Namespace and ignores X-Vault-Request', async () => {
    faults.resetCounts();
    const { status } = await vaultFetch(vault, 'GET', 'auth/token/lookup-self', {
      headers: { 'X-Vault-Namespace': 'team-a/', 'X-Vault-Request': 'true' },
    });
    expect(status).toBe(200);
    expect(faults.requestLog()).toEqual([
      expect.objectContaining({ method: 'GET', path: 'auth/token/lookup-self', namespace: 'team-a/', status: 200 }),
    ]);
    expect(JSON.stringify(faults.requestLog())).not.toContain(vault.rootToken);
  });

  it('revokes the leases still live when it stops', async () => {
    const extra = await startVault({ postgres, backend: 'dev-server' });
    await extra.admin.configureDatabase();
    await extra.admin.writeDatabaseRole('stop-role', { creationStatements: CREATE, defaultTtl: 600, maxTtl: 600 });
    const { body } = await vaultFetch(extra, 'GET', 'database/creds/stop-role');
    const username = (body.data as { username: string }).username;
    await extra.stop();
    await extra.stop();
    expect(await validUntil(postgres, username)).toBeUndefined();
    expect(await superuserQuery(postgres, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });
});
