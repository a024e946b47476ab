/**
 * The contact-center KPI operator (SPEC section 4): tumbling UTC windows per size and per
 * queue x channel, assigned by queued_at, with an FCR look-ahead and optional threshold rules.
 *
 * Output rows are coalesced: one `contact_kpi` row (and its `contact_reason_volume` rows) per
 * window that changed since the previous drain. A late contact revises its window, which is then
 * emitted again with the same key. A window is kept until the watermark passes window_end plus the
 * allowed lateness and the FCR horizon of all its contacts; its last row has `fcr_final: true`.
 */
import { alertRow, type Alert } from '../alert.js';
import type { ContactEvent, PulseEvent } from '../events.js';
import type { Operator, OperatorOutput, OutputRow } from '../operator.js';
import { KeyedState } from '../state.js';
import { RuleEvaluator } from '../rules/evaluator.js';
import type { ThresholdRule } from '../rules/types.js';
import { addContact, classifyContact, newWindowAcc, type WindowAcc } from './accumulator.js';
import { DeadlineQueue } from './deadline-queue.js';
import { FcrTracker, nextUp } from './fcr.js';
import { computeKpiRow, type ContactKpiRow } from './kpis.js';
import { resolveContactKpiOptions, type ContactKpiOptions } from './options.js';

export interface ContactKpiOperatorOptions extends Partial<ContactKpiOptions> {
  /** Operator name in the job (namespaces persisted state); default `contact_kpis`. */
  name?: string;
  /** Validated rules (see operators/rules validateRules); evaluated as windows close. */
  rules?: readonly ThresholdRule[];
}

/** State names: stable across versions, they key persisted state. */
export const CONTACT_KPI_STATES = {
  windows: 'windows',
  fcr: 'fcr',
  latest: 'latest',
  meta: 'meta',
  ruleStatus: 'rule_status',
  ruleHistory: 'rule_history',
} as const;

const WATERMARK_KEY = 'watermark';
const MS_PER_DAY = 86_400_000;

export class ContactKpiOperator implements Operator {
  readonly name: string;
  readonly options: ContactKpiOptions;
  readonly states: Readonly<Record<string, KeyedState<unknown>>>;
  /** Contacts behind the watermark by more than the allowed lateness (the runner should not send them). */
  lateDropped = 0;

  private readonly windows = new KeyedState<WindowAcc>();
  /** Latest closed window's row by [size, queue, channel] (for gauges). */
  private readonly latest = new KeyedState<ContactKpiRow>();
  private readonly meta = new KeyedState<number>();
  private readonly fcr: FcrTracker;
  private readonly rules: RuleEvaluator;
  private readonly lookaheadMs: number;
  private readonly due = new DeadlineQueue();
  private indexed = false;
  private readonly dirty = new Set<string>();
  /** Rows of windows expired since the last drain (their state is gone). */
  private readonly finalRows = new Map<string, { row: ContactKpiRow; reasons: Record<string, number> }>();
  private alerts: Alert[] = [];

  constructor(options: ContactKpiOperatorOptions = {}) {
    const { name, rules, ...kpiOptions } = options;
    this.name = name ?? 'contact_kpis';
    this.options = resolveContactKpiOptions(kpiOptions);
    this.lookaheadMs = this.options.fcrLookaheadDays * MS_PER_DAY;
    this.fcr = new FcrTracker(this.lookaheadMs, this.options.fcrScope, this.options.allowedLatenessMs);
    this.rules = new RuleEvaluator(rules ?? []);
    this.states = {
      [CONTACT_KPI_STATES.windows]: this.windows,
      [CONTACT_KPI_STATES.fcr]: this.fcr.state,
      [CONTACT_KPI_STATES.latest]: this.latest,
      [CONTACT_KPI_STATES.meta]: this.meta,
      [CONTACT_KPI_STATES.ruleStatus]: this.rules.status,
      [CONTACT_KPI_STATES.ruleHistory]: this.rules.history,
    } as Record<string, KeyedState<unknown>>;
  }

