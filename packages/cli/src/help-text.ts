/** The commands `dataverk` knows. */
export type CommandName = 'check' | 'creds' | 'psql' | 'leases' | 'doctor';

export const COMMAND_NAMES: readonly CommandName[] = ['check', 'creds', 'psql', 'leases', 'doctor'];

const EXIT_CODES = `Exit codes:
  0  ok
  1  dataverk check found a problem, dataverk doctor found objects (or an unexpected error)
  2  usage: unknown command or option, missing argument
  3  configuration: settings file, placeholders, VAULT_ADDR, Vault auth setup, psql not found
  4  Vault refused or could not be reached
  5  the database refused the login or could not be reached
  dataverk psql exits with psql's own status once psql runs.`;

const SETTINGS = `Settings: --settings PATH (settings.json or its directory), else $DATAVERK_SETTINGS_PATH, else
./settings.json. Placeholders and Vault access come from the environment, as in your application
(VAULT_ADDR, VAULT_TOKEN or a Kubernetes/AppRole login, DATAVERK_SECRETS_FROM_API, …).`;

const GENERAL = `dataverk — PostgreSQL credentials from Vault, for people at a terminal

Usage: dataverk <command> [options]

Commands:
  check [name…]              settings found, placeholders resolved, Vault reachable, every database
                             logged in to with fresh credentials; prints a table (--json: the
                             shape of provider.health()), no secrets
  creds <name>               print fresh credentials for psql and friends (--format env|url|json)
  psql <name> [-- args…]     run psql with fresh credentials in its environment
  leases [name…]             the leases Vault holds for each database (--watch SECONDS: follow one)
  doctor [name…]             objects owned by leased users (v-…), which Vault cannot drop, and
                             how to fix them (REASSIGN OWNED BY, the sessionRole option)

Options:
  --settings PATH            settings.json, or the directory holding it
  -h, --help                 help (also: dataverk <command> --help)
  --version                  the version

${SETTINGS}

${EXIT_CODES}
`;

const COMMANDS: Readonly<Record<CommandName, string>> = {
  check: `Usage: dataverk check [name…] [--json] [--settings PATH]

Checks, in order, and prints one table row each (no secrets):
  settings file      found where applications look for it
  placeholders       every \${NAME} filled from Vault KV, secret files or the environment
  vault              the address answers and the token (or login) is accepted
  database <name>    fresh credentials from db_vault_path log in to db_connection_strings
                     and run one query (every name, or only those given)
Failures are listed under the table with their error code and what to do. Leases taken
for the check are revoked before it ends.

--json prints, instead of the table, what provider.health() returns after the check, plus
each check: {"status": "ok|degraded|failing", "names": {"<name>": {"status", "leaseEndsInMs",
"vaultFailingForMs", "lastError": {"code", "operation", "ageMs"} | null}}, "checks": [...]}.

${SETTINGS}

Exit codes: 0 all checks passed, 1 a check failed, 2 usage.
`,
  creds: `Usage: dataverk creds <name> [--format env|url|json] [--settings PATH]

Reads fresh credentials for database <name> from Vault and prints them — the only dataverk
command that prints a secret, and only to stdout:
  env   (default) export PGHOST=… PGPORT=… PGDATABASE=… PGUSER=… PGPASSWORD=… [PGSSLMODE=…]
        eval "$(dataverk creds postgres_database)" && psql
  url   postgresql://user:password@host:port/database[?sslmode=…]
        psql "$(dataverk creds postgres_database --format url)"
  json  one object with the lease id, duration and expiry as well
A note on stderr names the lease and when it ends. The lease is not renewed after this command
exits and not revoked: it ends after its TTL (or revoke it: vault lease revoke <lease id>).

${SETTINGS}

${EXIT_CODES}
`,
  psql: `Usage: dataverk psql <name> [--psql PATH] [--settings PATH] [-- psql arguments…]

Runs psql against database <name> with credentials read from Vault just now, given to psql in
its environment (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE), never on its
command line. VAULT_TOKEN and VAULT_SECRET_ID are not passed on. The lease is renewed while
psql runs, up to the role's max TTL, and revoked when psql exits.
  dataverk psql postgres_database
  dataverk psql postgres_database -- -c 'SELECT current_user'
Options:
  --psql PATH        the psql to run (default: psql on PATH)

${SETTINGS}

${EXIT_CODES}
`,
  leases: `Usage: dataverk leases [name…] [--watch SECONDS] [--settings PATH]

Without --watch: lists the leases Vault holds under each database's Vault path (db_vault_path):
every instance of your application, and leaked ones. Per lease: id, TTL left, issue time, last
renewal, renewable. Vault does not count renewals; --watch does. Listing needs "list" and
"sudo" on sys/leases/lookup/<path>/ — an operator's policy, not an application's.

With --watch SECONDS: takes a fresh lease per database and follows it as an application would,
one line per event (issued, renewed with the TTL granted, rotated at max TTL, revoked), then
prints each lease with its renewal count and revokes them. Needs only what the application
needs; use it to see your role's TTL and max TTL at work. Ctrl-C ends the watch early.

${SETTINGS}

${EXIT_CODES}
`,
  doctor: `Usage: dataverk doctor [name…] [--owner-prefix PREFIX] [--member-of ROLE] [--to ROLE] [--settings PATH]

Logs in to each database (every name, or only those given) with fresh credentials and lists the
objects owned by leased users: tables, views, sequences, schemas, functions, types and default
privileges whose owner's name starts with PREFIX (default v-, Vault's username template), or
is a member of ROLE. Vault's revocation (DROP ROLE) of such a user fails, so its lease cannot be
revoked; the objects would be lost with it if the revocation statements dropped them.
Per object: kind, schema, name, owner, and the ALTER … OWNER TO ROLE (--to, default app_owner)
that gives it to a stable role; then, per owner, REASSIGN OWNED BY … TO ROLE, and how to keep it
from happening again: the adapters' sessionRole option with GRANT ROLE TO "{{name}}" in the
Vault role's creation_statements. Only the database each name logs in to is looked at.
Leases taken are revoked.

${SETTINGS}

Exit codes: 0 none found, 1 objects found, 2 usage, 3 to 5 as for every command.
`,
};

/**
 * The help text of `command`, or the general help.
 *
 * @example
 * helpText('creds'); // 'Usage: dataverk creds <name> [--format env|url|json] …'
 */
export function helpText(command?: CommandName): string {
  return command === undefined ? GENERAL : COMMANDS[command];
}
