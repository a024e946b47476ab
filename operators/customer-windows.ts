import type { PulseEvent } from './events.js';
import type { Operator, OperatorOutput, OutputColumns, OutputRow } from './operator.js';
import { MetricSums } from './metric-sums.js';
import type { KeyedState } from './state.js';
import { firstWindowStart, lastWindowStart, type WindowSpec } from './windows.js';

/**
 * One customer's aggregates for one window, named as the `customer_windows` columns (SPEC
 * section 3; times in epoch ms, `usage` per metric).
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

/** End of a customer's chain of slots. */
const NONE = -1;
const INITIAL_CAPACITY = 1024;

/** Offsets of a slot's values in `WindowSlots.values`: eight doubles, one 64-byte cache line. */
const START = 0;
const END = 1;
const SPEND_TOTAL = 2;
const SPEND_COUNT = 3;
/** NaN stands for null (no non-negative transaction yet); amounts are never NaN. */
const SPEND_MAX = 4;
const REFUND_TOTAL = 5;
const USAGE_TOTAL = 6;
const CONTACTS = 7;
const STRIDE = 8;

/**
 * The windows in typed arrays indexed by slot instead of one object per window: at a million
 * customers an object per window (with its boxed doubles, list and map entry) cost ~325 bytes of
 * V8 heap and made every major GC walk millions of objects; a slot costs ~110 bytes (usage sums
 * included, see MetricSums), almost all of it in typed arrays that the GC does not scan. A slot's numbers sit side by side (`values`, one
 * cache line per window): an event touches one line instead of one per aggregate.
 */
class WindowSlots {
  capacity = 0;
  used = 0;
  customer: string[] = [];
  usage = new MetricSums();
  values: Float64Array = new Float64Array(0);
  /** Next slot in the same customer's chain of open windows, or NONE. */
  next: Int32Array = new Int32Array(0);
  /**
   * Previous slot in the chain, or NONE for the head: retiring a window (usually the oldest, at the
   * chain's end) unlinks it without walking the chain or looking the customer up.
   */
  prev: Int32Array = new Int32Array(0);
  /** 1 while changed since the last drain. */
  dirty: Uint8Array = new Uint8Array(0);

  grow(): void {
    // 1.5x rather than 2x: at millions of slots the unused tail of a doubled array is ~100 MB.
    const capacity = Math.max(INITIAL_CAPACITY, Math.ceil(this.capacity * 1.5));
    const values = new Float64Array(capacity * STRIDE);
    values.set(this.values);
    this.values = values;
    const next = new Int32Array(capacity);
    next.set(this.next);
    this.next = next;
    const prev = new Int32Array(capacity);
    prev.set(this.prev);
    this.prev = prev;
    const dirty = new Uint8Array(capacity);
    dirty.set(this.dirty);
    this.dirty = dirty;
    this.usage.grow(capacity);
    this.capacity = capacity;
  }
}

/**
 * A drained window as an output row: a view of its slot (two fields) rather than a copy of ten
 * values. It reads the slot's values as of the drain until the next event is processed (which may
 * update or reuse the slot); the store writes it before that (checkpoints pause the loop).
 */
class CustomerWindowView implements CustomerWindowRow {
  constructor(
    private readonly columns: WindowSlots,
    private readonly slot: number,
  ) {}

  get customer_id(): string {
    return this.columns.customer[this.slot]!;
  }
  get window_start(): number {
    return this.columns.values[this.slot * STRIDE + START]!;
  }
  get window_end(): number {
    return this.columns.values[this.slot * STRIDE + END]!;
  }
  get spend_total(): number {
    return this.columns.values[this.slot * STRIDE + SPEND_TOTAL]!;
  }
  get spend_count(): number {
    return this.columns.values[this.slot * STRIDE + SPEND_COUNT]!;
  }
  get spend_max(): number | null {
    return nullIfNaN(this.columns.values[this.slot * STRIDE + SPEND_MAX]!);
  }
  get refund_total(): number {
    return this.columns.values[this.slot * STRIDE + REFUND_TOTAL]!;
  }
  get usage_total(): number {
    return this.columns.values[this.slot * STRIDE + USAGE_TOTAL]!;
  }
  get usage(): Record<string, number> {
    return this.columns.usage.toObject(this.slot);
  }
  get contacts(): number {
    return this.columns.values[this.slot * STRIDE + CONTACTS]!;
  }

