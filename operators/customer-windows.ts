import type { PulseEvent } from './events.js';
import type { Operator, OperatorOutput, OutputRow } from './operator.js';
import type { KeyedState } from './state.js';
import { firstWindowStart, lastWindowStart, type WindowSpec } from './windows.js';

/**
 * One customer's aggregates for one window, named as the `customer_windows` columns (SPEC
 * section 3; times in epoch ms, `usage` per metric) so that a window is written as it is: no row
 * copy per window per checkpoint, which at a million customers is most of the checkpoint's garbage.
 */
export interface CustomerWindowRow {
  customer_id: string;
  window_start: number;
  window_end: number;
  spend_total: number;
  spend_count: number;
  spend_max: number | null;
  refund_total: number;
  usage_total: number;
  usage: Record<string, number>;
  contacts: number;
}

interface CustomerWindow extends CustomerWindowRow {
  /** Changed since the last drain. */
  dirty: boolean;
  /** Sequence number of the last event added: two window specs can yield the same window. */
  lastEvent: number;
}

/** Shared by every window without usage until its first usage event replaces it. */
const NO_USAGE: Record<string, number> = Object.freeze({}) as Record<string, number>;

export interface CustomerWindowsOptions {
  name: string;
  windows: WindowSpec[];
  /** A window keeps accepting (late) events until the watermark passes end + allowed lateness. */
  allowedLatenessMs: number;
}

/**
 * Windowed per-customer spend, refund, usage and contact aggregates, for several window sizes at
 * once.
 *
 * Its state is its output: every changed window is emitted at the next drain (open windows
 * provisionally, revised ones again), so the `customer_windows` table always holds the state as of
 * the last checkpoint, and a restart reloads the windows that are still open from that table
 * (`restoreOpenWindows`) instead of keeping a second copy of them. Emitted rows are the live window
 * objects: the store writes them before the next event is processed (checkpoints pause the loop).
 */
export class CustomerWindowsOperator implements Operator {
  readonly name: string;
  readonly states: Readonly<Record<string, KeyedState<unknown>>> = {};
  private readonly windows: WindowSpec[];
  private readonly allowedLatenessMs: number;
  /** Open windows by customer: a short list (a few per window size). */
  private readonly open = new Map<string, CustomerWindow[]>();
  /** Open windows by the watermark at which they retire (end + allowed lateness). */
  private readonly retireAt = new Map<number, CustomerWindow[]>();
  private dirty: CustomerWindow[] = [];
  private openCount = 0;
  private eventSeq = 0;

  constructor(options: CustomerWindowsOptions) {
    this.name = options.name;
    this.windows = options.windows;
    this.allowedLatenessMs = options.allowedLatenessMs;
  }

  /** Number of windows held in memory (a metric). */
  get size(): number {
    return this.openCount;
  }

  process(event: PulseEvent): void {
    const customerId = event.customer_id;
    if (customerId === null || event.type === 'survey' || event.type === 'profile') return;
    const list = this.listOf(customerId);
    const seq = ++this.eventSeq;
    for (const spec of this.windows) {
      const last = lastWindowStart(spec, event.ts);
      for (let start = firstWindowStart(spec, event.ts); start <= last; start += spec.slideMs) {
        const window = this.windowIn(list, customerId, start, start + spec.sizeMs);
        // A daily hopping spec includes the daily tumbling windows: the same window, counted once.
        if (window.lastEvent === seq) continue;
        window.lastEvent = seq;
        addEvent(window, event);
        if (!window.dirty) {
          window.dirty = true;
          this.dirty.push(window);
        }
      }
    }
  }

  onWatermark(watermark: number): void {
    for (const [retireAt, windows] of this.retireAt) {
      if (retireAt > watermark) continue;
      for (const window of windows) this.retire(window);
      this.retireAt.delete(retireAt);
    }
  }

  drainOutputs(): OperatorOutput[] {
    if (this.dirty.length === 0) return [];
    const rows = this.dirty;
    for (const window of rows) window.dirty = false;
    this.dirty = [];
    return [{ kind: 'customer_window', rows: rows as unknown as OutputRow[] }];
  }

  /** Reloads windows that were still open at the checkpoint (rows as written by `drainOutputs`). */
  restoreOpenWindows(rows: Iterable<CustomerWindowRow>): void {
    for (const row of rows) {
      const window = this.windowIn(this.listOf(row.customer_id), row.customer_id, row.window_start, row.window_end);
      window.spend_total = row.spend_total;
      window.spend_count = row.spend_count;
      window.spend_max = row.spend_max;
      window.refund_total = row.refund_total;
      window.usage_total = row.usage_total;
      window.usage = Object.keys(row.usage).length > 0 ? { ...row.usage } : NO_USAGE;
      window.contacts = row.contacts;
    }
  }

  private listOf(customerId: string): CustomerWindow[] {
    let list = this.open.get(customerId);
    if (list === undefined) {
      list = [];
      this.open.set(customerId, list);
    }
    return list;
  }

  private windowIn(list: CustomerWindow[], customerId: string, start: number, end: number): CustomerWindow {
    for (let i = 0; i < list.length; i++) {
      const window = list[i]!;
      if (window.window_start === start && window.window_end === end) return window;
    }
    const window: CustomerWindow = {
      customer_id: customerId, window_start: start, window_end: end, spend_total: 0, spend_count: 0,
      spend_max: null, refund_total: 0, usage_total: 0, usage: NO_USAGE, contacts: 0, dirty: false, lastEvent: 0,
    };
    list.push(window);
    this.openCount++;
    const retireAt = end + this.allowedLatenessMs;
    const due = this.retireAt.get(retireAt);
    if (due) due.push(window);
    else this.retireAt.set(retireAt, [window]);
    return window;
  }

  private retire(window: CustomerWindow): void {
    const list = this.open.get(window.customer_id);
    if (!list) return;
    const index = list.indexOf(window);
    if (index < 0) return;
    // Swap-remove: order within a customer's short list does not matter.
    list[index] = list[list.length - 1]!;
    list.pop();
    this.openCount--;
    if (list.length === 0) this.open.delete(window.customer_id);
  }
}

function addEvent(window: CustomerWindow, event: PulseEvent): void {
  switch (event.type) {
    case 'transaction':
      if (event.amount >= 0) {
        window.spend_total += event.amount;
        window.spend_count++;
        if (window.spend_max === null || event.amount > window.spend_max) window.spend_max = event.amount;
      } else {
        window.refund_total -= event.amount;
      }
      return;
    case 'usage':
      window.usage_total += event.quantity;
      if (window.usage === NO_USAGE) window.usage = {};
      window.usage[event.metric] = (window.usage[event.metric] ?? 0) + event.quantity;
      return;
    case 'contact':
      window.contacts++;
      return;
    default:
      return;
  }
}
