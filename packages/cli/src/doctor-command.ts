import { type DataverkSettings, resolveDatabaseSettings } from '@dataverk/core';
import { createPool } from '@dataverk/pg';
import { writeLine } from './cli-io.js';
import { type CommandContext, databaseNames, describeTarget } from './command-context.js';
import { cliUsage, databaseCheckFailed } from './errors.js';
import { ExitCode } from './exit-code.js';
import { type LeasedOwnerObject, type LeasedOwnerQuery, leasedOwnerObjects } from './leased-owner-objects.js';
import { textTable } from './text-table.js';

/** Vault's default username template starts every leased user with `v-`. */
export const DEFAULT_OWNER_PREFIX = 'v-';
/** The owner the fix statements name when `--to` is not given. */
export const DEFAULT_NEW_OWNER = 'app_owner';
/** How long the doctor waits for the database before giving up. */
const DATABASE_TIMEOUT_MS = 10_000;

/** Options of {@link doctorCommand}. */
export interface DoctorOptions {
  readonly ownerPrefix?: string | undefined;
  readonly memberOf?: string | undefined;
  readonly to?: string | undefined;
}

/**
 * `dataverk doctor [name…]`: logs in to each database (every name, or those given) with fresh
 * credentials and lists the objects owned by leased users — roles whose name starts with `v-`
 * (`--owner-prefix`), or members of `--member-of` — with kind, schema, name, owner and the
 * `ALTER … OWNER TO` that fixes each; then how to fix them for good (`REASSIGN OWNED BY`, and the
 * adapters' `sessionRole` option). Vault's default revocation (`DROP ROLE`) of such a user fails,
 * and its lease cannot be revoked. The leases it took are revoked. Exit 0 when none were found,
 * 1 otherwise.
 *
 * @example
 * // $ dataverk doctor
 * // KIND   SCHEMA  NAME    OWNER                    FIX
 * // table  public  scores  v-token-app-x1y2-176…    ALTER TABLE public.scores OWNER TO app_owner;
 */
export async function doctorCommand(
  context: CommandContext,
  names: readonly string[],
  options: DoctorOptions = {},
): Promise<ExitCode> {
  const query: LeasedOwnerQuery = {
    ownerPrefix: checkedRole(options.ownerPrefix ?? DEFAULT_OWNER_PREFIX, '--owner-prefix'),
    memberOf: options.memberOf === undefined ? undefined : checkedRole(options.memberOf, '--member-of'),
    to: checkedRole(options.to ?? DEFAULT_NEW_OWNER, '--to'),
  };
  const settings = await context.loadSettings();
  const chosen = names.length > 0 ? names : databaseNames(settings);
  if (chosen.length === 0) throw cliUsage('settings.json has no db_connection_strings to look at', 'doctor');
  let found = 0;
  try {
    for (const name of chosen) found += await doctorDatabase(context, settings, name, query);
  } finally {
    await context.close({ revoke: true });
  }
  return found === 0 ? ExitCode.Ok : ExitCode.CheckFailed;
}

/** Lists and explains the objects of one database; the number found. */
async function doctorDatabase(
  context: CommandContext,
  settings: DataverkSettings,
  name: string,
  query: LeasedOwnerQuery,
): Promise<number> {
  resolveDatabaseSettings(settings, name);
  const provider = context.provider(settings);
  const credentials = await provider.getCredentials(name);
  const pool = createPool(name, { provider, max: 1, connectionTimeoutMillis: DATABASE_TIMEOUT_MS });
  let objects: LeasedOwnerObject[];
  try {
    objects = await leasedOwnerObjects(pool, query);
  } catch (error) {
    throw databaseCheckFailed(`${name} (${describeTarget(credentials)})`, error);
  } finally {
    await pool.end();
  }
  const out = context.io.stdout;
  const where = `database ${credentials.database} (${name})`;
  const who =
    query.memberOf === undefined
      ? `'${query.ownerPrefix}…'`
      : `'${query.ownerPrefix}…' or members of ${query.memberOf}`;
  if (objects.length === 0) {
    writeLine(out, `${where}: no objects owned by leased users (${who})`);
    return 0;
  }
  writeLine(out, `${where}: ${objects.length} object(s) owned by leased users (${who}):`);
  writeLine(
    out,
    textTable(
      ['KIND', 'SCHEMA', 'NAME', 'OWNER', 'FIX'],
      objects.map((o) => [o.kind, o.schema, o.name, o.owner, o.fix]),
    ),
  );
  writeLine(out, fixAdvice(objects, query.to));
  return objects.length;
}

/** What to run once per owner, and what keeps it from happening again. */
function fixAdvice(objects: readonly LeasedOwnerObject[], to: string): string {
  const owners = [...new Set(objects.map((o) => o.owner))];
  const role = quoteIdentifier(to);
  return [
    '',
    "Vault's revocation of these users (DROP ROLE) fails while they own objects, so their leases cannot be revoked.",
    `Fix them now, in this database, as a superuser or a member of both roles (${role} must exist):`,
    ...owners.map(
      (owner) => `  REASSIGN OWNED BY ${quoteIdentifier(owner)} TO ${role}; DROP OWNED BY ${quoteIdentifier(owner)};`,
    ),
    '(REASSIGN OWNED moves what they own, as the FIX column does one by one; DROP OWNED then removes their',
    'grants and default privileges. Objects in other databases of the server need the same there.)',
    `Keep it from happening again: give the adapters the option sessionRole: '${to}' and add`,
    `  GRANT ${role} TO "{{name}}";`,
    "to the Vault role's creation_statements, so that every session creates as that role",
    '(docs/operating/database-roles.md).',
  ].join('\n');
}

function checkedRole(value: string, option: string): string {
  if (value.trim() === '' || value.includes('\u0000')) throw cliUsage(`${option} needs a role name`, 'doctor');
  return value;
}

/** An SQL identifier in double quotes. */
function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
