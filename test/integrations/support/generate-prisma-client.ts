import { spawn } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, realpath } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const EXAMPLES_PRISMA = join(ROOT, 'examples', 'prisma');
/** Where tests generate clients of their own (git-ignored), inside the workspace so that `@prisma/client` resolves. */
const TEST_CLIENTS = join(ROOT, 'test', 'integrations', '.prisma-clients');

/**
 * The environment `prisma generate` runs in. Prisma 7's CLI insists on a schema-engine binary
 * before `generate` (it would download one from binaries.prisma.sh), though `generate` itself runs
 * on WebAssembly and never starts it: naming an existing file skips the download. `/bin/false`
 * fails loudly should a command ever run it. No update check, no telemetry.
 */
export function prismaGenerateEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...env,
    PRISMA_SCHEMA_ENGINE_BINARY: '/bin/false',
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
  };
}

/** Runs `prisma generate` (the CLI of test/package.json) on `schemaFile`, from `cwd`. */
async function prismaGenerate(schemaFile: string, cwd: string): Promise<string> {
  const cli = join(await realpath(join(ROOT, 'test', 'node_modules', 'prisma')), 'build', 'index.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'generate', '--schema', schemaFile], {
      cwd,
      env: prismaGenerateEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`prisma generate exited with ${code}:\n${output}`));
    });
  });
}

/**
 * Generates the client of `examples/prisma/schema.prisma` into a fresh directory of this test's
 * own (concurrent runs never share one) and returns the path of its `client.ts`.
 */
export async function generateTestPrismaClient(): Promise<string> {
  await mkdir(TEST_CLIENTS, { recursive: true });
  const dir = await mkdtemp(join(TEST_CLIENTS, 'client-'));
  const schema = join(dir, 'schema.prisma');
  await copyFile(join(EXAMPLES_PRISMA, 'schema.prisma'), schema);
  const output = await prismaGenerate(schema, dir);
  console.log(`[prisma] ${/Generated Prisma Client \([^)]*\)/.exec(output)?.[0] ?? 'generated'} without a download`);
  return join(dir, 'generated', 'client.ts');
}

/** Generates the client examples/prisma.ts imports, in examples/prisma/generated (git-ignored). */
export async function generateExamplesPrismaClient(): Promise<void> {
  const output = await prismaGenerate(join(EXAMPLES_PRISMA, 'schema.prisma'), dirname(EXAMPLES_PRISMA));
  console.log(
    `[prisma] ${/Generated Prisma Client \([^)]*\)/.exec(output)?.[0] ?? 'generated'} for examples/prisma.ts`,
  );
}
