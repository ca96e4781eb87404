import type { BenchResults, TargetCheck } from '../bench-results.js';

/**
 * The results as a Markdown table: one row per measure, the three contenders side by side, and
 * dataverk's figure against the target. The same text goes to the console and the README.
 */
export function resultsTable(results: BenchResults): string {
  const { pooledThroughput: tp, newConnection: nc, coldHerd: herd, rotation: rot, leaseChurn: churn } = results;
  const { startup } = results;
  const rows: string[][] = [
    ['measure', 'static', 'naive', 'dataverk', 'dataverk vs target'],
    [
      `1. pooled: ${n(tp.queries)} SELECT, concurrency ${tp.concurrency}, pool ${tp.poolMax} — queries/s`,
      n(tp.contenders.static.queriesPerSecond),
      n(tp.contenders.naive.queriesPerSecond),
      n(tp.contenders.dataverk.queriesPerSecond),
      `${tp.ratio.measured.toFixed(3)} × static: median of per-round ratios (target ${tp.ratio.target}) ${mark(tp.ratio)}; per-round IQR ${tp.ratioQuartiles[0].toFixed(2)}–${tp.ratioQuartiles[1].toFixed(2)}; ratio of totals ${tp.ratioOfTotals.toFixed(3)}`,
    ],
    [
      '1. p50 / p99 ms',
      ms2(tp.contenders.static.p50Ms, tp.contenders.static.p99Ms),
      ms2(tp.contenders.naive.p50Ms, tp.contenders.naive.p99Ms),
      ms2(tp.contenders.dataverk.p50Ms, tp.contenders.dataverk.p99Ms),
      '',
    ],
    [
      `2. new connection + first query, ${n(nc.iterations)}× — p50 / p99 ms`,
      ms2(nc.contenders.static.p50Ms, nc.contenders.static.p99Ms),
      ms2(nc.contenders.naive.p50Ms, nc.contenders.naive.p99Ms),
      ms2(nc.contenders.dataverk.p50Ms, nc.contenders.dataverk.p99Ms),
      `p50 ${nc.ratio.measured.toFixed(3)} × static (target ${nc.ratio.target}) ${mark(nc.ratio)}; p99 ${nc.p99Ratio.toFixed(3)} ×`,
    ],
    [
      `3. cold start: ${n(herd.queries)} concurrent first queries — Vault requests`,
      herdCell(herd.contenders.static),
      herdCell(herd.contenders.naive),
      herdCell(herd.contenders.dataverk),
      `${herd.vaultRequests.measured} (target ${herd.vaultRequests.target}) ${mark(herd.vaultRequests)}`,
    ],
    [
      `4. rotation: TTL ${rot.ttlSeconds} s, ${rot.durationMs / 1000} s, concurrency ${rot.concurrency} in bursts — failed queries`,
      '—',
      `${n(rot.contenders.naive.failed)} of ${n(rot.contenders.naive.queries)}`,
      `${n(rot.contenders.dataverk.failed)} of ${n(rot.contenders.dataverk.queries)}`,
      `${rot.failedQueries.measured} (target ${rot.failedQueries.target}) ${mark(rot.failedQueries)}`,
    ],
    ['4. rotations (Vault creds reads)', '—', rotations(rot.contenders.naive), rotations(rot.contenders.dataverk), ''],
    [
      `4. p99 ms inside ${rot.windowMs} ms after a rotation / outside`,
      '—',
      inOut(rot.contenders.naive),
      inOut(rot.contenders.dataverk),
      `${rot.p99Ratio.measured.toFixed(2)} (target ${rot.p99Ratio.target}) ${mark(rot.p99Ratio)}`,
    ],
    [
      `5. lease churn: ${n(churn.rotations)} rotations, fake clock — heap growth / handle growth`,
      '—',
      '—',
      `${(churn.heapGrowth.measured / 1024).toFixed(0)} KiB / ${signed(churn.handleGrowth.measured)}`,
      `heap ${mark(churn.heapGrowth)} (target ${churn.heapGrowth.target}); handles ${mark(churn.handleGrowth)} (target ${churn.handleGrowth.target})`,
    ],
    [
      `6. import: knex + pg (+ @dataverk/knex), built packages, median of ${startup.pairs} paired runs — CPU / wall ms`,
      times(startup.importMs.baseline),
      '—',
      times(startup.importMs.dataverk),
      `CPU ${startup.importRatio.measured.toFixed(2)} × (target ${startup.importRatio.target}) ${mark(startup.importRatio)}; wall ${startup.importWallRatio.toFixed(2)} ×`,
    ],
    [
      `6. cold start: process start to first row (dataverk: login, KV, creds, connect), median of ${startup.pairs} — CPU / wall ms`,
      times(startup.firstRowMs.static),
      '—',
      times(startup.firstRowMs.dataverk),
      `wall ${startup.firstRowRatio.toFixed(2)} × static`,
    ],
  ];
  return markdownTable(rows);
}

/** Plain-text cells padded to equal width: the shape Biome's Markdown formatter keeps as is. */
function markdownTable(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(3, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: readonly string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
  return [line(rows[0]!), line(widths.map((w) => '-'.repeat(w))), ...rows.slice(1).map(line)].join('\n');
}

function herdCell(figures: { vaultRequests: number; logins: number; credentialReads: number; failed: number }): string {
  const parts = `${figures.vaultRequests} (${figures.logins} login, ${figures.credentialReads} creds)`;
  return figures.failed === 0 ? parts : `${parts}, ${figures.failed} failed`;
}

function rotations(figures: { rotations: number; credentialReads: number }): string {
  return `${figures.rotations} (${figures.credentialReads})`;
}

function inOut(figures: { p99InsideMs: number; p99OutsideMs: number; p99Ratio: number }): string {
  return `${figures.p99InsideMs.toFixed(1)} / ${figures.p99OutsideMs.toFixed(1)} = ${figures.p99Ratio.toFixed(2)}`;
}

function times(figures: { readonly cpuMs: number; readonly wallMs: number }): string {
  return `${figures.cpuMs.toFixed(0)} / ${figures.wallMs.toFixed(0)}`;
}

function ms2(p50: number, p99: number): string {
  return `${p50.toFixed(2)} / ${p99.toFixed(2)}`;
}

function mark(target: TargetCheck): string {
  return target.met ? 'met' : 'MISSED';
}

function n(value: number): string {
  return value.toLocaleString('en-US');
}

function signed(value: number): string {
  return value > 0 ? `+${value}` : String(value);
}
