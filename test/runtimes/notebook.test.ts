import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ProcessRun, runProcess } from '../support/run-process.js';
import { DENO_KERNEL, installJupyter, type JupyterEnvironment } from './support/jupyter-environment.js';
import { ROOT } from './support/runtime-binary.js';

const NOTEBOOK = join(ROOT, 'examples', 'notebook.ipynb');
const CELL_TIMEOUT_S = 180;
// nbclient, keeping the outputs Deno's kernel sends just after it reported idle (see the script).
const EXECUTOR = join(ROOT, 'test', 'runtimes', 'execute-notebook.py');
// Jupyter comes from PyPI: on a machine with Node.js and npm only (the README's quick start) there
// is no Python to install it with, and the notebook check is skipped, saying so. CI has Python and
// installs Jupyter in a step of its own, which fails loudly without it.
const pythonMissing = spawnSync('python3', ['--version']).error !== undefined;
if (pythonMissing) console.log('[dataverk] no python3: the notebook check is skipped (it needs Jupyter from PyPI)');

interface Output {
  readonly output_type: string;
  readonly name?: string;
  readonly text?: string | string[];
  readonly data?: Record<string, string | string[]>;
}
interface Cell {
  readonly id: string;
  readonly cell_type: string;
  readonly execution_count?: number | null;
  readonly outputs?: Output[];
}

/** `${NAME}`, as settings.json has it. */
const placeholder = (name: string): string => `$\{${name}}`;

const joined = (text: string | string[] | undefined): string => (Array.isArray(text) ? text.join('') : (text ?? ''));

/** What a cell printed (stdout and stderr). */
function streamOf(cell: Cell): string {
  return (cell.outputs ?? [])
    .filter((output) => output.output_type === 'stream')
    .map((output) => joined(output.text))
    .join('');
}

/** The media bundle a cell displayed (its last expression, or `display()`). */
function displayed(cell: Cell): Record<string, string> | undefined {
  const output = (cell.outputs ?? []).find((candidate) =>
    ['execute_result', 'display_data'].includes(candidate.output_type),
  );
  return output?.data === undefined
    ? undefined
    : Object.fromEntries(Object.entries(output.data).map(([type, value]) => [type, joined(value)]));
}

