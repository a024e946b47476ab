/**
 * Which source partition each customer's events come from, so that customer-keyed state can be
 * handed over with its partition (sinks/duckdb/partition-handoff.ts). With a customer-keyed topic a
 * customer has one partition; with other keys the latest one wins, and a hand-over moves the
 * customer's state with it (sources/kafka/README.md says why such topics cannot scale out).
 */
export class PartitionOwners {
  private readonly owners = new Map<string, string>();
  private changed = new Set<string>();

  /** Called for every accepted event with a customer: one map lookup unless the owner changes. */
  observe(customerId: string, partition: string): void {
    if (this.owners.get(customerId) === partition) return;
    this.owners.set(customerId, partition);
    this.changed.add(customerId);
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
    for (const [customer, partition] of entries) this.owners.set(customer, partition);
  }
}
