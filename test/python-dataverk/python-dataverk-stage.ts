import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestPostgres, TestVault } from '@dataverk/testkit';
import pg from 'pg';

/** The settings name both clients read, as in Python dataverk's documentation. */
export const SOURCE = 'postgres_database';
/** `APPLICATION_NAME`: the Kubernetes auth role dataverk-vault logs in as, and a part of the KV path. */
export const APPLICATION = 'my-app';
/** The pod's namespace and service account. */
export const NAMESPACE = 'team-data';
export const SERVICE_ACCOUNT = 'dataverk-app';
/** What dataverk-vault wants in `VKS_AUTH_PATH`: the whole login path. */
export const LOGIN_PATH = 'auth/kubernetes/login';

/** `settings.json` as Python dataverk's documentation has it. */
export const STANDARD_SETTINGS = {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${NAME} placeholder, as in settings.json.
  db_connection_strings: { [SOURCE]: '${POSTGRES_CREDENTIALS}' },
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${NAME} placeholder, as in settings.json.
  db_vault_path: { [SOURCE]: '${POSTGRES_CREDS_PATH}' },
} as const;

/** One application directory: what a pod running dataverk would find, and its environment. */
export interface ApplicationSpec {
  /** Default {@link STANDARD_SETTINGS}. */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Added to the KV secret beside `POSTGRES_CREDENTIALS` and `POSTGRES_CREDS_PATH`. */
  readonly kv?: Readonly<Record<string, string>>;
  /** Default 1 (what dataverk-vault reads); 2 puts the secret on the KV v2 mount. */
  readonly kvVersion?: 1 | 2;
  /** The namespace file's content; default {@link NAMESPACE} without a newline (as Kubernetes writes it). */
  readonly namespaceFile?: string;
  /** `DATAVERK_SETTINGS_PATH` names the file instead of its directory. */
  readonly settingsPathIsFile?: boolean;
  /** Default {@link LOGIN_PATH}. */
  readonly authPath?: string;
  /** Default true: `DATAVERK_SECRETS_FROM_API` set. */
  readonly secretsFromApi?: boolean;
  /**
   * Placeholder values as files (file name = name), as the Vault Agent injector writes them: puts
   * `secret_path` into settings.json and sets `DATAVERK_SECRETS_FROM_FILES`.
   */
  readonly secretFiles?: Readonly<Record<string, string>>;
}

/** What {@link PythonDataverkStage.application} made. */
export interface Application {
  readonly env: Readonly<Record<string, string>>;
  readonly kvApiPath: string;
}

/**
 * PostgreSQL and Vault set up the way Python dataverk and dataverk-js both expect in a pod: a
 * table, a database role of Vault's database engine, KV v1 (and v2) mounts, Kubernetes auth with a
 * role for {@link APPLICATION}, and a policy allowing just what the two clients call.
 */
export interface PythonDataverkStage {
  /** The table every leased user may read. */
  readonly table: string;
  /** `database/creds/<role>`. */
  readonly vaultPath: string;
  /** The URL `POSTGRES_CREDENTIALS` holds: the test PostgreSQL with `user:pass` for Vault's user and password. */
  readonly connectionString: string;
  /** A directory with settings.json, a service account and the KV secret of one variant. */
  application(variant: string, spec?: ApplicationSpec): Promise<Application>;
  /** Runs SQL as the superuser. */
  admin(sql: string): Promise<pg.QueryResult>;
  remove(): Promise<void>;
}

/** Rows of the table: an integer, text, a boolean and an integer column with a NULL. */
export const TABLE_ROWS = [
  { id: 1, name: 'alpha', active: true, score: 10 },
  { id: 2, name: 'beta', active: false, score: null },
  { id: 3, name: 'gamma', active: true, score: 30 },
] as const;

