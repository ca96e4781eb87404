import { parentPort } from 'node:worker_threads';
import { runSeed, shrinkSeed } from './sim-batch.js';
import type { WorkerAnswer, WorkerJob } from './worker-batch.js';

/**
 * A worker thread of `pnpm sim`: runs the seeds (and shrinks the failing ones) the main thread
 * sends, one at a time, and answers with plain data. A seed's run depends on its seed only, so it
 * is the same here as on the main thread.
 */
const port = parentPort;
if (port === null) throw new Error('sim-worker.ts runs as a worker thread of the simulator (pnpm sim)');
port.on('message', (job: WorkerJob) => {
  const answer: Promise<WorkerAnswer> =
    job.kind === 'run'
      ? runSeed(job.seed).then((outcome) => ({ kind: 'run', outcome }))
      : shrinkSeed(job.seed).then((shrunk) => ({ kind: 'shrink', shrunk }));
  answer.then(
    (message) => port.postMessage(message),
    (error: unknown) => port.postMessage({ kind: 'crash', seed: job.seed, error: String(error) }),
  );
});
