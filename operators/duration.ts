/**
 * Durations as written in job YAML and alerting configs: Prometheus style, a number and a unit,
 * optionally compounded (`250ms`, `30s`, `15m`, `1h`, `1h30m`, `7d`, `1w`, `1y`). One parser for
 * the whole product, so every key that takes a duration accepts the same forms.
 */
const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
  y: 31_536_000_000,
};

/** For JSON Schemas: the same forms `parseDuration` accepts. */
export const DURATION_PATTERN = '^([0-9]+(ms|s|m|h|d|w|y))+$';
const DURATION_RE = new RegExp(DURATION_PATTERN);
const PART = /([0-9]+)(ms|s|m|h|d|w|y)/g;

/** Milliseconds of a duration (`0s` is 0), or null when the text is not one. */
export function parseDuration(text: string): number | null {
  const trimmed = text.trim();
  if (!DURATION_RE.test(trimmed)) return null;
  let total = 0;
  for (const match of trimmed.matchAll(PART)) total += Number(match[1]) * UNIT_MS[match[2] as string]!;
  return total;
}

/** Milliseconds of a duration longer than zero, or null. */
export function positiveDuration(text: string): number | null {
  const ms = parseDuration(text);
  return ms !== null && ms > 0 ? ms : null;
}

/** Like `parseDuration`, for values a schema has already checked; throws a clear error otherwise. */
export function requireDuration(text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new RangeError(`'${text}' is not a duration like 30s, 15m, 1h, 1d or 1w`);
  return ms;
}

/** The shortest exact label of a duration: 900000 -> `15m`, 86400000 -> `1d`. */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's']) {
    const size = UNIT_MS[unit]!;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
