import type { Clock, ClockTimer } from '@dataverk/core';

interface PendingTimer {
  readonly id: number;
  readonly dueAt: number;
  callback: () => void;
  cancelled: boolean;
}

/**
 * The run's virtual clock: timers in due order (ties by creation) from a binary heap, with
 * {@link SETTLE_TURNS} microtask turns between two timers, as the bench's `FleetClock` (whose 500
 * turns per timer were most of a run's time here). A chain longer than that (none seen: traces
 * at 100 and 500 turns are identical) would simply go on after the next timer; still the same
 * for every replay of a seed. A macrotask turn per timer (`setImmediate`) measured slower still.
 */
export class SimClock implements Clock {
  #now: number;
  #nextId = 1;
  readonly #heap: PendingTimer[] = [];

  constructor(startMs: number) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
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
      await settle();
      const due = this.#peek();
      if (due === undefined || due.dueAt > target) break;
      this.#pop();
      this.#now = due.dueAt;
      due.callback();
    }
    this.#now = Math.max(this.#now, target);
    await settle();
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

/** Microtask turns between two timers: a credential read through the dev server needs well under 100. */
export const SETTLE_TURNS = 100;

async function settle(): Promise<void> {
  for (let i = 0; i < SETTLE_TURNS; i++) await null;
}

function noop(): void {}
