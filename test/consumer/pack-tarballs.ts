import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeResult, runCommand } from './run-command.js';

/** The repository root (test/consumer/ is two levels below it). */
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

const PNPM = ['-y', 'pnpm@12.4.2'] as const;

/** A packed workspace package. */
export interface PackedPackage {
  readonly name: string;
  readonly version: string;
  /** The package's folder name under packages/. */
  readonly folder: string;
  readonly tarball: string;
}

/** Every package under packages/ that is not private, with its manifest. */
export function publishablePackages(): { folder: string; name: string; version: string }[] {
  const packagesDir = join(REPO_ROOT, 'packages');
  return readdirSync(packagesDir)
    .filter((folder) => existsSync(join(packagesDir, folder, 'package.json')))
    .map((folder) => {
      const manifest = JSON.parse(readFileSync(join(packagesDir, folder, 'package.json'), 'utf8')) as {
        name: string;
        version: string;
        private?: boolean;
      };
      return { folder, ...manifest };
    })
    .filter((manifest) => manifest.private !== true)
    .map(({ folder, name, version }) => ({ folder, name, version }));
}

/**
 * Builds the packages when a dist/ is missing (CI builds before the tests), then runs `pnpm pack`
 * in each, as publishing would (workspace: versions replaced, prepack scripts run).
 *
 * @example
 * const packed = await packAll('/tmp/tarballs');
 */
export async function packAll(destination: string): Promise<PackedPackage[]> {
  const packages = publishablePackages();
  if (packages.some(({ folder }) => !existsSync(join(REPO_ROOT, 'packages', folder, 'dist', 'index.js')))) {
    const build = await runCommand('npx', [...PNPM, 'exec', 'tsc', '-b', 'tsconfig.build.json'], { cwd: REPO_ROOT });
    if (build.code !== 0) throw new Error(`build failed: ${describeResult(build)}`);
  }
  const packed: PackedPackage[] = [];
  for (const { folder, name, version } of packages) {
    const result = await runCommand('npx', [...PNPM, 'pack', '--pack-destination', destination], {
      cwd: join(REPO_ROOT, 'packages', folder),
    });
    if (result.code !== 0) throw new Error(`pnpm pack ${name} failed: ${describeResult(result)}`);
    const tarball = join(destination, `${name.replace('@', '').replace('/', '-')}-${version}.tgz`);
    if (!existsSync(tarball)) throw new Error(`pnpm pack ${name}: no ${tarball}\n${describeResult(result)}`);
    packed.push({ name, version, folder, tarball });
  }
  return packed;
}

/** The exact version the workspace pins for `name` (test/package.json, else the root's devDependencies). */
export function workspaceVersion(name: string): string {
  for (const file of ['test/package.json', 'package.json']) {
    const manifest = JSON.parse(readFileSync(join(REPO_ROOT, file), 'utf8')) as Record<string, Record<string, string>>;
    const version = manifest.dependencies?.[name] ?? manifest.devDependencies?.[name];
    if (version !== undefined) return version;
  }
  throw new Error(`no version of ${name} pinned in the workspace`);
}

/** The file names in a tarball (`package/…`). */
export function listTarball(tarball: string): string[] {
  return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean);
}
