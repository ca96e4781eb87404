// Python dataverk (0.4.17, dataverk-vault 0.1.10, the real packages from PyPI in .python-dataverk/)
// and dataverk-js read the same settings.json, environment, KV v1 secret and database role of one
// Vault (OpenBao with the testkit's TokenReview endpoint where available, else the dev server).
// Where they differ, each test states the difference; the README's "Compared with Python dataverk"
// says which behaviour we chose.
import { closeDefaultProvider, loadSettings } from '@dataverk/core';
import { Client } from '@dataverk/pg';
import { envPostgres, startVault, type TestVault, type VaultRecord } from '@dataverk/testkit';
import { afterAll, beforeAll, describe, expect, inject, it, type TestContext } from 'vitest';
import { withApplicationEnvironment } from './application-environment.js';
import {
  type Application,
  LOGIN_PATH,
  type PythonDataverkStage,
  SOURCE,
  STANDARD_SETTINGS,
  startPythonDataverkStage,
  TABLE_ROWS,
} from './python-dataverk-stage.js';
import { installPythonDataverk } from './python-dataverk-venv.js';
import { type PythonOutcome, runPythonDataverk } from './run-python-dataverk.js';

let python: string | undefined;
let vault: TestVault;
let record: VaultRecord;
let stage: PythonDataverkStage;

beforeAll(async () => {
  const installed = await installPythonDataverk();
  if (!installed.found) {
    console.log(`[dataverk] Python dataverk unavailable, its compatibility tests are skipped: ${installed.reason}`);
    return;
  }
  python = installed.python;
  vault = await startVault({ postgres: envPostgres(inject('postgres').url) });
  if (vault.record === undefined) throw new Error(`the ${vault.backend} Vault keeps no request record`);
  record = vault.record;
  stage = await startPythonDataverkStage({
    postgres: envPostgres(inject('postgres').url),
    vault,
    ttl: 300,
    maxTtl: 600,
  });
  console.log(
    `[dataverk] Python dataverk compatibility: ${vault.backend} Vault, ${installed.packages.length} pinned packages`,
  );
}, 900_000);

afterAll(async () => {
  if (python === undefined) return;
  await stage?.remove();
  await vault?.stop();
});

function requirePython(context: TestContext): string {
  if (python === undefined) context.skip();
  return python as string;
}

/** Python dataverk's `Client().read_sql(SOURCE, sql)` in a process of its own, and the Vault requests it made. */
async function pythonReadSql(
  bin: string,
  app: Application,
  sql: string,
): Promise<{ outcome: PythonOutcome; requests: string[] }> {
  record.resetCounts();
  const outcome = await runPythonDataverk(bin, { mode: 'read', source: SOURCE, sql }, app.env);
  return { outcome, requests: requestLines() };
}

/** Our `new Client().readSql(SOURCE, sql)` with the default provider, built from this environment only. */
async function jsReadSql(app: Application, sql: string): Promise<{ rows: unknown[]; requests: string[] }> {
  return withApplicationEnvironment(app.env, async () => {
    record.resetCounts();
    const client = new Client();
    try {
      const rows = await client.readSql(SOURCE, sql);
      await client.close();
      await closeDefaultProvider({ revoke: true });
      return { rows, requests: requestLines() };
    } finally {
      await client.close().catch(() => {});
      await closeDefaultProvider({ revoke: true }).catch(() => {});
    }
  });
}

/**
 * What Python dataverk raises for any HTTP error from Vault while it loads settings: its
 * `DataverkContext` catches `HTTPError` to log "Vault integration not setup for current
 * environment", but calls `self._logger.warning` on its own `Logger` wrapper, which has no `warning`.
 */
const VAULT_HTTP_ERROR_HANDLER_BUG = { type: 'AttributeError', message: "'Logger' object has no attribute 'warning'" };

function requestLines(): string[] {
  return record.requestLog().map((request) => `${request.method} ${request.path} ${request.status}`);
}

