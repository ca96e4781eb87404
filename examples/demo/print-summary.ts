import type { DemoStats } from './demo-stats.js';

/** What the summary reports. */
export interface DemoSummary {
  readonly stats: DemoStats;
  readonly trafficSeconds: number;
  readonly wallSeconds: number;
  readonly traffic: { readonly concurrency: number; readonly burstMs: number; readonly quietMs: number };
  /** Leases Vault still held after the provider closed (dev server only). */
  readonly liveLeasesAtExit?: number;
  /** Requests the Vault dev server served, per `METHOD path-template`. */
  readonly vaultRequests?: Readonly<Record<string, number>>;
}

/**
 * Prints the demo's summary, ending with one `summary:` line that tests (and people) can read:
 * `summary: 12345 queries, 0 failed, 5 rotations, 6 Vault reads, 10 renewals, 6 users, 34.1 s`.
 */
export function printSummary(summary: DemoSummary): void {
  const { stats, traffic } = summary;
  const libraries = Object.keys(stats.libraries).length;
  const lines = [
    '',
    '── summary ─────────────────────────────────────────────────────────────',
    `traffic   ${summary.trafficSeconds.toFixed(1)} s: bursts of ${traffic.burstMs / 1000} s with ` +
      `${traffic.concurrency * libraries} callers, then ${traffic.quietMs / 1000} s with one (the other pools idle)`,
    ...Object.entries(stats.libraries).map(
      ([library, counts]) => `${library.padEnd(9)} ${counts.ok} ok, ${counts.failed} failed`,
    ),
    `leases    ${count(stats.credsReads, 'lease')} read from Vault, ${count(stats.renewals, 'renewal')}, ` +
      `${count(stats.rotations, 'rotation')}, ${stats.revocations} revoked, ${count(stats.users.size, 'database user')} seen`,
  ];
  if (summary.liveLeasesAtExit !== undefined) {
    lines.push(`          ${count(summary.liveLeasesAtExit, 'lease')} still live in Vault after the provider closed`);
  }
  if (summary.vaultRequests !== undefined) {
    const total = Object.values(summary.vaultRequests).reduce((sum, n) => sum + n, 0);
    // The setup's admin calls (mounts, roles, policies) are not the application's.
    const application = Object.entries(summary.vaultRequests).filter(([key]) =>
      /^GET (database\/creds|secret\/data|sys\/internal|auth\/token\/lookup-self)|sys\/leases/.test(key),
    );
    const listed = application.map(([key, n]) => `${key} ${n}`).join(', ');
    lines.push(`Vault     ${count(total, 'request')} (setup included); the application's: ${listed}`);
  }
  if (stats.providerErrors > 0) lines.push(`provider  ${stats.providerErrors} errors reported (see above)`);
  if (stats.failures.length > 0) {
    lines.push('failures (first few):', ...stats.failures.map((failure) => `  ${failure}`));
  }
  lines.push(
    '',
    `summary: ${count(stats.ok + stats.failed, 'query', 'queries')}, ${stats.failed} failed, ` +
      `${count(stats.rotations, 'rotation')}, ${count(stats.credsReads, 'Vault read')}, ` +
      `${count(stats.renewals, 'renewal')}, ${count(stats.users.size, 'user')}, ${summary.wallSeconds.toFixed(1)} s`,
  );
  console.log(lines.join('\n'));
}

function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
