/** Number formats shared by the reports; `n/a` marks a NULL (a zero denominator, SPEC section 4). */
export const NA = 'n/a';

export function formatPercent(value: number | null, digits = 1): string {
  return value === null || !Number.isFinite(value) ? NA : `${(value * 100).toFixed(digits)}%`;
}

export function formatSeconds(value: number | null): string {
  return value === null || !Number.isFinite(value) ? NA : `${value.toFixed(1)} s`;
}

export function formatCount(value: number | null): string {
  return value === null || !Number.isFinite(value) ? NA : numberFormat(0).format(Math.round(value));
}

export function formatNumber(value: number | null, digits = 2): string {
  return value === null || !Number.isFinite(value) ? NA : numberFormat(digits).format(value);
}

/**
 * `toLocaleString` with options builds a new Intl.NumberFormat on every call, which was the
 * largest JavaScript cost of reading a KPI report's data (bench/report-render-bench.ts); the
 * formats are kept instead, one per number of digits.
 */
const numberFormats = new Map<number, Intl.NumberFormat>();

function numberFormat(digits: number): Intl.NumberFormat {
  let format = numberFormats.get(digits);
  if (format === undefined) {
    format = new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
    numberFormats.set(digits, format);
  }
  return format;
}

/** A signed change, e.g. `+12` or `-3.5`. */
export function formatSigned(value: number, digits = 0): string {
  return `${value > 0 ? '+' : value < 0 ? '-' : ''}${Math.abs(value).toFixed(digits)}`;
}

export function formatInstant(ms: number): string {
  // To the second, always: a generation time with milliseconds read as another format beside a window's bounds.
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
