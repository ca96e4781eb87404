import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { runAirflowScenario } from './airflow-scenario.js';
import { runDeployScenario } from './deploy-scenario.js';
import type { FleetFigures } from './fleet-figures.js';
import { airflowScenarios, deployScenarios, FLEET_TTL_PROFILES, FULL_FLEET, SMOKE_FLEET } from './fleet-plan.js';
import { fleetTable, requestsPerHourChart } from './fleet-report.js';
import { FLEET_VAULT_DESCRIPTION, type FleetResults } from './fleet-results.js';

/**
 * The fleet model of `pnpm bench` (issue 16 part 3): a thousand processes over 24 h of production
 * TTLs, alone and behind proxies, and an Airflow-like stream of short processes. Writes
 * `fleet.json` to `outDir` and prints the table and a chart.
 *
 * @example
 * await runFleetBench({ mode: 'smoke', outDir: '/tmp/fleet', log: console.log });
 */
export async function runFleetBench(options: {
  readonly mode: 'full' | 'smoke';
  readonly outDir: string;
  readonly log: (line: string) => void;
}): Promise<FleetResults> {
  const sizes = options.mode === 'full' ? FULL_FLEET : SMOKE_FLEET;
  const begin = performance.now();
  const profiles = [];
  for (const ttls of FLEET_TTL_PROFILES) {
    const deploy: FleetFigures[] = [];
    for (const scenario of deployScenarios(sizes, ttls)) {
      deploy.push(await runDeployScenario(scenario));
      options.log(`[fleet] ${ttls.name}: ${scenario.name} done`);
    }
    const airflow: FleetFigures[] = [];
    for (const scenario of airflowScenarios(sizes, ttls)) {
      airflow.push(await runAirflowScenario(scenario));
      options.log(`[fleet] ${ttls.name}: ${scenario.name} done`);
    }
    profiles.push({ ttls, deploy, airflow });
  }
  const results: FleetResults = {
    generatedAt: new Date().toISOString(),
    vault: FLEET_VAULT_DESCRIPTION,
    sizes,
    profiles,
    durationMs: Math.round(performance.now() - begin),
  };
  options.log(`\n${fleetTable(results)}\n`);
  const hourly = profiles.find((p) => p.ttls.leaseTtl === 3600);
  if (hourly !== undefined) options.log(`${requestsPerHourChart(hourly.ttls.name, hourly.deploy)}\n`);
  await mkdir(options.outDir, { recursive: true });
  const file = path.join(options.outDir, 'fleet.json');
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  options.log(`[fleet] wrote ${file} (${(results.durationMs / 1000).toFixed(0)} s)`);
  return results;
}
