/**
 * The contact-center KPI operator's population part (main thread): merges the shards' partial
 * window accumulators, closes windows as the watermark passes them, evaluates the threshold rules,
 * keeps the latest closed row per queue x channel (gauges) and emits coalesced rows.
 *
 * Output rows are coalesced: one `contact_kpi` row (and its `contact_reason_volume` rows) per
 * window that changed since the previous drain. A late contact revises its window, which is then
 * emitted again with the same key. A window is kept until the watermark passes window_end plus the
 * allowed lateness and the FCR horizon of all its contacts; its last row has `fcr_final: true`
 * (at the end of a bounded input, only where the input's events have passed that).
 */
import { alertRow, type Alert } from '../alert.js';
import type { GaugeReading } from '../gauges.js';
import type { GlobalOperator, ShardRequests } from '../parallel.js';
import type { OperatorOutput, OutputRow } from '../operator.js';
import { KeyedState } from '../state.js';
import { RuleEvaluator } from '../rules/evaluator.js';
import type { ThresholdRule } from '../rules/types.js';
import { expiryWatermark, hasContacts, mergeWindowAcc, newWindowAcc, upgradeWindowAcc, type WindowAcc } from './accumulator.js';
import { DeadlineQueue } from '../deadline-queue.js';
import { completeAtInputEnd } from '../input-end.js';
import { nextUp } from './fcr.js';
import { CONTACT_KPI_STATES, latestKey, windowKey } from './keys.js';
import { forEachRepeatedWindow, type KpiPartial } from './partial.js';
import { computeKpiRow, rateCounts, type ContactKpiRow } from './kpis.js';
import type { KpiWatermarkSync } from './local.js';
import type { ContactKpiOptions } from './options.js';

const WATERMARK_KEY = 'watermark';

export class ContactKpiGlobal implements GlobalOperator {
  readonly states: Readonly<Record<string, KeyedState<unknown>>>;
  private readonly windows = new KeyedState<WindowAcc>();
  /** Latest closed window's row by [size, queue, channel] (for gauges). */
  private readonly latest = new KeyedState<ContactKpiRow>();
  private readonly meta = new KeyedState<number>();
  private readonly rules: RuleEvaluator;
  private readonly due = new DeadlineQueue();
  private indexed = false;
  /** Windows whose KPI row changed since the last drain. */
  private readonly dirty = new Set<string>();
  /**
   * Windows whose reason counts changed since the last drain: only new contacts change them, so an
   * FCR correction or a window's final row writes its KPI row again but not its reason volumes
   * (on a contact-heavy load that was every reason row a second time, and again per correction).
   */
  private readonly reasonsDirty = new Set<string>();
  /** Rows of windows expired since the last drain (their state is gone). */
  private readonly finalRows = new Map<string, { row: ContactKpiRow; reasons: Record<string, number> }>();
  private alerts: Alert[] = [];
  /** How far a bounded input's events reached when it ended (`inputEnded`). */
  private inputReached = Number.NEGATIVE_INFINITY;

