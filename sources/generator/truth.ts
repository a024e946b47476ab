import { MS_PER_DAY } from '../../operators/events.js';
import {
  ACCOUNT_OWNERS,
  AGE_BANDS,
  AGE_BAND_WEIGHTS,
  ASYNC_CHANNELS,
  CALLBACK_DELAY_SECONDS,
  CATEGORIES,
  CATEGORY_WEIGHTS,
  CONTACT_CHANNEL_LIST,
  CONTACT_CHANNEL_WEIGHTS,
  CONTACT_WITHOUT_TS_SHARE,
  QUEUES,
  QUEUE_PLANS,
  REASONS,
  REGIONS,
  REGION_WEIGHTS,
  REPEAT_DELAY_SECONDS,
  REPEAT_PROBABILITY,
  SELF_SERVICE_SHARE,
  TIERS,
  TIER_WEIGHTS,
  TX_CHANNELS,
  TX_CHANNEL_WEIGHTS,
  TX_CHANNEL_WEIGHTS_DRIFT,
  UNKNOWN_CALLER_SHARE,
  USAGE_METRICS,
  WEEK_PROFILES,
} from './catalog.js';
import { EXPECTED_REJECT_REASON, MALFORMED_KINDS } from './malformed.js';
import type { ResolvedOptions } from './options.js';
import {
  DRIFT_SPEND_FACTOR,
  DRIFT_SPEND_GROUP_SHARE,
  MEAN_CONTACTS_PER_DAY,
  MEAN_TX_PER_DAY,
  REFUND_SHARE,
  SHIFT_MIN_DAY,
  SHIFT_MIN_DAYS_AFTER,
  SHIFT_SIZES,
  USAGE_PLAN,
  expectedDailySpend,
  expectedDailyUsage,
} from './population.js';
import type { Population, Shift } from './population.js';
import type { Counts } from './simulator.js';
import { LATE_DELAY_SECONDS } from './simulator.js';
import { TS_FORMAT_SHARES, TS_OFFSETS_MINUTES } from './time-format.js';

/** The ground-truth file: what was injected, for checking detectors and KPIs. See README.md. */

export interface ShiftTruth {
  customer_id: string;
  kind: Shift['kind'];
  measures: string[];
  direction: 'up' | 'down';
  relative_size: number;
  factor: number;
  expected_ratio: Record<string, number>;
  start: string;
  day_index: number;
  baseline_daily: Record<string, number>;
}

export interface DriftFeatureTruth {
  name: string;
  kind: 'numeric' | 'categorical';
  source: string;
  grain: 'event' | 'customer_window';
  description: string;
  key?: boolean;
  before?: Record<string, number>;
  after?: Record<string, number>;
  js_distance_base2?: number;
  factor?: number;
  affected_customers?: string[];
}

export interface LineLists {
  duplicateLines: number[];
  lateLines: number[];
  malformedLines: { line: number; kind: string }[];
}

const iso = (ms: number): string => new Date(ms).toISOString();
const round = (x: number, digits = 4): number => Number(x.toFixed(digits));
const shares = (names: readonly string[], weights: readonly number[]): Record<string, number> => {
  const total = weights.reduce((a, b) => a + b, 0);
  return Object.fromEntries(names.map((n, i) => [n, round((weights[i] as number) / total)]));
};

/** Jensen-Shannon distance (base 2) between two distributions over the same categories. */
export function jsDistance(p: readonly number[], q: readonly number[]): number {
  const sp = p.reduce((a, b) => a + b, 0);
  const sq = q.reduce((a, b) => a + b, 0);
  let d = 0;
  p.forEach((pv, i) => {
    const a = pv / sp;
    const b = (q[i] as number) / sq;
    const m = (a + b) / 2;
    if (a > 0) d += 0.5 * a * Math.log2(a / m);
    if (b > 0) d += 0.5 * b * Math.log2(b / m);
  });
  return Math.sqrt(Math.max(0, d));
}

