// The public entry points of the published packages and a TypeScript program over their built
// declarations (packages/*/dist/**/*.d.ts): what scripts/api-report.mjs and
// scripts/options-report.mjs read. Private packages are left out.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

/** `{ specifier, file }` for each `exports` entry with types, in package and `exports` order. */
export function publicEntries(root) {
  const entries = [];
  for (const dir of readdirSync(join(root, 'packages')).sort()) {
    const manifestPath = join(root, 'packages', dir, 'package.json');
    if (!existsSync(manifestPath)) continue;
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
    if (manifest.private === true) continue;
    for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
      const types = typesOf(target);
      if (types === undefined) continue;
      const file = join(root, 'packages', dir, types);
      if (!existsSync(file)) fail(`${file} is missing: run \`pnpm build\` first.`);
      entries.push({ specifier: subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`, file });
    }
  }
  return entries;
}

/** A program over the declaration files, resolved as a Node.js ESM consumer would. */
export function declarationProgram(files) {
  return ts.createProgram(files, {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    noEmit: true,
  });
}

/** The module symbol of a declaration file, or a failure naming it. */
export function moduleSymbolOf(program, file) {
  const source = program.getSourceFile(file);
  const moduleSymbol = source === undefined ? undefined : program.getTypeChecker().getSymbolAtLocation(source);
  if (moduleSymbol === undefined) fail(`${file} has no exports TypeScript can read.`);
  return moduleSymbol;
}

/** The first few lines that differ between two texts, as `-`/`+` lines. */
export function diffSummary(before, after) {
  const was = new Set(before.split('\n'));
  const now = new Set(after.split('\n'));
  const removed = [...was].filter((line) => !now.has(line)).slice(0, 20);
  const added = [...now].filter((line) => !was.has(line)).slice(0, 20);
  return [...removed.map((l) => `- ${l}`), ...added.map((l) => `+ ${l}`)].join('\n');
}

export function fail(message) {
  console.error(message);
  process.exit(1);
}

function typesOf(target) {
  if (typeof target === 'string') return target.endsWith('.d.ts') ? target : undefined;
  if (target === null || typeof target !== 'object') return undefined;
  if (typeof target.types === 'string') return target.types;
  for (const value of Object.values(target)) {
    const found = typesOf(value);
    if (found !== undefined) return found;
  }
  return undefined;
}
