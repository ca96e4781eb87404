import { describe, expect, it } from 'vitest';
import { streamSessionEnded } from './stream-session-ended.js';

describe('streamSessionEnded', () => {
  it('carries a stable code, the rows delivered, the SQLSTATE and the cause', () => {
    const cause = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    const error = streamSessionEnded('sales', 2_000, cause);
    expect(error.code).toBe('DATAVERK_STREAM_SESSION_ENDED');
    expect(error.details?.rowsDelivered).toBe(2_000);
    expect(error.details?.sqlState).toBe('57P01');
    expect(error.cause).toBe(cause);
    expect(error.message).toContain("'sales'");
    expect(error.message).toContain('57P01: terminating connection');
  });

  it('says "connection lost" when the socket dropped without a SQLSTATE', () => {
    const error = streamSessionEnded('sales', 0, Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    expect(error.details?.sqlState).toBeUndefined();
    expect(error.message).toContain('connection lost: read ECONNRESET');
  });
});