function shiftTruth(p: Population, s: Shift, startMs: number): ShiftTruth {
  const f = 1 + s.size;
  const spend = expectedDailySpend(p, s.customer);
  const usage = USAGE_METRICS.map((_, k) => expectedDailyUsage(p, s.customer, k));
  const baseline: Record<string, number> = { spend_total: round(spend.total, 2), spend_count: round(spend.count, 3) };
  USAGE_METRICS.forEach((m, k) => (baseline[m] = round(usage[k] as number, 2)));
  baseline.usage_total = round(
    usage.reduce((a, b) => a + b, 0),
    2,
  );
  const ratio: Record<string, number> = {};
  if (s.kind === 'spend_amount') ratio.spend_total = f;
  else if (s.kind === 'spend_frequency') {
    ratio.spend_total = f;
    ratio.spend_count = f;
  } else {
    let before = 0;
    let after = 0;
    USAGE_METRICS.forEach((m, k) => {
      const level = usage[k] as number;
      const mf = s.metrics.includes(m) ? f : 1;
      if (mf !== 1) ratio[m] = f;
      before += level;
      after += level * mf;
    });
    ratio.usage_total = round(after / before);
  }
  return {
    customer_id: p.ids[s.customer] as string,
    kind: s.kind,
    measures: Object.keys(ratio),
    direction: s.size > 0 ? 'up' : 'down',
    relative_size: s.size,
    factor: f,
    expected_ratio: ratio,
    start: iso(startMs + s.day * MS_PER_DAY),
    day_index: s.day,
    baseline_daily: baseline,
  };
}

function driftTruth(o: ResolvedOptions, p: Population): Record<string, unknown> {
  if (p.driftDay < 0) {
    return { enabled: false, reason: o.drift ? 'the period is shorter than 14 days' : 'drift disabled by option', features: [], non_drifting: [] };
  }
  const startMs = o.startMs + p.driftDay * MS_PER_DAY;
  const length = Math.min(p.driftDay, o.days - p.driftDay);
  const group = p.ids.filter((_, i) => p.driftSpend[i] === 1);
  const reasonCodes = REASONS.map((r) => r.code);
  const features: DriftFeatureTruth[] = [
    {
      name: 'spend_total',
      kind: 'numeric',
      grain: 'customer_window',
      key: true,
      source: 'transaction.amount where amount >= 0, summed per customer and window (customer_windows.spend_total)',
      description: `${DRIFT_SPEND_GROUP_SHARE * 100}% of the customers without an injected shift spend ${DRIFT_SPEND_FACTOR}x more per transaction from the drift start (transaction counts unchanged)`,
      factor: DRIFT_SPEND_FACTOR,
      affected_customers: group,
    },
    {
      name: 'transaction_amount',
      kind: 'numeric',
      grain: 'event',
      source: 'transaction.amount',
      description: `same cause as spend_total: amounts of the affected customers are ${DRIFT_SPEND_FACTOR}x larger`,
      factor: DRIFT_SPEND_FACTOR,
    },
    {
      name: 'transaction_channel',
      kind: 'categorical',
      grain: 'event',
      source: 'transaction.channel',
      description: 'the channel mix moves towards app (all customers)',
      before: shares(TX_CHANNELS, TX_CHANNEL_WEIGHTS),
      after: shares(TX_CHANNELS, TX_CHANNEL_WEIGHTS_DRIFT),
      js_distance_base2: round(jsDistance(TX_CHANNEL_WEIGHTS, TX_CHANNEL_WEIGHTS_DRIFT)),
    },
    {
      name: 'contact_reason',
      kind: 'categorical',
      grain: 'event',
      source: 'contact.reason (first contacts; repeats keep the reason of the contact they follow)',
      description: 'an outage-like rise of TECH_NO_SERVICE and TECH_SLOW contacts',
      before: shares(
        reasonCodes,
        REASONS.map((r) => r.weight),
      ),
      after: shares(
        reasonCodes,
        REASONS.map((r) => r.driftWeight),
      ),
      js_distance_base2: round(
        jsDistance(
          REASONS.map((r) => r.weight),
          REASONS.map((r) => r.driftWeight),
        ),
      ),
    },
  ];
  const stable = (name: string, kind: 'numeric' | 'categorical', grain: 'event' | 'customer_window', source: string) => ({ name, kind, grain, source });
  return {
    enabled: true,
    start: iso(startMs),
    day_index: p.driftDay,
    reference: { start: iso(startMs - length * MS_PER_DAY), end: iso(startMs) },
    current: { start: iso(startMs), end: iso(startMs + length * MS_PER_DAY) },
    features,
    non_drifting: [
      stable('spend_count', 'numeric', 'customer_window', 'number of transactions with amount >= 0 per customer and window'),
      stable('transaction_category', 'categorical', 'event', 'transaction.category'),
      stable('usage_data_mb', 'numeric', 'event', 'usage.quantity where metric = data_mb'),
      stable('usage_minutes', 'numeric', 'event', 'usage.quantity where metric = minutes'),
      stable('usage_total', 'numeric', 'customer_window', 'customer_windows.usage_total'),
      stable('contact_channel', 'categorical', 'event', 'contact.channel'),
      stable('region', 'categorical', 'event', 'profile.region (and the region of transacting customers)'),
    ],
    note: `Customers with an injected behaviour shift are never in the spend drift group; their shifts (${round(o.shiftShare * 100, 2)}% of customers, random directions) move the non-drifting features only slightly. For each drift-group customer the drift is also a ${DRIFT_SPEND_FACTOR}x step in spend_total at the drift start, which a per-customer shift detector will see: they are listed in features[spend_total].affected_customers, not in shifts.`,
  };
}

