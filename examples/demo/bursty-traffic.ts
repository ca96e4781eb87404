/** One query of the demo; resolves to the server's `current_user` when the query reports it. */
export type DemoQuery = () => Promise<string | undefined>;

/** Shape of the demo's traffic (DESIGN §7: bursts, then a lone caller while the rest sit idle). */
export interface BurstyTrafficOptions<L extends string> {
  /** One query per library; each library gets `concurrency` callers. */
  readonly queries: Readonly<Record<L, DemoQuery>>;
  readonly concurrency: number;
  readonly durationMs: number;
  /** Every caller runs during a burst… */
  readonly burstMs: number;
  /** …then one caller of one library (a different one each cycle), so the other pools sit idle. */
  readonly quietMs: number;
  /** Pause between two queries of one caller, during a burst and while quiet. */
  readonly burstPauseMs: number;
  readonly quietPauseMs: number;
  readonly onOutcome: (library: L, outcome: { ok: true; user?: string } | { ok: false; error: unknown }) => void;
}

/** A running traffic generator. */
export interface BurstyTraffic {
  /** Resolves when every caller has stopped. */
  readonly done: Promise<void>;
  /** Ends the traffic early (callers finish the query they are in). */
  stop(): void;
}

const IDLE_POLL_MS = 25;

/**
 * Runs the queries from `concurrency` callers per library until `durationMs` has passed: all of
 * them during a burst, one caller of one library while quiet. Idle pools across a rotation are
 * what break naive credential refresh, so the quiet caller's library changes every cycle.
 *
 * @example
 * const traffic = startBurstyTraffic({ queries: { knex: q1, kysely: q2 }, concurrency: 4, durationMs: 30_000, … });
 * await traffic.done;
 */
export function startBurstyTraffic<L extends string>(options: BurstyTrafficOptions<L>): BurstyTraffic {
  const libraries = Object.keys(options.queries) as L[];
  const started = Date.now();
  const deadline = started + options.durationMs;
  const cycleMs = options.burstMs + options.quietMs;
  let stopped = false;

  const activeNow = (library: L, caller: number): { active: boolean; pauseMs: number } => {
    const elapsed = Date.now() - started;
    if (elapsed % cycleMs < options.burstMs) return { active: true, pauseMs: options.burstPauseMs };
    const quietLibrary = libraries[Math.floor(elapsed / cycleMs) % libraries.length];
    return { active: caller === 0 && library === quietLibrary, pauseMs: options.quietPauseMs };
  };

  const caller = async (library: L, index: number): Promise<void> => {
    const query = options.queries[library];
    while (!stopped && Date.now() < deadline) {
      const { active, pauseMs } = activeNow(library, index);
      if (!active) {
        await sleep(IDLE_POLL_MS);
        continue;
      }
      try {
        const user = await query();
        options.onOutcome(library, user === undefined ? { ok: true } : { ok: true, user });
      } catch (error) {
        options.onOutcome(library, { ok: false, error });
      }
      await sleep(pauseMs);
    }
  };

  const callers = libraries.flatMap((library) =>
    Array.from({ length: options.concurrency }, (_, index) => caller(library, index)),
  );
  return {
    done: Promise.all(callers).then(() => {}),
    stop: () => {
      stopped = true;
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
