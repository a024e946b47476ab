/**
 * The contact-center KPI operator's part on each shard: classifies the shard's contacts, follows
 * their customers' repeat contacts (FCR look-ahead, per customer), and hands over what each batch
 * adds to every window as partial accumulators (`drainPartial`), which the global part merges
 * (global.ts). A repeat contact also lowers the FCR count of the earlier contact's windows: that
 * correction travels in the same partials (a negative `fcr_resolved`).
 */
import type { ContactEvent, PulseEvent } from '../events.js';
import type { LocalOperator } from '../parallel.js';
import type { OperatorOutput } from '../operator.js';
import type { KeyedState } from '../state.js';
import { addContact, classifyContact, newWindowAcc, type WindowAcc } from './accumulator.js';
import { FcrTracker } from './fcr.js';
import type { ContactKpiOptions } from './options.js';
import { CONTACT_KPI_STATES, MS_PER_DAY, queueChannelJson } from './keys.js';
import { type KpiPartial, noRepeats } from './partial.js';

/** Request of the global part: the watermark its restored state has reached. */
export interface KpiWatermarkSync {
  watermark: number;
}

export class ContactKpiLocal implements LocalOperator {
  readonly states: Readonly<Record<string, KeyedState<unknown>>>;
  /** Contacts behind the watermark by more than the allowed lateness (the runner should not send them). */
  lateDropped = 0;
  private readonly fcr: FcrTracker;
  private readonly lookaheadMs: number;
  private watermark = Number.NEGATIVE_INFINITY;
  /**
   * Partial accumulators of the windows this batch's contacts fell in: per window size (its index in
   * `windowSizesMs`), by the queue and channel's JSON (keys.ts: one string per pair, whose hash V8
   * keeps), then by window start. Building and hashing a window key per size and contact cost more
   * than counting the contact.
   */
  private partial: Array<Map<string, Map<number, WindowAcc>>>;
  /** The earlier contacts this batch turned into FCR repeats (partial.ts). */
  private repeats = noRepeats();
  private readonly touched: WindowAcc[] = [];
  /** Per window size (as `windowSizesMs`): contacts queued before this count in the other sizes only. */
  private readonly firstWindowStarts: number[];

  constructor(
    readonly name: string,
    private readonly options: ContactKpiOptions,
  ) {
    this.lookaheadMs = options.fcrLookaheadDays * MS_PER_DAY;
    this.fcr = new FcrTracker(this.lookaheadMs, options.fcrScope, options.allowedLatenessMs);
    this.states = { [CONTACT_KPI_STATES.fcr]: this.fcr.state };
    this.partial = this.noPartial();
    this.firstWindowStarts = options.windowSizesMs.map((size) => options.firstWindowStartMs?.[size] ?? Number.NEGATIVE_INFINITY);
  }

  process(event: PulseEvent): void {
    if (event.type !== 'contact') return;
    const c = event;
    if (c.queued_at < this.watermark - this.options.allowedLatenessMs) {
      this.lateDropped += 1;
      return;
    }
    const cls = classifyContact(c, this.options);
    const touched = this.touched;
    touched.length = 0;
    const pair = queueChannelJson(c.queue, c.channel);
    for (let i = 0; i < this.options.windowSizesMs.length; i++) {
      if (c.queued_at < this.firstWindowStarts[i]!) continue;
      const acc = this.partialFor(i, pair, c);
      addContact(acc, c, cls, this.options);
      touched.push(acc);
    }
    if (c.customer_id !== null) this.trackFcr(c as ContactEvent & { customer_id: string }, cls.fcrEligible, touched);
  }

  onWatermark(watermark: number): void {
    // The end of a bounded input: a later run over the same database may bring the repeats of this
    // run's last contacts, so their look-ahead entries stay (see global.ts).
    if (watermark === Number.POSITIVE_INFINITY) return;
    if (watermark > this.watermark) this.watermark = watermark;
    this.fcr.prune(watermark);
  }

  drainOutputs(): OperatorOutput[] {
    return [];
  }

  drainPartial(): KpiPartial | undefined {
    const windows: WindowAcc[] = [];
    for (const byPair of this.partial) for (const byStart of byPair.values()) for (const acc of byStart.values()) windows.push(acc);
    if (windows.length === 0 && this.repeats.queuedAt.length === 0) return undefined;
    const partial: KpiPartial = { windows, repeats: this.repeats };
    this.partial = this.noPartial();
    this.repeats = noRepeats();
    return partial;
  }

  answer(request: unknown): null {
    const { watermark } = request as KpiWatermarkSync;
    if (watermark > this.watermark) this.watermark = watermark;
    return null;
  }

  private trackFcr(c: ContactEvent & { customer_id: string }, eligible: boolean, touched: readonly WindowAcc[]): void {
    const { repeated, resolved } = this.fcr.observe(c, eligible);
    // The global part applies these only to windows that still exist (see global.ts merge).
    for (const p of repeated) {
      this.repeats.queuedAt.push(p.q);
      this.repeats.queues.push(p.queue);
      this.repeats.channels.push(p.channel);
    }
    if (resolved === null) return;
    const horizon = c.ended_at + this.lookaheadMs;
    for (const acc of touched) {
      acc.fcr_eligible += 1;
      if (resolved) acc.fcr_resolved += 1;
      acc.fcr_horizon = acc.fcr_horizon === null ? horizon : Math.max(acc.fcr_horizon, horizon);
    }
  }

  /** The batch's accumulator of the contact's window of the `sizeIndex`th size; `pair` is its queue and channel's JSON. */
  private partialFor(sizeIndex: number, pair: string, c: ContactEvent): WindowAcc {
    const size = this.options.windowSizesMs[sizeIndex]!;
    const start = Math.floor(c.queued_at / size) * size;
    const byPair = this.partial[sizeIndex]!;
    let byStart = byPair.get(pair);
    if (byStart === undefined) byPair.set(pair, (byStart = new Map()));
    let acc = byStart.get(start);
    if (acc === undefined) byStart.set(start, (acc = newWindowAcc(size, start, c.queue, c.channel)));
    return acc;
  }

  private noPartial(): Array<Map<string, Map<number, WindowAcc>>> {
    return this.options.windowSizesMs.map(() => new Map());
  }
}
