import { type CredentialProvider, type LeaseHandle, pgConnectionOptions } from '@dataverk/core';
import { hasCode, LOGIN_REFUSED_CODES, sessionRoleRefusal, withSessionRole } from '@dataverk/core/adapter-support';
import pg from 'pg';

/** How long a clean close (close the cursor, say goodbye to the server) may take before the socket is dropped. */
const CLOSE_TIMEOUT_MS = 5_000;

/**
 * One dedicated connection for one stream, logged in with a lease handle the stream holds for its
 * whole life: a rotation meanwhile supersedes the lease but cannot revoke it while the handle is
 * held, so the stream finishes on the connection it started on. Not pooled: a stream may outlive
 * its lease's rotation, and a pool would have to retire the connection afterwards anyway.
 *
 * {@link StreamConnection.close} ends the connection first and then releases the handle, so the
 * lease is never revoked under a live session of ours.
 */
export class StreamConnection {
  readonly client: pg.Client;
  readonly #handle: LeaseHandle;
  #ended = false;
  #closing: Promise<void> | undefined;
  /** The error the connection reported outside a query (terminated while idle between two reads). */
  #lostWith: Error | undefined;

  private constructor(client: pg.Client, handle: LeaseHandle) {
    this.client = client;
    this.#handle = handle;
    client.on('error', (error) => {
      this.#lostWith ??= error;
    });
    client.once('end', () => {
      this.#ended = true;
    });
  }

  /**
   * Takes a lease handle and logs in with it; a login refused as for dropped credentials
   * (`28P01`, `28000`) invalidates them and is tried once more with fresh ones.
   */
  static async open(
    provider: CredentialProvider,
    name: string,
    signal?: AbortSignal,
    sessionRole?: string,
  ): Promise<StreamConnection> {
    try {
      return await StreamConnection.#login(provider, name, signal, sessionRole);
    } catch (error) {
      if (!hasCode(error, LOGIN_REFUSED_CODES)) throw error;
      return StreamConnection.#login(provider, name, signal, sessionRole);
    }
  }

  static async #login(
    provider: CredentialProvider,
    name: string,
    signal: AbortSignal | undefined,
    sessionRole: string | undefined,
  ): Promise<StreamConnection> {
    const handle = await provider.acquire(name, signal === undefined ? {} : { signal });
    const client = new pg.Client(withSessionRole(pgConnectionOptions(handle.credentials), sessionRole));
    const swallow = () => {};
    client.on('error', swallow);
    try {
      await client.connect();
    } catch (error) {
      handle.release();
      if (hasCode(error, LOGIN_REFUSED_CODES)) provider.invalidate(name, handle.credentials.leaseId);
      throw sessionRoleRefusal(error, name, sessionRole, handle.credentials.user) ?? error;
    }
    client.off('error', swallow);
    return new StreamConnection(client, handle);
  }

  /** The error that ended the connection while no read was waiting, if any. */
  get lostWith(): Error | undefined {
    return this.#lostWith;
  }

  /** Ends the connection (at most {@link CLOSE_TIMEOUT_MS}), then releases the lease handle; idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#end().finally(() => this.#handle.release());
    return this.#closing;
  }

  async #end(): Promise<void> {
    if (this.#ended) return;
    const ended = new Promise<void>((resolve) => this.client.once('end', () => resolve()));
    this.client.end().catch(() => {});
    await withTimeout(ended, CLOSE_TIMEOUT_MS);
  }
}

/** Resolves when `promise` settles or after `ms`, whichever is first. */
export async function withTimeout(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([promise.then(noop, noop), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function noop(): void {}
