/**
 * Keyed operator state that knows what changed since the last checkpoint.
 *
 * Operators keep their state in these maps; the checkpoint persists only the changed keys (and
 * deletions) in the same DuckDB transaction as the outputs and source positions, and `restore`
 * loads them back after a restart. Values must be plain JSON data (no Maps, no class instances),
 * so that any store can persist them.
 */
export interface StateChanges<V> {
  upserts: Array<[string, V]>;
  deletes: string[];
}

/** For state whose keys are customer ids. */
export const keyIsCustomer = (key: string): string => key;

/**
 * Names the customer an entry belongs to, for state keyed by customer. Such state is partitioned
 * like the input (a customer-keyed topic puts each customer in one partition), so the entries of one
 * source partition can be handed to the partition's next owner (pipelines/partition-handoff.ts).
 */
export type CustomerOfEntry<V> = (key: string, value: V) => string;

export class KeyedState<V> {
  private readonly values = new Map<string, V>();
  private readonly dirty = new Set<string>();
  /** The customers of customer-keyed entries deleted since the last drain: a state changelog routes their tombstones by it. */
  private deletedOwners = new Map<string, string>();
  /** How many times `restore` replaced the entries: an index kept beside them is stale when this changes. */
  private restoreCount = 0;
  /**
   * The key of the last `get` or `set` and its value, and the key last marked changed: an operator
   * reads a customer's entry and then marks it changed (or sets it) for the same event, so about two
   * in five calls name the key of the call before. Comparing with the last key skips their hash
   * lookups, which were 3-6% of a shard thread's time (KeyedState.get, set and touch in a profile of
   * the default job; more on contact-heavy data, where each contact reads five states).
   */
  private lastKey: string | undefined;
  private lastValue: V | undefined;
  private lastChanged: string | undefined;

  // Method syntax keeps KeyedState<T> assignable to KeyedState<unknown> (parameters of methods
  // are compared bivariantly, those of function-typed properties are not).
  private readonly ownership: { customerOf(key: string, value: V): string } | undefined;

  /** `customerOf` marks customer-keyed state; without it the state is population-level. */
  constructor(customerOf?: CustomerOfEntry<V>) {
    this.ownership = customerOf ? { customerOf } : undefined;
  }

  /** The customer an entry belongs to; null for population-level state. */
  customerOfEntry(key: string, value: V): string | null {
    return this.ownership ? this.ownership.customerOf(key, value) : null;
  }

  get size(): number {
    return this.values.size;
  }

  get restores(): number {
    return this.restoreCount;
  }

  get(key: string): V | undefined {
    if (key === this.lastKey) return this.lastValue;
    const value = this.values.get(key);
    this.lastKey = key;
    this.lastValue = value;
    return value;
  }

  has(key: string): boolean {
    return this.values.has(key);
  }

  /** Stores `value`; also call after mutating a value in place so that it is persisted. */
  set(key: string, value: V): void {
    this.values.set(key, value);
    this.lastKey = key;
    this.lastValue = value;
    this.touch(key);
  }

  /** Marks an in-place mutation of an existing value for the next checkpoint. */
  touch(key: string): void {
    if (key === this.lastChanged) return;
    this.dirty.add(key);
    this.lastChanged = key;
  }

  delete(key: string): void {
    const value = this.get(key);
    if (value === undefined) return;
    if (this.ownership) this.deletedOwners.set(key, this.ownership.customerOf(key, value));
    this.values.delete(key);
    this.lastValue = undefined;
    this.touch(key);
  }

  /** The customer of an entry deleted since the last drain (customer-keyed state only). */
  customerOfDeleted(key: string): string | null {
    return this.deletedOwners.get(key) ?? null;
  }

  entries(): IterableIterator<[string, V]> {
    return this.values.entries();
  }

  /** Calls `visit` for every entry, in insertion order, without allocating an [key, value] pair for each. */
  forEach(visit: (value: V, key: string) => void): void {
    this.values.forEach(visit);
  }

  /** The changes since the previous call; the state itself is unchanged. */
  drainChanges(): StateChanges<V> {
    const upserts: Array<[string, V]> = [];
    const deletes: string[] = [];
    for (const key of this.dirty) {
      const value = this.values.get(key);
      if (value === undefined) deletes.push(key);
      else upserts.push([key, value]);
    }
    this.dirty.clear();
    this.lastChanged = undefined;
    return { upserts, deletes };
  }

  /** Forgets the customers of deleted entries once their deletes are drained (after `drainChanges`). */
  forgetDeleted(): void {
    if (this.deletedOwners.size > 0) this.deletedOwners = new Map();
  }

  /** Loads persisted entries after a restart; they are not marked as changed. */
  restore(entries: Iterable<[string, V]>): void {
    this.values.clear();
    this.dirty.clear();
    this.lastKey = this.lastValue = this.lastChanged = undefined;
    this.restoreCount++;
    for (const [key, value] of entries) this.values.set(key, value);
  }
}

/**
 * A keyed-state change as a checkpoint stores it: the value serialised, null when deleted. Checkpoints
 * carry them packed (state-pack.ts: packStateRows, stateRowsOf).
 */
export interface StateRow {
  operator: string;
  state: string;
  key: string;
  value: string | null;
  /** The customer of a customer-keyed entry (it moves with its source partition); null otherwise. */
  customer_id: string | null;
}
