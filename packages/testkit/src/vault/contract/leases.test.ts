import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, expect, it } from 'vitest';
import { loginAs, superuserQuery, tryQueryAs, validUntil, waitForRoleDropped } from './postgres-probe.test-helpers.js';
import { describeEachVaultBackend, vaultFetch } from './vault-backends.test-helpers.js';

const TABLE = 'vault_contract_lease_items';
const CREATE = [
  `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
  `GRANT SELECT ON ${TABLE} TO "{{name}}";`,
];

interface Creds {
  readonly leaseId: string;
  readonly leaseDuration: number;
  readonly username: string;
  readonly password: string;
  readonly issuedAt: number;
}

describeEachVaultBackend('leases', ({ vault, postgres }) => {
  const issue = async (role: string, token?: string): Promise<Creds> => {
    const issuedAt = Date.now();
    const { status, body } = await vaultFetch(
      vault(),
      'GET',
      `database/creds/${role}`,
      token === undefined ? {} : { token },
    );
    expect(status).toBe(200);
    const data = body.data as { username: string; password: string };
    return { leaseId: String(body.lease_id), leaseDuration: Number(body.lease_duration), ...data, issuedAt };
  };

  beforeAll(async () => {
    await superuserQuery(postgres, `CREATE TABLE IF NOT EXISTS ${TABLE} (id int)`);
    await vault().admin.configureDatabase();
    await vault().admin.writeDatabaseRole('lease-short', { creationStatements: CREATE, defaultTtl: 2, maxTtl: 2 });
    await vault().admin.writeDatabaseRole('lease-capped', { creationStatements: CREATE, defaultTtl: 2, maxTtl: 3 });
    await vault().admin.writeDatabaseRole('lease-long', { creationStatements: CREATE, defaultTtl: 60, maxTtl: 600 });
    await vault().admin.writeDatabaseRole('lease-custom-revoke', {
      creationStatements: CREATE,
      revocationStatements: [`REVOKE ALL ON ${TABLE} FROM "{{name}}";`, `DROP ROLE IF EXISTS "{{name}}";`],
      defaultTtl: 60,
      maxTtl: 600,
    });
  });

  it('renews a lease by the increment and extends VALID UNTIL (api-docs/system/leases, renew lease)', async () => {
    const creds = await issue('lease-long');
    const { status, body } = await vaultFetch(vault(), 'PUT', 'sys/leases/renew', {
      body: { lease_id: creds.leaseId, increment: 300 },
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({ lease_id: creds.leaseId, lease_duration: 300, renewable: true, warnings: null });
    expect(await validUntil(postgres, creds.username)).toBeGreaterThan(Date.now() + 299_000);
  });

  it("caps a renewal at max_ttl with Vault's warning (api-docs/system/leases, renew lease; sdk/framework/lease.go)", async () => {
    const creds = await issue('lease-capped');
    const { status, body } = await vaultFetch(vault(), 'PUT', 'sys/leases/renew', {
      body: { lease_id: creds.leaseId, increment: 10 },
    });
    expect(status).toBe(200);
    const duration = Number(body.lease_duration);
    expect(duration).toBeGreaterThanOrEqual(2);
    expect(duration).toBeLessThanOrEqual(3);
    expect(body.warnings).toEqual([
      `TTL of "10s" exceeded the effective max_ttl of "${duration}s"; TTL value is capped accordingly`,
    ]);
  });

  it.concurrent('revokes the lease at its expire time: role dropped, logins refused (api-docs/secret/databases)', async () => {
    const creds = await issue('lease-short');
    const expiresAt = creds.issuedAt + creds.leaseDuration * 1000;
    expect(await tryQueryAs(postgres, creds.username, creds.password)).toBe('ok');
    const droppedAt = await waitForRoleDropped(postgres, creds.username, 6_000);
    expect(droppedAt).toBeDefined();
    expect(droppedAt).toBeGreaterThanOrEqual(expiresAt - 300);
    expect(droppedAt).toBeLessThanOrEqual(expiresAt + 1_500);
    expect(await tryQueryAs(postgres, creds.username, creds.password)).toBe('28P01');
    const renew = await vaultFetch(vault(), 'PUT', 'sys/leases/renew', { body: { lease_id: creds.leaseId } });
    expect(renew.status).toBe(400);
    expect(String(renew.body.errors)).toMatch(/lease not found|lease expired/);
  });

  it.concurrent('leaves open sessions running without privileges after the default revocation (api-docs/secret/databases/postgresql)', async () => {
    const creds = await issue('lease-short');
    const session = await loginAs(postgres, creds.username, creds.password);
    if (typeof session === 'string') throw new Error(`login failed: ${session}`);
    try {
      await session.query(`SELECT * FROM ${TABLE}`);
      expect(await waitForRoleDropped(postgres, creds.username, 6_000)).toBeDefined();
      await expect(session.query('SELECT 1')).resolves.toBeDefined();
      await expect(session.query(`SELECT * FROM ${TABLE}`)).rejects.toMatchObject({ code: '42501' });
    } finally {
      await session.end();
    }
  });

  it('revokes at once with sync and answers 204 (api-docs/system/leases, revoke lease)', async () => {
    const creds = await issue('lease-long');
    const { status, text } = await vaultFetch(vault(), 'PUT', 'sys/leases/revoke', {
      body: { lease_id: creds.leaseId, sync: true },
    });
    expect(status).toBe(204);
    expect(text).toBe('');
    expect(await validUntil(postgres, creds.username)).toBeUndefined();
    const lookup = await vaultFetch(vault(), 'PUT', 'sys/leases/lookup', { body: { lease_id: creds.leaseId } });
    expect(lookup.status).toBe(400);
    expect(lookup.body.errors).toEqual(['invalid lease']);
  });

  it('queues a revocation without sync and answers 202 (api-docs/system/leases, revoke lease: sync)', async () => {
    const creds = await issue('lease-long');
    const { status } = await vaultFetch(vault(), 'PUT', 'sys/leases/revoke', { body: { lease_id: creds.leaseId } });
    expect(status).toBe(202);
    expect(await waitForRoleDropped(postgres, creds.username, 3_000)).toBeDefined();
  });

  it('runs custom revocation statements (api-docs/secret/databases, revocation_statements)', async () => {
    const creds = await issue('lease-custom-revoke');
    await vaultFetch(vault(), 'PUT', 'sys/leases/revoke', { body: { lease_id: creds.leaseId, sync: true } });
    expect(await validUntil(postgres, creds.username)).toBeUndefined();
  });

  it('looks up a lease (api-docs/system/leases, read lease)', async () => {
    const creds = await issue('lease-long');
    const { status, body } = await vaultFetch(vault(), 'PUT', 'sys/leases/lookup', {
      body: { lease_id: creds.leaseId },
    });
    expect(status).toBe(200);
    const data = body.data as Record<string, unknown>;
    expect(data).toMatchObject({ id: creds.leaseId, renewable: true, last_renewal: null });
    expect(Number(data.ttl)).toBeGreaterThan(55);
    expect(Number(data.ttl)).toBeLessThanOrEqual(60);
    expect(Math.abs(Date.parse(String(data.expire_time)) - (creds.issuedAt + 60_000))).toBeLessThan(2_000);
    expect(Math.abs(Date.parse(String(data.issue_time)) - creds.issuedAt)).toBeLessThan(2_000);
  });

  it('answers 400 lease not found for an unknown lease (api-docs/system/leases, renew lease)', async () => {
    const { status, body } = await vaultFetch(vault(), 'PUT', 'sys/leases/renew', {
      body: { lease_id: 'database/creds/lease-long/AAAAAAAAAAAAAAAAAAAAAAAA' },
    });
    expect(status).toBe(400);
    expect(body.errors).toEqual(['lease not found']);
  });

  it('revokes the leases a token created when the token is revoked (api-docs/auth/token, revoke-self)', async () => {
    await vault().admin.writePolicy('lease-owner', 'path "database/creds/*" { capabilities = ["read"] }');
    const token = await vault().admin.createToken({ policies: ['lease-owner'], ttl: '10m' });
    const creds = await issue('lease-long', token);
    expect((await vaultFetch(vault(), 'POST', 'auth/token/revoke-self', { token })).status).toBe(204);
    expect(await waitForRoleDropped(postgres, creds.username, 3_000)).toBeDefined();
  });

  it.concurrent('keeps a renewed lease past its first TTL (api-docs/system/leases, renew lease)', async () => {
    const creds = await issue('lease-capped');
    await sleep(1_000);
    await vaultFetch(vault(), 'PUT', 'sys/leases/renew', { body: { lease_id: creds.leaseId, increment: 2 } });
    await sleep(1_300);
    expect(await tryQueryAs(postgres, creds.username, creds.password)).toBe('ok');
    expect(await waitForRoleDropped(postgres, creds.username, 4_000)).toBeDefined();
  });
});