describe('Python dataverk and dataverk-js on one settings.json and one Vault', () => {
  it('read the same rows through the same environment, KV v1 secret and database role', async (context) => {
    const bin = requirePython(context);
    const app = await stage.application('standard');
    const sql = `SELECT id, name, active FROM ${stage.table} ORDER BY id`;
    const expected = TABLE_ROWS.map(({ id, name, active }) => ({ id, name, active }));

    const py = await pythonReadSql(bin, app, sql);
    expect(py.outcome.error).toBeUndefined();
    expect(py.outcome.rows).toEqual(expected);
    const js = await jsReadSql(app, sql);
    expect(js.rows).toEqual(expected);
    expect(js.rows).toEqual(py.outcome.rows);
  });

  it('Vault paths: Python logs in per Vault call and reads the creds only after a failed connection; we log in once and revoke at close', async (context) => {
    const bin = requirePython(context);
    const app = await stage.application('paths');
    const sql = `SELECT id FROM ${stage.table} ORDER BY id`;
    const leasesBefore = record.leaseHistory().length;

    const py = await pythonReadSql(bin, app, sql);
    expect(py.outcome.ok).toBe(true);
    // dataverk-vault: a Kubernetes login (POST to $VKS_AUTH_PATH as given) for the KV read, then —
    // after the first connection with the settings' placeholder user `user:pass` failed — another
    // login for the creds read. Nothing else: no renewal, no revocation, no token lookup.
    expect(py.requests).toEqual([
      `POST ${LOGIN_PATH} 200`,
      `GET ${app.kvApiPath} 200`,
      `POST ${LOGIN_PATH} 200`,
      `GET ${stage.vaultPath} 200`,
    ]);
    expect(py.outcome.logs).toContainEqual(
      expect.objectContaining({ level: 'WARNING', message: 'Updating db credentials' }),
    );
    // Python's lease is left to run out its TTL: its PostgreSQL role stays until then.
    const pythonLease = record.leaseHistory()[leasesBefore];
    expect(pythonLease?.endedAt).toBeUndefined();

    const js = await jsReadSql(app, sql);
    // One login, the KV mount's version (sys/internal/ui/mounts), the KV read, one creds read, and
    // the lease revoked at closeDefaultProvider({ revoke: true }).
    expect(js.requests).toEqual([
      `POST ${LOGIN_PATH} 200`,
      `GET sys/internal/ui/mounts/${app.kvApiPath} 200`,
      `GET ${app.kvApiPath} 200`,
      `GET ${stage.vaultPath} 200`,
      'POST sys/leases/revoke 204',
    ]);
    const jsLease = record.leaseHistory()[leasesBefore + 1];
    expect(jsLease?.endReason).toBe('revoked');
    console.log(`[dataverk] Vault requests, Python: ${py.requests.join(', ')}; dataverk-js: ${js.requests.join(', ')}`);
  });

  it('column types: pandas makes bigint a number and NULL in an integer column NaN; pg gives bigint and numeric as strings and NULL as null', async (context) => {
    const bin = requirePython(context);
    const app = await stage.application('types');
    const sql = `SELECT id, score, count(*) OVER () AS n, avg(score) OVER () AS mean FROM ${stage.table} ORDER BY id`;

    const py = await pythonReadSql(bin, app, sql);
    expect(py.outcome.dtypes).toEqual({ id: 'int64', score: 'float64', n: 'int64', mean: 'float64' });
    expect(py.outcome.rows?.map((row) => row.score)).toEqual([10, 'NaN', 30]);
    expect(py.outcome.rows?.[0]).toMatchObject({ n: 3, mean: 20 });
    const js = await jsReadSql(app, sql);
    expect(js.rows.map((row) => (row as { score: unknown }).score)).toEqual([10, null, 30]);
    expect(js.rows[0]).toMatchObject({ n: '3', mean: '20.0000000000000000' });
  });
});

