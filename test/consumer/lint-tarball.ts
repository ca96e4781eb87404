import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { REPO_ROOT } from './pack-tarballs.js';
import { runCommand } from './run-command.js';

/**
 * The attw profile: `esm-only`. Our packages are ESM only (one module instance of
 * `@dataverk/core`, whose default provider is process-wide), so attw's "CJS resolves to ESM"
 * finding under `node16-cjs` is the design, not a bug; CommonJS callers use `require(esm)` on
 * Node ≥ 20.19, and TypeScript models that under `module: nodenext` (5.8+) / `node20`.
 * Every other resolution (node10, node16-esm, bundler) must be clean.
 */
export const ATTW_PROFILE = 'esm-only';

/**
 * publint's messages (errors, warnings and suggestions, formatted) for a tarball, read from the
 * tarball itself rather than packing the folder again.
 *
 * @example
 * const problems = await publintProblems('/tmp/dataverk-pg-0.1.0.tgz');
 */
export async function publintProblems(tarball: string): Promise<string[]> {
  const bytes = readFileSync(tarball);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const { messages, pkg } = await publint({ pack: { tarball: buffer }, level: 'suggestion', strict: true });
  return messages.map((message) => `${message.type}: ${formatMessage(message, pkg) ?? message.code}`);
}

/**
 * @arethetypeswrong/cli's verdict on a tarball under {@link ATTW_PROFILE}: nothing when it finds no
 * problem (exit 0), else its report.
 */
export async function attwProblems(tarball: string): Promise<string[]> {
  const attw = join(REPO_ROOT, 'test', 'node_modules', '.bin', 'attw');
  const result = await runCommand(attw, [tarball, '--profile', ATTW_PROFILE, '--no-color'], {
    cwd: REPO_ROOT,
    timeoutMs: 120_000,
  });
  return result.code === 0 ? [] : [`attw exit ${result.code}: ${result.stdout}${result.stderr}`];
}
