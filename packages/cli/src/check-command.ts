import { type DataverkSettings, type ProviderHealth, resolveDatabaseSettings, resolveVaultAuth } from '@dataverk/core';
import { checkHealth } from './check-health.js';
import { writeLine } from './cli-io.js';
import { type CommandContext, databaseNames, describeTarget } from './command-context.js';
import { describeError, ExitCode, underlyingError } from './exit-code.js';
import { formatSeconds, textTable } from './text-table.js';

/** One line of the check table. */
export interface CheckRow {
  readonly check: string;
  readonly result: 'ok' | 'FAILED' | 'skipped';
  readonly detail: string;
  /** The full error, printed under the table. */
  readonly error?: unknown;
}

/**
 * `dataverk check [name…]`: is the settings file there, does every placeholder resolve, does Vault
 * answer with the token or login the environment gives, and can every named database be logged in
 * to with credentials read from Vault just now? Prints a table (no secrets), then each failure with
 * its code; the leases it took are revoked. Exit 0 when all passed, 1 otherwise.
 *
 * @example
 * // $ dataverk check
 * // CHECK                       RESULT  DETAIL
 * // settings file               ok      /app/settings.json (DATAVERK_SETTINGS_PATH)
 * // placeholders                ok      all resolved; databases: postgres_database
 * // vault                       ok      https://vault.example:8200, VAULT_TOKEN, token TTL 11h59m
 * // database postgres_database  ok      v-token-app-…@db:5432/sales, lease 1h00m00s (renewable), query 4 ms
 *
 * // $ dataverk check --json
 * // {"status":"ok","names":{"postgres_database":{"status":"ok","leaseEndsInMs":3599987,…}},"checks":[…]}
 */
export async function checkCommand(
  context: CommandContext,
  names: readonly string[],
  options: { readonly json?: boolean } = {},
): Promise<ExitCode> {
  const rows: CheckRow[] = [];
  const settings = await checkSettings(context, rows);
  rows.push(
    settings === undefined || usesVault(settings)
      ? await checkVault(context)
      : {
          check: 'vault',
          result: 'skipped',
          detail: 'every database reads its credentials from a file (db_credentials_file)',
        },
  );
  let health: ProviderHealth = { status: 'ok', names: {} };
  if (settings === undefined) {
    rows.push({ check: 'databases', result: 'skipped', detail: 'need the settings above' });
  } else {
    const databases = await checkDatabases(context, settings, names);
    rows.push(...databases.rows);
    health = databases.health;
  }
  await context.close({ revoke: true });
  if (options.json === true) writeLine(context.io.stdout, JSON.stringify(checkHealth(health, rows)));
  else report(context, rows);
  return rows.some((row) => row.result === 'FAILED') ? ExitCode.CheckFailed : ExitCode.Ok;
}

async function checkSettings(context: CommandContext, rows: CheckRow[]): Promise<DataverkSettings | undefined> {
  let file: string;
  try {
    file = await context.findSettingsFile();
    rows.push({ check: 'settings file', result: 'ok', detail: `${file} (${context.settingsOrigin})` });
  } catch (error) {
    rows.push(failed('settings file', error));
    rows.push({ check: 'placeholders', result: 'skipped', detail: 'need the settings file' });
    return undefined;
  }
  try {
    const settings = await context.loadSettings();
    const names = databaseNames(settings);
    const listed = names.length === 0 ? 'no db_connection_strings' : `databases: ${names.join(', ')}`;
    rows.push({ check: 'placeholders', result: 'ok', detail: `all resolved; ${listed}` });
    return settings;
  } catch (error) {
    rows.push(failed('placeholders', error));
    return undefined;
  }
}

async function checkVault(context: CommandContext): Promise<CheckRow> {
  try {
    const vault = context.vault();
    const method = await resolveVaultAuth({ env: context.io.env });
    // lookup-self answers the token itself in `data.id`: only the TTL is read from it.
    const { data } = await vault.read('auth/token/lookup-self');
    const ttl =
      typeof data?.ttl === 'number' && data.ttl > 0 ? `token TTL ${formatSeconds(data.ttl)}` : 'token without TTL';
    return { check: 'vault', result: 'ok', detail: `${vault.address}, ${method.description}, ${ttl}` };
  } catch (error) {
    return failed('vault', error);
  }
}

async function checkDatabases(
  context: CommandContext,
  settings: DataverkSettings,
  only: readonly string[],
): Promise<{ rows: CheckRow[]; health: ProviderHealth }> {
  const names = only.length > 0 ? only : databaseNames(settings);
  if (names.length === 0) {
    const rows: CheckRow[] = [
      {
        check: 'databases',
        result: 'FAILED',
        detail: 'settings.json has no db_connection_strings',
        error: new Error(
          'add "db_connection_strings": {"<name>": "postgresql://user:pass@host:5432/db"} to settings.json',
        ),
      },
    ];
    return { rows, health: { status: 'ok', names: {} } };
  }
  const provider = context.provider(settings);
  const rows: CheckRow[] = [];
  for (const name of names) {
    const check = `database ${name}`;
    try {
      resolveDatabaseSettings(settings, name);
      const credentials = await provider.getCredentials(name);
      const ms = await context.probeDatabase(provider, credentials);
      const lease = credentials.leaseId.startsWith('file:')
        ? 'credentials from db_credentials_file'
        : `lease ${formatSeconds(credentials.leaseDuration)}${credentials.renewable ? ' (renewable)' : ''}`;
      rows.push({
        check,
        result: 'ok',
        detail: `${describeTarget(credentials)}, ${lease}, query ${Math.round(ms)} ms`,
      });
    } catch (error) {
      rows.push(failed(check, error));
    }
  }
  // Before `close`: the leases the check read are still held, so their time left is real.
  return { rows, health: provider.health() };
}

/** Whether some database of `settings` reads its credentials from Vault (not from a file). */
function usesVault(settings: DataverkSettings): boolean {
  const files = settings.db_credentials_file;
  const fromFile = (name: string) => typeof files === 'object' && files !== null && Object.hasOwn(files, name);
  return databaseNames(settings).some((name) => !fromFile(name));
}

function failed(check: string, error: unknown): CheckRow {
  const code = (underlyingError(error) as { code?: unknown } | null)?.code;
  return { check, result: 'FAILED', detail: typeof code === 'string' ? code : 'error', error };
}

function report(context: CommandContext, rows: readonly CheckRow[]): void {
  const { stdout } = context.io;
  writeLine(
    stdout,
    textTable(
      ['CHECK', 'RESULT', 'DETAIL'],
      rows.map((row) => [row.check, row.result, row.detail]),
    ),
  );
  const failures = rows.filter((row) => row.result === 'FAILED');
  if (failures.length === 0) {
    writeLine(stdout, '\nall checks passed');
    return;
  }
  writeLine(stdout);
  for (const row of failures) writeLine(stdout, `${row.check}: ${describeError(row.error)}`);
  writeLine(stdout, `\n${failures.length} of ${rows.length} checks failed`);
}
