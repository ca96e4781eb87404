import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { resolveDatabaseSettings } from '@dataverk/core';
import { writeLine } from './cli-io.js';
import { type CommandContext, describeTarget } from './command-context.js';
import { libpqEnvironment, sslmodeOf } from './credential-format.js';
import { psqlNotFound } from './errors.js';
import type { ExitCode } from './exit-code.js';

/** Vault secrets psql has no use for; a `\!` shell escape in psql would see them. */
const VAULT_SECRET_VARIABLES: readonly string[] = ['VAULT_TOKEN', 'VAULT_SECRET_ID'];

/** Signals a terminal sends to the whole foreground group: psql gets them too and handles them (Ctrl-C cancels a query). */
const TERMINAL_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGQUIT'];
/** Signals sent to us alone (`kill`, a closed terminal): passed on to psql, whose exit ends us. */
const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGHUP'];

/**
 * `dataverk psql <name> [-- psql args…]`: reads fresh credentials for database `name` and runs psql
 * with them in its environment (`PGHOST`, `PGPORT`, `PGDATABASE`, `PGUSER`, `PGPASSWORD`,
 * `PGSSLMODE`) — never on its command line, where `ps` would show them; `VAULT_TOKEN` and
 * `VAULT_SECRET_ID` are left out of psql's environment. The lease is renewed while
 * psql runs (up to the role's max TTL) and revoked when psql exits. Exits with psql's status.
 *
 * @example
 * // $ dataverk psql postgres_database -- -c 'SELECT current_user'
 */
export async function psqlCommand(
  context: CommandContext,
  name: string,
  psqlArgs: readonly string[],
  psql = 'psql',
): Promise<ExitCode | number> {
  const settings = await context.loadSettings();
  const { connectionString } = resolveDatabaseSettings(settings, name);
  const provider = context.provider(settings);
  // Held like a pooled connection: a rotation will not revoke the lease under psql's feet.
  const lease = await provider.acquire(name);
  const { credentials } = lease;
  writeLine(
    context.io.stderr,
    `dataverk: psql as ${describeTarget(credentials)}; lease renewed while psql runs, revoked when it exits.`,
  );
  try {
    return await runChild(context, psql, psqlArgs, libpqEnvironment(credentials, sslmodeOf(connectionString)));
  } finally {
    lease.release();
    await context.close({ revoke: true });
  }
}

function runChild(
  context: CommandContext,
  command: string,
  args: readonly string[],
  libpq: Record<string, string>,
): Promise<number> {
  const { io } = context;
  const piped = io.childStdio === 'pipe';
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      env: { ...withoutVaultSecrets(io.env), ...libpq },
      stdio: piped ? ['ignore', 'pipe', 'pipe'] : 'inherit',
    });
    const ignore = () => {};
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    for (const signal of TERMINAL_SIGNALS) process.on(signal, ignore);
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
    const done = () => {
      for (const signal of TERMINAL_SIGNALS) process.off(signal, ignore);
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
    };
    child.stdout?.pipe(io.stdout, { end: false });
    child.stderr?.pipe(io.stderr, { end: false });
    child.once('error', (error: NodeJS.ErrnoException) => {
      done();
      reject(psqlNotFound(command, error.code ?? error.message));
    });
    child.once('close', (code, signal) => {
      done();
      resolve(code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0)));
    });
  });
}

function withoutVaultSecrets(env: Readonly<Record<string, string | undefined>>): Record<string, string | undefined> {
  const copy = { ...env };
  for (const name of VAULT_SECRET_VARIABLES) delete copy[name];
  return copy;
}
