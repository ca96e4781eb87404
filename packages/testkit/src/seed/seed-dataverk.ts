import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { TestPostgres } from '../postgres/test-postgres.js';
import type { TestVault } from '../vault/test-vault.js';
import { callVault } from '../vault/vault-http.js';

/** The settings name of Python dataverk's seed, and of every dataverk example. */
export const SEED_SETTINGS_NAME = 'postgres_database';

/** Options of {@link seedDataverk}; all but the backends are optional. */
export interface SeedDataverkOptions {
  /** The PostgreSQL (from `startPostgres`) the schema, group role and leased users are made in. */
  readonly postgres: TestPostgres;
  /** The Vault (from `startVault`) whose KV secret, database role and policy the seed writes. */
  readonly vault: TestVault;
  /**
   * The settings name under `db_connection_strings` and `db_vault_path`.
   *
   * @defaultValue `'postgres_database'`
   */
  readonly name?: string;
  /**
   * Lease TTL of the database role, in seconds.
   *
   * @defaultValue `3600`
   */
  readonly ttl?: number;
  /**
   * Max TTL of the database role, in seconds.
   *
   * @defaultValue `86400`
   */
  readonly maxTtl?: number;
  /**
   * `APPLICATION_NAME`, the middle part of the KV path.
   *
   * @defaultValue `'my-app'`
   */
  readonly application?: string;
  /**
   * The pod namespace, the last part of the KV path.
   *
   * @defaultValue `'default'`
   */
  readonly namespace?: string;
  /**
   * Privileges every leased user has on the schema's tables.
   *
   * @defaultValue `SELECT`, `INSERT`, `UPDATE`, `DELETE`
   */
  readonly tablePrivileges?: readonly string[];
  /**
   * How the application logs in to Vault: `token` puts a token with the seed's policy in
   * `VAULT_TOKEN`; `kubernetes` does it as in a pod: a service-account JWT in
   * `K8S_SERVICEACCOUNT_PATH/token` and `VKS_AUTH_PATH`, with the Kubernetes auth role named after
   * `APPLICATION_NAME` (dataverk's default role). Real Vault needs the testkit's TokenReview
   * endpoint for it (see `VaultAdmin.enableKubernetesAuth`).
   *
   * @defaultValue `'token'`
   */
  readonly auth?: 'token' | 'kubernetes';
}

/**
 * What {@link seedDataverk} set up. `env` is all an application needs; nothing else in here is a
 * secret except `env.VAULT_TOKEN`.
 */
export interface DataverkSeed {
  readonly name: string;
  /** The PostgreSQL schema leased users work in (their `search_path`); yours to fill with {@link admin}. */
  readonly schema: string;
  /** The Vault database role; leases come from `database/creds/<role>`. */
  readonly role: string;
  readonly vaultPath: string;
  /** The ACL policy the application token has; give it to other tokens or AppRoles of your test. */
  readonly policy: string;
  /** The KV secret holding the settings' placeholders (`VKS_KV_PATH/APPLICATION_NAME/namespace`). */
  readonly kvPath: string;
  readonly settingsDir: string;
  readonly settingsFile: string;
  /**
   * The application's environment: `DATAVERK_SETTINGS_PATH`, `VAULT_ADDR`, `VAULT_TOKEN` (a token
   * with {@link policy} only) or, with `auth: 'kubernetes'`, `VKS_AUTH_PATH`,
   * `DATAVERK_SECRETS_FROM_API`, `VKS_KV_PATH`, `APPLICATION_NAME`, `K8S_SERVICEACCOUNT_PATH` (a
   * directory holding the `namespace` file, and with Kubernetes auth the `token`, as in a pod).
   */
  readonly env: Readonly<Record<string, string>>;
  /** Runs SQL as the superuser inside {@link schema} (e.g. `CREATE TABLE`); leased users get access. */
  admin(sql: string, params?: readonly unknown[]): Promise<pg.QueryResult>;
  /** Drops the schema and the group role, deletes the KV secret and the settings directory. Close your pools first. */
  remove(): Promise<void>;
}

/**
 * Sets up what a dataverk application finds in production, on test backends:
 *
 * - `settings.json` as Python dataverk's seed has it — `db_connection_strings.postgres_database =
 *   "${POSTGRES_CREDENTIALS}"`, `db_vault_path.postgres_database = "${POSTGRES_CREDS_PATH}"` — in a
 *   temp directory;
 * - the two placeholder values in Vault KV v2 at `secret/<random>/<application>/<namespace>`, read
 *   the dataverk-vault way (`DATAVERK_SECRETS_FROM_API`, `VKS_KV_PATH`, `APPLICATION_NAME`, the
 *   namespace file under `K8S_SERVICEACCOUNT_PATH`);
 * - a database role of Vault's database engine with the given TTLs, whose users join a group role
 *   with `USAGE` on a fresh schema, default privileges on its tables, and the schema as `search_path`;
 * - a token whose policy allows just that: read the KV secret and the creds, revoke leases.
 *
 * It mounts KV v2 at `secret/` if needed (replacing a KV v1 mount there: use test Vaults only).
 *
 * @example
 * const postgres = await startPostgres();
 * const vault = await startVault({ postgres });
 * const seed = await seedDataverk({ postgres, vault, ttl: 4, maxTtl: 8 });
 * await seed.admin('CREATE TABLE orders (id int PRIMARY KEY, amount int)');
 * Object.assign(process.env, seed.env); // now `new Client().readSql('postgres_database', …)` works
 */
