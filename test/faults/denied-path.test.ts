import { createVaultClient, VaultCredentialProvider } from '@dataverk/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/backend-probes.js';
import { type DatabaseFixture, databaseFixture } from '../support/database-fixture.js';
import { report, sleep } from './support/fault-load.js';

// Code review 2026-12, defect 1, on a real server: one settings name whose Vault path the policy
// does not allow, asked every 500 ms beside a healthy name, made 8 logins and 7 users of the
// healthy database in 20 s (a login per 403, and every login rotated the healthy lease).
const ASKS = 20;
const FORBIDDEN_PATH = 'database/creds/not-in-the-policy';

describe('a name whose Vault path the policy refuses', () => {
  let fixture: DatabaseFixture;
  beforeAll(async () => {
    fixture = await databaseFixture({ ttl: 20, maxTtl: 120 });
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('asked every 500 ms beside a healthy name: one login, one user of the healthy database', async () => {
    await fixture.vault.admin.writePolicy(
      'healthy-only',
      `path "${fixture.vaultPath}" { capabilities = ["read"] }\npath "sys/leases/*" { capabilities = ["update"] }`,
    );
    const { roleId, secretId } = await fixture.vault.admin.enableAppRole({
      role: 'healthy-only',
      policies: ['healthy-only'],
      tokenTtl: 10,
      tokenMaxTtl: 60,
    });
    const { postgres } = fixture;
    const provider = new VaultCredentialProvider({
      vault: createVaultClient({
        address: fixture.vault.address,
        env: { VAULT_ROLE_ID: roleId, VAULT_SECRET_ID: secretId },
      }),
      resolve: async (name) => ({
        connectionString: `postgresql://user:pass@${postgres.host}:${postgres.port}/${postgres.database}`,
        vaultPath: name === 'healthy' ? fixture.vaultPath : FORBIDDEN_PATH,
      }),
    });
    const rotated: string[] = [];
    provider.on('rotated', (e) => rotated.push(e.user));
    fixture.record.resetCounts();
    const handle = await provider.acquire('healthy');
    const users = new Set<string>([handle.credentials.user]);
    const messages = new Set<string>();
    for (let ask = 0; ask < ASKS; ask++) {
      const refused = await provider.getCredentials('forbidden').then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      if (refused !== undefined) messages.add(refused.message);
      users.add((await provider.getCredentials('healthy')).user);
      await sleep(500);
    }
    // What the server recorded: the refused path was asked (the name's gate paces it) and answered 403.
    const log = () => fixture.record.requestLog();
    await eventually(
      async () => log().filter((r) => r.path === FORBIDDEN_PATH && r.status === 403).length >= 2,
      'two refused reads recorded',
    );
    const logins = log().filter((r) => r.path === 'auth/approle/login').length;
    const refusedReads = log().filter((r) => r.path === FORBIDDEN_PATH).length;
    const lookups = log().filter((r) => r.path === 'auth/token/lookup-self').length;
    handle.release();
    await provider.close({ revoke: true });
    report('denied-path', {
      vault: fixture.backend,
      asks: ASKS,
      logins,
      refusedReads,
      lookups,
      healthyUsers: users.size,
      rotations: rotated.length,
    });
    expect(logins).toBe(1);
    expect(users.size).toBe(1);
    expect(rotated).toEqual([]);
    expect(lookups).toBe(refusedReads);
    expect([...messages].some((m) => m.includes('This path was refused by policy'))).toBe(true);
  });
});
