import { describe, expect, it } from 'vitest';
import { runCli } from './cli-backends.test-helpers.js';
import { COMMAND_NAMES } from './help-text.js';

const env = { PATH: process.env.PATH ?? '' };

describe('dataverk (command line)', () => {
  it('--help lists every command and the exit codes', async () => {
    const run = await runCli(['--help'], env);
    expect(run.code).toBe(0);
    for (const command of COMMAND_NAMES) expect(run.stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    for (const code of [0, 1, 2, 3, 4, 5]) expect(run.stdout).toMatch(new RegExp(`^  ${code}  `, 'm'));
  });

  it.each(COMMAND_NAMES)('%s --help, -h and `help <command>` print its usage and exit 0', async (command) => {
    const run = await runCli([command, '--help'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^Usage: dataverk ${command}\\b`));
    expect((await runCli(['help', command], env)).stdout).toBe(run.stdout);
    expect((await runCli([command, '-h'], env)).stdout).toBe(run.stdout);
  });

  it('exits 2 with the help on stderr when run without a command', async () => {
    const run = await runCli([], env);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('Usage: dataverk <command>');
  });

  it.each([
    [['frobnicate'], "unknown command 'frobnicate'", 'dataverk --help'],
    [['check', '--frob'], "Unknown option '--frob'", 'dataverk check --help'],
    [['creds'], 'dataverk creds needs a database name', 'dataverk creds --help'],
    [['creds', 'a', 'b'], 'dataverk creds takes one database name, got also: b', 'dataverk creds --help'],
    [['psql'], 'dataverk psql needs a database name', 'dataverk psql --help'],
    [['leases', '--watch'], "Option '--watch <value>' argument missing", 'dataverk leases --help'],
  ])('exits 2 on %j, saying what is wrong and where help is', async (args, problem, help) => {
    const run = await runCli(args, env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`dataverk: DATAVERK_CLI_USAGE: ${problem}`);
    expect(run.stderr).toContain(`See \`${help}\`.`);
  });

  it('prints its version', async () => {
    const run = await runCli(['--version'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('exits 3 naming the setting when nothing is configured', async () => {
    const run = await runCli(['creds', 'postgres_database'], { ...env, HOME: '/nonexistent' }, '/');
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/^dataverk: DATAVERK_SETTINGS_FILE_MISSING: no settings\.json found/);
  });
});
