// Writes the public API of every package to docs/api.md, from the built declarations
// (packages/*/dist/**/*.d.ts, so run `pnpm build` first): per package and `exports` entry, each
// exported name with its kind and its declaration, comments removed, sorted by name.
// `--check` writes nothing: it exits 1 when docs/api.md differs from what the build exports, so
// CI fails when the public API changes without the file changing. The text above the marker line
// in docs/api.md is written by hand and kept.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { declarationProgram, diffSummary, fail, moduleSymbolOf, publicEntries } from './public-entries.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const REPORT = join(ROOT, 'docs/api.md');
const MARKER = '<!-- Generated below by `pnpm api:report` from the built .d.ts files: do not edit. -->';
const check = process.argv.includes('--check');

const entries = publicEntries(ROOT);
const program = declarationProgram(entries.map((e) => e.file));
const checker = program.getTypeChecker();
const printer = ts.createPrinter({ removeComments: true, newLine: ts.NewLineKind.LineFeed });

const sections = [];
for (const { specifier, file } of entries) {
  const moduleSymbol = moduleSymbolOf(program, file);
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
