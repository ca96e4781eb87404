import type { Clock, ClockTimer } from '@dataverk/core';

/**
 * One process's view of the shared virtual clock. Time runs for everyone; while the process is
 * frozen (a paused VM, a stopped container, a laptop lid) none of its timers run, and when it
 * thaws the overdue ones fire at once, in due order: what a process sees after a pause.
 */
export class ProcessClock implements Clock {
  readonly #clock: Clock;
  #frozen = false;
  readonly #overdue: (() => void)[] = [];

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  get frozen(): boolean {
    return this.#frozen;
  }

  now(): number {
    return this.#clock.now();
  }

  setTimeout(callback: () => void, delayMs: number): ClockTimer {
    let cancelled = false;
    const timer = this.#clock.setTimeout(() => {
      if (cancelled) return;
      if (this.#frozen) this.#overdue.push(() => (cancelled ? undefined : callback()));
      else callback();
    }, delayMs);
    return {
      cancel: () => {
        cancelled = true;
        timer.cancel();
      },
    };
  }

  freeze(): void {
    this.#frozen = true;
  }

  thaw(): void {
    this.#frozen = false;
    for (const callback of this.#overdue.splice(0)) callback();
  }
}
