import { describe, expect, it } from 'vitest';
import { daysFromCivil, parseDateDays, parseTimestampMicros } from './pg-date-time.js';

describe('PostgreSQL ISO dates and timestamps → days and microseconds since 1970', () => {
  it('counts days like Date.UTC across four centuries, leap days included', () => {
    for (let year = 1600; year <= 2400; year += 7) {
      for (const [month, day] of [
        [1, 1],
        [2, 28],
        [3, 1],
        [12, 31],
      ] as const) {
        const utc = new Date(0);
        utc.setUTCFullYear(year, month - 1, day);
        expect(daysFromCivil(year, month, day), `${year}-${month}-${day}`).toBe(utc.getTime() / 86_400_000);
      }
    }
  });

  it('reads dates, BC years (1 BC is year 0) and infinities', () => {
    expect(parseDateDays('1970-01-01')).toBe(0);
    expect(parseDateDays('1969-12-31')).toBe(-1);
    expect(parseDateDays('2000-02-29')).toBe(11_016);
    const oneBc = new Date(0);
    oneBc.setUTCFullYear(0, 0, 1);
    expect(parseDateDays('0001-01-01 BC')).toBe(oneBc.getTime() / 86_400_000);
    expect(parseDateDays('10000-01-01')).toBe(daysFromCivil(10_000, 1, 1));
    expect(parseDateDays('infinity')).toBeNull();
    expect(parseDateDays('-infinity')).toBeNull();
    expect(() => parseDateDays('29/11/2026')).toThrow(SyntaxError);
  });

  it('reads timestamps to the microsecond, applying any UTC offset', () => {
    expect(parseTimestampMicros('1970-01-01 00:00:00')).toBe(0n);
    expect(parseTimestampMicros('1969-12-31 23:59:59.999999')).toBe(-1n);
    expect(parseTimestampMicros('2026-11-29 17:15:54.1')).toBe(
      BigInt(Date.UTC(2026, 10, 29, 17, 15, 54)) * 1000n + 100_000n,
    );
    expect(parseTimestampMicros('2026-11-29 17:15:54.123456+00')).toBe(
      BigInt(Date.UTC(2026, 10, 29, 17, 15, 54)) * 1000n + 123_456n,
    );
    expect(parseTimestampMicros('2026-11-29 17:15:54+05:30')).toBe(BigInt(Date.UTC(2026, 10, 29, 11, 45, 54)) * 1000n);
    expect(parseTimestampMicros('2026-11-29 17:15:54-08')).toBe(BigInt(Date.UTC(2026, 10, 30, 1, 15, 54)) * 1000n);
    expect(parseTimestampMicros('1900-01-01 00:00:00+00:09:21')).toBe(
      (BigInt(Date.UTC(1900, 0, 1)) - 561_000n) * 1000n,
    );
    expect(parseTimestampMicros('4713-11-24 00:00:00+00 BC')).toBe(
      BigInt(daysFromCivil(-4712, 11, 24)) * 86_400_000_000n,
    );
    // PostgreSQL's last timestamp: beyond 2^53 µs, exact only as BigInt.
    expect(parseTimestampMicros('294276-12-31 23:59:59.999999')).toBe(
      BigInt(daysFromCivil(294_276, 12, 31)) * 86_400_000_000n + 86_399_999_999n,
    );
    expect(parseTimestampMicros('infinity')).toBeNull();
    expect(() => parseTimestampMicros('2026-11-29T17:15:54Z')).toThrow(SyntaxError);
  });
});
