// Writes the public API of every package to docs/api.md, from the built declarations
// (packages/*/dist/**/*.d.ts, so run `pnpm build` first): per package and `exports` entry, each
// exported name with its kind and its declaration, comments removed, sorted by name.
// `--check` writes nothing: it exits 1 when docs/api.md differs from what the build exports, so
// CI fails when the public API changes without the file changing. The text above the marker line
// in docs/api.md is written by hand and kept.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const ROOT = new URL('..', import.meta.url).pathname;
const REPORT = join(ROOT, 'docs/api.md');
const MARKER = '<!-- Generated below by `pnpm api:report` from the built .d.ts files: do not edit. -->';
const check = process.argv.includes('--check');

const entries = [];
for (const dir of readdirSync(join(ROOT, 'packages')).sort()) {
  const manifestPath = join(ROOT, 'packages', dir, 'package.json');
  if (!existsSync(manifestPath)) continue;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  if (manifest.private === true) continue;
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    const types = typesOf(target);
    if (types === undefined) continue;
    const file = join(ROOT, 'packages', dir, types);
    if (!existsSync(file)) fail(`${file} is missing: run \`pnpm build\` before the API report.`);
    entries.push({ specifier: subpath === '.' ? manifest.name : `${manifest.name}/${subpath.slice(2)}`, file });
  }
}

const program = ts.createProgram(
  entries.map((e) => e.file),
  {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    noEmit: true,
  },
);
const checker = program.getTypeChecker();
const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });

const sections = [];
for (const { specifier, file } of entries) {
  const source = program.getSourceFile(file);
  const moduleSymbol = source === undefined ? undefined : checker.getSymbolAtLocation(source);
  if (moduleSymbol === undefined) fail(`${file} has no exports TypeScript can read.`);
  const lines = [];
  const exported = checker.getExportsOfModule(moduleSymbol).sort((a, b) => compare(a.getName(), b.getName()));
  for (const symbol of exported) lines.push(describe(symbol));
  // Declaration listings, not code to compile: `no-check` keeps them out of the snippet check.
  sections.push(
    `## \`${specifier}\`\n\n${exported.length} exports.\n\n\`\`\`ts no-check\n${lines.join('\n\n')}\n\`\`\`\n`,
  );
}
const generated = `${sections.join('\n')}`;

const existing = existsSync(REPORT) ? readFileSync(REPORT, 'utf8') : '';
const markerAt = existing.indexOf(MARKER);
const preamble = markerAt < 0 ? '# Public API\n\n' : existing.slice(0, markerAt);
const report = `${preamble}${MARKER}\n\n${generated}`;

if (check) {
  if (report !== existing) {
    console.error(diffSummary(existing, report));
    fail('public API changed: run `pnpm api:report` and commit docs/api.md (after `pnpm build`).');
  }
  console.log(`public API unchanged: ${entries.length} entry points match docs/api.md.`);
} else {
  writeFileSync(REPORT, report);
  console.log(`wrote docs/api.md: ${entries.length} entry points.`);
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

/** `kind name` and each declaration as the .d.ts has it, without comments. */
function describe(exported) {
  const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
  const declarations = symbol.getDeclarations() ?? [];
  const texts = declarations.map((declaration) => {
    const node = ts.isVariableDeclaration(declaration) ? declaration.parent.parent : declaration;
    const text = printer.printNode(ts.EmitHint.Unspecified, node, declaration.getSourceFile()).trim();
    return text.replace(/^export\s+/, '').replace(/^declare\s+/, '');
  });
  const renamed = exported.getName() === symbol.getName() ? '' : ` (alias of ${symbol.getName()})`;
  return `// ${exported.getName()}: ${kindOf(symbol)}${renamed}\n${texts.join('\n')}`;
}

function kindOf(symbol) {
  const kinds = [
    [ts.SymbolFlags.Class, 'class'],
    [ts.SymbolFlags.Function, 'function'],
    [ts.SymbolFlags.Enum, 'enum'],
    [ts.SymbolFlags.Variable, 'const'],
    [ts.SymbolFlags.Interface, 'interface'],
    [ts.SymbolFlags.TypeAlias, 'type'],
    [ts.SymbolFlags.Namespace, 'namespace'],
  ].filter(([flag]) => symbol.flags & flag);
  return kinds.length === 0 ? 'other' : kinds.map(([, name]) => name).join(' + ');
}

function compare(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

function diffSummary(before, after) {
  const was = new Set(before.split('\n'));
  const now = new Set(after.split('\n'));
  const removed = [...was].filter((line) => !now.has(line)).slice(0, 20);
  const added = [...now].filter((line) => !was.has(line)).slice(0, 20);
  return [...removed.map((l) => `- ${l}`), ...added.map((l) => `+ ${l}`)].join('\n');
}

function fail(message) {
  console.error(message);
  process.exit(1);
}
