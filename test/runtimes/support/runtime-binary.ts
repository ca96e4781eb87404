import { accessSync, constants } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The other JavaScript runtimes dataverk is checked on. */
export type Runtime = 'deno' | 'bun';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

// The `deno` and `bun` npm packages (root devDependencies) ship the binary through a platform
// package; their postinstall (allowed in pnpm-workspace.yaml) puts it where these paths point.
const BINARIES: Record<Runtime, string> = { deno: 'deno', bun: join('bin', 'bun.exe') };

/**
 * The runtime's own binary (not the npm `bin` shim, which would put a Node process in between),
 * or an error that says how to get it: these checks fail rather than skip when it is missing.
 *
 * @example
 * spawn(runtimeBinary('deno'), ['--version']);
 */
export function runtimeBinary(runtime: Runtime): string {
  const require = createRequire(join(ROOT, 'package.json'));
  const binary = join(dirname(require.resolve(`${runtime}/package.json`)), BINARIES[runtime]);
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    throw new Error(
      `no ${runtime} binary at ${binary}: run \`npx -y pnpm@12.4.2 install\` (its postinstall must be allowed in pnpm-workspace.yaml)`,
    );
  }
  return binary;
}

/**
 * The command line that runs a TypeScript file of this repository under `runtime`, resolving
 * `@dataverk/*` to the packages' TypeScript sources as `pnpm example` does under Node: Bun through
 * the `@dataverk/source` export condition, Deno through examples/deno.json (an import map to the
 * sources, `node_modules` as pnpm laid it out, and `.js` specifiers that name `.ts` files).
 *
 * @example
 * const [command, ...args] = runtimeCommand('bun', 'examples/read-sql.ts');
 */
export function runtimeCommand(runtime: Runtime, file: string): [string, ...string[]] {
  const binary = runtimeBinary(runtime);
  return runtime === 'deno'
    ? [binary, 'run', '--allow-all', `--config=${join(ROOT, 'examples', 'deno.json')}`, file]
    : [binary, '--conditions=@dataverk/source', file];
}
