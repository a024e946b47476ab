/**
 * Evaluates KPI threshold rules on closed windows (window_end <= watermark) and turns breaches
 * into analytic alerts, with `for` (consecutive breaching windows) and a resolve condition
 * (consecutive recovered windows, optional hysteresis threshold) so flapping does not storm.
 *
 * Evidence: a window with fewer than `min_offered` offered contacts is "no data", and a rule with
 * `confidence` fires only when the Wilson score interval of the rate lies wholly beyond the
 * threshold, so small samples do not fire.
 *
 * The KPI operator calls `onWindowClosed` once per closed window (at the end of a bounded input,
 * not for a window the input ended in: operators/input-end.ts), in window order, `onWatermark`
 * after them (a firing rule's windows without contacts), and `onWindowRevised` when a late contact
 * changes a closed window (this only refreshes week-over-week baselines: a decision taken at close
 * is not taken back). A firing alert that its rule no longer judges (the rule left the job, or its
 * queues, channels or window changed) is resolved at the next watermark, saying so. All state is plain JSON in KeyedState.
 */
import { stableAlertId, type Alert } from '../alert.js';
import { formatKpiValue, isRateKpi, type ContactKpiRow, type KpiName, type RateCounts } from '../contact-kpis/kpis.js';
import { KeyedState } from '../state.js';
import type { Comparator, ThresholdRule } from './types.js';
import { wilsonInterval, type Interval } from './wilson.js';

/** Per rule x queue x channel. */
export interface RuleStatus {
  /** window_start of the last evaluated window; later windows only. */
  last_start: number | null;
  /** Consecutive breaching windows while not firing. */
  breach: number;
  /** Consecutive recovered windows while firing. */
  ok: number;
  /** The rule's KPI in the previous evaluated window (the baseline shown for threshold rules). */
  prev: number | null;
  /** The firing alert, kept to emit its resolution with the same id. */
  firing: Alert | null;
}

interface Outcome {
  value: number | null;
  baseline: number | null;
  change: number | null;
  breaching: boolean;
  recovered: boolean;
  /** The Wilson interval that decided `breaching`, for rules with `confidence`. */
  interval: Interval | null;
  /**
   * A rate KPI's contacts behind it, said in the alert: its denominator is not always `offered`
   * (abandon rate and service level leave short abandons out), so a reader checking "offered 72"
   * could not find the 21.7% or its interval, which were of 15 in 69.
   */
  share: { hits: number; trials: number } | null;
}

const HISTORY_PRUNE_EVERY_MS = 86_400_000;

export class RuleEvaluator {
  /** Rule progress by [rule, queue, channel]. */
  readonly status = new KeyedState<RuleStatus>();
  /** KPI values of closed windows by [size, queue, channel, start], kept as change baselines. */
  readonly history = new KeyedState<Record<string, number | null>>();
  private lastPruneAt = -Infinity;
  private readonly maxOffsetBySize = new Map<number, number>();

  constructor(readonly rules: readonly ThresholdRule[]) {
    for (const rule of rules) {
      if (rule.condition.type !== 'change') continue;
      const prev = this.maxOffsetBySize.get(rule.windowMs) ?? 0;
      this.maxOffsetBySize.set(rule.windowMs, Math.max(prev, rule.condition.offsetMs));
    }
  }

  /**
   * Evaluates every matching rule on a window that just closed; returns the alerts it raises.
   * `counts` are the hits and trials behind the row's rates (for the Wilson guard).
   */
  onWindowClosed(row: ContactKpiRow, counts: RateCounts): Alert[] {
    const size = row.window_end - row.window_start;
    this.recordHistory(row, size, false);
    const alerts: Alert[] = [];
    for (const rule of this.rules) {
      if (rule.windowMs !== size || !matches(rule, row)) continue;
      const key = JSON.stringify([rule.name, row.queue, row.channel]);
      const st = this.status.get(key) ?? { last_start: null, breach: 0, ok: 0, prev: null, firing: null };
      if (st.last_start !== null && row.window_start <= st.last_start) continue;
      if (st.last_start !== null) {
        this.stepWithoutContacts(
          rule,
          st,
          st.last_start,
          (row.window_start - st.last_start) / size - 1,
          (start) => ({ ...row, window_start: start, window_end: start + size }),
          alerts,
        );
      }
      const outcome = this.outcome(rule, row, counts, st);
      this.step(rule, st, outcome, row, alerts);
      st.prev = outcome.value;
      st.last_start = row.window_start;
      this.status.set(key, st);
    }
    this.prune(row.window_end);
    return alerts;
  }

