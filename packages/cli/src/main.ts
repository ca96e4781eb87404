import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { checkCommand } from './check-command.js';
import { type CliIo, processIo, writeLine } from './cli-io.js';
import { CommandContext } from './command-context.js';
import { CREDENTIAL_FORMATS, type CredentialFormat } from './credential-format.js';
import { credsCommand } from './creds-command.js';
import { doctorCommand } from './doctor-command.js';
import { cliUsage } from './errors.js';
import { describeError, ExitCode, exitCodeFor } from './exit-code.js';
import { COMMAND_NAMES, type CommandName, helpText } from './help-text.js';
import { leasesCommand } from './leases-command.js';
import { psqlCommand } from './psql-command.js';

/** Options every command accepts. */
const COMMON_OPTIONS = {
  settings: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const COMMAND_OPTIONS = {
  check: { ...COMMON_OPTIONS, json: { type: 'boolean' } },
  creds: { ...COMMON_OPTIONS, format: { type: 'string' } },
  psql: { ...COMMON_OPTIONS, psql: { type: 'string' } },
  leases: { ...COMMON_OPTIONS, watch: { type: 'string' } },
  doctor: {
    ...COMMON_OPTIONS,
    'owner-prefix': { type: 'string' },
    'member-of': { type: 'string' },
    to: { type: 'string' },
  },
} as const;

/** Longest `--watch`: a day. */
const MAX_WATCH_SECONDS = 86_400;

/**
 * Runs the `dataverk` command line and resolves to the exit code; never throws. Errors are printed
 * to stderr as `dataverk: CODE: message` (messages hold no secrets).
 *
 * @example
 * process.exitCode = await main(['check'], processIo());
 * const code = await main(['creds', 'postgres_database', '--format', 'url'], { env, cwd, stdout, stderr });
 */
export async function main(args: readonly string[], io: CliIo = processIo()): Promise<number> {
  try {
    return await run(args, io);
  } catch (error) {
    writeLine(io.stderr, `dataverk: ${describeError(error)}`);
    return exitCodeFor(error);
  }
}

async function run(args: readonly string[], io: CliIo): Promise<number> {
  const [first, ...rest] = args;
  if (first === undefined) {
    io.stderr.write(helpText());
    return ExitCode.Usage;
  }
  if (first === '-h' || first === '--help') return printed(io, helpText());
  if (first === '--version') return printed(io, `${version()}\n`);
  if (first === 'help') {
    const topic = rest[0];
    if (topic === undefined) return printed(io, helpText());
    return printed(io, helpText(commandName(topic)));
  }
  const command = commandName(first);
  if (command === 'psql') return runPsql(io, rest);
  const { values, positionals } = parse(command, rest);
  if (values.help === true) return printed(io, helpText(command));
  const context = new CommandContext(io, values.settings === undefined ? {} : { settings: values.settings });
  switch (command) {
    case 'check':
      return checkCommand(context, positionals, { json: values.json === true });
    case 'creds':
      return credsCommand(context, onlyName(command, positionals), credentialFormat(values.format));
    case 'leases':
      return leasesCommand(context, positionals, watchSeconds(values.watch));
    case 'doctor':
      return doctorCommand(context, positionals, {
        ownerPrefix: values['owner-prefix'],
        memberOf: values['member-of'],
        to: values.to,
      });
  }
}

/** psql's own arguments follow `--`, so they are split off before parsing ours. */
async function runPsql(io: CliIo, args: readonly string[]): Promise<number> {
  const dash = args.indexOf('--');
  const ours = dash < 0 ? args : args.slice(0, dash);
  const psqlArgs = dash < 0 ? [] : args.slice(dash + 1);
  const { values, positionals } = parse('psql', ours);
  if (values.help === true) return printed(io, helpText('psql'));
  const context = new CommandContext(io, values.settings === undefined ? {} : { settings: values.settings });
  return psqlCommand(context, onlyName('psql', positionals), psqlArgs, values.psql);
}

interface ParsedArgs {
  readonly values: {
    settings?: string;
    help?: boolean;
    format?: string;
    psql?: string;
    watch?: string;
    json?: boolean;
    'owner-prefix'?: string;
    'member-of'?: string;
    to?: string;
  };
  readonly positionals: string[];
}

function parse(command: CommandName, args: readonly string[]): ParsedArgs {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options: COMMAND_OPTIONS[command],
      allowPositionals: true,
      strict: true,
    });
    // Each command's options are a subset of ParsedArgs['values']; parseArgs types them per command.
    return { values: values as ParsedArgs['values'], positionals };
  } catch (error) {
    // Node's parseArgs messages go on about positionals after '--'; the first sentence is the point.
    const first = (error as Error).message.split('. ')[0] ?? String(error);
    throw cliUsage(first.replace(/\.$/, ''), command);
  }
}

function commandName(word: string): CommandName {
  const found = COMMAND_NAMES.find((name) => name === word);
  if (found === undefined) throw cliUsage(`unknown command '${word}' (commands: ${COMMAND_NAMES.join(', ')})`);
  return found;
}

function onlyName(command: CommandName, positionals: readonly string[]): string {
  const [name, ...extra] = positionals;
  if (name === undefined)
    throw cliUsage(`dataverk ${command} needs a database name (a key of db_connection_strings)`, command);
  if (extra.length > 0) {
    const hint = command === 'psql' ? ' (put psql arguments after --)' : '';
    throw cliUsage(`dataverk ${command} takes one database name, got also: ${extra.join(' ')}${hint}`, command);
  }
  return name;
}

function credentialFormat(value: string | undefined): CredentialFormat {
  if (value === undefined) return 'env';
  const format = CREDENTIAL_FORMATS.find((known) => known === value);
  if (format === undefined)
    throw cliUsage(`--format must be one of ${CREDENTIAL_FORMATS.join(', ')} (got '${value}')`, 'creds');
  return format;
}

function watchSeconds(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > MAX_WATCH_SECONDS) {
    throw cliUsage(`--watch takes a number of seconds between 1 and ${MAX_WATCH_SECONDS} (got '${value}')`, 'leases');
  }
  return seconds;
}

function printed(io: CliIo, text: string): number {
  io.stdout.write(text);
  return ExitCode.Ok;
}

function version(): string {
  const manifest = createRequire(import.meta.url)('../package.json') as { version?: string };
  return manifest.version ?? 'unknown';
}
