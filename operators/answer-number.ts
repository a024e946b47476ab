/**
 * A survey answer as a number: a finite number, or a string that is a plain decimal number (survey
 * tools and CSV conversions often send "7"); null for anything else. The service rules' comparisons
 * and population drift's numeric survey features read answers the same way.
 */
export function answerNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)) return Number(value);
  return null;
}
