// The TypeScript snippets of the documentation, as the consumer test type-checks them. A snippet is
// a fenced code block whose info string starts with `ts` (or `typescript`); `ts no-check` marks one
// that is not meant to compile (a Deno specifier, a declaration listing, a package we do not
// install). A fragment that uses names it does not define gets them from an HTML comment right
// above its fence, which the site does not show:
//
//   <!-- snippet-prelude
//   import type { Client } from '@dataverk/pg';
//   declare const dv: Client;
//   -->
//
// Each snippet becomes one module whose first lines are the snippet's, so a diagnostic at line N of
// the module is at line fence + N of the Markdown file; the prelude goes after the snippet (imports
// and `declare`s may follow their use).

/** The fence info word that keeps a snippet out of the type check. */
export const NO_CHECK = 'no-check';
const PRELUDE_OPEN = '<!-- snippet-prelude';
const PRELUDE_CLOSE = '-->';
const FENCE_OPEN = /^(\s*)(`{3,}|~{3,})(\S*)(.*)$/;
const TYPESCRIPT = new Set(['ts', 'typescript']);

/** One TypeScript code block of a Markdown file. */
export interface DocSnippet {
  /** The Markdown file, relative to the repository root (`docs/guide/data.md`). */
  readonly source: string;
  /** 1-based line of the opening fence. */
  readonly fenceLine: number;
  readonly code: string;
  /** Hidden declarations the snippet assumes, from a `snippet-prelude` comment; '' for none. */
  readonly prelude: string;
  /** False when the fence says `no-check`. */
  readonly checked: boolean;
}

/**
 * The TypeScript snippets of one Markdown file, in order. Indented fences (inside a list item) lose
 * their indentation.
 *
 * @example
 * extractSnippets('docs/guide/data.md', readFileSync('docs/guide/data.md', 'utf8'));
 */
export function extractSnippets(source: string, markdown: string): DocSnippet[] {
  const lines = markdown.split('\n');
  const snippets: DocSnippet[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const open = FENCE_OPEN.exec(lines[index] ?? '');
    if (open === null) continue;
    const [, indent = '', fence = '', language = '', info = ''] = open;
    const close = findClosingFence(lines, index + 1, fence);
    if (TYPESCRIPT.has(language)) {
      const body = lines
        .slice(index + 1, close)
        .map((line) => (line.startsWith(indent) ? line.slice(indent.length) : line));
      snippets.push({
        source,
        fenceLine: index + 1,
        code: `${body.join('\n')}\n`,
        prelude: preludeAbove(lines, index),
        checked: !info.trim().split(/\s+/).includes(NO_CHECK),
      });
    }
    index = close;
  }
  return snippets;
}

function findClosingFence(lines: readonly string[], from: number, fence: string): number {
  const closing = new RegExp(`^\\s*${fence[0]}{${fence.length},}\\s*$`);
  for (let index = from; index < lines.length; index += 1) if (closing.test(lines[index] ?? '')) return index;
  return lines.length;
}

/** The body of a `snippet-prelude` comment whose `-->` is the line right above the fence. */
function preludeAbove(lines: readonly string[], fenceIndex: number): string {
  if ((lines[fenceIndex - 1] ?? '').trim() !== PRELUDE_CLOSE) return '';
  for (let index = fenceIndex - 2; index >= 0; index -= 1) {
    const trimmed = (lines[index] ?? '').trim();
    if (trimmed === PRELUDE_OPEN) {
      return `${lines
        .slice(index + 1, fenceIndex - 1)
        .map((line) => line.trim())
        .join('\n')}\n`;
    }
    if (trimmed.startsWith('<!--') || trimmed.includes(PRELUDE_CLOSE)) return '';
  }
  return '';
}

/** The module file a snippet is written to: its source and fence line (`docs-guide-data.md-42.ts`). */
export function snippetFileName(snippet: DocSnippet): string {
  return `${snippet.source.replace(/[\\/]/g, '-')}-${snippet.fenceLine}.ts`;
}

/** The module text: the snippet at the top (lines line up with the Markdown), then its prelude. */
export function snippetModule(snippet: DocSnippet): string {
  const prelude = snippet.prelude === '' ? '' : `// snippet-prelude\n${snippet.prelude}`;
  return `${snippet.code}${prelude}export {};\n`;
}

/**
 * `tsc --pretty false` output with each position in a snippet module rewritten to the Markdown
 * line it came from (`docs/guide/data.md:47:5: error TS2304: …`); lines that name other files are
 * kept as they are.
 */
export function diagnosticsAtDocLines(output: string, byFile: ReadonlyMap<string, DocSnippet>): string[] {
  const diagnostics: string[] = [];
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    const match = /^(?:.*[\\/])?([^\\/(]+\.ts)\((\d+),(\d+)\): (.*)$/.exec(line);
    const snippet = match === null ? undefined : byFile.get(match[1] ?? '');
    if (match === null || snippet === undefined) {
      diagnostics.push(line);
      continue;
    }
    const row = Number(match[2]);
    const codeLines = snippet.code.split('\n').length - 1;
    const where =
      row <= codeLines
        ? `${snippet.source}:${snippet.fenceLine + row}:${match[3]}`
        : `${snippet.source}:${snippet.fenceLine} (snippet-prelude line ${row - codeLines - 1})`;
    diagnostics.push(`${where}: ${match[4]}`);
  }
  return diagnostics;
}
