/** How big each scenario is. `full` is `pnpm bench`; `smoke` keeps the code honest in CI in seconds. */
export interface BenchProfile {
  readonly mode: 'full' | 'smoke';
  /** One seed for every random choice of the run: jitter, query ids, contender order. */
  readonly seed: number;
  readonly throughput: {
    readonly queries: number;
    readonly warmupQueries: number;
    /** The measured queries are split into rounds that alternate contenders, so drift hits all alike. */
    readonly rounds: number;
    readonly concurrency: number;
    readonly poolMax: number;
  };
  readonly newConnection: { readonly iterations: number; readonly warmupIterations: number };
  readonly coldHerd: { readonly queries: number; readonly poolMax: number };
  readonly rotation: {
    readonly ttlSeconds: number;
    readonly durationMs: number;
    readonly concurrency: number;
    readonly poolMax: number;
    /** Bursts at full concurrency, then one caller while the rest sit idle (DESIGN §7). */
    readonly burstMs: number;
    readonly quietMs: number;
    /** Queries starting this long after a rotation count as "inside" its window. */
    readonly windowMs: number;
    readonly bucketMs: number;
  };
  readonly churn: { readonly rotations: number; readonly warmupRotations: number };
  /** Paired child-process runs of each start-up measure (one with dataverk, one without, per pair). */
  readonly startup: { readonly pairs: number };
}

const SEED = 20_260_101;

export const FULL_PROFILE: BenchProfile = {
  mode: 'full',
  seed: SEED,
  throughput: { queries: 20_000, warmupQueries: 2_000, rounds: 40, concurrency: 32, poolMax: 10 },
  newConnection: { iterations: 500, warmupIterations: 20 },
  coldHerd: { queries: 500, poolMax: 10 },
  rotation: {
    ttlSeconds: 4,
    durationMs: 40_000,
    concurrency: 32,
    poolMax: 10,
    burstMs: 1_500,
    quietMs: 1_500,
    windowMs: 1_000,
    bucketMs: 100,
  },
  churn: { rotations: 1_000, warmupRotations: 100 },
  startup: { pairs: 15 },
};

export const SMOKE_PROFILE: BenchProfile = {
  mode: 'smoke',
  seed: SEED,
  throughput: { queries: 600, warmupQueries: 60, rounds: 2, concurrency: 8, poolMax: 4 },
  newConnection: { iterations: 10, warmupIterations: 2 },
  coldHerd: { queries: 50, poolMax: 4 },
  rotation: {
    ttlSeconds: 2,
    durationMs: 3_000,
    concurrency: 8,
    poolMax: 4,
    burstMs: 500,
    quietMs: 500,
    windowMs: 500,
    bucketMs: 100,
  },
  churn: { rotations: 50, warmupRotations: 10 },
  startup: { pairs: 1 },
};

/** `--smoke` or `BENCH_SMOKE=1` picks the smoke profile. */
export function profileFrom(argv: readonly string[], env: NodeJS.ProcessEnv): BenchProfile {
  const smoke =
    argv.includes('--smoke') || (env.BENCH_SMOKE !== undefined && !['', '0', 'false'].includes(env.BENCH_SMOKE));
  return smoke ? SMOKE_PROFILE : FULL_PROFILE;
}
