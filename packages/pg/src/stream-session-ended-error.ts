import { DataverkError } from '@dataverk/core';

/**
 * The server ended the session of a {@link Client.readSqlStream} before its last row: an operator
 * revoked the lease early with revocation statements that terminate sessions
 * (`pg_terminate_backend`, SQLSTATE `57P01`), PostgreSQL shut down, or the connection was lost.
 * The rows already yielded are good; the rest never arrive. Run the query again: a new stream logs
 * in with current credentials.
 *
 * @example
 * try {
 *   for await (const batch of dv.readSqlStream('sales', 'SELECT * FROM orders')) write(batch);
 * } catch (error) {
 *   if (error instanceof StreamSessionEndedError) console.warn(`${error.rowsDelivered} rows, then: ${error.message}`);
 * }
 */
export class StreamSessionEndedError extends DataverkError {
  /** Rows yielded before the session ended. */
  readonly rowsDelivered: number;
  /** The SQLSTATE the server sent (`57P01`…), or `undefined` when the connection just dropped. */
  readonly sqlState: string | undefined;

  constructor(name: string, rowsDelivered: number, cause: unknown) {
    const sqlState = sqlStateOf(cause);
    super(
      'DATAVERK_STREAM_SESSION_ENDED',
      `the session streaming from '${name}' ended after ${rowsDelivered} rows (${sqlState ?? 'connection lost'}: ${messageOf(cause)}); ` +
        `its lease was probably revoked with statements that terminate sessions: run the query again`,
      { cause },
    );
    this.rowsDelivered = rowsDelivered;
    this.sqlState = sqlState;
  }
}

function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
