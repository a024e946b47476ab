/**
 * Durations as written in job YAML (`15m`, `1h`, `1d`, `1w`, `30s`) and back.
 *
 * Window sizes and rule offsets are stored as milliseconds; the label form is what users see in
 * alert labels and what rules name, so `formatDuration(parseDuration(x))` must round-trip.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
type Unit = keyof typeof UNIT_MS;

const DURATION_RE = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/;

/** Milliseconds of a duration label, or `null` when it is not one (`15m`, `1h`, `1d`, `1w`). */
export function parseDuration(text: string): number | null {
  const match = DURATION_RE.exec(text);
  if (!match) return null;
  const value = Number(match[1]);
  const ms = value * UNIT_MS[match[2] as Unit];
  return Number.isFinite(ms) && ms > 0 && Number.isInteger(ms) ? ms : null;
}

/** The shortest exact label of a duration (`900000` -> `15m`, `86400000` -> `1d`). */
export function formatDuration(ms: number): string {
  const units: Unit[] = ['w', 'd', 'h', 'm', 's'];
  for (const unit of units) {
    const size = UNIT_MS[unit];
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
