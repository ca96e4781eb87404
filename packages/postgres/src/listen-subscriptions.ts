import { isDataverkError } from '@dataverk/core';
import type postgres from 'postgres';
import { sqlEnded } from './errors.js';
import type { LeaseInstance } from './lease-instance.js';
import type { LeaseRouter } from './lease-router.js';

/** How soon a listener whose move failed (no new lease yet) tries again. */
const MOVE_RETRY_MS = 1_000;
/** The longest a move waits for the old listening connection's round trip (it may be gone). */
const DRAIN_TIMEOUT_MS = 2_000;

/** One `sql.listen()` call, and the instance whose listening connection serves it now. */
interface Subscription {
  readonly channel: string;
  readonly onnotify: (value: string) => void;
  attachment: Attachment | undefined;
  moving: boolean;
  closed: boolean;
}

interface Attachment {
  readonly instance: LeaseInstance;
  readonly unlisten: () => Promise<void>;
  readonly done: () => void;
  /** Set by the first detach; a second one (unlisten() and a move racing) waits for the same. */
  detaching?: Promise<void>;
}

/**
 * `sql.listen()` across rotations. postgres.js listens on one dedicated connection per instance; when
 * the instance of a listener is retired (its lease superseded), the listener is moved: it listens on
 * the current instance first and only then stops listening on the old one, so no notification
 * committed while it moves is lost. One committed in the few milliseconds both connections listen
 * can be delivered twice (at least once, never lost). The old instance, and its lease, are kept
 * until the move is done.
 */
export class ListenSubscriptions {
  readonly #router: LeaseRouter;
  readonly #subscriptions = new Set<Subscription>();
  #closed = false;

  constructor(router: LeaseRouter) {
    this.#router = router;
    router.onRetire((instance) => this.#moveFrom(instance));
  }

  /** postgres.js's `sql.listen(channel, onnotify, onlisten)`, on the current lease. */
  async listen(
    channel: string,
    onnotify: (value: string) => void,
    onlisten?: () => void,
  ): Promise<postgres.ListenMeta> {
    const subscription: Subscription = { channel, onnotify, attachment: undefined, moving: false, closed: false };
    const { attachment, meta } = await this.#router.withInstance((instance) =>
      this.#attach(subscription, instance, onlisten),
    );
    if (this.#closed) {
      // sql.end() ran while this LISTEN was on its way: nothing would ever let go of the instance.
      subscription.closed = true;
      await this.#detach(attachment);
      throw sqlEnded(this.#router.name);
    }
    this.#subscriptions.add(subscription);
    this.#followRetired(subscription);
    const unlisten = async () => {
      subscription.closed = true;
      this.#subscriptions.delete(subscription);
      // Taken before the await: a move that attaches meanwhile detaches what it attached itself.
      const attachment = subscription.attachment;
      subscription.attachment = undefined;
      await this.#detach(attachment);
    };
    return Object.assign(Object.create(meta) as postgres.ListenMeta, { unlisten });
  }

  async #attach(
    subscription: Subscription,
    instance: LeaseInstance,
    onlisten?: () => void,
  ): Promise<{ attachment: Attachment; meta: postgres.ListenMeta }> {
    const done = instance.hold();
    try {
      const meta = await instance.sql.listen(
        subscription.channel,
        (value) => {
          if (!subscription.closed) subscription.onnotify(value);
        },
        onlisten,
      );
      const attachment: Attachment = { instance, unlisten: () => meta.unlisten(), done };
      subscription.attachment = attachment;
      return { attachment, meta };
    } catch (error) {
      done();
      throw error;
    }
  }

  #detach(attachment: Attachment | undefined): Promise<void> {
    if (attachment === undefined) return Promise.resolve();
    attachment.detaching ??= attachment.unlisten().then(
      () => attachment.done(),
      // The old connection may already be gone (its lease revoked); ending the instance closes it anyway.
      () => attachment.done(),
    );
    return attachment.detaching;
  }

  #moveFrom(retired: LeaseInstance): void {
    for (const subscription of this.#subscriptions) {
      if (subscription.attachment?.instance !== retired || subscription.moving) continue;
      subscription.moving = true;
      void this.#move(subscription).then((moved) => {
        subscription.moving = false;
        if (moved) this.#followRetired(subscription);
      });
    }
  }

  /** Resolves true once the listener listens on a new instance (and no longer on the old one). */
  async #move(subscription: Subscription): Promise<boolean> {
    const old = subscription.attachment;
    let attached: Attachment;
    try {
      const instance = await this.#router.instance();
      if (subscription.closed) return false;
      ({ attachment: attached } = await this.#attach(subscription, instance));
    } catch (error) {
      // No new lease yet (Vault down): the old connection keeps listening while its lease lasts,
      // and the move is tried again shortly.
      if (!isDataverkError(error, 'CONNECTION_ENDED') && old !== undefined && !subscription.closed) {
        setTimeout(() => this.#moveFrom(old.instance), MOVE_RETRY_MS).unref();
      }
      return false;
    }
    if (old !== undefined) await drainListening(old.instance);
    await this.#detach(old);
    if (subscription.closed) {
      // unlisten() or sql.end() ran while the listener moved: they let go of the old instance, not of
      // the new one, which only this move knows for sure (unlisten() may have cleared the field).
      if (subscription.attachment === attached) subscription.attachment = undefined;
      await this.#detach(attached);
      return false;
    }
    return true;
  }

  /** The instance a listener just attached to may have been retired while it attached: move on. */
  #followRetired(subscription: Subscription): void {
    const instance = subscription.attachment?.instance;
    if (instance?.retired === true && !subscription.closed) this.#moveFrom(instance);
  }

  /**
   * At `sql.end()`: stops delivering and lets go of the instances, whose end closes the listening
   * connections (no UNLISTEN is sent: its connection may be the one that is gone).
   */
  close(): void {
    this.#closed = true;
    for (const subscription of this.#subscriptions) {
      subscription.closed = true;
      subscription.attachment?.done();
    }
    this.#subscriptions.clear();
  }
}

/**
 * Waits until the instance's listening connection has handed over every notification sent to it so
 * far: a round trip on that connection (PostgreSQL sends a session its pending notifications before
 * the answer to its next query, and postgres.js dispatches messages in order). postgres.js's
 * `unlisten()` drops the listener before it sends `UNLISTEN`, so a notification committed just
 * before the new connection listened, still unread on the old socket, was lost without this (seen
 * once under load: 1 of 126). The listening connection is postgres.js's `listen.sql`, an internal
 * (see the README's table of peer internals); without it, or if the connection is gone, this
 * returns at once or after `DRAIN_TIMEOUT_MS`.
 */
async function drainListening(instance: LeaseInstance): Promise<void> {
  const listening = (instance.sql.listen as { sql?: postgres.Sql }).sql;
  if (listening === undefined) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, DRAIN_TIMEOUT_MS);
  });
  await Promise.race([
    listening`select 1`.then(
      () => undefined,
      () => undefined,
    ),
    timeout,
  ]);
  clearTimeout(timer);
}