  /** Own enumerable copy, for anything that walks the row's keys (JSON, test equality). */
  toJSON(): CustomerWindowRow {
    return {
      customer_id: this.customer_id,
      window_start: this.window_start,
      window_end: this.window_end,
      spend_total: this.spend_total,
      spend_count: this.spend_count,
      spend_max: this.spend_max,
      refund_total: this.refund_total,
      usage_total: this.usage_total,
      usage: this.usage,
      contacts: this.contacts,
    };
  }
}

/** Offsets in a slot of the numeric `customer_windows` columns (NaN is null, as in OutputColumns). */
const NUMERIC_COLUMNS: Readonly<Record<string, number>> = {
  window_start: START,
  window_end: END,
  spend_total: SPEND_TOTAL,
  spend_count: SPEND_COUNT,
  spend_max: SPEND_MAX,
  refund_total: REFUND_TOTAL,
  usage_total: USAGE_TOTAL,
  contacts: CONTACTS,
};

const WINDOW_COLUMNS: readonly string[] = ['customer_id', ...Object.keys(NUMERIC_COLUMNS), 'usage'];

/**
 * The windows drained at one checkpoint, read column by column straight from the slots (the
 * store's fast path), or as row views for anything that wants rows. Like the views, it reads the
 * slots as of the drain until the next event is processed.
 */
class DrainedWindows implements OutputColumns {
  readonly names = WINDOW_COLUMNS;
  private views: OutputRow[] | undefined;

  constructor(
    private readonly slots: WindowSlots,
    private readonly drained: Int32Array,
  ) {}

  get length(): number {
    return this.drained.length;
  }

  column(name: string): ArrayLike<OutputRow[string]> {
    const { slots, drained } = this;
    const offset = NUMERIC_COLUMNS[name];
    if (offset !== undefined) {
      const values = new Float64Array(drained.length);
      for (let i = 0; i < drained.length; i++) values[i] = slots.values[drained[i]! * STRIDE + offset]!;
      return values;
    }
    const values = new Array<OutputRow[string]>(drained.length);
    for (let i = 0; i < drained.length; i++) {
      const slot = drained[i]!;
      if (name === 'customer_id') values[i] = slots.customer[slot]!;
      else if (name === 'usage') values[i] = slots.usage.toJson(slot);
      else values[i] = null;
    }
    return values;
  }

  rows(): OutputRow[] {
    this.views ??= Array.from(this.drained, (slot) => new CustomerWindowView(this.slots, slot) as unknown as OutputRow);
    return this.views;
  }
}

function nullIfNaN(value: number): number | null {
  return Number.isNaN(value) ? null : value;
}

export interface CustomerWindowsOptions {
  name: string;
  /** A spec's windows before its `firstStartMs` are not kept: its events count in the other specs only. */
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
 * (`restoreOpenWindows`) instead of keeping a second copy of them. Emitted rows are read from the
 * window slots (`DrainedWindows`): the store writes them before the next event is processed.
 */
export class CustomerWindowsOperator implements Operator {
  readonly name: string;
  readonly states: Readonly<Record<string, KeyedState<unknown>>> = {};
  private readonly windows: WindowSpec[];
  private readonly allowedLatenessMs: number;
  private readonly columns = new WindowSlots();
  /** First slot of each customer's chain of open windows. */
  private readonly heads = new Map<string, number>();
  /** Open windows' slots by the watermark at which they retire (end + allowed lateness). */
  private readonly retireAt = new Map<number, number[]>();
  /** Slots changed since the last drain, in the order they first changed. */
  private dirtySlots: number[] = [];
  /** Retired slots not drained yet: reusable once drained. */
  private retiredDirty: number[] = [];
  private freeSlots: number[] = [];
  private openCount = 0;
  /**
   * Slots the current event was added to (the first `touchedCount`): two window specs can yield the
   * same window. Reused, never truncated: `length = 0` frees an array's backing store, and the next
   * push allocated a new one for every event.
   */
  private readonly touched: number[] = [];
  private touchedCount = 0;

