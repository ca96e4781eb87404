// Issue 15: the packages as an npm user meets them. Every publishable package is packed with
// `pnpm pack`, installed from the tarballs into fresh projects outside the repository (one with
// npm, one with pnpm), and used from ESM, CommonJS and TypeScript under four module modes; the
// tarballs are linted with publint and @arethetypeswrong/cli. Everything but the tarballs comes
// from the npm registry, at the versions the workspace pins. docs/packaging.md explains the choices.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateTestPrismaClient } from '../integrations/support/generate-prisma-client.js';
import { createConsumerProject, type PackageManager } from './consumer-project.js';
import { ENTRY_POINTS, MODULE_MODES, type ModuleMode } from './consumer-sources.js';
import { diagnosticsAtDocLines } from './doc-snippets.js';
import { ATTW_PROFILE, attwProblems, publintProblems } from './lint-tarball.js';
import { listTarball, type PackedPackage, packAll, REPO_ROOT } from './pack-tarballs.js';
import { describeResult, runCommand } from './run-command.js';
import { writeSnippetProject } from './snippet-project.js';

const MINUTE = 60_000;
/**
 * `DATAVERK_CONSUMER_CHECKS=runtime`: only what the running Node decides (import() and require()
 * of every entry point, the bin). CI's second Node version sets it: the tarball lint, the tsc runs,
 * the snippet check and the engines-floor run (which fetches its own Node) give the same answer
 * on any Node, and the first Node's run has them.
 */
const RUNTIME_ONLY = process.env.DATAVERK_CONSUMER_CHECKS === 'runtime';
/** The tsc runs of the pnpm project (`project/mode`); the npm project has all eight. */
const PNPM_MODES = new Set(['esm/nodenext', 'esm/bundler', 'cjs/nodenext', 'cjs/commonjs']);
/** The oldest Node our `engines` allow: the first 20.x whose require() loads ES modules. */
const ENGINES_FLOOR = '20.19.0';
const root = mkdtempSync(join(tmpdir(), 'dataverk-consumer-'));
let packed: PackedPackage[] = [];
const summary: string[] = [];
const checked: Record<PackageManager, number> = { npm: 0, pnpm: 0 };
let docSnippets = 0;
let uncheckedSnippets = 0;

/** `tsc` diagnostics codes in a compiler output (`usage.ts(3,5): error TS1479: …`). */
function diagnosticCodes(output: string): string[] {
  return [...output.matchAll(/error (TS\d+):/g)].map((match) => match[1] ?? '');
}

beforeAll(async () => {
  packed = await packAll(root);
}, 10 * MINUTE);

afterAll(() => {
  summary.push(
    `tsc runs as expected: npm ${checked.npm}/8, pnpm ${checked.pnpm}/${PNPM_MODES.size} (CJS + node16: TS1479 by design); doc snippets type-checked with ${SNIPPET_MANAGER}: ${docSnippets} (${uncheckedSnippets} marked no-check)`,
  );
  console.log(`[consumer] ${summary.join('; ')}`);
  rmSync(root, { recursive: true, force: true });
});

