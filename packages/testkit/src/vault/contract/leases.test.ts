import { beforeAll, expect, it } from 'vitest';
import {
  loginAs,
  sleepUntil,
  superuserQuery,
  tryQueryAs,
  validUntil,
  waitForRoleDropped,
} from './postgres-probe.test-helpers.js';
import { describeEachVaultBackend, vaultFetch } from './vault-backends.test-helpers.js';

const TABLE = 'vault_contract_lease_items';
const CREATE_ROLE = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`;
const CREATE = [CREATE_ROLE, `GRANT SELECT ON ${TABLE} TO "{{name}}";`];
/** A revocation that always fails: the role it drops does not exist. */
const FAILING_REVOKE = [`DROP ROLE "{{name}}-missing";`];

/**
 * Margins that hold on a loaded 2-core machine: how late the server's expiry timer and its
 * revocation may finish, and how long a poll for a dropped role may run past the expiry.
 */
const REVOCATION_LATENESS_MS = 3_000;
/**
 * A revocation at expiry that collides in PostgreSQL with another test's GRANT/REVOKE (`tuple
 * concurrently updated`) is retried by the expiration manager after 10 s ±50 %, on both servers:
 * the role is dropped by then, later than REVOCATION_LATENESS_MS.
 */
const EXPIRY_RETRY_MAX_MS = 15_000;
const DROP_TIMEOUT_MS = EXPIRY_RETRY_MAX_MS + REVOCATION_LATENESS_MS;

interface Creds {
  readonly leaseId: string;
  readonly leaseDuration: number;
  readonly username: string;
  readonly password: string;
  readonly warnings: unknown;
}

describeEachVaultBackend('leases', ({ vault, postgres }) => {
  // One creds read at a time: concurrent GRANTs on one table can fail in PostgreSQL with `tuple
  // concurrently updated` (a 500 on any Vault), which is not what these tests are about.
  let issuing: Promise<unknown> = Promise.resolve();
  const issue = (role: string, token?: string): Promise<Creds> => {
    const next = issuing.then(() => issueNow(role, token));
    issuing = next.catch(() => {});
    return next;
  };
  const issueNow = async (role: string, token?: string): Promise<Creds> => {
    const { status, body } = await vaultFetch(
      vault(),
      'GET',
      `database/creds/${role}`,
      token === undefined ? {} : { token },
    );
    expect(status, JSON.stringify(body)).toBe(200);
    const data = body.data as { username: string; password: string };
    return {
      leaseId: String(body.lease_id),
      leaseDuration: Number(body.lease_duration),
      warnings: body.warnings,
      ...data,
    };
  };
  const lookup = (leaseId: string) => vaultFetch(vault(), 'PUT', 'sys/leases/lookup', { body: { lease_id: leaseId } });
  /** The lease's expiry as the server records it (epoch ms). */
  const expiryOf = async (leaseId: string): Promise<number> => {
    const { status, body } = await lookup(leaseId);
    expect(status).toBe(200);
    return Date.parse(String((body.data as { expire_time: string }).expire_time));
  };

  beforeAll(async () => {
    await superuserQuery(postgres, `CREATE TABLE IF NOT EXISTS ${TABLE} (id int)`);
    await vault().admin.configureDatabase();
    await vault().admin.writeDatabaseRole('lease-short', { creationStatements: CREATE, defaultTtl: 2, maxTtl: 2 });
    await vault().admin.writeDatabaseRole('lease-capped', { creationStatements: CREATE, defaultTtl: 2, maxTtl: 3 });
    await vault().admin.writeDatabaseRole('lease-renewed', { creationStatements: CREATE, defaultTtl: 2, maxTtl: 20 });
    await vault().admin.writeDatabaseRole('lease-long', { creationStatements: CREATE, defaultTtl: 60, maxTtl: 600 });
    // The revoke-prefix tests revoke synchronously and expect 204: a role with no grants, dropped
    // alone, so its revocation never takes part in another test file's GRANT/REVOKE (the default
    // revocation's REVOKE ... ON ALL TABLES IN SCHEMA public rewrites every table's ACL and can fail
    // with `tuple concurrently updated`, a 400 from revoke-prefix; seen once in CI).
    await vault().admin.writeDatabaseRole('lease-prefix', {
      creationStatements: [CREATE_ROLE],
      revocationStatements: ['DROP ROLE IF EXISTS "{{name}}";'],
      defaultTtl: 60,
      maxTtl: 600,
    });
    await vault().admin.writeDatabaseRole('lease-custom-revoke', {
      creationStatements: CREATE,
      revocationStatements: [`REVOKE ALL ON ${TABLE} FROM "{{name}}";`, `DROP ROLE IF EXISTS "{{name}}";`],
      defaultTtl: 60,
      maxTtl: 600,
    });
    await vault().admin.writeDatabaseRole('lease-unrevocable', {
      creationStatements: CREATE,
      revocationStatements: FAILING_REVOKE,
      defaultTtl: 60,
      maxTtl: 600,
    });
    await vault().admin.writeDatabaseRole('lease-unrevocable-short', {
      creationStatements: CREATE,
      revocationStatements: FAILING_REVOKE,
      defaultTtl: 2,
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
    expect(duration).toBeGreaterThanOrEqual(1);
    expect(duration).toBeLessThanOrEqual(3);
    expect(body.warnings).toEqual([
      `TTL of "10s" exceeded the effective max_ttl of "${duration}s"; TTL value is capped accordingly`,
    ]);
  });

  it.concurrent('revokes the lease at its expire time: role dropped, logins refused (api-docs/secret/databases)', async () => {
    const creds = await issue('lease-short');
    const expiresAt = await expiryOf(creds.leaseId);
    expect(await tryQueryAs(postgres, creds.username, creds.password)).toBe('ok');
    const droppedAt = await waitForRoleDropped(postgres, creds.username, expiresAt - Date.now() + DROP_TIMEOUT_MS);
    expect(droppedAt).toBeDefined();
    expect(droppedAt).toBeGreaterThanOrEqual(expiresAt - 300);
    // On time, or at the expiration manager's first retry after a collision.
    expect(droppedAt).toBeLessThanOrEqual(expiresAt + DROP_TIMEOUT_MS);
    if ((droppedAt ?? 0) > expiresAt + REVOCATION_LATENESS_MS)
      console.log(`[contract] role dropped ${(droppedAt ?? 0) - expiresAt} ms after expiry: a retried revocation`);
    expect(await tryQueryAs(postgres, creds.username, creds.password)).toBe('28P01');
    const renew = await vaultFetch(vault(), 'PUT', 'sys/leases/renew', { body: { lease_id: creds.leaseId } });
    expect(renew.status).toBe(400);
    expect(String(renew.body.errors)).toMatch(/lease not found|lease expired/);
  });

  it.concurrent('leaves open sessions running without privileges after the default revocation (api-docs/secret/databases/postgresql)', async () => {
    const creds = await issue('lease-short');
    const expiresAt = await expiryOf(creds.leaseId);
    const session = await loginAs(postgres, creds.username, creds.password);
    if (typeof session === 'string') throw new Error(`login failed: ${session}`);
    try {
      await session.query(`SELECT * FROM ${TABLE}`);
      expect(
        await waitForRoleDropped(postgres, creds.username, expiresAt - Date.now() + DROP_TIMEOUT_MS),
      ).toBeDefined();
      await expect(session.query('SELECT 1')).resolves.toBeDefined();
      await expect(session.query(`SELECT * FROM ${TABLE}`)).rejects.toMatchObject({ code: '42501' });
    } finally {
      await session.end();
    }
  });

  it.concurrent('keeps a renewed lease past its first TTL (api-docs/system/leases, renew lease)', async () => {
    const creds = await issue('lease-renewed');
    const firstExpiry = await expiryOf(creds.leaseId);
    const renew = await vaultFetch(vault(), 'PUT', 'sys/leases/renew', {
      body: { lease_id: creds.leaseId, increment: 8 },
    });
    expect(renew.status).toBe(200);
    const renewedExpiry = await expiryOf(creds.leaseId);
    expect(renewedExpiry).toBeGreaterThan(firstExpiry + 4_000);
    // VALID UNTIL follows the renewal, with Vault's 5 s buffer.
    expect(await validUntil(postgres, creds.username)).toBeGreaterThanOrEqual(renewedExpiry);
    // Past the first TTL by a margin, and checked against the server's record rather than a sleep.
    await sleepUntil(firstExpiry + 1_000);
    const stillLive = await lookup(creds.leaseId);
    expect(stillLive.status).toBe(200);
    if (Date.now() < renewedExpiry - 500) {
      expect(await tryQueryAs(postgres, creds.username, creds.password)).toBe('ok');
    }
    expect(
      await waitForRoleDropped(postgres, creds.username, renewedExpiry - Date.now() + DROP_TIMEOUT_MS),
    ).toBeDefined();
  });

  it('revokes at once and answers 204 by default: sync is true (api-docs/system/leases, revoke lease)', async () => {
    const creds = await issue('lease-long');
    const { status, text } = await vaultFetch(vault(), 'PUT', 'sys/leases/revoke', {
      body: { lease_id: creds.leaseId },
    });
    expect(status).toBe(204);
    expect(text).toBe('');
    expect(await validUntil(postgres, creds.username)).toBeUndefined();
    const after = await lookup(creds.leaseId);
    expect(after).toMatchObject({ status: 400, body: { errors: ['invalid lease'] } });
  });

  it('queues a revocation with sync false and answers 202 (api-docs/system/leases, revoke lease: sync)', async () => {
    const creds = await issue('lease-long');
    const { status, text } = await vaultFetch(vault(), 'PUT', 'sys/leases/revoke', {
      body: { lease_id: creds.leaseId, sync: false },
    });
    expect(status).toBe(202);
    expect(text).toBe('');
    expect(await waitForRoleDropped(postgres, creds.username, DROP_TIMEOUT_MS)).toBeDefined();
  });

  it('answers 204 for the revocation of an unknown lease (vault/expiration.go, revokeCommon)', async () => {
    const unknown = 'database/creds/lease-long/AAAAAAAAAAAAAAAAAAAAAAAA';
    expect((await vaultFetch(vault(), 'PUT', 'sys/leases/revoke', { body: { lease_id: unknown } })).status).toBe(204);
    const queued = await vaultFetch(vault(), 'PUT', 'sys/leases/revoke', { body: { lease_id: unknown, sync: false } });
    expect(queued.status).toBe(202);
  });

  it('answers 400 for a failed synchronous revocation and keeps the lease live (vault/logical_system.go, handleRevoke)', async () => {
    const creds = await issue('lease-unrevocable');
    try {
      const { status, body } = await vaultFetch(vault(), 'PUT', 'sys/leases/revoke', {
        body: { lease_id: creds.leaseId },
      });
      expect(status).toBe(400);
      expect(body.errors).toEqual([
        `failed to revoke entry: resp: (*logical.Response)(nil) err: ERROR: role "${creds.username}-missing" does not exist (SQLSTATE 42704)`,
      ]);
      const after = await lookup(creds.leaseId);
      expect(after.status).toBe(200);
      expect(after.body.data).toMatchObject({ id: creds.leaseId, renewable: true });
      expect(await tryQueryAs(postgres, creds.username, creds.password)).toBe('ok');
    } finally {
      await forceRevoke(creds);
    }
  });

  it.concurrent('keeps a lease whose revocation fails at expiry known, expired, for the retries (vault/expiration.go, revocationJob)', async () => {
    const creds = await issue('lease-unrevocable-short');
    try {
      const expiresAt = await expiryOf(creds.leaseId);
      // The first retry comes 10–30 s after the failed attempt at expiry.
      await sleepUntil(expiresAt + REVOCATION_LATENESS_MS);
      const { status, body } = await lookup(creds.leaseId);
      expect(status).toBe(200);
      const data = body.data as { renewable: boolean; ttl: number; expire_time: string };
      expect(data.renewable).toBe(false);
      expect(data.ttl).toBeLessThanOrEqual(0);
      expect(Date.parse(data.expire_time)).toBe(expiresAt);
      const renew = await vaultFetch(vault(), 'PUT', 'sys/leases/renew', { body: { lease_id: creds.leaseId } });
      expect(renew).toMatchObject({ status: 400, body: { errors: ['lease expired'] } });
      expect(await validUntil(postgres, creds.username)).not.toBeUndefined();
    } finally {
      await forceRevoke(creds);
    }
  });

  it('runs custom revocation statements (api-docs/secret/databases, revocation_statements)', async () => {
    const creds = await issue('lease-custom-revoke');
    await vaultFetch(vault(), 'PUT', 'sys/leases/revoke', { body: { lease_id: creds.leaseId, sync: true } });
    expect(await validUntil(postgres, creds.username)).toBeUndefined();
  });

  it('looks up a lease (api-docs/system/leases, read lease)', async () => {
    const before = Date.now();
    const creds = await issue('lease-long');
    const { status, body } = await lookup(creds.leaseId);
    expect(status).toBe(200);
    const data = body.data as Record<string, unknown>;
    expect(Object.keys(data)).toEqual(['expire_time', 'id', 'issue_time', 'last_renewal', 'path', 'renewable', 'ttl']);
    expect(data).toMatchObject({
      id: creds.leaseId,
      path: 'database/creds/lease-long',
      renewable: true,
      last_renewal: null,
    });
    expect(Number(data.ttl)).toBeGreaterThan(50);
    expect(Number(data.ttl)).toBeLessThanOrEqual(60);
    const issued = Date.parse(String(data.issue_time));
    expect(issued).toBeGreaterThanOrEqual(before - 1_000);
    expect(issued).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(Math.abs(Date.parse(String(data.expire_time)) - (issued + 60_000))).toBeLessThan(1_000);
  });

  it('lists lease ids under a prefix with sudo (api-docs/system/leases, list leases)', async () => {
    const creds = await issue('lease-prefix');
    const id = creds.leaseId.slice('database/creds/lease-prefix/'.length);
    const roles = await vaultFetch(vault(), 'LIST', 'sys/leases/lookup/database/creds');
    expect(roles.status).toBe(200);
    expect((roles.body.data as { keys: string[] }).keys).toContain('lease-prefix/');
    const ids = await vaultFetch(vault(), 'LIST', 'sys/leases/lookup/database/creds/lease-prefix');
    expect((ids.body.data as { keys: string[] }).keys).toContain(id);
    const none = await vaultFetch(vault(), 'LIST', 'sys/leases/lookup/database/creds/lease-pre');
    expect(none).toMatchObject({ status: 404, body: { errors: [] } });
    await vault().admin.revokeLease(creds.leaseId);
  });

  it('revokes by prefix matching whole path segments, 204 by default (api-docs/system/leases, revoke prefix)', async () => {
    const creds = await issue('lease-prefix');
    const partial = await vaultFetch(vault(), 'PUT', 'sys/leases/revoke-prefix/database/creds/lease-pre', { body: {} });
    expect(partial.status).toBe(204);
    expect((await lookup(creds.leaseId)).status).toBe(200);
    const slash = await vaultFetch(vault(), 'PUT', 'sys/leases/revoke-prefix/database/creds/lease-prefix/', {
      body: {},
    });
    expect(slash).toMatchObject({ status: 400, body: { errors: ["cannot write to a path ending in '/'"] } });
    const whole = await vaultFetch(vault(), 'PUT', 'sys/leases/revoke-prefix/database/creds/lease-prefix', {
      body: {},
    });
    expect(whole.status).toBe(204);
    expect(await validUntil(postgres, creds.username)).toBeUndefined();
    expect((await lookup(creds.leaseId)).status).toBe(400);
  });

  it('revokes one lease through revoke-prefix given its full id (vault/expiration.go, revokePrefixCommon)', async () => {
    const creds = await issue('lease-prefix');
    const { status } = await vaultFetch(vault(), 'PUT', `sys/leases/revoke-prefix/${creds.leaseId}`, { body: {} });
    expect(status).toBe(204);
    expect(await validUntil(postgres, creds.username)).toBeUndefined();
  });

  it('needs sudo for revoke-prefix (vault/logical_system.go, PathsSpecial.Root)', async () => {
    await vault().admin.writePolicy(
      'lease-prefix-update',
      'path "sys/leases/revoke-prefix/*" { capabilities = ["update"] }',
    );
    await vault().admin.writePolicy(
      'lease-prefix-sudo',
      'path "sys/leases/revoke-prefix/*" { capabilities = ["update", "sudo"] }',
    );
    const creds = await issue('lease-prefix');
    const withoutSudo = await vault().admin.createToken({ policies: ['lease-prefix-update'], ttl: '10m' });
    const refused = await vaultFetch(vault(), 'PUT', 'sys/leases/revoke-prefix/database/creds/lease-prefix', {
      token: withoutSudo,
      body: {},
    });
    expect(refused).toMatchObject({ status: 403, body: { errors: ['1 error occurred:\n\t* permission denied\n\n'] } });
    expect((await lookup(creds.leaseId)).status).toBe(200);
    const withSudo = await vault().admin.createToken({ policies: ['lease-prefix-sudo'], ttl: '10m' });
    const allowed = await vaultFetch(vault(), 'PUT', 'sys/leases/revoke-prefix/database/creds/lease-prefix', {
      token: withSudo,
      body: {},
    });
    expect(allowed.status).toBe(204);
    expect(await validUntil(postgres, creds.username)).toBeUndefined();
  });

  it('answers 400 lease not found for an unknown lease (api-docs/system/leases, renew lease)', async () => {
    const { status, body } = await vaultFetch(vault(), 'PUT', 'sys/leases/renew', {
      body: { lease_id: 'database/creds/lease-long/AAAAAAAAAAAAAAAAAAAAAAAA' },
    });
    expect(status).toBe(400);
    expect(body.errors).toEqual(['lease not found']);
  });

  it('revokes the leases a token created after the token revocation answers (api-docs/auth/token, revoke-self)', async () => {
    await vault().admin.writePolicy('lease-owner', 'path "database/creds/*" { capabilities = ["read"] }');
    const token = await vault().admin.createToken({ policies: ['lease-owner'], ttl: '10m' });
    const creds = await issue('lease-long', token);
    const revoked = await vaultFetch(vault(), 'POST', 'auth/token/revoke-self', { token });
    expect(revoked).toMatchObject({ status: 204, text: '' });
    expect(await waitForRoleDropped(postgres, creds.username, DROP_TIMEOUT_MS)).toBeDefined();
    expect((await lookup(creds.leaseId)).status).toBe(400);
  });

  /** `revoke-force` drops a lease whose revocation fails; the role is then ours to drop. */
  async function forceRevoke(creds: Creds): Promise<void> {
    const forced = await vaultFetch(vault(), 'PUT', `sys/leases/revoke-force/${creds.leaseId}`, { body: {} });
    expect(forced.status).toBe(204);
    expect((await lookup(creds.leaseId)).status).toBe(400);
    await superuserQuery(postgres, `DROP OWNED BY "${creds.username}"`).catch(() => {});
    await superuserQuery(postgres, `DROP ROLE IF EXISTS "${creds.username}"`);
  }
});