  /**
   * Steps each firing rule through the windows the watermark has closed since its last one in
   * which its queue x channel had no contact: they have no row, so `onWindowClosed` meets them only
   * when the next row comes, and an alert of a queue that went quiet (closed, merged, rerouted)
   * stayed firing for good. They count as "no data", as between rows. `emptyRow` makes the row of
   * such a window (it dates the resolution). Returns the resolutions.
   */
  onWatermark(watermark: number, emptyRow: (sizeMs: number, start: number, queue: string, channel: string) => ContactKpiRow): Alert[] {
    const alerts: Alert[] = [];
    for (const [key, st] of this.status.entries()) {
      if (st.firing === null || st.last_start === null) continue;
      const [name, queue, channel] = JSON.parse(key) as [string, string, string];
      const rule = this.rules.find((r) => r.name === name);
      if (rule === undefined || !judges(rule, st.firing)) {
        // The rule left the job (removed or renamed), or judges this queue x channel or window size
        // no more, while its alert fired: nothing would ever resolve it, and receivers would show it
        // firing for good (or it would read "back within threshold" over windows it no longer judges).
        if (Number.isFinite(watermark)) {
          alerts.push(withdrawn(st.firing, watermark));
          this.status.delete(key);
        }
        continue;
      }
      const size = rule.windowMs;
      const closed = Math.floor((watermark - st.last_start) / size) - 1;
      if (!(closed > 0)) continue;
      this.stepWithoutContacts(rule, st, st.last_start, closed, (start) => emptyRow(size, start, queue, channel), alerts);
      st.last_start += closed * size;
      this.status.set(key, st);
    }
    return alerts;
  }

  /**
   * Steps `rule` through the `count` windows after the one starting at `from` that had no contact (no row):
   * each is "no data", not breaching and recovered. Beyond the longer of the `for` and resolve
   * streaks more of them change nothing, so at most that many are stepped. `rowAt` makes a
   * window's row (it dates a resolution).
   */
  private stepWithoutContacts(
    rule: ThresholdRule,
    st: RuleStatus,
    from: number,
    count: number,
    rowAt: (start: number) => ContactKpiRow,
    alerts: Alert[],
  ): void {
    const steps = Math.min(count, Math.max(rule.forWindows, rule.resolveAfter));
    for (let i = 1; i <= steps; i++) this.step(rule, st, noData(), rowAt(from + i * rule.windowMs), alerts);
    if (steps > 0) st.prev = null;
  }

  /** A closed window changed (late contact, FCR update): refresh its baseline value. */
  onWindowRevised(row: ContactKpiRow): void {
    this.recordHistory(row, row.window_end - row.window_start, true);
  }

  private step(rule: ThresholdRule, st: RuleStatus, o: Outcome, row: ContactKpiRow, alerts: Alert[]): void {
    if (st.firing === null) {
      st.breach = o.breaching ? st.breach + 1 : 0;
      if (st.breach >= rule.forWindows) {
        st.firing = fire(rule, row, o, st.breach);
        st.breach = 0;
        st.ok = 0;
        alerts.push(st.firing);
      }
      return;
    }
    st.ok = o.recovered ? st.ok + 1 : 0;
    if (st.ok >= rule.resolveAfter) {
      alerts.push(resolve(st.firing, row, o, st.ok));
      st.firing = null;
      st.ok = 0;
      st.breach = 0;
    }
  }

