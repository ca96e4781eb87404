import { randomBytes } from 'node:crypto';
import type { CredentialProvider, DatabaseCredentials, LeaseHandle } from '@dataverk/core';
import { dataverkSql } from '@dataverk/postgres';
import { envPostgres } from '@dataverk/testkit';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registerIssuedSecretSource } from '../../packages/testkit/src/vault/issued-secrets-in-process.js';
import { superuserQuery } from '../support/database-fixture.js';

/**
 * postgres.js asks for the password only once PostgreSQL has sent the SCRAM salt of the password it
 * holds. A login-bound connection (a static role) waits for a password before it connects; the
 * password it then answers with must be that one, not whatever the provider hands out by the time
 * the salt arrives: around a rotation, the provider makes new logins wait for the next password,
 * which PostgreSQL does not hold yet when this login's salt was sent (28P01; CI saw it once in the
 * static role's rotation proof, 2026-12-07).
 */
describe('dataverkSql, a login-bound (static role) connection', () => {
  const postgres = envPostgres(inject('postgres').url);
  const user = `static_login_${randomBytes(4).toString('hex')}`;
  const oldPassword = randomBytes(12).toString('hex');
  const newPassword = randomBytes(12).toString('hex');

  beforeAll(async () => {
    // The suite's after-all check looks for these in everything this file printed.
    registerIssuedSecretSource({
      list: () =>
        [oldPassword, newPassword].map((value) => ({ kind: 'password' as const, path: 'static-login', value })),
    });
    await superuserQuery(postgres, `CREATE ROLE ${user} LOGIN PASSWORD '${oldPassword}'`);
  });
  afterAll(async () => {
    await superuserQuery(postgres, `DROP ROLE IF EXISTS ${user}`);
  });

  it('answers the salt with the password it waited for before connecting, though the provider has moved on meanwhile', async () => {
    const url = new URL(postgres.url);
    const credentials = (password: string): DatabaseCredentials => ({
      name: 'db',
      user,
      password,
      host: url.hostname,
      port: Number(url.port),
      database: url.pathname.slice(1),
      ssl: false,
      options: {},
      leaseId: '',
      leaseDuration: 0,
      renewable: false,
      issuedAt: Date.now(),
      expiresAt: Number.POSITIVE_INFINITY,
    });
    // The first read (the connection's wait before connecting) gets the old password; any later
    // one finds new logins waiting for the rotation: PostgreSQL is given the new password then, and
    // the read answers with it.
    let reads = 0;
    let refused = 0;
    const provider = {
      acquire: async (): Promise<LeaseHandle> => ({ credentials: credentials(oldPassword), release: () => {} }),
      getCredentials: async () => {
        reads += 1;
        if (reads === 1) return credentials(oldPassword);
        await superuserQuery(postgres, `ALTER ROLE ${user} PASSWORD '${newPassword}'`);
        return credentials(newPassword);
      },
      isCurrent: () => true,
      invalidate: () => {
        refused += 1;
      },
      on() {
        return this;
      },
      off() {
        return this;
      },
      close: async () => {},
    } as unknown as CredentialProvider;

    const sql = dataverkSql('db', { provider, max: 1 });
    try {
      const [row] = await sql<{ user: string }[]>`select current_user as "user"`;
      expect(row?.user).toBe(user);
      expect(refused).toBe(0);
      expect(reads).toBeGreaterThanOrEqual(1);
    } finally {
      await sql.end();
    }
  });
});
