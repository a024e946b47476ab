import type { SilenceConfig } from './config.js';
import { RoutingConfigError } from './errors.js';
import { type Matcher, matchesAll, parseMatchers } from './matchers.js';

/** A resolved silence: mutes matching alerts while startsAt <= now < endsAt (wall clock, ms). */
export interface Silence {
  readonly matchers: readonly Matcher[];
  readonly startsAt: number;
  readonly endsAt: number;
  readonly createdBy: string;
  readonly comment: string;
}

function instant(text: string, path: string): number {
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) {
    throw new RoutingConfigError('ROUTING_CONFIG_INVALID', path, `'${text}' is not an RFC 3339 time`);
  }
  return ms;
}

export function buildSilences(configs: readonly SilenceConfig[], path = 'alerting.silences'): Silence[] {
  return configs.map((c, i) => {
    const startsAt = c.starts_at === undefined ? Number.NEGATIVE_INFINITY : instant(c.starts_at, `${path}[${i}].starts_at`);
    const endsAt = instant(c.ends_at, `${path}[${i}].ends_at`);
    if (endsAt <= startsAt) {
      throw new RoutingConfigError('ROUTING_CONFIG_INVALID', `${path}[${i}].ends_at`, 'must be after starts_at');
    }
    return {
      matchers: parseMatchers(c.matchers, `${path}[${i}].matchers`),
      startsAt,
      endsAt,
      createdBy: c.created_by,
      comment: c.comment,
    };
  });
}

/** The first silence muting `labels` at `now`, if any. */
export function activeSilence(labels: Readonly<Record<string, string>>, silences: readonly Silence[], now: number): Silence | undefined {
  return silences.find((s) => s.startsAt <= now && now < s.endsAt && matchesAll(s.matchers, labels));
}
