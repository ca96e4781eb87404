import { DataverkError } from '@dataverk/core';

/**
 * A `DATAVERK_STREAM_SESSION_ENDED` error (internal factory): the server ended the session of a {@link Client.readSqlStream} before its last row: an operator
 * revoked the lease early with revocation statements that terminate sessions
 * (`pg_terminate_backend`, SQLSTATE `57P01`), PostgreSQL shut down, or the connection was lost.
 * The rows already yielded are good; the rest never arrive. Run the query again: a new stream logs
 * in with current credentials. `details.rowsDelivered` counts the rows yielded before, and
 * `details.sqlState` is the SQLSTATE the server sent (`57P01`…), absent when the connection just
 * dropped.
 */
export function streamSessionEnded(name: string, rowsDelivered: number, cause: unknown): DataverkError {
  const sqlState = sqlStateOf(cause);
  return new DataverkError(
    'DATAVERK_STREAM_SESSION_ENDED',
    `the session streaming from '${name}' ended after ${rowsDelivered} rows (${sqlState ?? 'connection lost'}: ${messageOf(cause)}); ` +
      `its lease was probably revoked with statements that terminate sessions: run the query again`,
    { cause, details: sqlState === undefined ? { rowsDelivered } : { rowsDelivered, sqlState } },
  );
}

function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
