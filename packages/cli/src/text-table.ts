/**
 * Renders rows as left-aligned columns separated by two spaces, with a header line; the last
 * column is not padded, so long details do not leave trailing blanks.
 *
 * @example
 * textTable(['CHECK', 'RESULT'], [['settings file', 'ok']]);
 * // 'CHECK          RESULT\nsettings file  ok'
 */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  return all
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * A duration in seconds for people: `42s`, `3m05s`, `2h00m`, `12d3h`.
 *
 * @example
 * formatSeconds(185); // '3m05s'
 */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return 'never';
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86_400)}d${Math.floor((s % 86_400) / 3600)}h`;
}
