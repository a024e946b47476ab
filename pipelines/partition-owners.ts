/**
 * Which source partition each customer's events come from, so that customer-keyed state can be
 * handed over with its partition (sinks/duckdb/partition-handoff.ts). With a customer-keyed topic a
 * customer has one partition; with other keys the latest one wins, and a hand-over moves the
 * customer's state with it (sources/kafka/README.md says why such topics cannot scale out).
 */
export class PartitionOwners {
  private readonly owners = new Map<string, string>();
  private changed = new Set<string>();
  private moves: PartitionMoves = { count: 0, example: null };

  /** Called for every accepted event with a customer: one map lookup unless the owner changes. */
  observe(customerId: string, partition: string): void {
    const before = this.owners.get(customerId);
    if (before === partition) return;
    if (before !== undefined) {
      this.moves.count++;
      this.moves.example ??= { customer_id: customerId, from: before, to: partition };
    }
    this.owners.set(customerId, partition);
    this.changed.add(customerId);
  }

  /** Customers whose events came from another partition than their earlier ones, since the previous call. */
  drainMoves(): PartitionMoves {
    const moves = this.moves;
    if (moves.count > 0) this.moves = { count: 0, example: null };
    return moves;
  }

  /** Owners new or changed since the previous call, as `pulse_partition_owners` rows. */
  drainChanges(): Array<{ customer_id: string; partition: string }> {
    const rows = [...this.changed].map((customer_id) => ({ customer_id, partition: this.owners.get(customer_id)! }));
    this.changed = new Set();
    return rows;
  }

  restore(entries: Iterable<[string, string]>): void {
    this.owners.clear();
    this.changed.clear();
    this.moves = { count: 0, example: null };
    for (const [customer, partition] of entries) this.owners.set(customer, partition);
  }
}

/**
 * Customers seen on a second source partition: each one's state now follows the newer partition, so
 * a group of members splits it (the topic is not keyed by customer, or its partitions were changed).
 */
export interface PartitionMoves {
  count: number;
  /** The first of them, for a message a person can follow. */
  example: { customer_id: string; from: string; to: string } | null;
}

/** `parts` added up, with the first example among them. */
export function mergeMoves(parts: readonly PartitionMoves[]): PartitionMoves {
  return { count: parts.reduce((sum, part) => sum + part.count, 0), example: parts.find((part) => part.example !== null)?.example ?? null };
}
