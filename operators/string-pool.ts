/**
 * One shared copy of each repeated text value kept in per-customer state. `JSON.parse` makes a
 * new string for every field of every record, so a million customers' profiles hold a million
 * copies of "Gold" or "South" unless state keeps a shared one. The pool is bounded: once it holds
 * `capacity` values it still shares those but adds no more, so values that never repeat (ids,
 * e-mail addresses of a long tail) cannot grow it without limit.
 */
export class StringPool {
  private readonly values = new Map<string, string>();

  constructor(private readonly capacity = 4096) {}

  /** The pool's copy of `value` (equal to it), or `value` itself when the pool has none and is full. */
  shared(value: string): string;
  shared(value: string | null): string | null;
  shared(value: string | null): string | null {
    if (value === null) return null;
    const known = this.values.get(value);
    if (known !== undefined) return known;
    if (this.values.size < this.capacity) this.values.set(value, value);
    return value;
  }
}
