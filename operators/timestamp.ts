import { MS_PER_DAY } from './events.js';
import { clipText } from './text-clip.js';

/**
 * RFC 3339 timestamps (`2026-01-05T10:00:00.123+01:00`) to epoch milliseconds, exactly.
 *
 * Not `Date.parse`: behind its ISO fast path V8 falls back to a lenient legacy parser, which
 * turns `0026-01-05 10:00:00Z` into the year 2026 and gives NaN for a leap second or a `+02`
 * offset, all of which a `date-time` format check lets through. This parser accepts one grammar
 * and computes the instant itself, so a time either has its exact value or is refused:
 *
 *   YYYY-MM-DD (T | t | space) hh:mm:ss[.fraction] (Z | z | ±hh:mm | ±hhmm | ±hh)
 *
 * The offset forms without a colon are ISO 8601's basic format; they are unambiguous and producers
 * send them, so they are accepted. Digits beyond milliseconds are truncated. A leap second
 * (`23:59:60`) is valid RFC 3339 but has no place on the POSIX time line the pipeline counts in,
 * so it is refused (`describeTimestamp` says so).
 */

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;
const ZERO = 0x30;

/** Epoch milliseconds of an RFC 3339 timestamp, or NaN when `text` is not one (see the module doc). */
export function parseTimestamp(text: string): number {
  // The shortest form is `YYYY-MM-DDThh:mm:ssZ` (20 characters).
  if (text.length < 20) return Number.NaN;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (
    text.charCodeAt(4) !== 0x2d ||
    text.charCodeAt(7) !== 0x2d || // '-'
    !isSeparator(text.charCodeAt(10)) ||
    text.charCodeAt(13) !== 0x3a ||
    text.charCodeAt(16) !== 0x3a || // ':'
    year < 0 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > daysInMonth(year, month) ||
    hour < 0 ||
    hour > 23 ||
    minute < 0 ||
    minute > 59 ||
    second < 0 ||
    second > 59
  ) {
    return Number.NaN;
  }
  let index = 19;
  let millis = 0;
  if (text.charCodeAt(index) === 0x2e) {
    // '.': at least one digit; the first three are milliseconds, the rest are dropped.
    const start = ++index;
    while (index < text.length && isDigit(text.charCodeAt(index))) {
      if (index - start < 3) millis = millis * 10 + (text.charCodeAt(index) - ZERO);
      index++;
    }
    const count = index - start;
    if (count === 0) return Number.NaN;
    if (count < 3) millis *= count === 1 ? 100 : 10;
  }
  const offsetMinutes = parseOffset(text, index);
  if (Number.isNaN(offsetMinutes)) return Number.NaN;
  return daysFromCivil(year, month, day) * MS_PER_DAY + ((hour * 60 + minute - offsetMinutes) * 60 + second) * 1000 + millis;
}

/** True when `text` is an RFC 3339 full-date, `YYYY-MM-DD`, of a day that exists. */
export function isDate(text: string): boolean {
  if (text.length !== 10 || text.charCodeAt(4) !== 0x2d || text.charCodeAt(7) !== 0x2d) return false;
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  return year >= 0 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/**
 * Why `text` is not a timestamp `parseTimestamp` accepts, as a clause for a dead letter's
 * detail (`field 'ts' ${clause}`). Only called for refused records, so it may be slow.
 */
export function describeTimestamp(text: string): string {
  if (isLeapSecond(text)) {
    return (
      `is a leap second (${JSON.stringify(text)}): RFC 3339 allows second 60, but event times are counted ` +
      'in POSIX milliseconds, which have no place for it; send 23:59:59.999 or the next second'
    );
  }
  return (
    `must be an RFC 3339 timestamp with offset (e.g. 2026-01-05T10:00:00.000Z or ...+01:00) or epoch milliseconds, ` +
    `got ${JSON.stringify(clipText(text, 67, '...'))}`
  );
}

/** True when `text` has the form of a timestamp at second 60 (a leap second). */
export function isLeapSecond(text: string): boolean {
  return LEAP_SECOND.test(text);
}

const LEAP_SECOND = /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:60/;

/** An epoch-ms time as ISO 8601 text; numbers beyond `Date`'s range are written as they are. */
export function formatEpochMs(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : `${ms} ms since 1970`;
}

/** The value of `length` ASCII digits at `start`, or -1 when any is not a digit. */
function digits(text: string, start: number, length: number): number {
  let value = 0;
  for (let i = start; i < start + length; i++) {
    const code = text.charCodeAt(i);
    if (!isDigit(code)) return -1;
    value = value * 10 + (code - ZERO);
  }
  return value;
}

function isDigit(code: number): boolean {
  return code >= ZERO && code <= 0x39;
}

/** `T`, `t` or a space (RFC 3339 section 5.6 allows the space "for readability"). */
function isSeparator(code: number): boolean {
  return code === 0x54 || code === 0x74 || code === 0x20;
}

/** Offset east of UTC in minutes of the suffix at `index` (it must end the text), or NaN. */
function parseOffset(text: string, index: number): number {
  const rest = text.length - index;
  const sign = text.charCodeAt(index);
  if (sign === 0x5a || sign === 0x7a) return rest === 1 ? 0 : Number.NaN; // 'Z' or 'z'
  if (sign !== 0x2b && sign !== 0x2d) return Number.NaN; // '+' or '-'
  const hours = digits(text, index + 1, 2);
  let minutes: number;
  if (rest === 3)
    minutes = 0; // ±hh
  else if (rest === 5)
    minutes = digits(text, index + 3, 2); // ±hhmm
  else if (rest === 6 && text.charCodeAt(index + 3) === 0x3a)
    minutes = digits(text, index + 4, 2); // ±hh:mm
  else return Number.NaN;
  if (hours < 0 || hours > 23 || minutes < 0 || minutes > 59) return Number.NaN;
  return (sign === 0x2d ? -1 : 1) * (hours * 60 + minutes);
}

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/**
 * Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`). Unlike
 * `Date.UTC`, it does not read the years 0-99 as 1900-1999.
 */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}
