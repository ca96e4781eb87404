import { createVaultClient, type DatabaseCredentials, VaultCredentialProvider } from '@dataverk/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';
import { countRequests } from '../support/request-counts.js';

/** Logs in with `creds` and runs one query; resolves to 'ok' or the server's error code. */
async function loginWith(creds: DatabaseCredentials): Promise<string> {
  const client = new pg.Client({
    host: creds.host,
    port: creds.port,
    database: creds.database,
    user: creds.user,
    password: creds.password,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('VaultCredentialProvider against a real Vault (OpenBao, else the dev server) and PostgreSQL', () => {
  let fixture: DatabaseFixture;
  beforeAll(async () => {
    fixture = await databaseFixture({ ttl: 3, maxTtl: 8 });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('serves 1,000 concurrent cold callers with one AppRole login and one creds read', async () => {
    const { roleId, secretId } = await fixture.vault.admin.enableAppRole({
      role: 'provider-test',
      policies: ['root-like'],
    });
    await fixture.vault.admin.writePolicy(
      'root-like',
      'path "*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }',
    );
    const vault = createVaultClient({
      address: fixture.vault.address,
      env: { VAULT_ROLE_ID: roleId, VAULT_SECRET_ID: secretId },
    });
    const provider = new VaultCredentialProvider({
      vault,
      resolve: async () => ({
        connectionString: `postgresql://user:pass@${fixture.postgres.host}:${fixture.postgres.port}/${fixture.postgres.database}`,
        vaultPath: fixture.vaultPath,
      }),
    });
    fixture.record.resetCounts();
    const all = await Promise.all(Array.from({ length: 1000 }, () => provider.getCredentials('cold')));
    const counts = fixture.record.requestCounts();
    console.log(`[provider] cold herd of 1000: ${JSON.stringify(counts)}`);
    expect(countRequests(counts, /approle\/login/)).toBe(1);
    expect(countRequests(counts, /^GET database\/creds\//)).toBe(1);
    expect(new Set(all.map((c) => c.leaseId)).size).toBe(1);
    expect(await loginWith(all[0]!)).toBe('ok');
    await provider.close({ revoke: true });
  });

  it('renews, detects max_ttl and rotates over 20 s, with credentials that log in at every instant', async () => {
    const { provider, name } = fixture;
    const events: string[] = [];
    for (const event of ['issued', 'renewed', 'rotated', 'revoked', 'expired', 'error'] as const)
      provider.on(event, () => events.push(event));
    fixture.record.resetCounts();
    const failures: string[] = [];
    const users = new Set<string>();
    const end = Date.now() + 20_000;
    while (Date.now() < end) {
      const creds = await provider.getCredentials(name);
      users.add(creds.user);
      const result = await loginWith(creds);
      if (result !== 'ok')
        failures.push(
          `${result} as ${creds.user} at ${new Date().toISOString()}, lease ends ${new Date(creds.expiresAt).toISOString()}`,
        );
      await sleep(200);
    }
    const counts = fixture.record.requestCounts();
    const reads = countRequests(counts, /^GET database\/creds\//);
    const renewals = countRequests(counts, /sys\/leases\/renew/);
    const rotations = events.filter((e) => e === 'rotated').length;
    console.log(
      `[provider] 20 s at ttl 3 s / max 8 s: ${reads} creds reads, ${renewals} renewals, ${rotations} rotations, ${users.size} users, events ${events.join(',')}`,
    );
    expect(failures).toEqual([]);
    expect(renewals).toBeGreaterThanOrEqual(3);
    expect(rotations).toBeGreaterThanOrEqual(2);
    expect(users.size).toBeGreaterThanOrEqual(3);
    expect(reads).toBeLessThanOrEqual(rotations + 1);
    expect(events).not.toContain('expired');
  });

  it('keeps serving while Vault is sealed for 5 s during a 10 s lease', async () => {
    // seal(): a fault switch only the dev server has.
    const sealed = await databaseFixture({ ttl: 10, maxTtl: 60, backend: 'dev-server' });
    try {
      const first = await sealed.provider.getCredentials(sealed.name);
      sealed.vault.faults!.seal();
      const errors: unknown[] = [];
      const until = Date.now() + 5_000;
      while (Date.now() < until) {
        await sealed.provider.getCredentials(sealed.name).catch((error: unknown) => errors.push(error));
        await sleep(100);
      }
      sealed.vault.faults!.unseal();
      expect(errors).toEqual([]);
      expect(await loginWith(await sealed.provider.getCredentials(sealed.name))).toBe('ok');
      expect((await sealed.provider.getCredentials(sealed.name)).user).toBe(first.user);
    } finally {
      sealed.vault.faults?.unseal();
      await sealed.close();
    }
  });

  it('after a lease is revoked early in Vault, invalidate() and the next call give working credentials', async () => {
    const first = await fixture.provider.getCredentials(fixture.name);
    await fixture.vault.admin.revokeLease(first.leaseId);
    expect(await loginWith(first)).toBe('28P01');
    fixture.provider.invalidate(fixture.name, first.leaseId);
    const next = await fixture.provider.getCredentials(fixture.name);
    expect(next.leaseId).not.toBe(first.leaseId);
    expect(await loginWith(next)).toBe('ok');
  });

  it('close({ revoke: true }) revokes every live lease, in Vault and in pg_roles', async () => {
    const own = await databaseFixture({ ttl: 30, maxTtl: 60 });
    const users: string[] = [];
    const { credentials: a } = await own.provider.acquire(own.name); // a pooled connection still holds it
    users.push(a.user);
    own.provider.invalidate(own.name, a.leaseId);
    const b = await own.provider.getCredentials(own.name);
    users.push(b.user);
    const leaseIds = [...own.provider.liveLeaseIds];
    expect(leaseIds.sort()).toEqual([a.leaseId, b.leaseId].sort());
    await own.provider.close({ revoke: true });
    for (const id of leaseIds) expect(await own.vault.admin.lookupLease(id)).toBeUndefined();
    const revocations = own.record.leaseHistory().filter((lease) => leaseIds.includes(lease.leaseId));
    expect(revocations.map((lease) => lease.revocationError ?? 'revoked')).toEqual(['revoked', 'revoked']);
    const { rows } = await own.admin('SELECT rolname FROM pg_roles WHERE rolname = ANY($1)', [users]);
    expect(rows).toEqual([]);
    await own.vault.stop();
  });
});
