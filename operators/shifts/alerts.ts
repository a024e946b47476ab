/**
 * Builds the `sales` alerts of the shift operator (shape of operators/alert.ts). Pure: the same
 * inputs always give the same alert, ids included, so a replay reproduces them exactly.
 */
import { type Alert, stableAlertId } from '../alert.js';
import type { Profile } from '../customer-profiles.js';
import type { OutputRow } from '../operator.js';
import type { InstantHit } from './instant.js';
import type { SilenceEvidence } from './silence.js';
import type { MoveKind } from './together.js';
import { type Assessment, type Direction, type Verdict, changePercent, severityOf } from './detector.js';

export const INSTANT_ALERT_NAMES = {
  large_transaction: 'CustomerLargeTransaction',
  refund: 'CustomerLargeRefund',
  new_metric: 'CustomerNewUsageMetric',
} as const;

/** `CustomerSpendDrop`, `CustomerSpendJump`, `CustomerUsageDrop`, `CustomerUsageJump`. */
export function shiftAlertName(measure: string, direction: Direction): string {
  const family = measure.startsWith('usage:') ? 'Usage' : 'Spend';
  return `Customer${family}${direction === 'down' ? 'Drop' : 'Jump'}`;
}

function fmt(x: number): string {
  return Number.isFinite(x) ? String(Math.round(x * 100) / 100) : String(x);
}

function profileLabels(profile: Profile | undefined): Record<string, string> {
  return {
    account_owner: profile?.account_owner ?? '',
    tier: profile?.tier ?? '',
    region: profile?.region ?? '',
  };
}

export interface ShiftAlertInput {
  customerId: string;
  measure: string;
  windowStart: number;
  windowEnd: number;
  window: string;
  assessment: Assessment;
  verdict: Verdict;
  threshold: number;
  profile: Profile | undefined;
  /** The customer's other purchase measure, fired the same way at the same close: one alert tells of both. */
  also?: { measure: string; assessment: Assessment; verdict: Verdict } | undefined;
}

/** What a window-close alert of one customer's series names: its customer, measure, window and profile. */
interface SeriesAlertSubject {
  customerId: string;
  measure: string;
  windowStart: number;
  profile: Profile | undefined;
}

/** The alert of a series judged at a window close (a shift or a silence); id stable on (rule, window, customer, measure). */
function seriesAlert(
  rule: string,
  severity: Alert['severity'],
  subject: SeriesAlertSubject,
  direction: Direction,
  firedAt: number,
  annotations: Record<string, string>,
  labels: Record<string, string> = {},
): Alert {
  return {
    alert_id: stableAlertId(rule, subject.windowStart, subject.customerId, subject.measure),
    kind: 'sales',
    rule,
    severity,
    customer_id: subject.customerId,
    window_start: subject.windowStart,
    fired_at: firedAt,
    labels: { alertname: rule, kind: 'sales', severity, measure: subject.measure, direction, ...labels, ...profileLabels(subject.profile) },
    annotations,
    status: 'firing',
  };
}

export function shiftAlert(i: ShiftAlertInput): Alert {
  const { assessment: a, verdict: v } = i;
  const rule = shiftAlertName(i.measure, v.direction);
  const severity = severityOf(v.direction, a.baseline, a.current);
  const change = changePercent(a.baseline, a.current);
  const changeText = signedChange(change);
  const day = new Date(i.windowStart).toISOString();
  // The windows each mean covers, so that a reader can check them: `guard` recent ones up to this window, `baseWindows` before.
  const windowMs = i.windowEnd - i.windowStart;
  const recent = Math.max(1, a.guard);
  const windows = (n: number): string => `${n} window${n === 1 ? '' : 's'}`;
  // Windows of a reported silence carry no evidence and are left out of the means: say how many,
  // or a mean "of the 38 windows" over 10 of them read as +186% where the 38 fell 27%.
  const leftOut = (n: number | undefined): string => (n ? `, ${n} of them a reported silence left out` : '');
  const shiftStart = new Date(i.windowEnd - recent * windowMs).toISOString();
  const recentFrom = shiftStart.slice(0, 10);
  const until = new Date(i.windowEnd).toISOString().slice(0, 10);
  const also = i.also;
  const alsoChange = also && changePercent(also.assessment.baseline, also.assessment.current);
  return seriesAlert(
    rule,
    severity,
    i,
    v.direction,
    i.windowEnd,
    {
      summary:
        `Customer ${i.customerId}: ${i.measure} ${moved(v.direction)} ${change === null ? changeText : `${fmt(Math.abs(change))}%`}` +
        (also ? `, ${also.measure} ${signedChange(alsoChange ?? null)}` : ''),
      description:
        `${i.measure} per ${i.window} window, adjusted for the customer's weekday profile and the population's movement: ` +
        `baseline ${fmt(a.baseline)} (mean of the ${windows(a.baseWindows)} before ${recentFrom}${leftOut(a.silent?.base)}), ` +
        `current ${fmt(a.current)} (mean of the ${windows(recent)} from ${recentFrom} to ${until}${leftOut(a.silent?.recent)}), change ${changeText}; ` +
        `${v.detector} score ${fmt(v.score)} (threshold ${fmt(i.threshold)}, p ${v.pValue.toExponential(2)}).` +
        (also
          ? ` ${also.measure} ${moved(also.verdict.direction)} at the same window close: baseline ${fmt(also.assessment.baseline)}, ` +
            `current ${fmt(also.assessment.current)}, change ${signedChange(alsoChange ?? null)}; ${also.verdict.detector} score ${fmt(also.verdict.score)} ` +
            `(p ${also.verdict.pValue.toExponential(2)}): one shift, one alert.`
          : ''),
      baseline: fmt(a.baseline),
      current: fmt(a.current),
      change_percent: change === null ? '' : fmt(change),
      score: fmt(v.score),
      threshold: fmt(i.threshold),
      p_value: v.pValue.toExponential(3),
      detector: v.detector,
      window: `${day}/${i.window}`,
      // Where the change began (the first of the recent windows): the alert's window is where it was found.
      shift_start: shiftStart,
      ...(also ? { also_measure: also.measure, also_change_percent: alsoChange === null || alsoChange === undefined ? '' : fmt(alsoChange) } : {}),
    },
    // A label too: routes and silences match labels, and one on `measure` saw one of the two.
    also ? { also_measure: also.measure } : {},
  );
}

