import { describe, expect, it } from 'vitest';
import type { LeaseInstance } from './lease-instance.js';
import type { LeaseRouter } from './lease-router.js';
import { ListenSubscriptions } from './listen-subscriptions.js';

/** A promise and the function that settles it. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/**
 * An instance as ListenSubscriptions sees it: a work count (`hold()`), and a `sql.listen` whose
 * answer (and whose `unlisten()`'s answer) the test settles when it chooses.
 */
class FakeInstance {
  readonly leaseId: string;
  retired = false;
  work = 0;
  listening = 0;
  listenGate: Promise<void> = Promise.resolve();
  unlistenGate: Promise<void> = Promise.resolve();
  readonly sql = {
    listen: async (_channel: string, _onnotify: (value: string) => void) => {
      await this.listenGate;
      this.listening++;
      return {
        state: {},
        unlisten: async () => {
          await this.unlistenGate;
          this.listening--;
        },
      };
    },
  };

  constructor(leaseId: string) {
    this.leaseId = leaseId;
  }

  hold(): () => void {
    this.work++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.work--;
    };
  }
}

/** A router that serves `current` and tells its retire listeners when the test retires an instance. */
class FakeRouter {
  current: FakeInstance;
  readonly #retiring: Array<(instance: LeaseInstance) => void> = [];

  readonly name = 'db';

  constructor(current: FakeInstance) {
    this.current = current;
  }

  onRetire(listener: (instance: LeaseInstance) => void): void {
    this.#retiring.push(listener);
  }

  async instance(): Promise<LeaseInstance> {
    return this.current as unknown as LeaseInstance;
  }

  withInstance<T>(work: (instance: LeaseInstance) => Promise<T>): Promise<T> {
    return work(this.current as unknown as LeaseInstance);
  }

  rotateTo(next: FakeInstance): void {
    const old = this.current;
    old.retired = true;
    this.current = next;
    for (const listener of this.#retiring) listener(old as unknown as LeaseInstance);
  }
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

/** Subscriptions on a router serving lease `a`, and the lease `b` a rotation moves them to. */
function twoLeases() {
  const a = new FakeInstance('a');
  const b = new FakeInstance('b');
  const router = new FakeRouter(a);
  const subscriptions = new ListenSubscriptions(router as unknown as LeaseRouter);
  return { a, b, router, subscriptions };
}

describe('ListenSubscriptions', () => {
  it('moves a listener to the new instance on rotation and lets go of the old one', async () => {
    const { a, b, router, subscriptions } = twoLeases();
    const meta = await subscriptions.listen('ch', () => {});
    expect([a.work, a.listening]).toEqual([1, 1]);

    router.rotateTo(b);
    await settle();
    expect([a.work, a.listening, b.work, b.listening]).toEqual([0, 0, 1, 1]);

    await meta.unlisten();
    expect([b.work, b.listening]).toEqual([0, 0]);
  });

  it('lets go of the new instance when unlisten() runs while a move is attaching (no hold left for end() to wait on)', async () => {
    // CI saw sql.end() wait forever: unlisten() cleared the subscription's attachment after the move
    // had set it to the new instance, so neither released the new instance's hold.
    const { a, b, router, subscriptions } = twoLeases();
    const meta = await subscriptions.listen('ch', () => {});

    const bListens = deferred();
    b.listenGate = bListens.promise;
    const aUnlistens = deferred();
    a.unlistenGate = aUnlistens.promise;

    router.rotateTo(b); // the move: b's LISTEN is sent, its answer held back
    await settle();
    const unlistened = meta.unlisten(); // a's UNLISTEN is sent, its answer held back
    bListens.resolve(); // the move attaches to b, then detaches a (waiting on the same UNLISTEN)
    await settle();
    aUnlistens.resolve();
    await unlistened;
    await settle();

    expect({ a: [a.work, a.listening], b: [b.work, b.listening] }).toEqual({ a: [0, 0], b: [0, 0] });
  });

  it('lets go of both instances when sql.end() closes the subscriptions while a move is attaching', async () => {
    const { a, b, router, subscriptions } = twoLeases();
    await subscriptions.listen('ch', () => {});

    const bListens = deferred();
    b.listenGate = bListens.promise;
    router.rotateTo(b);
    await settle();
    subscriptions.close();
    bListens.resolve();
    await settle();

    expect([a.work, b.work, b.listening]).toEqual([0, 0, 0]);
  });

  it('rejects a listen() that sql.end() overtook with CONNECTION_ENDED and lets go of its instance', async () => {
    const { a, subscriptions } = twoLeases();
    const aListens = deferred();
    a.listenGate = aListens.promise;

    const listening = subscriptions.listen('ch', () => {});
    await settle();
    subscriptions.close();
    aListens.resolve();

    await expect(listening).rejects.toMatchObject({ code: 'CONNECTION_ENDED' });
    expect([a.work, a.listening]).toEqual([0, 0]);
  });
});
