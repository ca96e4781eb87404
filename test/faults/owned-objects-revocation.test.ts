import { randomBytes } from 'node:crypto';
import { envPostgres, startVault, type TestVault, vaultBackendAvailability } from '@dataverk/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { superuserQuery } from '../support/database-fixture.js';
import { report } from './support/fault-load.js';

/**
 * A notebook user who runs `CREATE TABLE` owns that table, and PostgreSQL refuses `DROP ROLE` for a
 * role that owns objects. With the PostgreSQL plugin's default revocation the lease can then not be
 * revoked (sync revocation: 400, the lease stays live, the role stays in PostgreSQL). The README's
 * "PostgreSQL roles that own objects" shows the statements that avoid it; each is proven here, on
 * real OpenBao.
 */
const openBao = (await vaultBackendAvailability()).openbao;
if (!openBao.available) console.log(`[owned-objects] skipped: needs real OpenBao (${openBao.reason})`);

const CREATE_LOGIN = `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`;

interface Lease {
  readonly leaseId: string;
  readonly username: string;
  readonly password: string;
}

describe.skipIf(!openBao.available)('PostgreSQL roles that own objects (OpenBao)', () => {
  const postgres = envPostgres(inject('postgres').url);
  const suffix = randomBytes(4).toString('hex');
  /** The group that owns what notebook users create; it never logs in. */
  const owners = `notebook_owners_${suffix}`;
  /** Roles that may only read what the group created. */
  const readers = `notebook_readers_${suffix}`;
  const schema = `notebook_${suffix}`;
  let vault: TestVault;

  const admin = (sql: string, params?: unknown[]) => superuserQuery(postgres, sql, params);
  const asUser = async (lease: Lease, sql: string) => {
    const client = new pg.Client({
      host: postgres.host,
      port: postgres.port,
      database: postgres.database,
      user: lease.username,
      password: lease.password,
    });
    await client.connect();
    try {
      return await client.query(sql);
    } finally {
      await client.end();
    }
  };
  const vaultCall = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${vault.address}/v1/${path}`, {
      method,
      headers: { 'X-Vault-Token': vault.rootToken, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown> };
  };
  const issue = async (role: string): Promise<Lease> => {
    const { status, body } = await vaultCall('GET', `database/creds/${role}`);
    expect(status).toBe(200);
    const data = body.data as { username: string; password: string };
    return { leaseId: String(body.lease_id), username: data.username, password: data.password };
  };
  /**
   * `PUT sys/leases/revoke` (sync, Vault's default), as an operator or `close({ revoke: true })` does.
   * Other test files' Vaults revoke on the same PostgreSQL at the same time, and two revocations
   * at once can collide on shared ACL rows (`tuple concurrently updated`): that answer, and only
   * that one, is tried again, as Vault's expiration manager would.
   */
  const revoke = async (leaseId: string) => {
    for (let attempt = 1; ; attempt++) {
      const answer = await vaultCall('PUT', 'sys/leases/revoke', { lease_id: leaseId });
      const collided = String(answer.body.errors ?? '').includes('tuple concurrently updated');
      if (!collided || attempt === 6) return answer;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt + Math.random() * 100));
    }
  };
  const roleExists = async (name: string) =>
    (await admin('SELECT 1 FROM pg_roles WHERE rolname = $1', [name])).rows.length === 1;
  const ownerOf = async (table: string) =>
    (await admin('SELECT tableowner FROM pg_tables WHERE schemaname = $1 AND tablename = $2', [schema, table])).rows[0]
      ?.tableowner as string | undefined;

  beforeAll(async () => {
    vault = await startVault({ postgres, backend: 'openbao' });
    await vault.admin.configureDatabase();
    // Notebook users may create tables in one schema, through the group (not a grant of their own,
    // which would be a second thing DROP ROLE stumbles over).
    await admin(`CREATE ROLE ${owners} NOLOGIN`);
    await admin(`CREATE SCHEMA ${schema} AUTHORIZATION ${owners}`);
    await admin(`CREATE ROLE ${readers} NOLOGIN`);
    await admin(`GRANT USAGE ON SCHEMA ${schema} TO ${readers}`);
    // Tables the group creates later are readable by readers, without a GRANT per table.
    await admin(`ALTER DEFAULT PRIVILEGES FOR ROLE ${owners} IN SCHEMA ${schema} GRANT SELECT ON TABLES TO ${readers}`);
    const membership = `GRANT ${owners} TO "{{name}}";`;
    await vault.admin.writeDatabaseRole('notebook-default', {
      creationStatements: [CREATE_LOGIN, membership],
      defaultTtl: 300,
      maxTtl: 600,
    });
    await vault.admin.writeDatabaseRole('notebook-reassign', {
      creationStatements: [CREATE_LOGIN, membership],
      revocationStatements: [
        `REASSIGN OWNED BY "{{name}}" TO ${owners};`,
        `DROP OWNED BY "{{name}}";`,
        `DROP ROLE IF EXISTS "{{name}}";`,
      ],
      defaultTtl: 300,
      maxTtl: 600,
    });
    await vault.admin.writeDatabaseRole('notebook-group-owner', {
      creationStatements: [CREATE_LOGIN, membership, `ALTER ROLE "{{name}}" SET role = '${owners}';`],
      defaultTtl: 300,
      maxTtl: 600,
    });
    await vault.admin.writeDatabaseRole('notebook-reader', {
      creationStatements: [CREATE_LOGIN, `GRANT ${readers} TO "{{name}}";`],
      defaultTtl: 300,
      maxTtl: 600,
    });
  });
  afterAll(async () => {
    await vault?.stop();
    await admin(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => {});
    await admin(`DROP OWNED BY ${readers}, ${owners}; DROP ROLE ${readers}, ${owners}`).catch(() => {});
  });

  it('default revocation: DROP ROLE fails on the table the user created; the revoke is a 400 and the lease stays live', async () => {
    const lease = await issue('notebook-default');
    await asUser(lease, `CREATE TABLE ${schema}.scratch (id int); INSERT INTO ${schema}.scratch VALUES (1)`);
    expect(await ownerOf('scratch')).toBe(lease.username);

    const refused = await revoke(lease.leaseId);
    const errors = (refused.body.errors ?? []) as string[];
    const lookup = await vault.admin.lookupLease(lease.leaseId);
    // The statements before DROP ROLE ran (Vault does not run them in one transaction): the user
    // lost its privileges, even on its own table, but still logs in until its VALID UNTIL.
    const login = await asUser(lease, 'SELECT current_user::text AS "user"');
    const ownTable = await asUser(lease, `SELECT count(*) FROM ${schema}.scratch`).then(
      () => 'readable',
      (error: { code?: string }) => error.code ?? 'failed',
    );
    report('owned-objects/default-revocation', {
      vault: vault.backend,
      revokeStatus: refused.status,
      error: errors.join('; ').slice(0, 240),
      leaseStillKnown: lookup !== undefined,
      roleStillExists: await roleExists(lease.username),
      userStillLogsIn: login.rows[0]?.user === lease.username,
      ownTable,
      tableOwner: await ownerOf('scratch'),
    });
    expect(refused.status).toBe(400);
    expect(errors.join('\n')).toMatch(/cannot be dropped because some objects depend on it/);
    expect(lookup?.id).toBe(lease.leaseId);
    expect(await roleExists(lease.username)).toBe(true);
    expect(login.rows[0]?.user).toBe(lease.username);
    expect(ownTable).toBe('42501');
    expect(await ownerOf('scratch')).toBe(lease.username);

    // What a DBA has to do by hand before Vault can finish the revocation.
    await admin(`REASSIGN OWNED BY "${lease.username}" TO ${owners}; DROP OWNED BY "${lease.username}"`);
    expect((await revoke(lease.leaseId)).status).toBe(204);
    expect(await vault.admin.lookupLease(lease.leaseId)).toBeUndefined();
    expect(await roleExists(lease.username)).toBe(false);
  });

  it('revocation statements with REASSIGN OWNED / DROP OWNED: revoked, the table survives owned by the group', async () => {
    const lease = await issue('notebook-reassign');
    await asUser(lease, `CREATE TABLE ${schema}.kept (id int); INSERT INTO ${schema}.kept VALUES (1), (2)`);
    expect(await ownerOf('kept')).toBe(lease.username);

    const revoked = await revoke(lease.leaseId);
    const next = await issue('notebook-reassign');
    const rows = (await asUser(next, `SELECT count(*)::int AS n FROM ${schema}.kept`)).rows[0].n as number;
    report('owned-objects/reassign-owned', {
      vault: vault.backend,
      revokeStatus: revoked.status,
      roleLeft: await roleExists(lease.username),
      owner: await ownerOf('kept'),
      rowsSeenByNextUser: rows,
    });
    expect(revoked.status).toBe(204);
    expect(await vault.admin.lookupLease(lease.leaseId)).toBeUndefined();
    expect(await roleExists(lease.username)).toBe(false);
    expect(await ownerOf('kept')).toBe(owners);
    expect(rows).toBe(2);
    expect((await revoke(next.leaseId)).status).toBe(204);
  });

  it('creation statements that make the group own what the user creates (SET role): default revocation succeeds', async () => {
    const lease = await issue('notebook-group-owner');
    const who = await asUser(
      lease,
      `CREATE TABLE ${schema}.shared (id int); INSERT INTO ${schema}.shared VALUES (1);
       SELECT session_user::text AS login, current_user::text AS acting`,
    );
    const identity = (who as unknown as pg.QueryResult[]).at(-1)?.rows[0] as { login: string; acting: string };
    expect(identity).toEqual({ login: lease.username, acting: owners });
    expect(await ownerOf('shared')).toBe(owners);

    const revoked = await revoke(lease.leaseId);
    report('owned-objects/group-owner', {
      vault: vault.backend,
      revokeStatus: revoked.status,
      roleLeft: await roleExists(lease.username),
      owner: await ownerOf('shared'),
    });
    expect(revoked.status).toBe(204);
    expect(await vault.admin.lookupLease(lease.leaseId)).toBeUndefined();
    expect(await roleExists(lease.username)).toBe(false);
    expect(await ownerOf('shared')).toBe(owners);
    const next = await issue('notebook-group-owner');
    expect((await asUser(next, `SELECT count(*)::int AS n FROM ${schema}.shared`)).rows[0].n).toBe(1);
    expect((await revoke(next.leaseId)).status).toBe(204);
    // ALTER DEFAULT PRIVILEGES FOR ROLE <group>: a read-only user reads what the group created.
    const reader = await issue('notebook-reader');
    expect((await asUser(reader, `SELECT count(*)::int AS n FROM ${schema}.shared`)).rows[0].n).toBe(1);
    const write = await asUser(reader, `INSERT INTO ${schema}.shared VALUES (2)`).then(
      () => 'allowed',
      (error: { code?: string }) => error.code,
    );
    expect(write).toBe('42501');
    expect((await revoke(reader.leaseId)).status).toBe(204);
  });
});
