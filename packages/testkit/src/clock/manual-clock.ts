/** A scheduled timer of a {@link ManualClock}; the shape of `@dataverk/core`'s `ClockTimer`. */
export interface ManualClockTimer {
  cancel(): void;
}

interface PendingTimer {
  readonly id: number;
  readonly dueAt: number;
  readonly callback: () => void;
}

/**
 * A clock that moves only when told to: `advance(ms)` runs every timer that falls due, in order,
 * letting promises settle between them. It fits every `clock` option of `@dataverk/core`
 * (`VaultCredentialProvider`, `createVaultClient`), so your own tests can move a provider through
 * days of leases without sleeping.
 *
 * @example
 * const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
 * clock.setTimeout(() => console.log('renew'), 2_000);
 * await clock.advance(2_000); // prints "renew"
 */
export class ManualClock {
  #now: number;
  #nextId = 1;
  #timers: PendingTimer[] = [];

  constructor(startMs = 0) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, delayMs: number): ManualClockTimer {
    const timer = { id: this.#nextId++, dueAt: this.#now + Math.max(0, delayMs), callback };
    this.#timers.push(timer);
    return { cancel: () => this.#remove(timer.id) };
  }

  /** Number of timers not yet run or cancelled. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Time of the earliest pending timer, if any. */
  get nextDueAt(): number | undefined {
    return this.#timers.reduce<number | undefined>(
      (min, t) => (min === undefined || t.dueAt < min ? t.dueAt : min),
      undefined,
    );
  }

  /** Moves time forward by `ms`, running due timers one at a time with settled promises between. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      await settle();
      const due = this.#timers.filter((t) => t.dueAt <= target).sort((a, b) => a.dueAt - b.dueAt || a.id - b.id)[0];
      if (due === undefined) break;
      this.#remove(due.id);
      this.#now = due.dueAt;
      due.callback();
    }
    this.#now = target;
    await settle();
  }

  #remove(id: number): void {
    this.#timers = this.#timers.filter((t) => t.id !== id);
  }
}

/** Lets pending promise chains (several hops deep) run before time moves again. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
