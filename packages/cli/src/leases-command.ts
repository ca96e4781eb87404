import { type DataverkSettings, resolveDatabaseSettings } from '@dataverk/core';
import { writeLine } from './cli-io.js';
import { type CommandContext, databaseNames } from './command-context.js';
import { cliUsage } from './errors.js';
import { ExitCode } from './exit-code.js';
import { LeaseWatch } from './lease-watch.js';
import { formatSeconds, textTable } from './text-table.js';
import { listVaultLeases } from './vault-lease-listing.js';

/**
 * `dataverk leases [name…]`: the leases Vault holds under each database's Vault path (all of your
 * application's instances, and leaked ones), with TTL left and last renewal. Needs `list` + `sudo` on
 * `sys/leases/lookup/<path>/`.
 *
 * `dataverk leases [name…] --watch SECONDS`: takes a fresh lease per database and follows it like an
 * application would — each renewal, the rotation at max TTL — then prints the leases with their
 * renewal counts and revokes them. Needs only what the application needs.
 *
 * @example
 * // $ dataverk leases
 * // NAME               LEASE ID                                      TTL LEFT  ISSUED                    LAST RENEWAL              RENEWABLE
 * // postgres_database  database/creds/app/6x2W…                      52m10s    2026-11-25T10:00:00.000Z  2026-11-25T10:40:00.000Z  yes
 */
export async function leasesCommand(
  context: CommandContext,
  names: readonly string[],
  watchSeconds: number | undefined,
): Promise<ExitCode> {
  const settings = await context.loadSettings();
  const chosen = names.length > 0 ? names : databaseNames(settings);
  if (chosen.length === 0) throw cliUsage('settings.json has no db_connection_strings to look up', 'leases');
  try {
    if (watchSeconds === undefined) await listLeases(context, settings, chosen);
    else await watchLeases(context, settings, chosen, watchSeconds);
  } finally {
    await context.close({ revoke: true });
  }
  return ExitCode.Ok;
}

async function listLeases(
  context: CommandContext,
  settings: DataverkSettings,
  names: readonly string[],
): Promise<void> {
  const rows: string[][] = [];
  for (const name of names) {
    const { vaultPath, credentialsFile } = resolveDatabaseSettings(settings, name);
    if (credentialsFile !== undefined) {
      // Its leases, if any, are the agent's that renders the file: not listed under a Vault path of ours.
      rows.push([name, '(credentials from a file: db_credentials_file)', '', '', '', '']);
      continue;
    }
    const leases = await listVaultLeases(context.vault(), vaultPath);
    if (leases.length === 0) rows.push([name, `(no live leases under ${vaultPath})`, '', '', '', '']);
    for (const lease of leases) {
      rows.push([
        name,
        lease.id,
        formatSeconds(lease.ttl),
        lease.issueTime,
        lease.lastRenewal ?? 'never',
        lease.renewable ? 'yes' : 'no',
      ]);
    }
  }
  writeLine(
    context.io.stdout,
    textTable(['NAME', 'LEASE ID', 'TTL LEFT', 'ISSUED', 'LAST RENEWAL', 'RENEWABLE'], rows),
  );
}

async function watchLeases(
  context: CommandContext,
  settings: DataverkSettings,
  names: readonly string[],
  seconds: number,
): Promise<void> {
  const provider = context.provider(settings);
  const watch = new LeaseWatch(provider, context.io.stdout);
  for (const name of names) resolveDatabaseSettings(settings, name);
  await Promise.all(names.map((name) => provider.getCredentials(name)));
  await waitOrInterrupt(seconds * 1000);
  const rows = [...watch.leases.values()].map((lease) => [
    lease.name,
    lease.leaseId,
    lease.user,
    String(lease.renewals),
    lease.state === 'current' || lease.state === 'superseded'
      ? formatSeconds((lease.expiresAt - Date.now()) / 1000)
      : '-',
    lease.state,
  ]);
  writeLine(context.io.stdout);
  writeLine(context.io.stdout, textTable(['NAME', 'LEASE ID', 'USER', 'RENEWALS', 'TTL LEFT', 'STATE'], rows));
  writeLine(context.io.stdout, '\nrevoking the leases taken by this watch');
}

/** Resolves after `ms`, or at Ctrl-C (so that the summary is still printed and leases revoked). */
function waitOrInterrupt(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const finish = () => {
      clearTimeout(timer);
      process.off('SIGINT', finish);
      resolve();
    };
    const timer = setTimeout(finish, ms);
    process.once('SIGINT', finish);
  });
}
