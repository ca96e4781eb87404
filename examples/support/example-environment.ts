import { writeFile } from 'node:fs/promises';
import {
  type DataverkSeed,
  seedDataverk,
  startPostgres,
  startVault,
  type TestPostgres,
  type TestVault,
  type VaultBackend,
} from '@dataverk/testkit';

/** What an example runs against, already in `process.env`. */
export interface ExampleEnvironment {
  readonly postgres: TestPostgres;
  readonly vault: TestVault;
  readonly seed: DataverkSeed;
  /** Removes the seed's schema, role and files, stops Vault and PostgreSQL. Close your pools first. */
  stop(): Promise<void>;
}

/** Options of {@link startExampleEnvironment}. */
export interface ExampleEnvironmentOptions {
  /** Lease TTL and max TTL of the database role, in seconds. */
  readonly ttl: number;
  readonly maxTtl: number;
  /** SQL run as the superuser in the application's schema; default: an `orders` table with a few rows. */
  readonly setupSql?: readonly string[];
  /** Prefix of the setup lines printed. */
  readonly label?: string;
  /** The Vault to run against; default the testkit's choice (`DATAVERK_TEST_VAULT`, else OpenBao where found). */
  readonly vaultBackend?: VaultBackend;
}

/** An `orders` table for the examples. */
export const ORDERS_SQL: readonly string[] = [
  `CREATE TABLE orders (
     id         int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
     region     text NOT NULL,
     amount     int NOT NULL,
     created_at timestamptz NOT NULL DEFAULT now()
   )`,
  `INSERT INTO orders (region, amount) VALUES ('north', 120), ('south', 80), ('north', 40), ('east', 250)`,
];

/**
 * Sets up what a dataverk application finds in production, on throwaway backends, and puts the
 * application's environment into `process.env`: PostgreSQL (embedded, or `DATAVERK_TEST_DATABASE_URL`),
 * Vault (real OpenBao where `bao` is found, else the dev server, or `DATAVERK_TEST_VAULT_ADDR` +
 * `DATAVERK_TEST_VAULT_TOKEN`), Python
 * dataverk's `settings.json` with `${POSTGRES_CREDENTIALS}` and `${POSTGRES_CREDS_PATH}` filled from
 * Vault KV, a database role with short leases, and a token that may read just that.
 *
 * @example
 * const environment = await startExampleEnvironment({ ttl: 2, maxTtl: 4 });
 * const rows = await new Client().readSql('postgres_database', 'SELECT * FROM orders');
 */
export async function startExampleEnvironment(options: ExampleEnvironmentOptions): Promise<ExampleEnvironment> {
  const label = options.label ?? 'setup';
  const postgres = await startPostgres();
  let vault: TestVault | undefined;
  try {
    vault = await startVault({
      postgres,
      ...(options.vaultBackend === undefined ? {} : { backend: options.vaultBackend }),
    });
    const seed = await seedDataverk({ postgres, vault, ttl: options.ttl, maxTtl: options.maxTtl });
    for (const statement of options.setupSql ?? ORDERS_SQL) await seed.admin(statement);
    Object.assign(process.env, seed.env);
    console.log(`[${label}] PostgreSQL: ${postgres.backend} at ${postgres.host}:${postgres.port}`);
    console.log(`[${label}] Vault: ${vault.backend} at ${vault.address}`);
    console.log(`[${label}] settings.json: ${seed.settingsFile} (placeholders from Vault KV ${seed.kvPath})`);
    console.log(
      `[${label}] database role: ${seed.vaultPath}, leases of ${options.ttl} s, renewable up to ${options.maxTtl} s`,
    );
    const started = vault;
    return {
      postgres,
      vault: started,
      seed,
      stop: async () => {
        await writeIssuedSecrets(started);
        await seed.remove();
        await started.stop();
        await postgres.stop();
      },
    };
  } catch (error) {
    await vault?.stop();
    await postgres.stop();
    throw error;
  }
}

/**
 * For the examples' own test: with `DATAVERK_TEST_ISSUED_SECRETS_FILE` set, every token, password
 * and secret id the example's Vault issued is written there (a JSON array), so that the test can
 * prove none of them was printed. Nothing is written otherwise.
 */
async function writeIssuedSecrets(vault: TestVault): Promise<void> {
  const file = process.env.DATAVERK_TEST_ISSUED_SECRETS_FILE;
  if (file === undefined || file === '') return;
  const values = (vault.record?.issuedSecrets() ?? []).map((secret) => secret.value);
  await writeFile(file, JSON.stringify(values), { mode: 0o600 });
}