  constructor(
    readonly name: string,
    private readonly options: ContactKpiOptions,
    rules: readonly ThresholdRule[],
  ) {
    this.rules = new RuleEvaluator(rules);
    this.states = {
      [CONTACT_KPI_STATES.windows]: this.windows,
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

  merge(partials: readonly unknown[]): void {
    this.ensureIndexed();
    /** Closed windows this merge changed: FCR corrections revise a closed window many times a batch. */
    const revised = new Set<WindowAcc>();
    for (const partial of partials as KpiPartial[]) {
      for (const delta of partial.windows) {
        const key = windowKey(delta.size, delta.start, delta.queue, delta.channel);
        let acc = this.windows.get(key);
        if (!acc) {
          // A delta without contacts (the merge's change of a window's FCR alone, merger.ts) for a
          // window already expired (final): nothing left to correct.
          if (!hasContacts(delta)) continue;
          acc = newWindowAcc(delta.size, delta.start, delta.queue, delta.channel);
          this.windows.set(key, acc);
          this.due.schedule(key, acc.start + acc.size);
        }
        mergeWindowAcc(acc, delta);
        this.windows.touch(key);
        this.dirty.add(key);
        if (hasContacts(delta)) this.reasonsDirty.add(key);
        if (acc.closed) revised.add(acc);
      }
      forEachRepeatedWindow(partial.repeats, this.options.windowSizesMs, (key) => {
        const acc = this.windows.get(key);
        // A window already expired (final): nothing left to correct.
        if (!acc) return;
        acc.fcr_resolved -= 1;
        this.windows.touch(key);
        this.dirty.add(key);
        if (acc.closed) revised.add(acc);
      });
    }
    // Refreshed once each with its row after the whole merge: what a refresh writes (the latest
    // row, the week-over-week baseline) is the window's last row, whatever came between.
    for (const acc of revised) this.refreshClosed(computeKpiRow(acc, this.options, false));
  }

  inputEnded(reached: number): void {
    this.inputReached = reached;
  }

  // eslint-disable-next-line require-yield -- the global-operator contract is a generator; closing windows asks the shards nothing
  *onWatermark(watermark: number): ShardRequests {
    this.ensureIndexed();
    const previous = this.watermark;
    if (watermark < previous) return;
    // The end of a bounded input (+Infinity) closes and finalises every window. A later run over the
    // same database (tomorrow's file) goes on from where this run's events reached, so the stored
    // watermark stays the last finite one, and a window that its events could still change keeps its
    // accumulator (below). Storing the end made every later run's windows look closed long ago: they
    // never closed, and their contacts were lost without a sign.
    const endOfInput = watermark === Number.POSITIVE_INFINITY;
    if (!endOfInput) this.meta.set(WATERMARK_KEY, watermark);
    const lateness = this.options.allowedLatenessMs;
    const closing: WindowAcc[] = [];
    const expiring: Array<[string, WindowAcc]> = [];
    for (const key of this.due.popDue(watermark)) {
      const acc = this.windows.get(key);
      if (!acc) continue;
      const end = acc.start + acc.size;
      // A window the input ended in is written as it stands (below) but not closed: the rules judge
      // it when a later run's events pass its end. Judged part-filled, a rule fired on a bad morning
      // and was never taken back, or missed a day whose bad hours came after the cut.
      if (!acc.closed && end <= watermark && (!endOfInput || completeAtInputEnd(acc.start, end, Math.max(previous, this.inputReached)))) {
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
      this.alerts.push(...this.rules.onWindowClosed(row, rateCounts(acc, this.options)));
    }
    // Windows without contacts, up to what the events have shown to be closed: at the end of an
    // input the windows after its last event are not empty, they are not seen yet.
    const emptyRow = (size: number, start: number, queue: string, channel: string): ContactKpiRow =>
      computeKpiRow(newWindowAcc(size, start, queue, channel), this.options, false);
    this.alerts.push(...this.rules.onWatermark(endOfInput ? previous : watermark, emptyRow));
    for (const [key, acc] of expiring) {
      // At the end of an input a window whose look-ahead (or lateness) the events have not passed
      // is written as it stands, provisional: a later run over the same database can still change
      // it, so `fcr_final` (SPEC section 4: the watermark has passed the look-ahead) stays false.
      const provisional = endOfInput && previous < expiryWatermark(acc, lateness);
      const row = computeKpiRow(acc, this.options, !provisional);
      this.finalRows.set(key, { row, reasons: acc.reasons });
      this.dirty.add(key);
      this.refreshClosed(row);
      if (provisional) this.due.schedule(key, this.deadline(acc));
      else this.windows.delete(key);
    }
  }

  *sync(): ShardRequests {
    const request: KpiWatermarkSync = { watermark: this.watermark };
    yield request;
  }

  drainOutputs(): OperatorOutput[] {
    const kpiRows: OutputRow[] = [];
    const reasonRows: OutputRow[] = [];
    for (const key of this.dirty) {
      const acc = this.windows.get(key);
      // A final row first: at the end of an input a window is final and still kept for a later run.
      const done = this.finalRows.get(key);
      const row = done ? done.row : acc && computeKpiRow(acc, this.options, false);
      const reasons = done ? done.reasons : acc?.reasons;
      if (!row || !reasons) continue;
      kpiRows.push({ ...row });
      if (!this.reasonsDirty.has(key)) continue;
      for (const [reason, contacts] of Object.entries(reasons)) reasonRows.push(reasonRow(row, reason, contacts));
    }
    this.dirty.clear();
    this.reasonsDirty.clear();
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
   * The last window of one size the watermark has closed, per queue x channel seen, sorted by queue
   * then channel (the `pulse_contact_*` gauges show the smallest size's). A queue x channel without
   * a contact in that window shows it empty (offered 0, rates null): a wallboard must see a queue
   * go quiet, not its last busy window however old (a routing fault looks like exactly that).
   */
  latestClosed(windowSizeMs: number): ContactKpiRow[] {
    const lastClosedStart = Math.floor(this.watermark / windowSizeMs) * windowSizeMs - windowSizeMs;
    const rows: ContactKpiRow[] = [];
    for (const [, row] of this.latest.entries()) {
      if (row.window_end - row.window_start !== windowSizeMs) continue;
      rows.push(
        row.window_start >= lastClosedStart
          ? { ...row }
          : computeKpiRow(newWindowAcc(windowSizeMs, lastClosedStart, row.queue, row.channel), this.options, false),
      );
    }
    return rows.sort((a, b) => (a.queue === b.queue ? cmp(a.channel, b.channel) : cmp(a.queue, b.queue)));
  }

  /** The smallest window's latest closed rows: the most current view for a wallboard. */
  gauges(): GaugeReading[] {
    const sizeMs = Math.min(...this.options.windowSizesMs);
    return [{ kind: 'contact_kpis', window: `${sizeMs / 60_000}m`, rows: this.latestClosed(sizeMs) }];
  }

  /** A closed window changed: its row refreshes the gauges' latest row and the rules' baselines. */
  private refreshClosed(row: ContactKpiRow): void {
    const key = latestKey(row.window_end - row.window_start, row.queue, row.channel);
    if (this.latest.get(key)?.window_start === row.window_start) this.latest.set(key, row);
    this.rules.onWindowRevised(row);
  }

  /** The watermark at which a window next needs attention: close, then expiry. */
  private deadline(acc: WindowAcc): number {
    const end = acc.start + acc.size;
    return acc.closed ? expiryWatermark(acc, this.options.allowedLatenessMs) : end;
  }

  /** After a restart the in-memory schedule is empty: schedule every restored window once. */
  private ensureIndexed(): void {
    if (this.indexed) return;
    this.indexed = true;
    for (const [key, acc] of this.windows.entries()) {
      upgradeWindowAcc(acc);
      this.due.schedule(key, this.deadline(acc));
    }
  }
}

function reasonRow(row: ContactKpiRow, reason: string, contacts: number): OutputRow {
  return {
    window_start: row.window_start,
    window_end: row.window_end,
    queue: row.queue,
    channel: row.channel,
    reason,
    contacts,
    ...(row.taxonomy_version !== undefined ? { taxonomy_version: row.taxonomy_version } : {}),
  };
}

function byWindow(a: WindowAcc, b: WindowAcc): number {
  return a.start + a.size - (b.start + b.size) || a.size - b.size || cmp(a.queue, b.queue) || cmp(a.channel, b.channel);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
