import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Which credentials objects the provider still keeps reachable: a `WeakRef` to every one it
 * handed out, per lease, and a forced full collection before counting. The simulator holds none
 * of them itself once a connection has closed, so what survives a collection is kept by the
 * provider (or by the pools' own bookkeeping, which the caller allows for).
 */
export class RetainedCredentials {
  readonly #byLease = new Map<string, WeakRef<object>[]>();

  /** Notes one credentials object handed out for `leaseId`. */
  track(leaseId: string, credentials: object): void {
    const refs = this.#byLease.get(leaseId) ?? [];
    if (refs.some((ref) => ref.deref() === credentials)) return;
    refs.push(new WeakRef(credentials));
    this.#byLease.set(leaseId, refs);
  }

  /** Leases seen so far. */
  get leases(): number {
    return this.#byLease.size;
  }

  /**
   * Leases (other than `except`) with a credentials object still reachable: call right after
   * {@link collectGarbage} (once for every process counted at that instant: a full collection of a
   * run's heap costs milliseconds).
   */
  retainedExcept(except: ReadonlySet<string>): number {
    let retained = 0;
    for (const [leaseId, refs] of this.#byLease) {
      if (except.has(leaseId)) continue;
      if (refs.some((ref) => ref.deref() !== undefined)) retained++;
    }
    return retained;
  }
}

let gc: (() => void) | undefined;

/** A full, synchronous collection: `--expose-gc`'s `gc`, or V8's own flag turned on at run time. */
export function collectGarbage(): void {
  if (gc === undefined) {
    const exposed = (globalThis as { gc?: () => void }).gc;
    if (exposed !== undefined) gc = exposed;
    else {
      setFlagsFromString('--expose-gc');
      gc = runInNewContext('gc') as () => void;
    }
  }
  gc();
}
