/**
 * The rows `readSql` returns, shown as a table where a notebook can show one.
 *
 * Deno's Jupyter kernel displays any value with a `Symbol.for('Jupyter.display')` method by the
 * media bundle that method returns (as IPython does with `_repr_html_`). The rows stay a plain
 * array of row objects: the method is a non-enumerable, symbol-keyed property, so `length`,
 * indexing, spreading, `JSON.stringify` and `console.log` see exactly what they saw before.
 */

/** The key Deno's Jupyter kernel (and display.js) looks for. */
export const JUPYTER_DISPLAY: unique symbol = Symbol.for('Jupyter.display');

/** Rows shown by default; the total is always stated. */
export const DEFAULT_DISPLAY_ROWS = 50;

/** Characters of one cell shown in `text/plain` before it is cut with `…`. */
const MAX_TEXT_CELL = 40;

/** What a Jupyter front end renders: the richest type it understands wins. */
export interface JupyterMediaBundle {
  readonly 'text/html': string;
  readonly 'text/plain': string;
}

/** An array of rows that renders as a table in Jupyter. */
export type ResultTable<Row> = Row[] & { [JUPYTER_DISPLAY](): JupyterMediaBundle };

/** Options of {@link asResultTable}. */
export interface ResultTableOptions {
  /** Column names in the order the query returned them (pg's `result.fields`); default: the rows' keys. */
  readonly columns?: readonly string[];
  /** Rows shown at most; default {@link DEFAULT_DISPLAY_ROWS}. */
  readonly displayRows?: number;
}

/**
 * Gives `rows` (in place) a `Symbol.for('Jupyter.display')` method rendering the first
 * `displayRows` rows as an HTML table and as aligned text, with the total row count; values are
 * HTML-escaped. Returns the same array.
 *
 * @example
 * const rows = asResultTable([{ region: 'north', amount: 120 }], { columns: ['region', 'amount'] });
 * rows[0].amount; // 120
 * rows[Symbol.for('Jupyter.display')]()['text/plain']; // 'region | amount\n…\n(1 row)'
 */
export function asResultTable<Row extends object>(rows: Row[], options: ResultTableOptions = {}): ResultTable<Row> {
  const displayRows = options.displayRows ?? DEFAULT_DISPLAY_ROWS;
  const display = (): JupyterMediaBundle => {
    const columns = options.columns ?? columnsOf(rows, displayRows);
    const shown = rows.slice(0, displayRows).map((row) => columns.map((column) => cellValue(row, column)));
    const caption = rowCountCaption(shown.length, rows.length);
    return { 'text/html': htmlTable(columns, shown, caption), 'text/plain': textTable(columns, shown, caption) };
  };
  Object.defineProperty(rows, JUPYTER_DISPLAY, { value: display, enumerable: false, configurable: true });
  return rows as ResultTable<Row>;
}

function columnsOf(rows: readonly object[], limit: number): string[] {
  const columns = new Set<string>();
  for (const row of rows.slice(0, limit)) for (const key of Object.keys(row)) columns.add(key);
  return [...columns];
}

function cellValue(row: object, column: string): string | null {
  const value = (row as Record<string, unknown>)[column];
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`;
  if (typeof value === 'object')
    return JSON.stringify(value, (_key, inner) => (typeof inner === 'bigint' ? String(inner) : inner));
  return String(value);
}

function rowCountCaption(shown: number, total: number): string {
  const rowsWord = total === 1 ? 'row' : 'rows';
  return shown < total ? `${shown} of ${total} rows shown` : `${total} ${rowsWord}`;
}

function htmlTable(columns: readonly string[], shown: readonly (string | null)[][], caption: string): string {
  const head = columns.map((column) => `<th>${escapeHtml(column)}</th>`).join('');
  const body = shown
    .map(
      (cells) =>
        `<tr>${cells.map((cell) => (cell === null ? '<td><i>null</i></td>' : `<td>${escapeHtml(cell)}</td>`)).join('')}</tr>`,
    )
    .join('\n');
  return [
    '<table class="dataverk-result">',
    `<thead><tr>${head}</tr></thead>`,
    `<tbody>\n${body}\n</tbody>`,
    '</table>',
    `<p class="dataverk-result-count">${escapeHtml(caption)}</p>`,
  ].join('\n');
}

function textTable(columns: readonly string[], shown: readonly (string | null)[][], caption: string): string {
  const cells = shown.map((row) => row.map((cell) => clip(cell === null ? 'null' : cell)));
  const widths = columns.map((column, i) => Math.max(column.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const line = (values: readonly string[]) =>
    values
      .map((value, i) => value.padEnd(widths[i] ?? 0))
      .join(' | ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('-+-');
  return [line(columns), rule, ...cells.map(line), `(${caption})`].join('\n');
}

// One line per row: a newline or tab in a value would break the alignment.
function clip(value: string): string {
  const flat = value.replace(/[\r\n\t]+/g, ' ');
  return flat.length > MAX_TEXT_CELL ? `${flat.slice(0, MAX_TEXT_CELL - 1)}…` : flat;
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
