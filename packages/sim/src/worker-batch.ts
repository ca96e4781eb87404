import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import { type BatchOptions, type BatchResult, BatchTally, type SeedOutcome, type ShrunkFailure } from './sim-batch.js';

/** What the main thread asks a worker. */
export type WorkerJob = { readonly kind: 'run' | 'shrink'; readonly seed: number };

/** What a worker answers. */
export type WorkerAnswer =
  | { readonly kind: 'run'; readonly outcome: SeedOutcome }
  | { readonly kind: 'shrink'; readonly shrunk: ShrunkFailure }
  | { readonly kind: 'crash'; readonly seed: number; readonly error: string };

/**
 * Runs a batch on `threads` worker threads: each takes the next seed when it is free, outcomes are
 * taken in seed order ({@link BatchTally}), so the seeds, what is printed and the totals are those
 * of a run on one thread. A worker may run a few seeds past the batch's end; they are dropped.
 */
export async function runBatchOnWorkers(options: BatchOptions, threads: number): Promise<BatchResult> {
  setFlagsFromString(`--interrupt-budget=${WORKER_INTERRUPT_BUDGET}`);
  const workers = Array.from({ length: threads }, () => new SimWorker());
  try {
    const tally = new BatchTally(options);
    let nextSeed = options.firstSeed;
    await Promise.all(
      workers.map(async (worker) => {
        while (!tally.done) {
          const seed = nextSeed++;
          tally.add(await worker.run(seed));
        }
      }),
    );
    const seeds = tally.toShrink;
    const failing: ShrunkFailure[] = [];
    await Promise.all(
      workers.map(async (worker) => {
        for (let seed = seeds.shift(); seed !== undefined; seed = seeds.shift())
          failing.push(await worker.shrink(seed));
      }),
    );
    return tally.result(failing.sort((a, b) => a.seed - b.seed));
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
  }
}

/**
 * A run allocates fast and keeps little (requests, answers, trace lines): a young generation
 * larger than V8's default (16 MB semi-spaces) scavenges less often; seeds 70-99 took 9 % less CPU
 * with 64 MB semi-spaces (`--max-semi-space-size=64`). V8 sizes the young generation at three
 * semi-spaces.
 */
const WORKER_YOUNG_GENERATION_MB = 3 * 64;

/**
 * How much bytecode a function runs before V8 considers it for TurboFan: 30 times V8's default
 * (67,584). The retained-memory check forces a full collection at exit instants, and V8 11 (Node
 * 20) keeps no map alive in a forced collection for the optimized code that embeds it: the maps of
 * what a run makes and drops (requests, spans, immediates, errors) die, the functions using them
 * are deoptimized and compiled again, over and over (seeds 1-37: 840 TurboFan compiles, 408 without
 * the collections; V8's compiler threads took a third of the CPU). With the larger budget only the
 * hottest functions get there: 15 % less CPU for 300 process-days, the same with 10 or 100 times.
 * V8's flags are the process's; a worker's isolate takes them when it starts.
 */
const WORKER_INTERRUPT_BUDGET = 30 * 67_584;

/** One worker thread and its one job at a time. */
class SimWorker {
  readonly #worker = new Worker(new URL('./sim-worker-bootstrap.mjs', import.meta.url), {
    resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB },
  });
  #answer: ((answer: WorkerAnswer) => void) | undefined;
  #failed: ((error: Error) => void) | undefined;

  constructor() {
    this.#worker.on('message', (answer: WorkerAnswer) => this.#answer?.(answer));
    this.#worker.on('error', (error) => this.#failed?.(error));
  }

  async run(seed: number): Promise<SeedOutcome> {
    const answer = await this.#ask({ kind: 'run', seed });
    if (answer.kind !== 'run') throw new Error(`seed ${seed}: the worker answered ${answer.kind}`);
    return answer.outcome;
  }

  async shrink(seed: number): Promise<ShrunkFailure> {
    const answer = await this.#ask({ kind: 'shrink', seed });
    if (answer.kind !== 'shrink') throw new Error(`seed ${seed}: the worker answered ${answer.kind}`);
    return answer.shrunk;
  }

  stop(): Promise<number> {
    return this.#worker.terminate();
  }

  #ask(job: WorkerJob): Promise<WorkerAnswer> {
    return new Promise<WorkerAnswer>((resolve, reject) => {
      this.#answer = (answer) => {
        if (answer.kind === 'crash') reject(new Error(`seed ${answer.seed} crashed its worker: ${answer.error}`));
        else resolve(answer);
      };
      this.#failed = reject;
      this.#worker.postMessage(job);
    });
  }
}
