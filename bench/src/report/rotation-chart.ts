import type { RotationResult, RotationTimeline } from '../bench-results.js';

/** Layout of the chart, in SVG user units. */
const WIDTH = 960;
const PANEL_HEIGHT = 200;
const FAIL_STRIP = 36;
const MARGIN = { left: 64, right: 24, top: 56, gap: 64, bottom: 44 };
const COLORS = { latency: '#1f5fa8', failed: '#d62728', rotation: '#7f7f7f', burst: '#f2f2f2', axis: '#333' };

interface Panel {
  readonly title: string;
  readonly timeline: RotationTimeline;
  readonly summary: string;
}

/**
 * The rotation run as a picture: one panel per contender on the same scales, p99 latency per
 * bucket as a line, failed queries per bucket as red bars under it, rotations as vertical lines,
 * bursts shaded. Plain SVG so that it renders on GitHub without a chart library.
 */
export function rotationChart(result: RotationResult): string {
  const panels: Panel[] = (['naive', 'dataverk'] as const).map((name) => {
    const figures = result.contenders[name];
    return {
      title: name === 'naive' ? 'naive (knex + Vault read in the connection function)' : 'dataverk (dataverkConfig)',
      timeline: figures.timeline,
      summary: `${figures.failed.toLocaleString('en-US')} failed of ${figures.queries.toLocaleString('en-US')} queries · ${figures.rotations} rotations · p99 ${figures.p99Ms} ms`,
    };
  });
  const yMax = niceCeiling(
    Math.max(1, ...panels.flatMap((p) => p.timeline.p99Ms.filter((v): v is number => v !== null))),
  );
  const failMax = Math.max(1, ...panels.flatMap((p) => p.timeline.failed));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const height =
    MARGIN.top + panels.length * (PANEL_HEIGHT + FAIL_STRIP) + (panels.length - 1) * MARGIN.gap + MARGIN.bottom;
  const x = (ms: number) => MARGIN.left + (ms / result.durationMs) * plotWidth;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#fff"/>`,
    `<text x="${MARGIN.left}" y="22" font-size="15" font-weight="bold">Rotation under load: TTL ${result.ttlSeconds} s, ${result.durationMs / 1000} s, concurrency ${result.concurrency} in bursts, pool ${result.poolMax}</text>`,
    `<text x="${MARGIN.left}" y="40" fill="#555">p99 latency per ${panels[0]!.timeline.bucketMs} ms (blue) · failed queries per ${panels[0]!.timeline.bucketMs} ms (red, up to ${failMax.toLocaleString('en-US')}) · rotations (grey lines) · bursts shaded</text>`,
  ];
  panels.forEach((panel, i) => {
    const top = MARGIN.top + i * (PANEL_HEIGHT + FAIL_STRIP + MARGIN.gap) + 16;
    parts.push(...panelParts(panel, { top, x, yMax, failMax, plotWidth, result }));
  });
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

function panelParts(
  panel: Panel,
  layout: {
    top: number;
    x: (ms: number) => number;
    yMax: number;
    failMax: number;
    plotWidth: number;
    result: RotationResult;
  },
): string[] {
  const { top, x, yMax, failMax, plotWidth, result } = layout;
  const bottom = top + PANEL_HEIGHT;
  const y = (ms: number) => bottom - (Math.min(ms, yMax) / yMax) * PANEL_HEIGHT;
  const { bucketMs } = panel.timeline;
  const out: string[] = [
    `<text x="${MARGIN.left}" y="${top - 6}" font-weight="bold">${panel.title}</text>`,
    `<text x="${MARGIN.left + plotWidth}" y="${top - 6}" text-anchor="end" fill="#555">${panel.summary}</text>`,
  ];
  const cycle = result.burstMs + result.quietMs;
  for (let start = 0; start < result.durationMs; start += cycle) {
    const end = Math.min(result.durationMs, start + result.burstMs);
    out.push(
      `<rect x="${x(start).toFixed(1)}" y="${top}" width="${(x(end) - x(start)).toFixed(1)}" height="${PANEL_HEIGHT}" fill="${COLORS.burst}"/>`,
    );
  }
  for (const tick of [0, yMax / 2, yMax]) {
    out.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y(tick)}" y2="${y(tick)}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 6}" y="${y(tick) + 4}" text-anchor="end">${trim(tick)} ms</text>`,
    );
  }
  for (const at of panel.timeline.rotationsAtMs) {
    out.push(
      `<line x1="${x(at).toFixed(1)}" x2="${x(at).toFixed(1)}" y1="${top}" y2="${bottom + FAIL_STRIP}" stroke="${COLORS.rotation}" stroke-dasharray="4 3"/>`,
    );
  }
  // A bucket where every query failed has no p99: the line breaks there instead of bridging it.
  for (const run of runsOfPoints(panel.timeline.p99Ms)) {
    const points = run.map(([i, p99]) => `${x((i + 0.5) * bucketMs).toFixed(1)},${y(p99).toFixed(1)}`);
    out.push(`<polyline points="${points.join(' ')}" fill="none" stroke="${COLORS.latency}" stroke-width="1.5"/>`);
  }
  const stripBottom = bottom + FAIL_STRIP;
  panel.timeline.failed.forEach((failed, i) => {
    if (failed === 0) return;
    // Square-root scale: one failure is still visible next to a thousand.
    const h = Math.max(2, Math.sqrt(failed / failMax) * (FAIL_STRIP - 4));
    out.push(
      `<rect x="${x(i * bucketMs).toFixed(1)}" y="${(stripBottom - h).toFixed(1)}" width="${Math.max(1, x(bucketMs) - x(0) - 0.5).toFixed(1)}" height="${h.toFixed(1)}" fill="${COLORS.failed}"/>`,
    );
  });
  out.push(
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${bottom}" y2="${bottom}" stroke="${COLORS.axis}"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${stripBottom}" y2="${stripBottom}" stroke="${COLORS.axis}"/>`,
    `<line x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${top}" y2="${stripBottom}" stroke="${COLORS.axis}"/>`,
    `<text x="${MARGIN.left - 6}" y="${stripBottom - 4}" text-anchor="end" fill="${COLORS.failed}">failed</text>`,
  );
  const stepS = result.durationMs > 20_000 ? 5 : 1;
  for (let s = 0; s * 1000 <= result.durationMs; s += stepS) {
    out.push(`<text x="${x(s * 1000).toFixed(1)}" y="${stripBottom + 16}" text-anchor="middle">${s} s</text>`);
  }
  return out;
}

/** Consecutive non-null values with their indexes, split wherever a value is null. */
function runsOfPoints(values: readonly (number | null)[]): [number, number][][] {
  const runs: [number, number][][] = [[]];
  values.forEach((value, i) => {
    if (value === null) runs.push([]);
    else runs[runs.length - 1]!.push([i, value]);
  });
  return runs.filter((run) => run.length > 0);
}

/** 1, 2 or 5 × 10ⁿ at or above `value`. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * power).find((n) => n >= value) ?? 10 * power;
}

function trim(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
