/**
 * Per-slot sums by metric name (the `usage` of a customer window), in one typed array: half of
 * all events are usage events, and an object per window keyed by metric name made each of them
 * a megamorphic keyed store, and each window's object something the garbage collector copied and
 * promoted. NaN marks a metric a slot has no event of (a sum of zero is still reported).
 *
 * Metric names are usually few, but they are the input's: a product that reports each feature as
 * a metric sends thousands. So only the first DENSE_COLUMNS names seen get a column in every slot;
 * the sums of any other name live in a map of the slots that have one, keyed by name. With a
 * column for every name, 3,000 names made each slot 24 KB wide: 200,000 usage events over 20,000
 * customers took 10 GB and 23 s (every slot re-laid at each doubling, every name's column read at
 * each output row).
 */

/** Names with a column in every slot (8 bytes each, once the width has grown to them). */
const DENSE_COLUMNS = 16;

export class MetricSums {
  private readonly indexOf = new Map<string, number>();
  private names: string[] = [];
  /** Column indexes in name order: output is the same whatever order metrics were first seen in. */
  private sorted: number[] = [];
  /** `"name":` per column, for the JSON text. */
  private keys: string[] = [];
  /** Columns per slot; grows (and the array is re-laid) when a new name needs more, up to DENSE_COLUMNS. */
  private width = 4;
  private capacity = 0;
  private sums = new Float64Array(0);
  /** Slot -> the sums of names without a column. */
  private readonly rare = new Map<number, Map<string, number>>();

  /** Makes room for `capacity` slots, keeping the sums of the existing ones. */
  grow(capacity: number): void {
    const sums = new Float64Array(capacity * this.width).fill(Number.NaN);
    sums.set(this.sums);
    this.sums = sums;
    this.capacity = capacity;
  }

  clear(slot: number): void {
    this.sums.fill(Number.NaN, slot * this.width, (slot + 1) * this.width);
    if (this.rare.size > 0) this.rare.delete(slot);
  }

  add(slot: number, metric: string, quantity: number): void {
    const column = this.column(metric);
    if (column === undefined) {
      let sums = this.rare.get(slot);
      if (sums === undefined) this.rare.set(slot, (sums = new Map()));
      const sum = sums.get(metric);
      sums.set(metric, sum === undefined ? quantity : sum + quantity);
      return;
    }
    const at = slot * this.width + column;
    const sum = this.sums[at]!;
    this.sums[at] = Number.isNaN(sum) ? quantity : sum + quantity;
  }

  /** Replaces the slot's sums (a window restored from its stored row). */
  restore(slot: number, sums: Readonly<Record<string, number>>): void {
    this.clear(slot);
    for (const [metric, sum] of Object.entries(sums)) this.add(slot, metric, sum);
  }

  toObject(slot: number): Record<string, number> {
    // Parsed, not assigned key by key: a metric named `__proto__` is an own key of the result.
    return JSON.parse(this.toJson(slot)) as Record<string, number>;
  }

  /** The same as JSON.stringify of the slot's sums by metric, in name order. */
  toJson(slot: number): string {
    const rare = this.rare.size > 0 ? this.rare.get(slot) : undefined;
    if (rare !== undefined) return this.mixedJson(slot, rare);
    let json = '';
    for (const column of this.sorted) {
      const sum = this.sums[slot * this.width + column]!;
      if (Number.isNaN(sum)) continue;
      json += `${json === '' ? '{' : ','}${this.keys[column]!}${JSON.stringify(sum)}`;
    }
    return json === '' ? '{}' : `${json}}`;
  }

  /** `toJson` of a slot with sums of names without a column: both merged in name order. */
  private mixedJson(slot: number, rare: ReadonlyMap<string, number>): string {
    const entries: Array<[string, number]> = [...rare];
    for (const column of this.sorted) {
      const sum = this.sums[slot * this.width + column]!;
      if (!Number.isNaN(sum)) entries.push([this.names[column]!, sum]);
    }
    entries.sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([name, sum]) => `${JSON.stringify(name)}:${JSON.stringify(sum)}`).join(',')}}`;
  }

  /** The metric's column; undefined once DENSE_COLUMNS names have one and this is not among them. */
  private column(metric: string): number | undefined {
    const known = this.indexOf.get(metric);
    if (known !== undefined || this.names.length === DENSE_COLUMNS) return known;
    const column = this.names.length;
    if (column === this.width) this.widen();
    this.indexOf.set(metric, column);
    this.names.push(metric);
    this.keys.push(`${JSON.stringify(metric)}:`);
    this.sorted = this.names.map((_, index) => index).sort((a, b) => (this.names[a]! < this.names[b]! ? -1 : 1));
    return column;
  }

  /** Doubles the columns per slot, moving every slot's sums to the new layout. */
  private widen(): void {
    const width = this.width * 2;
    const sums = new Float64Array(this.capacity * width).fill(Number.NaN);
    for (let slot = 0; slot < this.capacity; slot++) {
      sums.set(this.sums.subarray(slot * this.width, (slot + 1) * this.width), slot * width);
    }
    this.sums = sums;
    this.width = width;
  }
}