function kpiTruth(): Record<string, unknown> {
  const queues: Record<string, unknown> = {};
  for (const q of QUEUES) {
    const plan = QUEUE_PLANS[q];
    const a = plan.abandon;
    const s = plan.shortAbandonShare;
    const t = plan.transfer;
    const r = plan.resolve;
    const expected = (callback: number) => ({
      abandon_rate: round((a * (1 - s)) / (1 - a * s)),
      service_level: round(((1 - a - callback) * plan.answeredWithin20s) / (1 - a * s)),
    });
    const repeatAfterHandled = t * REPEAT_PROBABILITY.transferred + r * REPEAT_PROBABILITY.resolved + (1 - t - r) * REPEAT_PROBABILITY.unresolved;
    queues[q] = {
      agents: plan.agents,
      abandon_probability: a,
      short_abandon_share_of_abandoned: s,
      callback_probability_voice: plan.callback,
      answered_within_20s_share: plan.answeredWithin20s,
      slow_wait_extra_mean_seconds: plan.slowWaitMeanSeconds,
      talk_median_seconds: plan.talkMedianSeconds,
      transfer_probability: t,
      resolve_probability: r,
      reasons: REASONS.filter((x) => x.queue === q).map((x) => x.code),
      expected: {
        voice: expected(plan.callback),
        chat: expected(0),
        fcr_rate_approx: round(1 - repeatAfterHandled),
      },
    };
  }
  return {
    sla_seconds: 20,
    short_abandon_seconds: 5,
    fcr_window_days: 7,
    queues,
    live_channels: ['voice', 'chat', 'ivr (when not self-service)'],
    async_channels: Object.fromEntries(
      Object.entries(ASYNC_CHANNELS).map(([c, a]) => [c, { response_median_seconds: a.responseMedianSeconds, handle_median_seconds: a.handleMedianSeconds }]),
    ),
    self_service_share: SELF_SERVICE_SHARE,
    contact_channel_mix: shares(CONTACT_CHANNEL_LIST, CONTACT_CHANNEL_WEIGHTS),
    repeat_probability: REPEAT_PROBABILITY,
    repeat_delay_seconds: REPEAT_DELAY_SECONDS,
    callback_delay_seconds: CALLBACK_DELAY_SECONDS,
    unknown_caller_share: UNKNOWN_CALLER_SHARE,
    notes: [
      'expected.voice/chat: abandon_rate = a(1-s)/(1-a*s) and service_level = (1-a-callback_probability_voice)*answered_within_20s_share/(1-a*s) (chat: no callback), with a = abandon_probability and s = short_abandon_share_of_abandoned, per SPEC section 4.',
      'Email, web and social contacts are answered asynchronously (median response in async_channels), never abandon, and are never within 20 s.',
      'fcr_rate_approx = 1 - sum over answered dispositions of P(disposition) * repeat_probability; independent contacts with the same reason lower it slightly.',
    ],
  };
}