export async function startPythonDataverkStage(options: {
  readonly postgres: TestPostgres;
  readonly vault: TestVault;
  /** Lease TTL and max TTL of the database role, in seconds. */
  readonly ttl: number;
  readonly maxTtl: number;
}): Promise<PythonDataverkStage> {
  const { postgres, vault } = options;
  const suffix = randomBytes(4).toString('hex');
  const table = `pydv_${suffix}`;
  const role = `pydv-${suffix}`;
  const vaultPath = `database/creds/${role}`;
  const kvBase = `pydv-${suffix}`;
  const policy = `pydv-${suffix}`;
  const admin = (sql: string) => superuserSql(postgres, sql);
  await admin(`CREATE TABLE ${table} (id integer PRIMARY KEY, name text NOT NULL, active boolean, score integer)`);
  await admin(
    `INSERT INTO ${table} VALUES ${TABLE_ROWS.map((row) => `(${row.id}, '${row.name}', ${row.active}, ${row.score ?? 'NULL'})`).join(', ')}`,
  );
  await vault.admin.configureDatabase();
  await vault.admin.writeDatabaseRole(role, {
    creationStatements: [
      `CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`,
      `GRANT SELECT ON ${table} TO "{{name}}";`,
    ],
    // Vault's default revocation: privileges revoked and the role dropped, sessions left open.
    defaultTtl: options.ttl,
    maxTtl: options.maxTtl,
  });
  await vault.admin.enableKv('kv1', 1);
  await vault.admin.enableKv('kv2', 2);
  await vault.admin.writePolicy(
    policy,
    [
      `path "kv1/${kvBase}/*" { capabilities = ["read"] }`,
      `path "kv2/data/${kvBase}/*" { capabilities = ["read"] }`,
      `path "${vaultPath}" { capabilities = ["read"] }`,
      'path "sys/leases/renew" { capabilities = ["update"] }',
      'path "sys/leases/revoke" { capabilities = ["update"] }',
    ].join('\n'),
  );
  const kubernetes = await vault.admin.enableKubernetesAuth({
    role: APPLICATION,
    boundServiceAccountNames: [SERVICE_ACCOUNT],
    boundServiceAccountNamespaces: [NAMESPACE],
    policies: [policy],
  });
  const jwt = kubernetes.mintJwt({ serviceAccount: SERVICE_ACCOUNT, namespace: NAMESPACE, ttlSeconds: 3_600 });
  const root = await mkdtemp(join(tmpdir(), 'python-dataverk-'));
  const credentials = `postgresql://user:pass@${postgres.host.includes(':') ? `[${postgres.host}]` : postgres.host}:${postgres.port}/${encodeURIComponent(postgres.database)}`;

  return {
    table,
    vaultPath,
    connectionString: credentials,
    admin,
    async application(variant, spec = {}) {
      const dir = join(root, variant);
      const serviceAccount = join(dir, 'serviceaccount');
      await mkdir(serviceAccount, { recursive: true });
      await writeFile(join(serviceAccount, 'token'), jwt);
      await writeFile(join(serviceAccount, 'namespace'), spec.namespaceFile ?? NAMESPACE);
      const secretPath = join(dir, 'secrets');
      const settings = {
        ...(spec.settings ?? STANDARD_SETTINGS),
        ...(spec.secretFiles ? { secret_path: secretPath } : {}),
      };
      await writeFile(join(dir, 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
      if (spec.secretFiles !== undefined) {
        await mkdir(secretPath);
        for (const [name, value] of Object.entries(spec.secretFiles)) await writeFile(join(secretPath, name), value);
      }
      const kvVersion = spec.kvVersion ?? 1;
      const kvPath = `kv${kvVersion}/${kvBase}/${variant}`;
      await vault.admin.writeKv(`kv${kvVersion}`, `${kvBase}/${variant}/${APPLICATION}/${NAMESPACE}`, {
        POSTGRES_CREDENTIALS: credentials,
        POSTGRES_CREDS_PATH: vaultPath,
        ...spec.kv,
      });
      return {
        kvApiPath: `${kvPath}/${APPLICATION}/${NAMESPACE}`,
        env: {
          DATAVERK_SETTINGS_PATH: spec.settingsPathIsFile === true ? join(dir, 'settings.json') : dir,
          ...(spec.secretsFromApi === false ? {} : { DATAVERK_SECRETS_FROM_API: 'true' }),
          ...(spec.secretFiles === undefined ? {} : { DATAVERK_SECRETS_FROM_FILES: 'true' }),
          VKS_VAULT_ADDR: vault.address,
          VKS_AUTH_PATH: spec.authPath ?? LOGIN_PATH,
          VKS_KV_PATH: kvPath,
          K8S_SERVICEACCOUNT_PATH: serviceAccount,
          APPLICATION_NAME: APPLICATION,
        },
      };
    },
    async remove() {
      await admin(`DROP TABLE IF EXISTS ${table}`);
      await rm(root, { recursive: true, force: true });
    },
  };
}

async function superuserSql(postgres: TestPostgres, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: postgres.url });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}
