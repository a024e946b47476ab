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
import { CONTACT_KPI_STATES, MS_PER_DAY, windowKey } from './keys.js';
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
  /** Partial accumulators of the windows this batch's contacts fell in, by window key. */
  private partial = new Map<string, WindowAcc>();
  /** The earlier contacts this batch turned into FCR repeats (partial.ts). */
  private repeats = noRepeats();
  private readonly touched: WindowAcc[] = [];

  constructor(
    readonly name: string,
    private readonly options: ContactKpiOptions,
  ) {
    this.lookaheadMs = options.fcrLookaheadDays * MS_PER_DAY;
    this.fcr = new FcrTracker(this.lookaheadMs, options.fcrScope, options.allowedLatenessMs);
    this.states = { [CONTACT_KPI_STATES.fcr]: this.fcr.state };
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
    for (const size of this.options.windowSizesMs) {
      const acc = this.partialFor(size, c.queued_at, c.queue, c.channel);
      addContact(acc, c, cls, this.options);
      touched.push(acc);
    }
    if (c.customer_id !== null) this.trackFcr(c as ContactEvent & { customer_id: string }, cls.fcrEligible, touched);
  }

  onWatermark(watermark: number): void {
    if (watermark > this.watermark) this.watermark = watermark;
    this.fcr.prune(watermark);
  }

  drainOutputs(): OperatorOutput[] {
    return [];
  }

  drainPartial(): KpiPartial | undefined {
    if (this.partial.size === 0 && this.repeats.queuedAt.length === 0) return undefined;
    const partial: KpiPartial = { windows: [...this.partial.values()], repeats: this.repeats };
    this.partial = new Map();
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

  private partialFor(size: number, time: number, queue: string, channel: string): WindowAcc {
    const start = Math.floor(time / size) * size;
    const key = windowKey(size, start, queue, channel);
    let acc = this.partial.get(key);
    if (!acc) {
      acc = newWindowAcc(size, start, queue, channel);
      this.partial.set(key, acc);
    }
    return acc;
  }
}