  private outcome(rule: ThresholdRule, row: ContactKpiRow, counts: RateCounts, st: RuleStatus): Outcome {
    const value = row.offered >= rule.minOffered ? row[rule.kpi] : null;
    if (value === null) return noData();
    const c = rule.condition;
    let baseline: number | null;
    let change: number | null;
    let breaching: boolean;
    let recovered: boolean;
    /** The value the rate must clear (the threshold, or the baseline moved by the change). */
    let bar: number;
    let op: Comparator;
    if (c.type === 'threshold') {
      baseline = st.prev;
      change = baseline === null || baseline === 0 ? null : (value - baseline) / Math.abs(baseline);
      breaching = compare(value, c.op, c.threshold);
      recovered = !compare(value, c.op, rule.resolveThreshold ?? c.threshold);
      bar = c.threshold;
      op = c.op;
    } else {
      const size = row.window_end - row.window_start;
      const past = this.history.get(historyKey(size, row.queue, row.channel, row.window_start - c.offsetMs));
      baseline = past?.[rule.kpi] ?? null;
      if (baseline === null || baseline === 0) return { ...noData(), value, baseline };
      change = (value - baseline) / Math.abs(baseline);
      const signed = c.direction === 'increase' ? change : -change;
      breaching = signed >= c.fraction;
      recovered = !(signed >= (rule.resolveThreshold ?? c.fraction));
      bar = baseline + (c.direction === 'increase' ? 1 : -1) * c.fraction * Math.abs(baseline);
      op = c.direction === 'increase' ? '>=' : '<=';
    }
    const share = isRateKpi(rule.kpi) ? (counts[rule.kpi] ?? null) : null;
    const interval = rule.confidence !== null && share !== null ? guardInterval(share, rule.confidence) : null;
    if (interval !== null) breaching = breaching && clears(interval, op, bar);
    return { value, baseline, change, breaching, recovered, interval, share };
  }

  private recordHistory(row: ContactKpiRow, size: number, onlyExisting: boolean): void {
    const kpis = new Set<string>();
    for (const rule of this.rules) {
      if (rule.condition.type === 'change' && rule.windowMs === size && matches(rule, row)) kpis.add(rule.kpi);
    }
    if (kpis.size === 0) return;
    const key = historyKey(size, row.queue, row.channel, row.window_start);
    if (onlyExisting && !this.history.has(key)) return;
    const values: Record<string, number | null> = {};
    for (const kpi of kpis) values[kpi] = row[kpi as keyof ContactKpiRow] as number | null;
    this.history.set(key, values);
  }

  /** Drops baselines no future window can use (older than the longest offset, plus one window). */
  private prune(now: number): void {
    if (now - this.lastPruneAt < HISTORY_PRUNE_EVERY_MS) return;
    this.lastPruneAt = now;
    for (const [key] of [...this.history.entries()]) {
      const [size, , , start] = JSON.parse(key) as [number, string, string, number];
      const offset = this.maxOffsetBySize.get(size) ?? 0;
      if (start + offset + 2 * size < now) this.history.delete(key);
    }
  }
}

function historyKey(size: number, queue: string, channel: string, start: number): string {
  return JSON.stringify([size, queue, channel, start]);
}

/** A rule's queues match whatever their case: a rule written `queue: billing` sees the queue `Billing`. */
function matches(rule: ThresholdRule, row: ContactKpiRow): boolean {
  return (
    (rule.queues === null || rule.queues.includes(row.queue.toLowerCase())) &&
    (rule.channels === null || (rule.channels as readonly string[]).includes(row.channel))
  );
}

function noData(): Outcome {
  return { value: null, baseline: null, change: null, breaching: false, recovered: true, interval: null, share: null };
}

function guardInterval(count: { hits: number; trials: number }, confidence: number): Interval {
  // No trials: an interval of [0, 1] clears no threshold.
  return wilsonInterval(count.hits, count.trials, confidence) ?? { lower: 0, upper: 1 };
}

/** The whole interval is on the breaching side: its near end satisfies the comparison. */
function clears(interval: Interval, op: Comparator, bar: number): boolean {
  return compare(op === '>' || op === '>=' ? interval.lower : interval.upper, op, bar);
}

export function compare(value: number, op: Comparator, threshold: number): boolean {
  switch (op) {
    case '>':
      return value > threshold;
    case '>=':
      return value >= threshold;
    case '<':
      return value < threshold;
    case '<=':
      return value <= threshold;
  }
}