function moved(direction: Direction): string {
  return direction === 'down' ? 'dropped' : 'jumped';
}

function signedChange(change: number | null): string {
  return change === null ? 'from a zero baseline' : `${change >= 0 ? '+' : ''}${fmt(change)}%`;
}

export interface TogetherAlertInput {
  measure: string;
  /** The population part's profile segment (`population.segmentBy`), or null for the whole population. */
  segment: string | null;
  kind: MoveKind;
  /** Start of the onset window. */
  onsetStart: number;
  window: string;
  /** When it was found (end of the window being closed). */
  firedAt: number;
  /** Series whose change starts within a window of the onset, and how many three windows of its flanks hold (together.ts `findOnsets`). */
  series: number;
  background: number;
}

/** `GroupSpendJump`, `GroupSpendDrop`, `GroupUsageJump`, `GroupUsageDrop`. */
export function togetherAlertName(measure: string, direction: Direction): string {
  return shiftAlertName(measure, direction).replace(/^Customer/, 'Group');
}

const moveDirection = (kind: MoveKind): Direction => (kind.startsWith('up') ? 'up' : 'down');
const movePart = (kind: MoveKind): 'amounts' | 'purchases' => (kind.endsWith('size') ? 'amounts' : 'purchases');

/** The id of a move's analytic alert: stable on (rule, onset, measure, segment, part). */
export function togetherAlertId(i: Pick<TogetherAlertInput, 'measure' | 'segment' | 'kind' | 'onsetStart'>): string {
  return stableAlertId(togetherAlertName(i.measure, moveDirection(i.kind)), i.onsetStart, i.measure, i.segment, movePart(i.kind));
}

/**
 * The analytic alert of a move of part of the population (together.ts): one for the move, in place
 * of a sales alert for each customer in it.
 */
export function togetherAlert(i: TogetherAlertInput): Alert {
  const direction = moveDirection(i.kind);
  const part = movePart(i.kind);
  const rule = togetherAlertName(i.measure, direction);
  const severity: Alert['severity'] = 'warning';
  const day = new Date(i.onsetStart).toISOString();
  const who = i.segment === null ? 'customers' : `customers of segment ${i.segment}`;
  const moved = direction === 'down' ? 'dropped' : 'jumped';
  return {
    alert_id: togetherAlertId(i),
    kind: 'analytic',
    rule,
    severity,
    customer_id: null,
    window_start: i.onsetStart,
    fired_at: i.firedAt,
    labels: { alertname: rule, kind: 'analytic', severity, measure: i.measure, direction, part, segment: i.segment ?? '' },
    annotations: {
      summary: `${i.series} ${who}: ${i.measure} ${moved} together (their ${part}) from the ${i.window} window of ${day}`,
      description:
        `${i.series} series of ${i.measure} change from within a window of ${day}, against about ${fmt(i.background)} in three windows around it: ` +
        `a move of part of the population (see the drift report), not that many customers' own shifts. Their own alerts (shifts, silences) are ` +
        `held back and their baselines restart from the move; table move_members lists, by this alert's id, the customers whose alert it held ` +
        `back, now and as more of the move's customers reach the evidence (none yet while none of them has an alert of its own). ` +
        `Customers who did not move are judged as before.`,
      current: String(i.series),
      baseline: fmt(i.background),
      detector: 'together',
      window: `${day}/${i.window}`,
    },
    status: 'firing',
  };
}