  constructor(options: CustomerWindowsOptions) {
    this.name = options.name;
    this.windows = options.windows;
    this.allowedLatenessMs = options.allowedLatenessMs;
  }

  /** Number of windows held in memory (a metric). */
  get size(): number {
    return this.openCount;
  }

  sizes(): Record<string, number> {
    return { open_windows: this.openCount };
  }

  process(event: PulseEvent): void {
    const customerId = event.customer_id;
    if (customerId === null || event.type === 'survey' || event.type === 'profile') return;
    const columns = this.columns;
    const touched = this.touched;
    this.touchedCount = 0;
    // One map lookup per event, not per window: the customer's chain is short.
    let head = this.heads.get(customerId) ?? NONE;
    for (const spec of this.windows) {
      const last = lastWindowStart(spec, event.ts);
      for (let start = firstWindowStart(spec, event.ts); start <= last; start += spec.slideMs) {
        const end = start + spec.sizeMs;
        let slot = head;
        while (slot !== NONE && (columns.values[slot * STRIDE + START] !== start || columns.values[slot * STRIDE + END] !== end)) {
          slot = columns.next[slot]!;
        }
        if (slot === NONE) head = slot = this.open(customerId, start, end, head);
        // A daily hopping spec includes the daily tumbling windows: the same window, counted once.
        if (this.touchedBefore(slot)) continue;
        touched[this.touchedCount++] = slot;
        addEvent(columns, slot, event);
        if (columns.dirty[slot] === 0) {
          columns.dirty[slot] = 1;
          this.dirtySlots.push(slot);
        }
      }
    }
  }

  private touchedBefore(slot: number): boolean {
    for (let i = 0; i < this.touchedCount; i++) if (this.touched[i] === slot) return true;
    return false;
  }

  onWatermark(watermark: number): void {
    for (const [retireAt, slots] of this.retireAt) {
      if (retireAt > watermark) continue;
      for (const slot of slots) this.retire(slot);
      this.retireAt.delete(retireAt);
    }
  }

  drainOutputs(): OperatorOutput[] {
    // Indexed loops: this runs once a checkpoint, mostly not optimised, where a for-of allocated an
    // iterator result for each slot. Freed slots keep their values until the next event reuses one,
    // so the views stay readable.
    const { columns, dirtySlots, retiredDirty, freeSlots } = this;
    for (let i = 0; i < retiredDirty.length; i++) freeSlots.push(retiredDirty[i]!);
    this.retiredDirty = [];
    if (dirtySlots.length === 0) return [];
    const drained = new Int32Array(dirtySlots.length);
    for (let i = 0; i < dirtySlots.length; i++) {
      const slot = dirtySlots[i]!;
      drained[i] = slot;
      columns.dirty[slot] = 0;
    }
    this.dirtySlots = [];
    const windows = new DrainedWindows(columns, drained);
    return [
      {
        kind: 'customer_window',
        columns: windows,
        get rows() {
          return windows.rows();
        },
      },
    ];
  }

  /** Reloads windows that were still open at the checkpoint (rows as written by `drainOutputs`). */
  restoreOpenWindows(rows: readonly CustomerWindowRow[]): void {
    const columns = this.columns;
    for (const row of rows) {
      const slot = this.slotOf(row.customer_id, row.window_start, row.window_end);
      const at = slot * STRIDE;
      columns.values[at + SPEND_TOTAL] = row.spend_total;
      columns.values[at + SPEND_COUNT] = row.spend_count;
      columns.values[at + SPEND_MAX] = row.spend_max === null ? Number.NaN : row.spend_max;
      columns.values[at + REFUND_TOTAL] = row.refund_total;
      columns.values[at + USAGE_TOTAL] = row.usage_total;
      columns.usage.restore(slot, row.usage);
      columns.values[at + CONTACTS] = row.contacts;
    }
  }