  /** The last watermark seen (persisted), or -Infinity before any. */
  get watermark(): number {
    return this.meta.get(WATERMARK_KEY) ?? -Infinity;
  }

  process(event: PulseEvent): void {
    if (event.type !== 'contact') return;
    this.ensureIndexed();
    const c = event;
    if (c.queued_at < this.watermark - this.options.allowedLatenessMs) {
      this.lateDropped += 1;
      return;
    }
    const cls = classifyContact(c, this.options);
    const touched: WindowAcc[] = [];
    for (const size of this.options.windowSizesMs) {
      const acc = this.windowFor(size, c.queued_at, c.queue, c.channel, true)!;
      addContact(acc, c, cls, this.options);
      touched.push(acc);
    }
    if (c.customer_id !== null) this.trackFcr(c as ContactEvent & { customer_id: string }, cls.fcrEligible, touched);
    for (const acc of touched) this.changed(acc);
  }

  onWatermark(watermark: number): void {
    this.ensureIndexed();
    if (watermark < this.watermark) return;
    this.meta.set(WATERMARK_KEY, Number.isFinite(watermark) ? watermark : Number.MAX_SAFE_INTEGER);
    const lateness = this.options.allowedLatenessMs;
    const closing: WindowAcc[] = [];
    const expiring: Array<[string, WindowAcc]> = [];
    for (const key of this.due.popDue(watermark)) {
      const acc = this.windows.get(key);
      if (!acc) continue;
      const end = acc.start + acc.size;
      if (!acc.closed && end <= watermark) {
        acc.closed = true;
        this.windows.touch(key);
        closing.push(acc);
      }
      const horizon = watermark - lateness;
      if (horizon >= end && (acc.fcr_horizon === null || acc.fcr_horizon < horizon)) expiring.push([key, acc]);
      else this.due.schedule(key, Math.max(this.deadline(acc), nextUp(watermark)));
    }
    closing.sort(byWindow);
    for (const acc of closing) {
      const row = computeKpiRow(acc, this.options, false);
      const key = latestKey(acc.size, acc.queue, acc.channel);
      // Keep the newest closed window per key (a late-created window can close after a newer one).
      const current = this.latest.get(key);
      if (!current || current.window_start <= row.window_start) this.latest.set(key, row);
      this.alerts.push(...this.rules.onWindowClosed(row));
    }
    for (const [key, acc] of expiring) {
      const row = computeKpiRow(acc, this.options, true);
      this.finalRows.set(key, { row, reasons: acc.reasons });
      this.dirty.add(key);
      this.windows.delete(key);
      this.refreshClosed(row);
    }
    this.fcr.prune(watermark);
  }

  drainOutputs(): OperatorOutput[] {
    const kpiRows: OutputRow[] = [];
    const reasonRows: OutputRow[] = [];
    for (const key of this.dirty) {
      const acc = this.windows.get(key);
      const done = acc ? null : this.finalRows.get(key);
      const row = acc ? computeKpiRow(acc, this.options, false) : done?.row;
      const reasons = acc ? acc.reasons : done?.reasons;
      if (!row || !reasons) continue;
      kpiRows.push({ ...row });
      for (const [reason, contacts] of Object.entries(reasons)) reasonRows.push(reasonRow(row, reason, contacts));
    }
    this.dirty.clear();
    this.finalRows.clear();
    const outputs: OperatorOutput[] = [];
    if (kpiRows.length > 0) outputs.push({ kind: 'contact_kpi', rows: kpiRows });
    if (reasonRows.length > 0) outputs.push({ kind: 'contact_reason_volume', rows: reasonRows });
    if (this.alerts.length > 0) {
      outputs.push({ kind: 'alert', rows: this.alerts.map((a) => alertRow(a)) });
      this.alerts = [];
    }
    return outputs;
  }

