import { describe, expect, it } from 'vitest';
import { diagnosticsAtDocLines, extractSnippets, snippetFileName, snippetModule } from './doc-snippets.js';

const PAGE = [
  '# Page', //                                          1
  '', //                                                2
  '```sh', //                                           3
  'npm install @dataverk/pg', //                        4
  '```', //                                             5
  '', //                                                6
  '<!-- snippet-prelude', //                            7
  "import type { Client } from '@dataverk/pg';", //     8
  'declare const dv: Client;', //                       9
  '-->', //                                             10
  '```ts', //                                           11
  "const rows = await dv.readSql('db', 'select 1');", // 12
  'rows.length;', //                                    13
  '```', //                                             14
  '', //                                                15
  '1. In a cell:', //                                   16
  '', //                                                17
  '   ```ts no-check', //                               18
  "   import { Client } from 'npm:@dataverk/pg';", //   19
  '   ```', //                                          20
  '', //                                                21
  '````typescript', //                                  22
  '```ts', //                                           23
  '````', //                                            24
].join('\n');

describe('extractSnippets', () => {
  const snippets = extractSnippets('docs/page.md', PAGE);

  it('finds the ts and typescript fences, not the others, with the line of their fence', () => {
    expect(snippets.map(({ fenceLine, checked }) => [fenceLine, checked])).toEqual([
      [11, true],
      [18, false],
      [22, true],
    ]);
  });

  it('takes the prelude from the comment right above the fence, and none elsewhere', () => {
    expect(snippets[0]?.prelude).toBe("import type { Client } from '@dataverk/pg';\ndeclare const dv: Client;\n");
    expect(snippets[1]?.prelude).toBe('');
  });

  it('drops the indentation of a fence inside a list item; a longer fence holds a shorter one', () => {
    expect(snippets[1]?.code).toBe("import { Client } from 'npm:@dataverk/pg';\n");
    expect(snippets[2]?.code).toBe('```ts\n');
  });
});

describe('a snippet module and its diagnostics', () => {
  const [snippet] = extractSnippets('docs/page.md', PAGE);
  if (snippet === undefined) throw new Error('no snippet');
  const file = snippetFileName(snippet);

  it('is named after its page and fence line, and starts with the snippet', () => {
    expect(file).toBe('docs-page.md-11.ts');
    expect(snippetModule(snippet).split('\n').slice(0, 2)).toEqual(PAGE.split('\n').slice(11, 13));
  });

  it('reports a diagnostic at the Markdown line, in the prelude, or in another file as tsc printed it', () => {
    const output = [
      `snippets/${file}(2,1): error TS2304: Cannot find name 'rowz'.`,
      `snippets/${file}(5,19): error TS2304: Cannot find name 'Client'.`,
      "snippets/helper.ts(1,1): error TS1005: ';' expected.",
      '',
    ].join('\n');
    expect(diagnosticsAtDocLines(output, new Map([[file, snippet]]))).toEqual([
      "docs/page.md:13:1: error TS2304: Cannot find name 'rowz'.",
      "docs/page.md:11 (snippet-prelude line 2): error TS2304: Cannot find name 'Client'.",
      "snippets/helper.ts(1,1): error TS1005: ';' expected.",
    ]);
  });
});
