/**
 * KPI threshold rules (analytic alerts): the YAML shape users write and the resolved rule the
 * evaluator runs.
 *
 * YAML (one entry of `contact_kpis.rules`):
 * ```yaml
 * - name: billing_abandon_rate        # required, unique; becomes labels.alertname
 *   when: abandon_rate > 0.08         # compact form; or kpi/op/threshold, or kpi/change
 *   window: 15m                       # one of the operator's window sizes (default: the smallest)
 *   queue: billing                    # or queues: [...]; default every queue
 *   channel: voice                    # or channels: [...]; default every channel
 *   for: 2                            # consecutive breaching windows before firing (default 1)
 *   resolve: { after: 2, threshold: 0.06 }  # windows back within (the hysteresis) threshold
 *   severity: critical                # info | warning (default) | critical
 *   min_offered: 20                   # skip windows with fewer offered contacts
 *                                     # (default 20 for rate and mean KPIs, 0 for counts)
 *   confidence: 0.95                  # rate KPIs only: the Wilson interval must clear the threshold
 * - name: aht_week_over_week
 *   when: aht_seconds increases by 25% vs 1w   # same window one week earlier
 *   window: 1h
 * ```
 */
import type { ContactChannel } from '../events.js';
import type { Severity } from '../alert.js';
import type { KpiName } from '../contact-kpis/kpis.js';

export const COMPARATORS = ['>', '>=', '<', '<='] as const;
export type Comparator = (typeof COMPARATORS)[number];

export const CHANGE_DIRECTIONS = ['increase', 'decrease'] as const;
export type ChangeDirection = (typeof CHANGE_DIRECTIONS)[number];

/** Breaches when `value op threshold`. */
export interface ThresholdCondition {
  type: 'threshold';
  op: Comparator;
  threshold: number;
}

/**
 * Breaches when the relative change against the same window `offsetMs` earlier is at least
 * `fraction` in `direction` ((current - baseline) / |baseline| >= fraction, or <= -fraction).
 */
export interface ChangeCondition {
  type: 'change';
  direction: ChangeDirection;
  fraction: number;
  offsetMs: number;
  /** The offset as written (`1w`), for labels and messages. */
  offset: string;
}

export type RuleCondition = ThresholdCondition | ChangeCondition;

/** A validated rule with every default filled in. */
export interface ThresholdRule {
  name: string;
  kpi: KpiName;
  /** Window size in ms and its label (`15m`). */
  windowMs: number;
  window: string;
  /** Null: every queue / channel. Queues in lower case: they match the data's whatever its case. */
  queues: string[] | null;
  channels: ContactChannel[] | null;
  condition: RuleCondition;
  /** Consecutive breaching windows before firing (>= 1). */
  forWindows: number;
  /** Consecutive recovered windows before resolving (>= 1). */
  resolveAfter: number;
  /**
   * Hysteresis: a firing alert counts a window as recovered only when the condition does not hold
   * against this threshold (a fraction for change rules). Null: the firing threshold.
   */
  resolveThreshold: number | null;
  severity: Severity;
  /** Windows with fewer offered contacts are "no data". */
  minOffered: number;
  /**
   * Rate KPIs only: fire only when the whole two-sided Wilson score interval at this confidence is
   * on the breaching side of the threshold. Null: the point estimate decides.
   */
  confidence: number | null;
  /** The condition as the user wrote it, for messages. */
  expression: string;
}

/** YAML field names of a rule; anything else is rejected. */
export const RULE_FIELDS = [
  'name',
  'when',
  'kpi',
  'op',
  'threshold',
  'change',
  'window',
  'queue',
  'queues',
  'channel',
  'channels',
  'for',
  'resolve',
  'severity',
  'min_offered',
  'confidence',
] as const;

/**
 * Default `min_offered` of rules on rate and mean KPIs: with 20 contacts one contact moves a rate by
 * at most 5 points, and the "offered 1, abandon 100%" windows of issue 14 cannot fire. Count KPIs
 * (offered, resolved_per_minute, ...) default to 0: a low count is itself what they watch.
 */
export const DEFAULT_MIN_OFFERED_FOR_SAMPLES = 20;
export const CHANGE_FIELDS = ['direction', 'by', 'vs'] as const;
export const RESOLVE_FIELDS = ['after', 'threshold'] as const;