  /** The slot of the customer's open window [start, end), created empty if there is none. */
  private slotOf(customerId: string, start: number, end: number): number {
    const columns = this.columns;
    const head = this.heads.get(customerId) ?? NONE;
    for (let slot = head; slot !== NONE; slot = columns.next[slot]!) {
      if (columns.values[slot * STRIDE + START] === start && columns.values[slot * STRIDE + END] === end) return slot;
    }
    return this.open(customerId, start, end, head);
  }

  /** Opens an empty window in front of the customer's chain (`head`); returns its slot. */
  private open(customerId: string, start: number, end: number, head: number): number {
    const slot = this.allocate();
    const columns = this.columns;
    columns.customer[slot] = customerId;
    columns.usage.clear(slot);
    const values = columns.values;
    const at = slot * STRIDE;
    values[at + START] = start;
    values[at + END] = end;
    values[at + SPEND_TOTAL] = 0;
    values[at + SPEND_COUNT] = 0;
    values[at + SPEND_MAX] = Number.NaN;
    values[at + REFUND_TOTAL] = 0;
    values[at + USAGE_TOTAL] = 0;
    values[at + CONTACTS] = 0;
    columns.dirty[slot] = 0;
    columns.next[slot] = head;
    columns.prev[slot] = NONE;
    if (head !== NONE) columns.prev[head] = slot;
    this.heads.set(customerId, slot);
    this.openCount++;
    const retireAt = end + this.allowedLatenessMs;
    const due = this.retireAt.get(retireAt);
    if (due) due.push(slot);
    else this.retireAt.set(retireAt, [slot]);
    return slot;
  }

  /** Unlinks a window from its customer's chain; its slot is reused once its row is written. */
  private retire(slot: number): void {
    const columns = this.columns;
    const { next, prev } = columns;
    const following = next[slot]!;
    const previous = prev[slot]!;
    if (previous === NONE) {
      const customerId = columns.customer[slot]!;
      if (following === NONE) this.heads.delete(customerId);
      else this.heads.set(customerId, following);
    } else {
      next[previous] = following;
    }
    if (following !== NONE) prev[following] = previous;
    next[slot] = NONE;
    prev[slot] = NONE;
    this.openCount--;
    if (columns.dirty[slot] === 1) this.retiredDirty.push(slot);
    else this.freeSlots.push(slot);
  }

  private allocate(): number {
    const reused = this.freeSlots.pop();
    if (reused !== undefined) return reused;
    const columns = this.columns;
    if (columns.used === columns.capacity) columns.grow();
    return columns.used++;
  }
}

function addEvent(columns: WindowSlots, slot: number, event: PulseEvent): void {
  const values = columns.values;
  const at = slot * STRIDE;
  switch (event.type) {
    case 'transaction': {
      const amount = event.amount;
      if (amount >= 0) {
        values[at + SPEND_TOTAL] = values[at + SPEND_TOTAL]! + amount;
        values[at + SPEND_COUNT] = values[at + SPEND_COUNT]! + 1;
        const max = values[at + SPEND_MAX]!;
        if (Number.isNaN(max) || amount > max) values[at + SPEND_MAX] = amount;
      } else {
        values[at + REFUND_TOTAL] = values[at + REFUND_TOTAL]! - amount;
      }
      return;
    }
    case 'usage': {
      values[at + USAGE_TOTAL] = values[at + USAGE_TOTAL]! + event.quantity;
      columns.usage.add(slot, event.metric, event.quantity);
      return;
    }
    case 'contact':
      values[at + CONTACTS] = values[at + CONTACTS]! + 1;
      return;
    default:
      return;
  }
}
