import type { Clock, ClockTimer } from '@dataverk/core';

interface PendingTimer {
  readonly id: number;
  readonly dueAt: number;
  callback: () => void;
  cancelled: boolean;
}

/**
 * `now()` asked this often within one step (one timer and all the work it starts) means an async
 * loop that never waits on a timer: a livelock. The busiest step of seeds 1–60 (a burst of callers,
 * a chain of reads through a proxy) asks 349 times.
 */
export const MAX_NOW_READS_PER_STEP = 100_000;
/** Timers run at one instant beyond this: a timer loop that never lets time move. */
export const MAX_TIMERS_PER_INSTANT = 100_000;

/** The run can no longer make progress on the virtual clock; what it reports is the invariant's detail. */
export class SimLivelockError extends Error {
  readonly at: number;

  constructor(at: number, detail: string) {
    super(detail);
    this.name = 'SimLivelockError';
    this.at = at;
  }
}

/**
 * The run's virtual clock: timers in due order (ties by creation) from a binary heap. Before each
 * timer runs, everything the previous one started has finished: a macrotask turn (`setImmediate`)
 * comes only once the microtask queue is empty, so a chain of any length (reads through a proxy and
 * the dev server, hop after hop) completes at the instant it started, as it would in a process
 * whose requests take no time. (A fixed number of microtask turns let virtual time jump to the next
 * timer in the middle of a long chain: seed 33's acquires "waited" 0.7 s for nothing.)
 *
 * A livelock cannot hang a run: a step that reads `now()` more than {@link MAX_NOW_READS_PER_STEP}
 * times gets a {@link SimLivelockError} from `now()` (it breaks the loop where it runs), and more
 * than {@link MAX_TIMERS_PER_INSTANT} timers at one instant stop `advance` with one. Both depend on
 * the seed only, never on the machine's speed.
 */
export class SimClock implements Clock {
  #now: number;
  #nextId = 1;
  readonly #heap: PendingTimer[] = [];
  #nowReads = 0;
  #timersAtInstant = 0;
  /** Livelocks found, in order: the run reports each. */
  readonly livelocks: SimLivelockError[] = [];

  constructor(startMs: number) {
    this.#now = startMs;
  }

  now(): number {
    if (++this.#nowReads <= MAX_NOW_READS_PER_STEP) return this.#now;
    // Every read from here to the step's end throws (a loop that catches one would go on), reported once.
    const error = new SimLivelockError(
      this.#now,
      `now() read ${MAX_NOW_READS_PER_STEP} times in one step: an async loop that never waits on a timer`,
    );
    if (this.#nowReads === MAX_NOW_READS_PER_STEP + 1) this.livelocks.push(error);
    throw error;
  }

  setTimeout(callback: () => void, delayMs: number): ClockTimer {
    const timer: PendingTimer = {
      id: this.#nextId++,
      dueAt: this.#now + Math.max(0, Number.isFinite(delayMs) ? delayMs : 0),
      callback,
      cancelled: false,
    };
    this.#push(timer);
    return {
      cancel: () => {
        // A cancelled timer stays in the heap until it comes due (a 32-day expiry: for ever, in a
        // run); without its callback it keeps nothing alive that the callback closed over, as
        // real timers and ManualClock let go of theirs (else the memory invariant sees a leak).
        timer.cancelled = true;
        timer.callback = noop;
      },
    };
  }

  /** Moves time forward by `ms`, running due timers one at a time with everything settled between. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await drained();
      const due = this.#peek();
      if (due === undefined || due.dueAt > target) break;
      this.#pop();
      this.#step(due.dueAt);
      due.callback();
    }
    this.#now = Math.max(this.#now, target);
    this.#nowReads = 0;
    await drained();
  }

  #step(dueAt: number): void {
    this.#timersAtInstant = dueAt === this.#now ? this.#timersAtInstant + 1 : 0;
    this.#now = dueAt;
    this.#nowReads = 0;
    if (this.#timersAtInstant <= MAX_TIMERS_PER_INSTANT) return;
    const error = new SimLivelockError(dueAt, `${MAX_TIMERS_PER_INSTANT} timers at one instant: time cannot move`);
    this.livelocks.push(error);
    throw error;
  }

  #peek(): PendingTimer | undefined {
    while (this.#heap.length > 0 && this.#heap[0]?.cancelled === true) this.#pop();
    return this.#heap[0];
  }

  #push(timer: PendingTimer): void {
    const heap = this.#heap;
    heap.push(timer);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = heap[parent] as PendingTimer;
      if (!earlier(timer, above)) break;
      heap[i] = above;
      i = parent;
    }
    heap[i] = timer;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child =
        right < heap.length && earlier(heap[right] as PendingTimer, heap[left] as PendingTimer) ? right : left;
      if (!earlier(heap[child] as PendingTimer, last)) break;
      heap[i] = heap[child] as PendingTimer;
      i = child;
    }
    heap[i] = last;
  }
}

function earlier(a: PendingTimer, b: PendingTimer): boolean {
  return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.id < b.id);
}

/** Resolves once the microtask queue has emptied: every chain started so far has run to its next wait. */
function drained(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

function noop(): void {}