describe('tarballs', () => {
  it('hold README, LICENSE, dist, whatever their README links to, and no test files', () => {
    expect(packed.map(({ name }) => name)).toEqual(
      expect.arrayContaining(Object.keys(ENTRY_POINTS).filter((n) => !n.includes('/adapter-support'))),
    );
    for (const { name, tarball } of packed) {
      const files = listTarball(tarball);
      expect(files, name).toEqual(
        expect.arrayContaining([
          'package/README.md',
          'package/LICENSE',
          'package/dist/index.js',
          'package/dist/index.d.ts',
        ]),
      );
      const readme = execFileSync('tar', ['-xzOf', tarball, 'package/README.md'], { encoding: 'utf8' });
      const relativeLinks = [...readme.matchAll(/\]\(([^)#\s]+)\)/g)]
        .map((match) => match[1] ?? '')
        .filter((link) => !/^[a-z]+:/i.test(link));
      const dead = relativeLinks.filter((link) => !files.includes(`package/${link.replace(/^\.\//, '')}`));
      expect(dead, `${name}: README links outside the tarball`).toEqual([]);
      expect(
        files.filter((file) => /\.test(-helpers)?\.[cm]?[jt]s$|\.test(-helpers)?\.d\.ts/.test(file)),
        name,
      ).toEqual([]);
    }
    summary.push(`${packed.length} tarballs`);
  });

  it.skipIf(RUNTIME_ONLY)(
    `report nothing in publint (strict, suggestions included) and attw (profile ${ATTW_PROFILE})`,
    async () => {
      const problems: string[] = [];
      for (const { name, tarball } of packed) {
        for (const problem of [...(await publintProblems(tarball)), ...(await attwProblems(tarball))]) {
          problems.push(`${name}: ${problem}`);
        }
      }
      expect(problems).toEqual([]);
      summary.push(`publint 0 and attw 0 problems`);
    },
    5 * MINUTE,
  );
});

/**
 * Both by default. `DATAVERK_CONSUMER_MANAGERS=npm` narrows the list: CI's second Node version
 * installs with npm only, since what differs between the managers (hoisted or strict
 * node_modules) does not differ between Node versions, and both run on the first.
 */
const MANAGERS = (process.env.DATAVERK_CONSUMER_MANAGERS ?? 'npm,pnpm')
  .split(',')
  .map((name) => name.trim())
  .filter((name): name is PackageManager => name === 'npm' || name === 'pnpm');

/**
 * The documentation's snippets are type-checked in one project: npm's, as the docs' install lines
 * use npm (what pnpm's strict layout changes for our packages, the usage file's tsc runs check).
 * One `tsc` of ~1,700 files, the ORMs' types included: once per run, not once per manager.
 */
const SNIPPET_MANAGER: PackageManager = MANAGERS.includes('npm') ? 'npm' : (MANAGERS[0] ?? 'npm');

describe.each<PackageManager>(MANAGERS)('installed with %s', (manager) => {
  const dir = join(root, manager);

  beforeAll(async () => {
    await createConsumerProject(dir, manager, packed);
  }, 10 * MINUTE);

  it(
    'import() from ESM finds every entry point; the Kysely dialect is a PostgresDialect of the same kysely',
    async () => {
      const result = await runCommand(process.execPath, ['smoke.mjs'], { cwd: dir });
      expect(result.code, describeResult(result)).toBe(0);
      const report = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as {
        found: Record<string, string>;
        sameKysely: boolean;
      };
      expect(report.found).toEqual(Object.fromEntries(Object.keys(ENTRY_POINTS).map((name) => [name, 'function'])));
      expect(report.sameKysely).toBe(true);
    },
    2 * MINUTE,
  );

  it(
    `require() from CommonJS on Node ${process.versions.node} finds every entry point, with kysely's CommonJS copy`,
    async () => {
      const result = await runCommand(process.execPath, ['smoke.cjs'], { cwd: join(dir, 'cjs') });
      expect(result.code, describeResult(result)).toBe(0);
      expect(result.stderr).not.toMatch(/ERR_REQUIRE_ESM|ERR_MODULE_NOT_FOUND/);
      const report = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as {
        found: Record<string, string>;
        sameKysely: boolean;
      };
      expect(report.found).toEqual(Object.fromEntries(Object.keys(ENTRY_POINTS).map((name) => [name, 'function'])));
      expect(report.sameKysely).toBe(true);
    },
    2 * MINUTE,
  );

  // What the engines floor decides (require() of an ES module) is the same through either layout.
  it.skipIf(RUNTIME_ONLY || manager !== 'npm')(
    `import() and require() on Node ${ENGINES_FLOOR}, the engines floor (from the npm registry)`,
    async () => {
      for (const [script, cwd] of [
        ['smoke.mjs', dir],
        ['smoke.cjs', join(dir, 'cjs')],
      ] as const) {
        const result = await runCommand('npx', ['-y', `node@${ENGINES_FLOOR}`, script], { cwd });
        expect(result.code, describeResult(result)).toBe(0);
        const report = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}') as {
          found: Record<string, string>;
          sameKysely: boolean;
        };
        expect(report.found, script).toEqual(
          Object.fromEntries(Object.keys(ENTRY_POINTS).map((name) => [name, 'function'])),
        );
        expect(report.sameKysely, script).toBe(true);
      }
    },
    5 * MINUTE,
  );

  // One tsc over every snippet (README.md, docs/, package READMEs), each its own module; a
  // diagnostic names the Markdown file and line (test/consumer/doc-snippets.ts).
  if (manager === SNIPPET_MANAGER && !RUNTIME_ONLY) {
    it(
      'every TypeScript snippet of the READMEs and docs/ type-checks (ESM project, nodenext)',
      async () => {
        // A client of its own: the Prisma example's test regenerates examples/prisma/generated meanwhile.
        const prismaClient = dirname(await generateTestPrismaClient());
        const project = writeSnippetProject(REPO_ROOT, dir, prismaClient);
        rmSync(dirname(prismaClient), { recursive: true, force: true });
        const tsc = join(dir, 'node_modules', 'typescript', 'bin', 'tsc');
        const result = await runCommand(process.execPath, [tsc, '-p', project.tsconfig, '--pretty', 'false'], {
          cwd: dir,
        });
        expect(diagnosticsAtDocLines(result.stdout, project.byFile)).toEqual([]);
        expect(result.code, describeResult(result)).toBe(0);
        expect(project.byFile.size).toBeGreaterThanOrEqual(20);
        docSnippets = project.byFile.size;
        uncheckedSnippets = project.snippets.length - project.byFile.size;
      },
      3 * MINUTE,
    );
  }

  it(
    'the dataverk bin answers --version and --help',
    async () => {
      const bin = join(dir, 'node_modules', '.bin', 'dataverk');
      const version = await runCommand(bin, ['--version'], { cwd: dir });
      expect(version.code, describeResult(version)).toBe(0);
      expect(version.stdout.trim()).toContain(packed.find(({ name }) => name === '@dataverk/cli')?.version ?? '?');
      const help = await runCommand(bin, ['--help'], { cwd: dir });
      expect(help.code, describeResult(help)).toBe(0);
      expect(help.stdout).toContain('Usage: dataverk');
    },
    2 * MINUTE,
  );

  // CommonJS under `module: node16` is the one combination TypeScript refuses: it models Node 16,
  // which cannot require() an ES module (TS1479 on each @dataverk import; docs/packaging.md).
  // Every project and mode with npm's hoisted layout; with pnpm's strict one, each way of resolving
  // a package once (node16 resolves as nodenext does): exports for ESM (nodenext, bundler) and for
  // require (nodenext), main and typesVersions without exports (commonjs).
  const expectations: [project: 'esm' | 'cjs', mode: ModuleMode, codes: string[]][] = [];
  for (const project of ['esm', 'cjs'] as const) {
    for (const mode of MODULE_MODES) {
      if (manager === 'pnpm' && !PNPM_MODES.has(`${project}/${mode}`)) continue;
      expectations.push([project, mode, project === 'cjs' && mode === 'node16' ? ['TS1479'] : []]);
    }
  }
  it.skipIf(RUNTIME_ONLY).each(expectations)(
    'tsc --noEmit, %s project, module %s: diagnostics %j',
    async (project, mode, codes) => {
      const cwd = project === 'esm' ? dir : join(dir, 'cjs');
      const tsc = join(dir, 'node_modules', 'typescript', 'bin', 'tsc');
      const result = await runCommand(process.execPath, [tsc, '-p', `tsconfig.${mode}.json`], { cwd });
      const found = [...new Set(diagnosticCodes(result.stdout))];
      expect(found, describeResult(result)).toEqual(codes);
      expect(result.code, describeResult(result)).toBe(codes.length === 0 ? 0 : 2);
      checked[manager] += 1;
    },
    3 * MINUTE,
  );
});
