/**
 * Prometheus-style durations ("30s", "5m", "4h", "1h30m", "2d", "1w", "250ms") to milliseconds.
 * Alertmanager configs use this syntax, so operators can paste their timings unchanged.
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

export const DURATION_PATTERN = '^([0-9]+(ms|s|m|h|d|w|y))+$';
const PART = /([0-9]+)(ms|s|m|h|d|w|y)/g;

/** Parses a duration; returns undefined when the text is not a valid duration. */
export function parseDuration(text: string): number | undefined {
  if (!new RegExp(DURATION_PATTERN).test(text)) return undefined;
  let total = 0;
  for (const match of text.matchAll(PART)) {
    const unit = UNIT_MS[match[2] ?? ''];
    if (unit === undefined) return undefined;
    total += Number(match[1]) * unit;
  }
  return total;
}
