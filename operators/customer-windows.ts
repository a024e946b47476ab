import type { PulseEvent } from './events.js';
import type { Operator, OperatorOutput, OutputRow } from './operator.js';
import type { KeyedState } from './state.js';
import { firstWindowStart, lastWindowStart, type WindowSpec } from './windows.js';

/** One customer's aggregates for one window (SPEC section 3, `customer_windows`). */
export interface CustomerWindow {
  customerId: string;
  start: number;
  end: number;
  spendTotal: number;
  spendCount: number;
  spendMax: number | null;
  refundTotal: number;
  usageTotal: number;
  /** Per-metric usage; null until the window sees a usage event (most windows never do). */
  usage: Record<string, number> | null;
  contacts: number;
  /** Changed since the last drain. */
  dirty: boolean;
  /** Sequence number of the last event added: two window specs can yield the same window. */
  lastEvent: number;
}

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
 * (`restoreOpenWindows`) instead of keeping a second copy of them.
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
    let list = this.open.get(customerId);
    if (list === undefined) {
      list = [];
      this.open.set(customerId, list);
    }
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
    const rows: OutputRow[] = new Array(this.dirty.length);
    for (let i = 0; i < this.dirty.length; i++) {
      const window = this.dirty[i]!;
      window.dirty = false;
      rows[i] = toRow(window);
    }
    this.dirty = [];
    return [{ kind: 'customer_window', rows }];
  }

  /** Reloads windows that were still open at the checkpoint (rows as written by `drainOutputs`). */
  restoreOpenWindows(rows: Iterable<CustomerWindowRow>): void {
    for (const row of rows) {
      const window = this.windowFor(row.customer_id, row.window_start, row.window_end);
      window.spendTotal = row.spend_total;
      window.spendCount = row.spend_count;
      window.spendMax = row.spend_max;
      window.refundTotal = row.refund_total;
      window.usageTotal = row.usage_total;
      window.usage = Object.keys(row.usage).length > 0 ? { ...row.usage } : null;
      window.contacts = row.contacts;
    }
  }

  private windowFor(customerId: string, start: number, end: number): CustomerWindow {
    let list = this.open.get(customerId);
    if (list === undefined) {
      list = [];
      this.open.set(customerId, list);
    }
    return this.windowIn(list, customerId, start, end);
  }

  private windowIn(list: CustomerWindow[], customerId: string, start: number, end: number): CustomerWindow {
    for (let i = 0; i < list.length; i++) {
      const window = list[i]!;
      if (window.start === start && window.end === end) return window;
    }
    const window: CustomerWindow = {
      customerId, start, end, spendTotal: 0, spendCount: 0, spendMax: null, refundTotal: 0,
      usageTotal: 0, usage: null, contacts: 0, dirty: false, lastEvent: 0,
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
    const list = this.open.get(window.customerId);
    if (!list) return;
    const index = list.indexOf(window);
    if (index < 0) return;
    // Swap-remove: order within a customer's short list does not matter.
    list[index] = list[list.length - 1]!;
    list.pop();
    this.openCount--;
    if (list.length === 0) this.open.delete(window.customerId);
  }
}

/** A `customer_windows` row as emitted (times in epoch ms, usage as an object). */
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

function addEvent(window: CustomerWindow, event: PulseEvent): void {
  switch (event.type) {
    case 'transaction':
      if (event.amount >= 0) {
        window.spendTotal += event.amount;
        window.spendCount++;
        if (window.spendMax === null || event.amount > window.spendMax) window.spendMax = event.amount;
      } else {
        window.refundTotal -= event.amount;
      }
      return;
    case 'usage':
      window.usageTotal += event.quantity;
      window.usage ??= {};
      window.usage[event.metric] = (window.usage[event.metric] ?? 0) + event.quantity;
      return;
    case 'contact':
      window.contacts++;
      return;
    default:
      return;
  }
}

function toRow(window: CustomerWindow): OutputRow {
  const row: CustomerWindowRow = {
    customer_id: window.customerId,
    window_start: window.start,
    window_end: window.end,
    spend_total: window.spendTotal,
    spend_count: window.spendCount,
    spend_max: window.spendMax,
    refund_total: window.refundTotal,
    usage_total: window.usageTotal,
    // Written before the next event is processed (checkpoints pause the loop), so no copy is needed.
    usage: window.usage ?? {},
    contacts: window.contacts,
  };
  return row as unknown as OutputRow;
}
