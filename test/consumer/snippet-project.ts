// Writes the documentation's TypeScript snippets into an installed consumer project (snippets/),
// ready for one `tsc -p snippets/tsconfig.json` against the packed packages.
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { type DocSnippet, extractSnippets, snippetFileName, snippetModule } from './doc-snippets.js';

/**
 * Packages the snippets import that a consumer of ours installs for their own reasons (an ORM, a
 * test runner, Arrow), keyed by the workspace folder whose node_modules holds them. They are
 * linked from the workspace (already in its lockfile and installed: nothing is downloaded) into
 * snippets/node_modules, so the consumer's own node_modules stays as npm or pnpm made it.
 */
const LINKED_FROM_WORKSPACE: Readonly<Record<string, string>> = {
  '@mikro-orm/core': 'examples',
  '@mikro-orm/postgresql': 'examples',
  '@prisma/adapter-pg': 'examples',
  '@prisma/client': 'examples',
  '@types/pg': 'packages/pg',
  'apache-arrow': 'packages/pg',
  'drizzle-orm': 'examples',
  sequelize: 'examples',
  typeorm: 'examples',
  vitest: '.',
};

/** What {@link writeSnippetProject} wrote. */
export interface SnippetProject {
  /** The tsconfig to pass to `tsc -p`. */
  readonly tsconfig: string;
  /** Every snippet found, checked or not. */
  readonly snippets: readonly DocSnippet[];
  /** The checked snippets by module file name, to map diagnostics back to the Markdown. */
  readonly byFile: ReadonlyMap<string, DocSnippet>;
}

/**
 * The Markdown a user reads: README.md, every page of docs/ and each package's README.
 *
 * @example
 * documentationFiles('/work/main'); // ['README.md', 'docs/api.md', …, 'packages/core/README.md', …]
 */
export function documentationFiles(root: string): string[] {
  const packages = readdirSync(join(root, 'packages'))
    .map((name) => `packages/${name}/README.md`)
    .filter((file) => existsSync(join(root, file)));
  return ['README.md', ...markdownUnder(root, 'docs'), ...packages];
}

function markdownUnder(root: string, folder: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(join(root, folder), { withFileTypes: true })) {
    const path = `${folder}/${entry.name}`;
    if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules') {
      files.push(...markdownUnder(root, path));
    } else if (entry.isFile() && entry.name.endsWith('.md')) {
      files.push(path);
    }
  }
  return files.sort();
}

/**
 * Writes every checked snippet of the repository at `root` as a module of `consumerDir`/snippets,
 * with the linked packages, a strict nodenext tsconfig and what the ORM guides tell users to put
 * next to their code: the helpers of examples/orm/ and a generated Prisma client (`prismaClient`,
 * the folder holding `client.ts`: prisma.md imports `./prisma/generated/client.js`).
 *
 * @example
 * const project = writeSnippetProject(repositoryRoot, '/tmp/consumer/npm', generatedClientDir);
 * await runCommand(process.execPath, [tsc, '-p', project.tsconfig, '--pretty', 'false'], { cwd: '/tmp/consumer/npm' });
 */
export function writeSnippetProject(root: string, consumerDir: string, prismaClient: string): SnippetProject {
  const dir = join(consumerDir, 'snippets');
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  for (const [name, folder] of Object.entries(LINKED_FROM_WORKSPACE)) {
    const installed = join(root, folder, 'node_modules', name);
    if (!existsSync(installed)) throw new Error(`${installed} is missing: run pnpm install in the workspace`);
    mkdirSync(join(dir, 'node_modules', name, '..'), { recursive: true });
    symlinkSync(realpathSync(installed), join(dir, 'node_modules', name), 'dir');
  }
  cpSync(join(root, 'examples', 'orm'), dir, { recursive: true });
  cpSync(prismaClient, join(dir, 'prisma', 'generated'), { recursive: true });

  const snippets = documentationFiles(root).flatMap((file) =>
    extractSnippets(file, readFileSync(join(root, file), 'utf8')),
  );
  const byFile = new Map<string, DocSnippet>();
  for (const snippet of snippets.filter(({ checked }) => checked)) {
    const file = snippetFileName(snippet);
    writeFileSync(join(dir, file), snippetModule(snippet));
    byFile.set(file, snippet);
  }
  const compilerOptions = {
    module: 'nodenext',
    moduleResolution: 'nodenext',
    target: 'ES2022',
    lib: ['ES2023'],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
  };
  const tsconfig = join(dir, 'tsconfig.json');
  writeFileSync(tsconfig, `${JSON.stringify({ compilerOptions, files: [...byFile.keys()] }, null, 2)}\n`);
  return { tsconfig, snippets, byFile };
}