describe('where Python dataverk reads settings differently', () => {
  it('placeholders: Python fills them into the JSON text, so a value with a quote breaks the file; we fill parsed values', async (context) => {
    const bin = requirePython(context);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${NAME} placeholder, as in settings.json.
    const settings = { ...STANDARD_SETTINGS, greeting: '${GREETING}' };
    const app = await stage.application('quote', { settings, kv: { GREETING: 'say "hi"\\n' } });

    const py = await pythonReadSql(bin, app, 'SELECT 1');
    expect(py.outcome.error?.type).toBe('JSONDecodeError');
    const ours = await loadSettings({ env: app.env });
    expect(ours.greeting).toBe('say "hi"\\n');
  });

  it('a missing placeholder: Python raises a KeyError that names none; we name every missing one', async (context) => {
    const bin = requirePython(context);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${NAME} placeholder, as in settings.json.
    const settings = { ...STANDARD_SETTINGS, extra: '${NOT_IN_KV} and ${ALSO_MISSING}' };
    const app = await stage.application('missing', { settings });

    const py = await pythonReadSql(bin, app, 'SELECT 1');
    expect(py.outcome.error).toEqual({
      type: 'KeyError',
      message: "'Could not find value for token in settings mapping'",
    });
    const ours = loadSettings({ env: app.env });
    await expect(ours).rejects.toMatchObject({ code: 'DATAVERK_SETTINGS_MISSING_PLACEHOLDER' });
    await expect(ours).rejects.toThrow(/NOT_IN_KV[\s\S]*ALSO_MISSING|ALSO_MISSING[\s\S]*NOT_IN_KV/);
  });

  it('placeholders from the environment: Python has no such source (KeyError without DATAVERK_SECRETS_FROM_API); we fall back to it', async (context) => {
    const bin = requirePython(context);
    const kv = await stage.application('env-only', { secretsFromApi: false });
    const values = await loadSettings({ env: { ...kv.env, DATAVERK_SECRETS_FROM_API: 'true' } });
    const env = {
      ...kv.env,
      POSTGRES_CREDENTIALS: String((values.db_connection_strings as Record<string, unknown>)[SOURCE]),
      POSTGRES_CREDS_PATH: stage.vaultPath,
    };

    const py = await runPythonDataverk(bin, { mode: 'read', source: SOURCE, sql: 'SELECT 1' }, env);
    expect(py.error?.type).toBe('KeyError');
    const ours = await loadSettings({ env });
    expect((ours.db_vault_path as Record<string, unknown>)[SOURCE]).toBe(stage.vaultPath);
  });

  it('secret files: Python keeps the trailing newline of each file, which its JSON-text substitution then rejects; we trim it', async (context) => {
    const bin = requirePython(context);
    // `echo "$VALUE" > file` and most injector templates end the file with a newline.
    const secretFiles = {
      POSTGRES_CREDENTIALS: `${stage.connectionString}\n`,
      POSTGRES_CREDS_PATH: `${stage.vaultPath}\n`,
    };
    const app = await stage.application('files', { secretFiles, secretsFromApi: false });

    const py = await pythonReadSql(bin, app, `SELECT id FROM ${stage.table} ORDER BY id`);
    expect(py.outcome.error?.type).toBe('JSONDecodeError'); // a raw newline inside a JSON string
    expect(py.outcome.error?.message).toMatch(/^Invalid control character/);
    expect(py.requests).toEqual([]);
    const ours = await loadSettings({ env: app.env });
    expect((ours.db_vault_path as Record<string, unknown>)[SOURCE]).toBe(stage.vaultPath);
  });

  it('KV v2: dataverk-vault reads only KV v1 (the v2 secret is not found there); we detect the version', async (context) => {
    const bin = requirePython(context);
    const app = await stage.application('kv2', { kvVersion: 2 });

    const py = await pythonReadSql(bin, app, 'SELECT 1');
    // The 403 reaches dataverk's `except HTTPError`, whose warning call is itself broken.
    expect(py.requests).toContainEqual(expect.stringMatching(new RegExp(`^GET ${app.kvApiPath} 403$`)));
    expect(py.outcome.error).toEqual(VAULT_HTTP_ERROR_HANDLER_BUG);
    const ours = await loadSettings({ env: app.env });
    expect((ours.db_vault_path as Record<string, unknown>)[SOURCE]).toBe(stage.vaultPath);
  });

  it('a namespace file ending in a newline: Python puts the newline into the KV path (a 4xx from Vault); we trim it', async (context) => {
    const bin = requirePython(context);
    const app = await stage.application('newline', { namespaceFile: 'team-data\n' });

    const py = await pythonReadSql(bin, app, 'SELECT 1');
    expect(py.outcome.error).toEqual(VAULT_HTTP_ERROR_HANDLER_BUG);
    expect(py.requests.filter((line) => line.startsWith('GET kv1/'))).toEqual([
      // OpenBao: `…%0A 400`; the dev server logs the decoded path and answers 403.
      expect.stringMatching(new RegExp(`^GET ${app.kvApiPath}(%0A|\n) 4\\d\\d$`)),
    ]);
    const ours = await loadSettings({ env: app.env });
    expect((ours.db_vault_path as Record<string, unknown>)[SOURCE]).toBe(stage.vaultPath);
  });

  it('VKS_AUTH_PATH as a mount: Python posts to it as it is and fails; we add /login', async (context) => {
    const bin = requirePython(context);
    const app = await stage.application('auth-mount', { authPath: 'auth/kubernetes' });

    const py = await pythonReadSql(bin, app, 'SELECT 1');
    expect(py.outcome.error).toEqual(VAULT_HTTP_ERROR_HANDLER_BUG);
    expect(py.requests[0]).toMatch(/^POST auth\/kubernetes (4\d\d)$/);
    const ours = await loadSettings({ env: app.env });
    expect((ours.db_vault_path as Record<string, unknown>)[SOURCE]).toBe(stage.vaultPath);
  });

  it('DATAVERK_SETTINGS_PATH naming the file: Python wants a directory (NotADirectoryError); we take either', async (context) => {
    const bin = requirePython(context);
    const app = await stage.application('file-path', { settingsPathIsFile: true });

    const py = await pythonReadSql(bin, app, 'SELECT 1');
    expect(py.outcome.error?.type).toBe('NotADirectoryError');
    const ours = await loadSettings({ env: app.env });
    expect((ours.db_vault_path as Record<string, unknown>)[SOURCE]).toBe(stage.vaultPath);
  });

  it("SQL that mentions '.sql': Python takes the whole text for a file name (beside settings.json); readSql runs it", async (context) => {
    const bin = requirePython(context);
    const app = await stage.application('sql-text');
    const sql = `SELECT name FROM ${stage.table} WHERE name <> 'report.sql' ORDER BY id`;

    const py = await pythonReadSql(bin, app, sql);
    expect(py.outcome.error?.type).toBe('FileNotFoundError');
    expect(py.requests).toEqual([`POST ${LOGIN_PATH} 200`, `GET ${app.kvApiPath} 200`]); // no query was sent
    const js = await jsReadSql(app, sql);
    expect(js.rows).toEqual(TABLE_ROWS.map(({ name }) => ({ name })));
  });

  it('a Vault password with URL characters: Python splices it into the URL unencoded and SQLAlchemy reads another password', async (context) => {
    const bin = requirePython(context);
    const password = 'a1@b/c%41d';
    const py = await runPythonDataverk(
      bin,
      {
        mode: 'password-in-url',
        connectionString: 'postgresql://user:pass@db.example:5432/sales',
        username: 'v-my-app-x',
        password,
      },
      {},
    );
    expect(py.ok).toBe(true);
    expect(py.password).not.toBe(password);
    expect(py.host).not.toBe('db.example');
  });
});
