import type { CredentialProvider } from '@dataverk/core';
import { DataverkError } from '@dataverk/core';
import type pg from 'pg';
import Cursor from 'pg-cursor';
import { StreamConnection, withTimeout } from './stream-connection.js';
import { streamSessionEnded } from './stream-session-ended.js';

/**
 * Rows per batch when `batchSize` is not given: small enough that a batch dies young in V8 (see docs/big-results.md).
 *
 * @example
 * for await (const rows of dv.readSqlStream('sales', sql, [], { batchSize: 10 * DEFAULT_BATCH_SIZE })) write(rows);
 */
export const DEFAULT_BATCH_SIZE = 1_000;
/** Closing the cursor after an early `break` waits this long for the server before the connection is dropped. */
const CURSOR_CLOSE_TIMEOUT_MS = 5_000;
/** SQLSTATE classes that mean the session itself is over: 57 (operator intervention), 08 (connection exception). */
const SESSION_ENDED_STATES = /^(57P0[1-3]|08...)$/;

/** Options of {@link Client.readSqlStream}. */
export interface ReadSqlStreamOptions {
  /**
   * Rows fetched from the server-side cursor per batch, and so the most rows one batch holds; a
   * positive integer (`DATAVERK_STREAM_BATCH_SIZE_INVALID` otherwise).
   *
   * @defaultValue `1000` (`DEFAULT_BATCH_SIZE`)
   */
  readonly batchSize?: number;
  /**
   * Stops the wait for credentials: the stream rejects with `signal.reason`. After that wait
   * (connecting, reading) the signal is not looked at; leave the loop (`break`) to stop reading.
   */
  readonly signal?: AbortSignal;
}

/**
 * Streams the rows of `sql` in batches over a server-side cursor, on one dedicated connection that
 * holds one lease handle until the stream ends, fails or is left with `break`. See
 * {@link Client.readSqlStream}.
 */
export async function* readSqlStream<Row extends pg.QueryResultRow>(
  provider: CredentialProvider,
  name: string,
  sql: string,
  params: readonly unknown[],
  options: ReadSqlStreamOptions = {},
  sessionRole?: string,
): AsyncGenerator<Row[], void, undefined> {
  const batchSize = checkedBatchSize(options.batchSize);
  const connection = await StreamConnection.open(provider, name, options.signal, sessionRole);
  let delivered = 0;
  let failed = false;
  try {
    const cursor = connection.client.query(new Cursor<Row>(sql, [...params]));
    try {
      for (;;) {
        const rows = await readBatch(cursor, batchSize, connection, name, delivered);
        if (rows.length === 0) return;
        delivered += rows.length;
        yield rows;
        // pg-cursor returns a short batch only at the end of the result.
        if (rows.length < batchSize) return;
      }
    } catch (error) {
      failed = true;
      throw error;
    } finally {
      // After an error the session is gone or will be closed anyway: a close would wait for an answer.
      if (!failed) await withTimeout(cursor.close(), CURSOR_CLOSE_TIMEOUT_MS);
    }
  } finally {
    await connection.close();
  }
}

async function readBatch<Row>(
  cursor: Cursor<Row>,
  batchSize: number,
  connection: StreamConnection,
  name: string,
  delivered: number,
): Promise<Row[]> {
  try {
    return await cursor.read(batchSize);
  } catch (error) {
    throw endedSession(error, connection) ? streamSessionEnded(name, delivered, error) : error;
  }
}

/** True when `error` (or what the connection reported before it) says the session is over, not the query. */
function endedSession(error: unknown, connection: StreamConnection): boolean {
  for (const candidate of [error, connection.lostWith]) {
    const code = (candidate as { code?: unknown } | undefined)?.code;
    if (typeof code === 'string' && SESSION_ENDED_STATES.test(code)) return true;
  }
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|ECONNRESET|EPIPE/i.test(message);
}

function checkedBatchSize(batchSize: number | undefined): number {
  if (batchSize === undefined) return DEFAULT_BATCH_SIZE;
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw new DataverkError(
      'DATAVERK_STREAM_BATCH_SIZE_INVALID',
      `batchSize must be a positive integer (got ${String(batchSize)}); it is the number of rows per batch`,
    );
  }
  return batchSize;
}
