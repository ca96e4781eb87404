import { randomBytes } from 'node:crypto';
import { createVaultClient, type RandomSource, type VaultClient, VaultCredentialProvider } from '@dataverk/core';
import {
  startPostgres,
  startVault,
  type TestPostgres,
  type TestVault,
  type VaultBackend,
  type VaultRecord,
} from '@dataverk/testkit';
import pg from 'pg';

/** Rows in the table every query reads one of. */
export const TABLE_ROWS = 100;

/** Login of the fixed role the static contender uses. */
export interface StaticLogin {
  readonly user: string;
  readonly password: string;
}

/**
 * Everything the contenders run against: a real PostgreSQL, a Vault (the dev server by default, or
 * real OpenBao; the scenarios read the request counters and lease record both keep), a small table, a fixed role made by the
 * superuser, two Vault database roles (a steady one with an hour-long lease and a rotating one with
 * the profile's TTL) and an AppRole login allowed to read them.
 */
export interface BenchStack {
  readonly postgres: TestPostgres;
  readonly vault: TestVault;
  readonly record: VaultRecord;
  readonly table: string;
  readonly staticLogin: StaticLogin;
  /** `database/creds/<role>` whose leases last an hour: no rotation while measuring. */
  readonly steadyPath: string;
  /** `database/creds/<role>` whose leases last `rotationTtlSeconds`, renewals capped at the same. */
  readonly rotatingPath: string;
  /** A fresh Vault client that logs in with AppRole on first use. */
  vaultClient(random: RandomSource): VaultClient;
  /** A fresh provider over a fresh Vault client for `vaultPath`. */
  provider(vaultPath: string, random: RandomSource): VaultCredentialProvider;
  close(): Promise<void>;
}

/** Hour-long leases for the scenarios that must not rotate. */
const STEADY_TTL_SECONDS = 3_600;

export async function startBenchStack(options: {
  readonly rotationTtlSeconds: number;
  /** Reuse a running PostgreSQL (superuser URL); otherwise one is started and stopped here. */
  readonly postgres?: TestPostgres;
  /** `dev-server` (default, the baseline of the committed results) or `openbao`. */
  readonly vaultBackend?: VaultBackend;
}): Promise<BenchStack> {
  const postgres = options.postgres ?? (await startPostgres());
  const ownsPostgres = options.postgres === undefined;
  // Chosen here, never by the environment, so that a run says what it measured against.
  const vault = await startVault({ postgres, backend: options.vaultBackend ?? 'dev-server' });
  const record = vault.record;
  if (record === undefined) throw new Error(`The ${vault.backend} Vault keeps no request record to measure with.`);
  const suffix = randomBytes(4).toString('hex');
  const table = `bench_${suffix}`;
  const staticLogin = { user: `bench_static_${suffix}`, password: randomBytes(18).toString('base64url') };
  await superuserSql(postgres, [
    `CREATE TABLE ${table} (id integer PRIMARY KEY, note text NOT NULL)`,
    `INSERT INTO ${table} SELECT i, 'row ' || i FROM generate_series(1, ${TABLE_ROWS}) AS i`,
    `CREATE ROLE "${staticLogin.user}" WITH LOGIN PASSWORD '${staticLogin.password}'`,
    `GRANT SELECT ON ${table} TO "${staticLogin.user}"`,
  ]);
  await vault.admin.configureDatabase();
  const steadyRole = `bench_steady_${suffix}`;
  const rotatingRole = `bench_rotating_${suffix}`;
  await writeRole(vault, steadyRole, table, STEADY_TTL_SECONDS);
  await writeRole(vault, rotatingRole, table, options.rotationTtlSeconds);
  const appRole = await appRoleLogin(vault);
  const address = vault.address;
  const connectionString = `postgresql://user:pass@${postgres.host}:${postgres.port}/${postgres.database}`;
  const vaultClient = (random: RandomSource) =>
    // `env: {}`: nothing from the caller's environment (VAULT_TOKEN, …) may change what is measured.
    createVaultClient({ address, env: {}, auth: { method: 'approle', ...appRole }, random });
  let closed = false;
  return {
    postgres,
    vault,
    record,
    table,
    staticLogin,
    steadyPath: `database/creds/${steadyRole}`,
    rotatingPath: `database/creds/${rotatingRole}`,
    vaultClient,
    provider: (vaultPath, random) =>
      new VaultCredentialProvider({
        vault: vaultClient(random),
        resolve: async () => ({ connectionString, vaultPath }),
        random,
      }),
    close: async () => {
      if (closed) return;
      closed = true;
      // Vault revokes the leases still live (dropping their roles) before our own objects go.
      await vault.stop();
      await superuserSql(postgres, [`DROP TABLE IF EXISTS ${table}`, `DROP ROLE IF EXISTS "${staticLogin.user}"`]);
      if (ownsPostgres) await postgres.stop();
    },
  };
}

async function writeRole(vault: TestVault, role: string, table: string, ttlSeconds: number): Promise<void> {
  await vault.admin.writeDatabaseRole(role, {
    creationStatements: [
      `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
      `GRANT SELECT ON ${table} TO "{{name}}";`,
    ],
    // Vault's default revocation: privileges revoked and the role dropped, sessions left open.
    defaultTtl: ttlSeconds,
    maxTtl: ttlSeconds,
  });
}

/** An AppRole whose tokens may read database credentials and manage their leases, nothing else. */
async function appRoleLogin(vault: TestVault): Promise<{ roleId: string; secretId: string }> {
  await vault.admin.writePolicy(
    'bench',
    [
      'path "database/creds/*" { capabilities = ["read"] }',
      'path "sys/leases/renew" { capabilities = ["update"] }',
      'path "sys/leases/revoke" { capabilities = ["update"] }',
    ].join('\n'),
  );
  return vault.admin.enableAppRole({ role: 'bench', policies: ['bench'] });
}

async function superuserSql(postgres: TestPostgres, statements: readonly string[]): Promise<void> {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    for (const sql of statements) await client.query(sql);
  } finally {
    await client.end();
  }
}
