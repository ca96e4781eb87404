import type { RandomSource } from '@dataverk/core';
import type { ProcessClock } from './process-clock.js';
import type { SimPoolPlan } from './sim-plan.js';
import { codeOf, type SimConnection, SimPool, type SimPoolContext } from './sim-pool.js';
import { SIM_START_MS } from './sim-record.js';

/** Statements a caller runs on its connection: at checkout and at the end of its hold. */
const STATEMENTS_PER_CALLER = 2;

/**
 * One pool of a process and the callers that use it: bursts of concurrent callers at random
 * intervals (bursty traffic leaves connections idle between bursts, which is where stale ones
 * hide), each checking a connection out, running statements over its hold time, and releasing it.
 * The pool opens and ends when its plan says.
 */
export class CallerWorkload {
  readonly #plan: SimPoolPlan;
  readonly #key: string;
  readonly #context: SimPoolContext & { readonly clock: ProcessClock };
  readonly #random: RandomSource;
  #pool: SimPool | undefined;
  /** How many pools this workload has opened (job-like workloads open one per job). */
  #generation = 0;
  readonly #closing = new Set<SimPool>();
  #stopped = false;
  #ending: Promise<void> | undefined;

  constructor(
    key: string,
    plan: SimPoolPlan,
    context: SimPoolContext & { readonly clock: ProcessClock },
    random: RandomSource,
  ) {
    this.#key = key;
    this.#plan = plan;
    this.#context = context;
    this.#random = random;
  }

  get pool(): SimPool | undefined {
    return this.#pool;
  }

  /**
   * Leases the pools of this workload still reference: the current pool's, and those of ended
   * pools whose `end()` has not finished (`closeRevokingLeases` waits up to 10 s of real time).
   */
  leasesReferenced(): string[] {
    const pools = [...this.#closing, ...(this.#pool === undefined ? [] : [this.#pool])];
    return pools.flatMap((pool) => pool.leasesReferenced());
  }

  /** Schedules the pool's opening, its bursts and its end. */
  start(): void {
    const { clock } = this.#context;
    clock.setTimeout(() => this.#open(), SIM_START_MS + this.#plan.openAtMs - clock.now());
  }

  /** Ends the pool now (process exit); resolves when its connections have closed. */
  end(revokeOnClose: boolean): Promise<void> {
    this.#stopped = true;
    if (this.#pool === undefined) return Promise.resolve();
    this.#ending ??= this.#endPool(this.#pool, revokeOnClose);
    return this.#ending;
  }

  #open(): void {
    if (this.#stopped) return;
    const { clock, record, process } = this.#context;
    const key = this.#generation === 0 ? this.#key : `${this.#key}.g${this.#generation}`;
    this.#generation++;
    const pool = new SimPool(key, this.#plan.name, this.#plan.slots, this.#context);
    this.#pool = pool;
    record.line(clock.now(), process, `${key} open (${this.#plan.name}, ${this.#plan.slots} slots)`);
    this.#nextBurst(pool);
    const every = this.#plan.reopenEveryMs;
    if (every === undefined) {
      const endIn = SIM_START_MS + this.#plan.endAtMs - clock.now();
      clock.setTimeout(() => void this.end(this.#plan.revokeOnClose), endIn);
      return;
    }
    // A job's pool: used for a while, ended with revokeOnClose, and the next job opens another.
    clock.setTimeout(() => {
      if (this.#stopped || this.#pool !== pool) return;
      void this.#endPool(pool, true).then(() => clock.setTimeout(() => this.#open(), every / 2));
    }, every / 2);
  }

  async #endPool(pool: SimPool, revokeOnClose: boolean): Promise<void> {
    const { clock, record, process } = this.#context;
    record.line(clock.now(), process, `${pool.key} end${revokeOnClose ? ' (revokeOnClose)' : ''}`);
    if (revokeOnClose) {
      const key = `${process}/${this.#plan.name}`;
      record.revokeOnCloseEnds.set(key, (record.revokeOnCloseEnds.get(key) ?? 0) + 1);
    }
    this.#closing.add(pool);
    try {
      await pool.end(revokeOnClose);
    } catch (error) {
      record.line(clock.now(), process, `${pool.key} end failed: ${codeOf(error)}`);
    } finally {
      this.#closing.delete(pool);
    }
  }

  #nextBurst(pool: SimPool): void {
    // Exponential gaps: bursts cluster and pause, as real traffic does.
    const gap = -Math.log(1 - this.#random()) * this.#plan.burstEveryMs;
    this.#context.clock.setTimeout(() => this.#burst(pool), Math.max(1, Math.floor(gap)));
  }

  /** One burst on `pool`; the chain of bursts ends with its pool (the next job's pool starts its own). */
  #burst(pool: SimPool): void {
    if (this.#stopped || this.#pool !== pool || pool.ended) return;
    const callers = 1 + Math.floor(this.#random() * this.#plan.burstSize);
    for (let i = 0; i < callers; i++) void this.#call(pool);
    this.#nextBurst(pool);
  }

  async #call(pool: SimPool): Promise<void> {
    let connection: SimConnection;
    try {
      connection = await pool.checkout();
    } catch {
      return; // recorded by the pool (acquire or login failure)
    }
    const stepMs = Math.max(1, Math.floor(this.#plan.holdMs / (STATEMENTS_PER_CALLER - 1)));
    for (let i = 0; i < STATEMENTS_PER_CALLER && !connection.broken; i++) {
      if (i > 0) await new Promise<void>((resolve) => this.#context.clock.setTimeout(resolve, stepMs));
      this.#statement(connection);
    }
    pool.release(connection);
  }

  #statement(connection: SimConnection): void {
    const { database, clock, record, process } = this.#context;
    try {
      database.statement(connection.session);
    } catch (error) {
      connection.broken = true;
      const code = codeOf(error);
      const at = clock.now();
      const { leaseId } = connection;
      record.databaseFailures.push({ at, process, name: this.#plan.name, leaseId, code, step: 'statement' });
      record.line(at, process, `${this.#key} statement on ${record.alias(leaseId, 'L')} failed ${code}`);
    }
  }
}