export async function seedDataverk(options: SeedDataverkOptions): Promise<DataverkSeed> {
  const { postgres, vault } = options;
  const names = seedNames(options);
  await createApplicationSchema(postgres, names, options.tablePrivileges ?? DEFAULT_TABLE_PRIVILEGES);
  await configureVault(vault, postgres, names, {
    ttl: options.ttl ?? DEFAULT_TTL_SECONDS,
    maxTtl: options.maxTtl ?? DEFAULT_MAX_TTL_SECONDS,
  });
  const files = await writeSettingsDirectory(names);
  const login =
    options.auth === 'kubernetes'
      ? await kubernetesLogin(vault, names, files.serviceAccount)
      : { VAULT_TOKEN: await vault.admin.createToken({ policies: [names.policy] }) };
  return {
    name: names.name,
    schema: names.schema,
    role: names.role,
    vaultPath: names.vaultPath,
    policy: names.policy,
    kvPath: `${names.kvBase}/${names.kvSecret}`,
    settingsDir: files.settingsDir,
    settingsFile: files.settingsFile,
    env: {
      DATAVERK_SETTINGS_PATH: files.settingsDir,
      VAULT_ADDR: vault.address,
      ...login,
      DATAVERK_SECRETS_FROM_API: 'true',
      VKS_KV_PATH: names.kvBase,
      APPLICATION_NAME: names.application,
      K8S_SERVICEACCOUNT_PATH: files.serviceAccount,
    },
    admin: (sql, params) => asSuperuser(postgres, names.schema, sql, params),
    remove: async () => {
      await asSuperuser(postgres, 'public', `DROP SCHEMA IF EXISTS ${names.schema} CASCADE`);
      await asSuperuser(postgres, 'public', `DROP OWNED BY ${names.group}`).catch(() => {});
      await asSuperuser(postgres, 'public', `DROP ROLE IF EXISTS ${names.group}`);
      const target = { address: vault.address, token: vault.rootToken };
      await callVault(target, 'DELETE', `secret/metadata/${names.kvMountPath}/${names.kvSecret}`, { allow: [404] });
      await rm(files.settingsDir, { recursive: true, force: true });
    },
  };
}

const DEFAULT_TTL_SECONDS = 3600;
const DEFAULT_MAX_TTL_SECONDS = 86_400;
const DEFAULT_TABLE_PRIVILEGES: readonly string[] = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];

/** Every name one seed uses; a random suffix keeps seeds apart on a shared PostgreSQL and Vault. */
interface SeedNames {
  readonly name: string;
  readonly schema: string;
  readonly group: string;
  readonly role: string;
  readonly vaultPath: string;
  readonly policy: string;
  /** `VKS_KV_PATH`: `secret/dataverk-<suffix>`. */
  readonly kvBase: string;
  /** The KV path inside the `secret` mount, without the mount: `dataverk-<suffix>`. */
  readonly kvMountPath: string;
  /** `<application>/<namespace>`. */
  readonly kvSecret: string;
  readonly application: string;
  readonly namespace: string;
}

function seedNames(options: SeedDataverkOptions): SeedNames {
  const suffix = randomBytes(4).toString('hex');
  const application = options.application ?? 'my-app';
  const namespace = options.namespace ?? 'default';
  return {
    name: options.name ?? SEED_SETTINGS_NAME,
    schema: `dataverk_${suffix}`,
    group: `dataverk_${suffix}_app`,
    role: `dataverk-${suffix}`,
    vaultPath: `database/creds/dataverk-${suffix}`,
    policy: `dataverk-${suffix}`,
    kvBase: `secret/dataverk-${suffix}`,
    kvMountPath: `dataverk-${suffix}`,
    kvSecret: `${application}/${namespace}`,
    application,
    namespace,
  };
}

