import { resolveDatabaseSettings } from '@dataverk/core';
import { writeLine } from './cli-io.js';
import type { CommandContext } from './command-context.js';
import { type CredentialFormat, formatCredentials, sslmodeOf } from './credential-format.js';
import { ExitCode } from './exit-code.js';
import { formatSeconds } from './text-table.js';

/**
 * `dataverk creds <name> [--format env|url|json]`: reads fresh credentials for database `name` from
 * Vault and prints them, password included — the one command that prints a secret, and only to
 * stdout. A note on stderr names the lease and when it ends: this command does not renew it, and
 * does not revoke it (you are about to use it).
 *
 * @example
 * // $ eval "$(dataverk creds postgres_database)" && psql
 * // $ psql "$(dataverk creds postgres_database --format url)"
 */
export async function credsCommand(context: CommandContext, name: string, format: CredentialFormat): Promise<ExitCode> {
  const settings = await context.loadSettings();
  const { connectionString } = resolveDatabaseSettings(settings, name);
  const credentials = await context.provider(settings).getCredentials(name);
  writeLine(context.io.stdout, formatCredentials(credentials, format, sslmodeOf(connectionString)));
  const { loginsValidUntil = credentials.expiresAt } = credentials;
  const until = Number.isFinite(credentials.expiresAt)
    ? `valid for ${formatSeconds(credentials.leaseDuration)} (until ${new Date(credentials.expiresAt).toISOString()})`
    : credentials.leaseId.startsWith('iam:')
      ? // An IAM token (db_iam): checked at login only; a session opened with it outlives it.
        `a login token, good for new logins until ${new Date(loginsValidUntil).toISOString()} (log in before then)`
      : 'static credentials';
  writeLine(
    context.io.stderr,
    `dataverk: ${credentials.user}, lease ${credentials.leaseId || '(none)'}, ${until}; not renewed after this command.`,
  );
  await context.close();
  return ExitCode.Ok;
}