export const SILENCE_ALERT_NAME = 'CustomerWentQuiet';

/**
 * A customer's alert held back because its shift or silence is part of a move (table
 * `move_members`, key alert_id, customer_id, measure, rule): the customers of a move, by the id of the
 * analytic alert that told of it.
 */
export interface MoveMemberRow extends OutputRow {
  alert_id: string;
  customer_id: string;
  measure: string;
  /** The alert held back: CustomerSpendJump, CustomerSpendDrop, CustomerUsageJump, CustomerUsageDrop or CustomerWentQuiet. */
  rule: string;
  /** Start of the move's onset window (epoch ms). */
  onset_start: number;
  /** Start of the window whose close held the alert back (epoch ms). */
  window_start: number;
}

export interface SilenceAlertInput {
  customerId: string;
  measure: string;
  windowStart: number;
  window: string;
  windowMs: number;
  evidence: SilenceEvidence;
  threshold: number;
  profile: Profile | undefined;
}

/** `CustomerWentQuiet`: no purchase for longer than the customer's own rate makes plausible (silence.ts). */
export function silenceAlert(i: SilenceAlertInput): Alert {
  const ev = i.evidence;
  const rule = SILENCE_ALERT_NAME;
  const severity: Alert['severity'] = 'warning';
  const lastActive = new Date(ev.lastEventIndex * i.windowMs).toISOString();
  return seriesAlert(rule, severity, i, 'down', i.windowStart + i.windowMs, {
    summary: `Customer ${i.customerId}: no purchase for ${ev.gapWindows} ${i.window} windows (${fmt(ev.expectedInGap)} expected)`,
    description:
      `No ${i.measure} event since the window of ${lastActive}: ${ev.gapWindows} windows in which the customer's own rate ` +
      `(${ev.baselineEvents} events before, weekday profile included) expected ${fmt(ev.expectedInGap)}; ` +
      `silence score ${fmt(ev.score)} nats (threshold ${fmt(i.threshold)}, p ${ev.pValue.toExponential(2)}).`,
    baseline: fmt(ev.expectedInGap),
    current: '0',
    change_percent: '-100',
    score: fmt(-ev.score),
    threshold: fmt(i.threshold),
    p_value: ev.pValue.toExponential(3),
    detector: 'silence',
    window: `${new Date(i.windowStart).toISOString()}/${i.window}`,
    shift_start: new Date((ev.lastEventIndex + 1) * i.windowMs).toISOString(),
  });
}

export function instantAlert(hit: InstantHit, customerId: string, eventId: string, ts: number, profile: Profile | undefined): Alert {
  const rule = INSTANT_ALERT_NAMES[hit.rule];
  let summary: string;
  let description: string;
  let severity: Alert['severity'] = 'warning';
  if (hit.rule === 'large_transaction') {
    const ratio = hit.typical ? hit.value / hit.typical : Number.NaN;
    summary = `Customer ${customerId}: transaction of ${fmt(hit.value)}, ${fmt(ratio)}x the typical amount`;
    const rarity =
      hit.tail !== undefined && hit.tail > 0
        ? `, about one in ${Math.round(1 / hit.tail).toLocaleString('en-US')} of this customer's transactions is as large`
        : '';
    description = `Amount ${fmt(hit.value)} > threshold ${fmt(hit.threshold)} (typical ${fmt(hit.typical ?? Number.NaN)}, median of recent transactions${rarity}); event ${eventId}.`;
    severity = ratio >= 20 ? 'critical' : 'warning';
  } else if (hit.rule === 'refund') {
    summary = `Customer ${customerId}: refund of ${fmt(hit.value)}`;
    description = `Refund ${fmt(hit.value)} >= threshold ${fmt(hit.threshold)}; event ${eventId}.`;
  } else {
    severity = 'info';
    summary = `Customer ${customerId}: first use of ${hit.metric ?? ''}`;
    description = `Usage metric ${hit.metric ?? ''} never used before by this customer (known for ${hit.value} windows); event ${eventId}.`;
  }
  return {
    alert_id: stableAlertId(rule, ts, eventId),
    kind: 'sales',
    rule,
    severity,
    customer_id: customerId,
    window_start: ts,
    fired_at: ts,
    labels: { alertname: rule, kind: 'sales', severity, ...(hit.metric ? { measure: `usage:${hit.metric}` } : {}), ...profileLabels(profile) },
    annotations: {
      summary,
      description,
      current: fmt(hit.value),
      threshold: fmt(hit.threshold),
      ...(hit.typical !== undefined ? { baseline: fmt(hit.typical) } : {}),
    },
    status: 'firing',
  };
}
