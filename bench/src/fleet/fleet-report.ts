import type { FleetFigures } from './fleet-figures.js';
import type { FleetResults } from './fleet-results.js';

/** A Markdown table of every run, for the console and docs/fleet.md. */
export function fleetTable(results: FleetResults): string {
  const rows = [
    '| profile | scenario | procs | proxies | Vault req/h (mean) | peak req/s at start | peak req/s after | logins | creds reads | refused (4xx) | live leases (peak) | database roles (peak) | roles created | live tokens (peak) | failed queries |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const profile of results.profiles) {
    for (const f of [...profile.deploy, ...profile.airflow]) rows.push(row(profile.ttls.name, f));
  }
  return rows.join('\n');
}

function row(profile: string, f: FleetFigures): string {
  const mean = Math.round(f.vaultRequests / f.hours);
  return `| ${profile} | ${f.scenario} | ${f.processes} | ${f.proxies} | ${mean} | ${f.peakPerSecondAtStart} | ${f.peakPerSecondAfterStart} | ${f.requestsByKind.login} | ${f.requestsByKind.read} | ${f.refusedRequests} | ${f.peakLiveLeases} | ${f.peakDatabaseRoles} | ${f.rolesCreated} | ${f.peakLiveTokens} | ${f.failedQueries}/${f.queries} |`;
}

const BAR_WIDTH = 50;

/** An ASCII chart of Vault requests per hour, one bar per scenario and hour (log scale). */
export function requestsPerHourChart(title: string, runs: readonly FleetFigures[]): string {
  const max = Math.max(1, ...runs.flatMap((f) => f.requestsPerHour));
  const scale = (n: number) =>
    n <= 0 ? 0 : Math.max(1, Math.round((Math.log10(n + 1) / Math.log10(max + 1)) * BAR_WIDTH));
  const lines = [`${title} — Vault requests per hour (log scale, max ${max})`];
  for (const [i, f] of runs.entries()) {
    const mark = '#*+=@%'[i % 6] ?? '#';
    lines.push(`${mark} ${f.scenario}`);
    for (const [hour, n] of f.requestsPerHour.entries()) {
      lines.push(`  h${String(hour).padStart(2, '0')} ${mark.repeat(scale(n)).padEnd(BAR_WIDTH)} ${n}`);
    }
  }
  return lines.join('\n');
}