/** The schema, and a group role leased users join: `USAGE`, default privileges on tables and sequences. */
async function createApplicationSchema(
  postgres: TestPostgres,
  names: SeedNames,
  tablePrivileges: readonly string[],
): Promise<void> {
  await asSuperuser(postgres, 'public', `CREATE SCHEMA ${names.schema}`);
  for (const statement of [
    `CREATE ROLE ${names.group} NOLOGIN`,
    `GRANT USAGE ON SCHEMA ${names.schema} TO ${names.group}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${names.schema} GRANT ${tablePrivileges.join(', ')} ON TABLES TO ${names.group}`,
    `ALTER DEFAULT PRIVILEGES IN SCHEMA ${names.schema} GRANT USAGE, SELECT ON SEQUENCES TO ${names.group}`,
  ])
    await asSuperuser(postgres, names.schema, statement);
}

/** KV values, the database engine and role, the policy. */
async function configureVault(
  vault: TestVault,
  postgres: TestPostgres,
  names: SeedNames,
  ttls: { readonly ttl: number; readonly maxTtl: number },
): Promise<void> {
  const database = encodeURIComponent(postgres.database);
  await vault.admin.enableKv('secret', 2);
  await vault.admin.writeKv('secret', `${names.kvMountPath}/${names.kvSecret}`, {
    POSTGRES_CREDENTIALS: `postgresql://user:pass@${hostForUrl(postgres.host)}:${postgres.port}/${database}`,
    POSTGRES_CREDS_PATH: names.vaultPath,
  });
  await vault.admin.configureDatabase();
  await vault.admin.writeDatabaseRole(names.role, {
    creationStatements: [
      `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE ${names.group};`,
      `ALTER ROLE "{{name}}" SET search_path = ${names.schema};`,
    ],
    defaultTtl: ttls.ttl,
    maxTtl: ttls.maxTtl,
  });
  await vault.admin.writePolicy(
    names.policy,
    [
      `path "secret/data/${names.kvMountPath}/*" { capabilities = ["read"] }`,
      `path "${names.vaultPath}" { capabilities = ["read"] }`,
      'path "sys/leases/revoke" { capabilities = ["update"] }',
    ].join('\n'),
  );
}

/**
 * Service-account JWTs of the seed live a day instead of a projected token's hour, so that long
 * runs (soak) need no kubelet to rotate them; the client re-reads the file at every login anyway.
 */
const SERVICE_ACCOUNT_TOKEN_TTL_SECONDS = 24 * 3600;

/**
 * The Kubernetes auth role `APPLICATION_NAME` for the service account of that name, and its JWT
 * in the pod directory. Seeds of one application in one Vault share the role: it keeps the
 * policies of the earlier ones.
 */
async function kubernetesLogin(
  vault: TestVault,
  names: SeedNames,
  serviceAccountDirectory: string,
): Promise<Record<string, string>> {
  const target = { address: vault.address, token: vault.rootToken };
  const existing = await callVault(target, 'GET', `auth/kubernetes/role/${names.application}`, { allow: [400, 404] });
  const earlier = (existing.body?.data as { token_policies?: unknown } | undefined)?.token_policies;
  const kubernetes = await vault.admin.enableKubernetesAuth({
    role: names.application,
    boundServiceAccountNames: [names.application],
    boundServiceAccountNamespaces: [names.namespace],
    policies: [...new Set([...(Array.isArray(earlier) ? earlier.map(String) : []), names.policy])],
  });
  const jwt = kubernetes.mintJwt({
    serviceAccount: names.application,
    namespace: names.namespace,
    ttlSeconds: SERVICE_ACCOUNT_TOKEN_TTL_SECONDS,
  });
  await writeFile(join(serviceAccountDirectory, 'token'), jwt);
  return { VKS_AUTH_PATH: `auth/${kubernetes.mount}/login` };
}

/** `settings.json` as Python dataverk's seed has it, and a pod-like `serviceaccount/namespace`. */
async function writeSettingsDirectory(
  names: SeedNames,
): Promise<{ settingsDir: string; settingsFile: string; serviceAccount: string }> {
  const settingsDir = await mkdtemp(join(tmpdir(), 'dataverk-settings-'));
  const settingsFile = join(settingsDir, 'settings.json');
  const serviceAccount = join(settingsDir, 'serviceaccount');
  await mkdir(serviceAccount);
  await writeFile(join(serviceAccount, 'namespace'), `${names.namespace}\n`);
  const settings = {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${NAME} placeholder, as in settings.json.
    db_connection_strings: { [names.name]: '${POSTGRES_CREDENTIALS}' },
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${NAME} placeholder, as in settings.json.
    db_vault_path: { [names.name]: '${POSTGRES_CREDS_PATH}' },
  };
  await writeFile(settingsFile, `${JSON.stringify(settings, null, 2)}\n`);
  return { settingsDir, settingsFile, serviceAccount };
}

async function asSuperuser(
  postgres: TestPostgres,
  schema: string,
  sql: string,
  params?: readonly unknown[],
): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: postgres.url, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    return await client.query(sql, params === undefined ? undefined : [...params]);
  } finally {
    await client.end();
  }
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
