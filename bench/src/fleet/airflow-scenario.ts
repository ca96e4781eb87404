import { seededRandom } from '../seeded-random.js';
import type { FleetFigures, FleetTtlProfile } from './fleet-figures.js';
import { FleetProcess } from './fleet-process.js';
import { FleetRun } from './fleet-run.js';

/** Short processes, as Airflow runs tasks: each logs in, reads, queries once and exits. */
export interface AirflowScenario {
  readonly name: string;
  readonly processesPerHour: number;
  readonly hours: number;
  readonly ttls: FleetTtlProfile;
  /** Revoke the lease and the login token on exit. */
  readonly revokeOnExit: boolean;
  /** Proxies (one per worker node); 0: none. Processes go to them in turn. */
  readonly proxies: number;
  readonly sharedLeaseAware: boolean;
  readonly seed: number;
}

const SAMPLE_EVERY_MS = 5 * 60_000;

/**
 * Starts one process every `3600 / processesPerHour` seconds of fake time for `hours`; each runs one
 * query and exits. Live leases (database roles) and tokens are sampled every 5 minutes.
 */
export async function runAirflowScenario(scenario: AirflowScenario): Promise<FleetFigures> {
  const random = seededRandom(scenario.seed);
  const run = await FleetRun.start({
    ttls: scenario.ttls,
    random,
    proxies: scenario.proxies,
    sharedLeaseAware: scenario.sharedLeaseAware,
  });
  const everyMs = 3_600_000 / scenario.processesPerHour;
  const total = Math.round(scenario.processesPerHour * scenario.hours);
  const exits: Promise<void>[] = [];
  let nextSample = SAMPLE_EVERY_MS;
  for (let index = 0; index < total; index++) {
    await run.clock.advance(everyMs);
    const process = new FleetProcess({
      clock: run.clock,
      random,
      transport: run.transportFor(index, 1),
      access: run.access,
      canLogIn: (username) => run.canLogIn(username),
    });
    exits.push(run.query(process).then(() => process.exit({ revoke: scenario.revokeOnExit })));
    if (index * everyMs >= nextSample) {
      run.sample();
      nextSample += SAMPLE_EVERY_MS;
    }
  }
  await run.clock.advance(0);
  await Promise.all(exits);
  run.sample();
  const figures = run.figures(scenario.name, total, scenario.hours);
  await run.vault.stop();
  return figures;
}