describe.skipIf(pythonMissing)('examples/notebook.ipynb, executed headless with the Deno kernel (nbclient)', () => {
  let jupyter: JupyterEnvironment;
  let run: ProcessRun;
  let executedText: string;
  let cells: Map<string, Cell>;
  let issued: string[];
  let workDir: string;

  beforeAll(async () => {
    jupyter = await installJupyter();
    workDir = await mkdtemp(join(tmpdir(), 'dataverk-notebook-'));
    const secretsFile = join(workDir, `issued-${randomBytes(6).toString('hex')}.json`);
    run = await runProcess(
      [
        jupyter.python,
        EXECUTOR,
        NOTEBOOK,
        join(workDir, 'executed.ipynb'),
        `--kernel=${DENO_KERNEL}`,
        `--timeout=${CELL_TIMEOUT_S}`,
      ],
      {
        cwd: ROOT,
        // The kernel inherits this: the notebook's set-up cell uses the run's PostgreSQL and starts
        // its own Vault (real OpenBao where `bao` is found), as the examples do.
        env: {
          ...jupyter.env,
          DATAVERK_TEST_DATABASE_URL: inject('postgres').url,
          DATAVERK_TEST_ISSUED_SECRETS_FILE: secretsFile,
        },
        timeoutMs: 600_000,
      },
    );
    console.log(`[notebook] executed with nbclient: exit ${run.code ?? run.signal} in ${run.durationMs} ms`);
    if (run.code !== 0) console.log(`[notebook] executor stderr:\n${run.stderr}`);
    executedText = await readFile(join(workDir, 'executed.ipynb'), 'utf8').catch(() => '');
    const notebook = JSON.parse(executedText === '' ? '{"cells":[]}' : executedText) as { cells: Cell[] };
    cells = new Map(notebook.cells.map((cell) => [cell.id, cell]));
    issued = JSON.parse(await readFile(secretsFile, 'utf8').catch(() => '[]')) as string[];
  }, 900_000);

  afterAll(async () => {
    if (workDir !== undefined) await rm(workDir, { recursive: true, force: true });
  });

  it('runs every cell without an error', () => {
    expect(run.code, run.stderr).toBe(0);
    const code = [...cells.values()].filter((cell) => cell.cell_type === 'code');
    expect(code.length).toBeGreaterThanOrEqual(8);
    for (const cell of code) {
      expect(cell.execution_count, `cell ${cell.id} ran`).toBeGreaterThan(0);
      expect(
        (cell.outputs ?? []).filter((output) => output.output_type === 'error'),
        `cell ${cell.id}`,
      ).toEqual([]);
    }
    expect(streamOf(cells.get('setup') ?? ({} as Cell))).toMatch(/^\[notebook\] Vault: \S+ at /m);
    expect(streamOf(cells.get('close') ?? ({} as Cell))).toBe('closed\n');
  });

  it('shows settings.json as dataverk users write it, its placeholders filled from Vault KV', () => {
    const settings = streamOf(cells.get('settings') ?? ({} as Cell));
    expect(settings).toContain(`"postgres_database": "${placeholder('POSTGRES_CREDENTIALS')}"`);
    expect(settings).toContain(`"postgres_database": "${placeholder('POSTGRES_CREDS_PATH')}"`);
    expect(streamOf(cells.get('setup') ?? ({} as Cell))).toMatch(/placeholders from Vault KV secret\//);
  });

  it('displays readSql results as tables: HTML and text, 50 rows shown and the total', () => {
    const all = displayed(cells.get('read-all') ?? ({} as Cell));
    const html = all?.['text/html'] ?? '';
    expect(html).toContain('<thead><tr><th>id</th><th>region</th><th>amount</th><th>created_at</th></tr></thead>');
    expect(html.match(/<tr><td>/g)?.length).toBe(50);
    expect(html).toContain('50 of 500 rows shown');
    expect(all?.['text/plain']).toMatch(/^id +\| region +\| amount +\| created_at\n/);
    expect(all?.['text/plain']).toMatch(/\(50 of 500 rows shown\)$/);
    const byRegion = displayed(cells.get('read-by-region') ?? ({} as Cell));
    expect(byRegion?.['text/html']).toContain('<th>region</th><th>orders</th><th>total</th>');
    expect(byRegion?.['text/html']?.match(/<tr><td>/g)?.length).toBe(4);
    expect(byRegion?.['text/plain']).toMatch(/\(4 rows\)$/);
    expect(streamOf(cells.get('plain-array') ?? ({} as Cell))).toMatch(/^500 orders; largest region: \w+ \(\d+\)\n$/);
    console.log(`[notebook] read-all table: ${/\d+ of \d+ rows shown/.exec(html)?.[0]}`);
  });

  it('a rotation between two cells: the next readSql runs as a new database user', () => {
    const line = /^user before: (\S+), after: (\S+), changed: (\w+)$/m.exec(
      streamOf(cells.get('user-changed') ?? ({} as Cell)),
    );
    expect(line, 'the user-after cell printed no before/after line').not.toBeNull();
    const [, before, after, changed] = line ?? [];
    console.log(`[notebook] users: ${before} → ${after}`);
    expect(before).toMatch(/^v-/);
    expect(after).toMatch(/^v-/);
    expect(after).not.toBe(before);
    expect(changed).toBe('true');
    expect(streamOf(cells.get('wait-for-rotation') ?? ({} as Cell))).toBe(`rotated to ${after}\n`);
    const table = displayed(cells.get('user-after') ?? ({} as Cell));
    expect(table?.['text/html']).toContain(`<tr><td>${after}</td><td>500</td></tr>`);
  });

  it('shows no secret its Vault issued anywhere in the executed notebook or the run output', () => {
    console.log(`[notebook] ${issued.length} issued secrets searched in ${executedText.length} characters`);
    expect(issued.length, 'the notebook listed the secrets its Vault issued').toBeGreaterThan(1);
    const text = executedText + run.stdout + run.stderr;
    for (const secret of issued) expect(text.includes(secret), 'the notebook holds an issued secret').toBe(false);
  });
});
