import { seededRandom } from '../seeded-random.js';
import type { FleetFigures, FleetTtlProfile } from './fleet-figures.js';
import { FleetProcess } from './fleet-process.js';
import { FLEET_START_MS, FleetRun } from './fleet-run.js';

/** A fleet of long-running processes, all deployed at once. */
export interface DeployScenario {
  readonly name: string;
  readonly processes: number;
  readonly hours: number;
  readonly ttls: FleetTtlProfile;
  /** Each process starts at a random moment in `[0, startJitterMs)`; 0: all at the same instant. */
  readonly startJitterMs: number;
  /** Processes per proxy; 0: no proxy, every process logs in and reads for itself. */
  readonly processesPerProxy: number;
  readonly sharedLeaseAware: boolean;
  readonly queryEveryMs: number;
  readonly seed: number;
}

/**
 * Runs `processes` real providers on one fake clock for `hours`: each starts (first query: login and
 * read), then queries every `queryEveryMs`; renewals and rotations happen on the providers' own
 * timers. Requests, leases and tokens are counted by the dev server, database roles by its engine's
 * in-memory PostgreSQL.
 */
export async function runDeployScenario(scenario: DeployScenario): Promise<FleetFigures> {
  const random = seededRandom(scenario.seed);
  const proxies = scenario.processesPerProxy > 0 ? Math.ceil(scenario.processes / scenario.processesPerProxy) : 0;
  const run = await FleetRun.start({
    ttls: scenario.ttls,
    random,
    proxies,
    sharedLeaseAware: scenario.sharedLeaseAware,
  });
  const starts = Array.from({ length: scenario.processes }, () => random() * scenario.startJitterMs).sort(
    (a, b) => a - b,
  );
  const processes: FleetProcess[] = [];
  for (const [index, at] of starts.entries()) {
    const elapsed = run.clock.now() - FLEET_START_MS;
    if (at > elapsed) await run.clock.advance(at - elapsed);
    const process = new FleetProcess({
      clock: run.clock,
      random,
      transport: run.transportFor(index, scenario.processesPerProxy),
      access: run.access,
      canLogIn: (username) => run.canLogIn(username),
    });
    processes.push(process);
    void run.query(process);
  }
  await run.clock.advance(0);
  run.sample();
  const endMs = scenario.hours * 3_600_000;
  for (let t = scenario.queryEveryMs; t <= endMs; t += scenario.queryEveryMs) {
    await run.clock.advance(t - (run.clock.now() - FLEET_START_MS));
    for (const process of processes) void run.query(process);
    await run.clock.advance(0);
    run.sample();
  }
  const figures = run.figures(scenario.name, scenario.processes, scenario.hours);
  await Promise.all(processes.map((process) => process.exit({ revoke: false })));
  await run.vault.stop();
  return figures;
}
