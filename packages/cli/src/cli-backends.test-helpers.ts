import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  type DataverkSeed,
  envPostgres,
  seedDataverk,
  startVault,
  type TestVault,
  type VaultRecord,
} from '@dataverk/testkit';
import { expect, inject } from 'vitest';
import { main } from './main.js';

/** The run's PostgreSQL, a Vault (the run's backend: OpenBao or the dev server) and dataverk's seed settings, for CLI tests. */
export interface CliBackends {
  readonly vault: TestVault;
  /** What the Vault server saw (its lease record), on the dev server and on OpenBao alike. */
  readonly record: VaultRecord;
  readonly seed: DataverkSeed;
  /** The application's environment (settings, Vault address and token) plus an empty HOME and PATH. */
  readonly env: Readonly<Record<string, string>>;
  /** Secrets that must never show up in output: the app token, the root token. */
  readonly secrets: readonly string[];
  close(): Promise<void>;
}

export async function startCliBackends(options: { ttl?: number; maxTtl?: number } = {}): Promise<CliBackends> {
  const postgres = envPostgres(inject('postgres').url);
  const vault = await startVault({ postgres });
  console.log(`[dataverk] Vault backend: ${vault.backend} (${vault.address})`);
  const record = vault.record;
  if (record === undefined) {
    await vault.stop();
    throw new Error(`the ${vault.backend} Vault keeps no lease record; the CLI tests need the dev server or OpenBao`);
  }
  const seed = await seedDataverk({ postgres, vault, ttl: options.ttl ?? 60, maxTtl: options.maxTtl ?? 120 });
  const home = await mkdtemp(join(tmpdir(), 'dataverk-cli-home-'));
  const token = seed.env.VAULT_TOKEN ?? '';
  return {
    vault,
    record,
    seed,
    env: { ...seed.env, HOME: home, PATH: process.env.PATH ?? '' },
    // Everything this Vault issued or was sent (tokens, passwords, secret ids), read when checked.
    get secrets() {
      return [token, ...record.issuedSecrets().map((secret) => secret.value)];
    },
    close: async () => {
      await seed.remove();
      await vault.stop();
      await rm(home, { recursive: true, force: true });
    },
  };
}

/** What one `dataverk …` run printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI's `main` in this process with `env`, capturing its output (and psql's). */
export async function runCli(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  cwd = process.cwd(),
): Promise<CliRun> {
  const stdout = collect();
  const stderr = collect();
  const code = await main(args, { env, cwd, stdout: stdout.stream, stderr: stderr.stream, childStdio: 'pipe' });
  await new Promise((resolve) => setImmediate(resolve)); // piped child output still in flight
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

/** Fails when any of `secrets` (the Vault's record of what it issued, and more) is in `text`. */
export function expectNoSecrets(text: string, secrets: readonly string[]): void {
  expect(secrets.length, 'the Vault record lists the secrets to look for').toBeGreaterThan(1);
  for (const secret of secrets) if (secret !== '') expect(text.includes(secret), 'output holds a secret').toBe(false);
}

function collect(): { stream: PassThrough; text(): string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}
