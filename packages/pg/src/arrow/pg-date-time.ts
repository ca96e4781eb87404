/**
 * PostgreSQL's ISO text form of `date`, `timestamp` and `timestamptz` (with `DateStyle = ISO` and
 * `TimeZone = UTC`, which {@link readSqlArrow} sets for its query) to Arrow's integers: days and
 * microseconds since 1970-01-01, proleptic Gregorian calendar, as PostgreSQL counts them.
 * `infinity` and `-infinity` have no Arrow counterpart: they become `null`.
 */

const MICROS_PER_SECOND = 1_000_000n;
const SECONDS_PER_DAY = 86_400n;
/** Days from 0000-03-01 to 1970-01-01 in the proleptic Gregorian calendar. */
const EPOCH_SHIFT_DAYS = 719_468;
const DAYS_PER_ERA = 146_097;

const DATE = /^(\d{4,})-(\d{2})-(\d{2})( BC)?$/;
const TIMESTAMP =
  /^(\d{4,})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?:([+-])(\d{2})(?::?(\d{2}))?(?::(\d{2}))?)?( BC)?$/;

/** `2026-11-29`, `0044-03-15 BC` → days since 1970-01-01; `±infinity` → `null`. */
export function parseDateDays(text: string): number | null {
  if (text === 'infinity' || text === '-infinity') return null;
  const match = DATE.exec(text);
  if (match === null) throw new SyntaxError(`not an ISO date: '${text}'`);
  const [, year, month, day, bc] = match;
  return daysFromCivil(astronomicalYear(Number(year), bc !== undefined), Number(month), Number(day));
}

/**
 * `2026-11-29 17:15:54.123456` (timestamp) or `…+00` (timestamptz; any offset is applied) →
 * microseconds since 1970-01-01 00:00 UTC; `±infinity` → `null`.
 */
export function parseTimestampMicros(text: string): bigint | null {
  if (text === 'infinity' || text === '-infinity') return null;
  const match = TIMESTAMP.exec(text);
  if (match === null) throw new SyntaxError(`not an ISO timestamp: '${text}'`);
  const [, year, month, day, hour, minute, second, fraction, sign, offH, offM, offS, bc] = match;
  const days = daysFromCivil(astronomicalYear(Number(year), bc !== undefined), Number(month), Number(day));
  let seconds = BigInt(days) * SECONDS_PER_DAY + BigInt(Number(hour) * 3600 + Number(minute) * 60 + Number(second));
  if (sign !== undefined) {
    const offset = BigInt(Number(offH) * 3600 + Number(offM ?? 0) * 60 + Number(offS ?? 0));
    seconds -= sign === '-' ? -offset : offset;
  }
  return seconds * MICROS_PER_SECOND + BigInt((fraction ?? '').padEnd(6, '0'));
}

/** PostgreSQL writes 1 BC as `0001 BC`: astronomical year 0. */
function astronomicalYear(year: number, bc: boolean): number {
  return bc ? 1 - year : year;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (years may be 0 or negative). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const shiftedMonth = month > 2 ? month - 3 : month + 9;
  const dayOfYear = Math.floor((153 * shiftedMonth + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * DAYS_PER_ERA + dayOfEra - EPOCH_SHIFT_DAYS;
}
