/**
 * Per-slot sums by metric name (the `usage` of a customer window), in one typed array: half of
 * all events are usage events, and an object per window keyed by metric name made each of them
 * a megamorphic keyed store, and each window's object something the garbage collector copied and
 * promoted. Metric names are few and open-ended: each gets a column index the first time it is
 * seen; NaN marks a metric a slot has no event of (a sum of zero is still reported).
 */
export class MetricSums {
  private readonly indexOf = new Map<string, number>();
  private names: string[] = [];
  /** Column indexes in name order: output is the same whatever order metrics were first seen in. */
  private sorted: number[] = [];
  /** `"name":` per column, for the JSON text. */
  private keys: string[] = [];
  /** Columns per slot; grows (and the array is re-laid) when a new metric needs more. */
  private width = 4;
  private capacity = 0;
  private sums = new Float64Array(0);

  /** Makes room for `capacity` slots, keeping the sums of the existing ones. */
  grow(capacity: number): void {
    const sums = new Float64Array(capacity * this.width).fill(Number.NaN);
    sums.set(this.sums);
    this.sums = sums;
    this.capacity = capacity;
  }

  clear(slot: number): void {
    this.sums.fill(Number.NaN, slot * this.width, (slot + 1) * this.width);
  }

  add(slot: number, metric: string, quantity: number): void {
    const at = slot * this.width + this.column(metric);
    const sum = this.sums[at]!;
    this.sums[at] = Number.isNaN(sum) ? quantity : sum + quantity;
  }

  /** Replaces the slot's sums (a window restored from its stored row). */
  restore(slot: number, sums: Readonly<Record<string, number>>): void {
    this.clear(slot);
    for (const [metric, sum] of Object.entries(sums)) this.sums[slot * this.width + this.column(metric)] = sum;
  }

  toObject(slot: number): Record<string, number> {
    const out: Record<string, number> = {};
    for (const column of this.sorted) {
      const sum = this.sums[slot * this.width + column]!;
      if (!Number.isNaN(sum)) out[this.names[column]!] = sum;
    }
    return out;
  }

  /** The same as JSON.stringify(toObject(slot)), without the object. */
  toJson(slot: number): string {
    let json = '';
    for (const column of this.sorted) {
      const sum = this.sums[slot * this.width + column]!;
      if (Number.isNaN(sum)) continue;
      json += `${json === '' ? '{' : ','}${this.keys[column]!}${JSON.stringify(sum)}`;
    }
    return json === '' ? '{}' : `${json}}`;
  }

  private column(metric: string): number {
    const known = this.indexOf.get(metric);
    if (known !== undefined) return known;
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
