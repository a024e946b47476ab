import type { GlobalOperator, LocalOperator, OperatorPlan } from '../operators/parallel.js';
import type { DuckDBStore } from '../sinks/duckdb/store.js';
import { shardOf } from './shards/routing.js';
import type { ShardRestore } from './shards/shard.js';

export interface StateToRestore {
  /** What each shard takes back, by shard index. */
  shards: ShardRestore[];
  /** Fresh global parts holding the population state. */
  globals: Array<GlobalOperator | undefined>;
  /** Rows of open windows loaded (undefined: not asked for). */
  openWindows: number | undefined;
}

export interface RestoreOptions {
  shardCount: number;
  watermark: number;
  /** Load the customer windows still open at `watermark` (for the operators that restore from them). */
  withWindows: boolean;
  /** Load the customers' source partitions (unbounded sources, for partition hand-over). */
  withOwners: boolean;
  allowedLatenessMs: number;
}

/**
 * Reads the last checkpoint's state from the store and splits it the way the job runs: each
 * operator's keyed state goes to the shard of its customer, population state to new global
 * parts, dedup ids and partition owners to their customers' shards, and the open windows to the
 * operators that rebuild from them (`LocalOperator.restoreOpenWindows`).
 */
export async function readStateToRestore(
  store: DuckDBStore,
  plans: readonly OperatorPlan[],
  prototypes: readonly LocalOperator[],
  options: RestoreOptions,
): Promise<StateToRestore> {
  const { shardCount, watermark } = options;
  const shards: ShardRestore[] = Array.from({ length: shardCount }, () => ({
    watermark,
    states: plans.map(() => ({})),
    windows: [],
    dedup: [],
    owners: [],
  }));
  const globals = plans.map((plan) => plan.createGlobal?.());
  const opIndex = new Map(plans.map((plan, i) => [plan.name, i]));
  const globalEntries = new Map<string, Array<[string, unknown]>>();
  for (const row of await store.loadStateRows()) {
    const i = opIndex.get(row.operator);
    if (i === undefined) continue; // an operator no longer in the job
    if (globals[i]?.states[row.state]) {
      const key = `${i}\u0000${row.state}`;
      const entries = globalEntries.get(key) ?? [];
      entries.push([row.key, JSON.parse(row.value)]);
      globalEntries.set(key, entries);
      continue;
    }
    const keyed = prototypes[i]!.states[row.state];
    if (!keyed) continue;
    const customer = row.customer_id ?? keyed.customerOfEntry(row.key, JSON.parse(row.value));
    const states = shards[shardOf(customer, shardCount)]!.states[i]!;
    (states[row.state] ??= []).push([row.key, row.value]);
  }
  globals.forEach((global, i) => {
    for (const [name, keyed] of Object.entries(global?.states ?? {})) keyed.restore(globalEntries.get(`${i}\u0000${name}`) ?? []);
  });
  for (const [id, customer, ts] of await store.loadDedup()) {
    // An id without a customer (unknown caller, or stored by an older version) is kept by every shard.
    if (customer === null) for (const shard of shards) shard.dedup.push([id, customer, ts]);
    else shards[shardOf(customer, shardCount)]!.dedup.push([id, customer, ts]);
  }
  if (options.withOwners) {
    for (const [customer, partition] of await store.loadOwners()) shards[shardOf(customer, shardCount)]!.owners.push([customer, partition]);
  }
  let openWindows: number | undefined;
  if (options.withWindows && prototypes.some((local) => local.restoreOpenWindows)) {
    const rows = await store.loadOpenWindows(watermark, options.allowedLatenessMs);
    for (const row of rows) shards[shardOf(row.customer_id, shardCount)]!.windows.push(row);
    openWindows = rows.length;
  } else if (options.withWindows) {
    openWindows = 0;
  }
  return { shards, globals, openWindows };
}