export function buildTruth(o: ResolvedOptions, p: Population, counts: Counts, lists: LineLists, lines: number): Record<string, unknown> {
  const events = Object.values(counts.byType).reduce((a, b) => a + b, 0);
  const malformed = counts.malformedByKind.reduce((a, b) => a + b, 0);
  return {
    format: 'customer-pulse-ground-truth',
    version: 1,
    options: {
      customers: o.customers,
      days: o.days,
      seed: o.seed,
      start: iso(o.startMs),
      malformed_rate: o.malformedRate,
      duplicate_rate: o.duplicateRate,
      late_rate: o.lateRate,
      out_of_order_seconds: o.outOfOrderSeconds,
      shift_share: o.shiftShare,
      drift: o.drift,
    },
    period: { start: iso(o.startMs), end: iso(o.startMs + o.days * MS_PER_DAY), days: o.days },
    counts: {
      lines,
      events,
      by_type: counts.byType,
      duplicates: counts.duplicates,
      late: counts.late,
      malformed,
      malformed_by_kind: Object.fromEntries(MALFORMED_KINDS.map((k, i) => [k, counts.malformedByKind[i] as number])),
    },
    stream: {
      out_of_order_max_seconds: o.outOfOrderSeconds,
      late_delay_seconds: LATE_DELAY_SECONDS,
      duplicate_delay_max_seconds: o.outOfOrderSeconds,
      ts_formats: TS_FORMAT_SHARES,
      ts_offsets_minutes: TS_OFFSETS_MINUTES,
      contact_without_ts_share: CONTACT_WITHOUT_TS_SHARE,
      malformed_expected_reason: EXPECTED_REJECT_REASON,
      late_event_ids: counts.lateEventIds,
      late_lines: lists.lateLines,
      duplicate_lines: lists.duplicateLines,
      malformed_lines: lists.malformedLines,
    },
    population: {
      customers: p.n,
      regions: shares(REGIONS, REGION_WEIGHTS),
      age_bands: shares(AGE_BANDS, AGE_BAND_WEIGHTS),
      tiers: shares(TIERS, TIER_WEIGHTS),
      account_owners: ACCOUNT_OWNERS,
      week_profiles: Object.fromEntries(WEEK_PROFILES.map((w) => [w.name, { share: w.share, factors_mon_to_sun: w.factors.map((f) => round(f)) }])),
      mean_transactions_per_customer_day: MEAN_TX_PER_DAY,
      mean_contacts_per_customer_day: MEAN_CONTACTS_PER_DAY,
      refund_share: REFUND_SHARE,
      transaction_channels: shares(TX_CHANNELS, TX_CHANNEL_WEIGHTS),
      transaction_categories: shares(CATEGORIES, CATEGORY_WEIGHTS),
      usage: Object.fromEntries(
        Object.entries(USAGE_PLAN).map(([m, u]) => [
          m,
          { mean_records_per_customer_day: u.meanRecordsPerDay, median_quantity: u.medianQuantity, quantity_log_sigma: u.sigma },
        ]),
      ),
    },
    shift_rules: {
      min_start_day: SHIFT_MIN_DAY,
      min_days_after: SHIFT_MIN_DAYS_AFTER,
      sizes: SHIFT_SIZES,
      kinds: {
        spend_amount: 'amounts x factor (spend_total moves, spend_count does not)',
        spend_frequency: 'transaction rate x factor (spend_total and spend_count move)',
        usage: 'listed usage metrics x factor (data_mb and minutes by quantity, logins by count); usage_total moves by expected_ratio.usage_total',
      },
    },
    shifts: p.shifts.map((s) => shiftTruth(p, s, o.startMs)),
    drift: driftTruth(o, p),
    kpi: kpiTruth(),
  };
}
