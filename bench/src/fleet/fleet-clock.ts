import type { Clock, ClockTimer } from '@dataverk/core';

interface PendingTimer {
  readonly id: number;
  readonly dueAt: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/**
 * Microtask turns between two timers. Everything in a fleet run answers in microtasks (the dev
 * server's `exchange`, its in-memory role catalogue, the proxy model, the providers on this clock),
 * so a timer's consequences settle without a macrotask hop; a hop per timer (as `ManualClock`
 * takes) is a system call that a busy machine turns into a wait of milliseconds.
 */
const SETTLE_TICKS = 500;

/**
 * The testkit's `ManualClock` rules (timers run one at a time in due order, ties by creation, with
 * settled promises between them) for a fleet: a day of a thousand providers and the dev server's
 * expiry timer for every lease and token keeps tens of thousands of timers pending, which a
 * binary heap orders in log time where `ManualClock` filters and sorts the whole list per timer.
 */
export class FleetClock implements Clock {
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
      dueAt: this.#now + Math.max(0, delayMs),
      callback,
      cancelled: false,
    };
    this.#push(timer);
    return {
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Moves time forward by `ms`, running due timers one at a time with settled promises between. */
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
    this.#now = target;
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
      if (!earlier(timer, heap[parent] as PendingTimer)) break;
      heap[i] = heap[parent] as PendingTimer;
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

async function settle(): Promise<void> {
  for (let i = 0; i < SETTLE_TICKS; i++) await null;
}
