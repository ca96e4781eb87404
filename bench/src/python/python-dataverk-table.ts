import { CONTENDERS, type ContenderFigures, type ContenderName } from './python-dataverk-rotation.js';

/** What `bench/python-dataverk.ts` writes to `bench/results/python-dataverk.json`. */
export interface PythonDataverkResults {
  readonly mode: 'full' | 'smoke';
  readonly startedAt: string;
  readonly vaultBackend: string;
  readonly postgresBackend: string;
  readonly pythonDataverk: { readonly dataverk: string; readonly dataverkVault: string; readonly packages: number };
  readonly ttlSeconds: number;
  readonly maxTtlSeconds: number;
  readonly durationMs: number;
  readonly concurrency: number;
  readonly burstMs: number;
  readonly quietMs: number;
  readonly sql: string;
  readonly contenders: Readonly<Record<ContenderName, ContenderFigures>>;
}

/** The side-by-side table, in Markdown, as the README shows it. */
export function pythonDataverkTable(results: PythonDataverkResults): string {
  const rows: [string, (figures: ContenderFigures) => string][] = [
    ['queries', (f) => f.queries.toLocaleString('en-US')],
    ['failed queries', (f) => `${f.failed.toLocaleString('en-US')}${errorList(f)}`],
    ['p50 / p99 ms (ok queries)', (f) => `${f.p50Ms.toFixed(1)} / ${f.p99Ms.toFixed(1)}`],
    ['Vault logins', (f) => String(f.vault.logins)],
    ['Vault creds reads (= leases = PostgreSQL roles made)', (f) => String(f.vault.credsReads)],
    ['Vault KV reads', (f) => String(f.vault.kvReads)],
    [
      'other Vault requests',
      (f) =>
        `${f.vault.mountLookups + f.vault.leaseRenewals + f.vault.leaseRevocations + f.vault.other} (${f.vault.leaseRenewals} renew, ${f.vault.leaseRevocations} revoke)`,
    ],
    ['per query: logins / creds reads', (f) => `${f.perQuery.logins} / ${f.perQuery.credsReads}`],
    ['per lease period: logins / creds reads', (f) => `${f.perLeasePeriod.logins} / ${f.perLeasePeriod.credsReads}`],
    [
      'connections refused, then new creds and a retry',
      (f) =>
        f.credentialUpdatesAfterFailedConnection === undefined ? '—' : String(f.credentialUpdatesAfterFailedConnection),
    ],
  ];
  const header = `| measure | ${CONTENDERS.join(' | ')} |`;
  const rule = `| --- | ${CONTENDERS.map(() => '---').join(' | ')} |`;
  const body = rows.map(
    ([label, cell]) => `| ${label} | ${CONTENDERS.map((name) => cell(results.contenders[name])).join(' | ')} |`,
  );
  return [header, rule, ...body].join('\n');
}

function errorList(figures: ContenderFigures): string {
  const entries = Object.entries(figures.errors).sort(([, a], [, b]) => b - a);
  return entries.length === 0 ? '' : ` (${entries.map(([error, n]) => `${n} × ${error}`).join('; ')})`;
}