function fire(rule: ThresholdRule, row: ContactKpiRow, o: Outcome, streak: number): Alert {
  const where = `${row.queue}/${row.channel}`;
  const threshold = thresholdText(rule);
  const current = fmt(o.value);
  const change = o.change === null ? 'n/a' : `${o.change >= 0 ? '+' : ''}${fmt(o.change * 100)}%`;
  const interval =
    o.interval === null || rule.confidence === null
      ? null
      : `${fmt(rule.confidence * 100)}% Wilson interval [${fmt(o.interval.lower)}, ${fmt(o.interval.upper)}]`;
  const baselineWhat = rule.condition.type === 'change' ? `the same window ${rule.condition.offset} earlier` : 'the previous window';
  // The description is for people: numbers in the KPI's format; the annotations keep plain numbers.
  const kpi = (v: number | null): string => (v === null ? 'n/a' : formatKpiValue(rule.kpi, v));
  const humanChange = o.change === null ? 'n/a' : `${o.change >= 0 ? '+' : ''}${(o.change * 100).toFixed(1)}%`;
  const humanInterval =
    o.interval === null || rule.confidence === null
      ? ''
      : `, ${fmt(rule.confidence * 100)}% Wilson interval ${kpi(o.interval.lower)} to ${kpi(o.interval.upper)}`;
  return {
    alert_id: stableAlertId(rule.name, row.window_start, row.queue, row.channel),
    kind: 'analytic',
    rule: rule.name,
    severity: rule.severity,
    customer_id: null,
    window_start: row.window_start,
    fired_at: row.window_end,
    labels: {
      alertname: rule.name,
      kind: 'analytic',
      severity: rule.severity,
      queue: row.queue,
      channel: row.channel,
      window: rule.window,
      kpi: rule.kpi,
    },
    annotations: {
      summary: `${rule.kpi} ${threshold} on ${where} (${rule.window} windows)`,
      description:
        `${rule.kpi} was ${kpi(o.value)}${o.share === null ? '' : ` (${o.share.hits} of ${o.share.trials})`} in the ${rule.window} window starting ${iso(row.window_start)} on ${where}, ` +
        `breaching ${humanThreshold(rule)} for ${streak} consecutive window${streak > 1 ? 's' : ''}; ` +
        `baseline (${baselineWhat}) ${kpi(o.baseline)}, change ${humanChange}; offered ${row.offered}${humanInterval}.`,
      current: current,
      offered: String(row.offered),
      ...(interval === null ? {} : { interval }),
      baseline: fmt(o.baseline),
      change,
      threshold,
      window_end: iso(row.window_end),
    },
    status: 'firing',
  };
}

function resolve(firing: Alert, row: ContactKpiRow, o: Outcome, streak: number): Alert {
  return {
    ...firing,
    labels: { ...firing.labels },
    annotations: {
      ...firing.annotations,
      resolved_at: iso(row.window_end),
      resolved_value: fmt(o.value),
      resolution: `back within threshold for ${streak} consecutive window${streak > 1 ? 's' : ''} (last window starting ${iso(row.window_start)})`,
    },
    status: 'resolved',
  };
}

/** Whether `rule` as the job has it now still judges the queue x channel and window of its `firing` alert. */
function judges(rule: ThresholdRule, firing: Alert): boolean {
  const { queue = '', channel = '', window } = firing.labels;
  return window === rule.window && matches(rule, { queue, channel } as ContactKpiRow);
}

/** The resolution of a firing alert whose rule no longer judges it, at event time `at`. */
function withdrawn(firing: Alert, at: number): Alert {
  return {
    ...firing,
    labels: { ...firing.labels },
    annotations: {
      ...firing.annotations,
      resolved_at: iso(at),
      resolved_value: 'n/a',
      resolution: `the rule ${firing.rule} no longer judges ${firing.labels['queue']}/${firing.labels['channel']} in ${firing.labels['window']} windows (removed, renamed, or its queues, channels or window changed): its alert is closed unjudged`,
    },
    status: 'resolved',
  };
}

/** The threshold in the KPI's format (`> 8.0%`), or the change rule's text. */
function humanThreshold(rule: ThresholdRule): string {
  const c = rule.condition;
  return c.type === 'threshold' ? `${c.op} ${formatKpiValue(rule.kpi as KpiName, c.threshold)}` : thresholdText(rule);
}

function thresholdText(rule: ThresholdRule): string {
  const c = rule.condition;
  if (c.type === 'threshold') return `${c.op} ${c.threshold}`;
  return `${c.direction === 'increase' ? '+' : '-'}${fmt(c.fraction * 100)}% vs ${c.offset} earlier`;
}

function fmt(value: number | null): string {
  return value === null ? 'n/a' : String(Number(value.toPrecision(6)));
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