  /**
   * Rows of the latest closed window (window_end <= watermark) per queue x channel for one window
   * size, sorted by queue then channel: what the runner publishes as `pulse_contact_*` gauges.
   */
  latestClosed(windowSizeMs: number): ContactKpiRow[] {
    const rows: ContactKpiRow[] = [];
    for (const row of this.latest.entries()) {
      if (row[1].window_end - row[1].window_start === windowSizeMs) rows.push({ ...row[1] });
    }
    return rows.sort((a, b) => (a.queue === b.queue ? cmp(a.channel, b.channel) : cmp(a.queue, b.queue)));
  }

  private trackFcr(c: ContactEvent & { customer_id: string }, eligible: boolean, touched: WindowAcc[]): void {
    const { repeated, resolved } = this.fcr.observe(c, eligible);
    for (const p of repeated) {
      for (const size of this.options.windowSizesMs) {
        // The repeated contact's windows outlive its look-ahead (see onWatermark), so they exist.
        const acc = this.windowFor(size, p.q, p.queue, p.channel, false);
        if (!acc) continue;
        acc.fcr_resolved -= 1;
        this.changed(acc);
      }
    }
    if (resolved === null) return;
    const horizon = c.ended_at + this.lookaheadMs;
    for (const acc of touched) {
      acc.fcr_eligible += 1;
      if (resolved) acc.fcr_resolved += 1;
      acc.fcr_horizon = acc.fcr_horizon === null ? horizon : Math.max(acc.fcr_horizon, horizon);
    }
  }

  private windowFor(size: number, time: number, queue: string, channel: string, create: boolean): WindowAcc | undefined {
    const start = Math.floor(time / size) * size;
    const key = windowKey(size, start, queue, channel);
    let acc = this.windows.get(key);
    if (!acc && create) {
      acc = newWindowAcc(size, start, queue, channel);
      this.windows.set(key, acc);
      this.due.schedule(key, start + size);
    }
    return acc;
  }

  /** Marks a window for output and state persistence; a closed one also refreshes gauges/baselines. */
  private changed(acc: WindowAcc): void {
    const key = windowKey(acc.size, acc.start, acc.queue, acc.channel);
    this.windows.touch(key);
    this.dirty.add(key);
    if (acc.closed) this.refreshClosed(computeKpiRow(acc, this.options, false));
  }

  private refreshClosed(row: ContactKpiRow): void {
    const key = latestKey(row.window_end - row.window_start, row.queue, row.channel);
    if (this.latest.get(key)?.window_start === row.window_start) this.latest.set(key, row);
    this.rules.onWindowRevised(row);
  }

  /** The watermark at which a window next needs attention: close, then expiry. */
  private deadline(acc: WindowAcc): number {
    const end = acc.start + acc.size;
    if (!acc.closed) return end;
    const lateness = this.options.allowedLatenessMs;
    return Math.max(end + lateness, acc.fcr_horizon === null ? -Infinity : acc.fcr_horizon + lateness + 1);
  }

  /** After a restart the in-memory schedule is empty: schedule every restored window once. */
  private ensureIndexed(): void {
    if (this.indexed) return;
    this.indexed = true;
    for (const [key, acc] of this.windows.entries()) this.due.schedule(key, this.deadline(acc));
  }
}

/** The latest closed KPI rows for one window size (see ContactKpiOperator.latestClosed). */
export function latestClosedKpiRows(operator: ContactKpiOperator, windowSizeMs: number): ContactKpiRow[] {
  return operator.latestClosed(windowSizeMs);
}

function windowKey(size: number, start: number, queue: string, channel: string): string {
  return JSON.stringify([size, start, queue, channel]);
}

function latestKey(size: number, queue: string, channel: string): string {
  return JSON.stringify([size, queue, channel]);
}

function reasonRow(row: ContactKpiRow, reason: string, contacts: number): OutputRow {
  return {
    window_start: row.window_start,
    window_end: row.window_end,
    queue: row.queue,
    channel: row.channel,
    reason,
    contacts,
  };
}

function byWindow(a: WindowAcc, b: WindowAcc): number {
  return a.start + a.size - (b.start + b.size) || a.size - b.size || cmp(a.queue, b.queue) || cmp(a.channel, b.channel);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
