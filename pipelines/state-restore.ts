import type { GlobalOperator, LocalOperator, OperatorPlan } from '../operators/parallel.js';
import { WATCHED_CASES_STATE, watchedCasesState } from '../sinks/cases/checkpoint.js';
import { casesPastWatching } from '../sinks/cases/store.js';
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
  /** Cases an operator no longer in the job was watching that no operator of it watches, and which one watches them from now on (none: left as they are). */
  unwatchedCases: { count: number; adoptedBy: string | undefined };
}

export interface RestoreOptions {
  shardCount: number;
  watermark: number;
  /** Load the customer windows still open at `watermark` (for the operators that restore from them). */
  withWindows: boolean;
  /** Load the customers' source partitions (unbounded sources, for partition hand-over). */
  withOwners: boolean;
  allowedLatenessMs: number;
  /**
   * Give the cases an operator no longer in the job was watching to its one operator that watches
   * cases (not when members of a Kafka group share the cases: another member may watch them).
   */
  adoptUnwatchedCases: boolean;
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
  const caseWatchers = prototypes.flatMap((local, i) => (watchedCasesState(local) ? [i] : []));
  const watchedCases = new Set<string>();
  /** Cases in the state of operators no longer in the job, by case id. */
  const leftBehind = new Map<string, string>();
  for (const row of await store.loadStateRows()) {
    const i = opIndex.get(row.operator);
    if (i === undefined) {
      // An operator no longer in the job: its state stays unused, but for the cases it watched.
      if (row.state === WATCHED_CASES_STATE) leftBehind.set(row.key, row.value);
      continue;
    }
    if (row.state === WATCHED_CASES_STATE && caseWatchers.includes(i)) watchedCases.add(row.key);
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
  for (const id of watchedCases) leftBehind.delete(id);
  const unwatchedCases = await restoreUnwatchedCases(store, { plans, prototypes, shards, caseWatchers, leftBehind, options });
  return { shards, globals, openWindows, unwatchedCases };
}

/**
 * The cases an operator taken out of the job (or renamed) was watching, and that no operator of
 * the job watches, go to the job's one case-watching operator, on their customers' shards, as it
 * holds its own: they escalate when due, and a firing reuses them. They are not stored under its
 * name until it changes them, so a restart finds them left behind again and does the same; those
 * that escalated since, or that a person closed, need no watching and are skipped.
 */
async function restoreUnwatchedCases(
  store: DuckDBStore,
  job: {
    plans: readonly OperatorPlan[];
    prototypes: readonly LocalOperator[];
    shards: ShardRestore[];
    caseWatchers: readonly number[];
    leftBehind: ReadonlyMap<string, string>;
    options: RestoreOptions;
  },
): Promise<StateToRestore['unwatchedCases']> {
  const { caseWatchers, leftBehind, options } = job;
  if (caseWatchers.length === 0 || leftBehind.size === 0) return { count: 0, adoptedBy: undefined };
  const past = await casesPastWatching(store.connection, [...leftBehind.keys()]);
  const unwatched = [...leftBehind].filter(([id]) => !past.has(id));
  if (unwatched.length === 0 || caseWatchers.length > 1 || !options.adoptUnwatchedCases) return { count: unwatched.length, adoptedBy: undefined };
  const i = caseWatchers[0]!;
  const keyed = watchedCasesState(job.prototypes[i]!)!;
  for (const [id, value] of unwatched) {
    const states = job.shards[shardOf(keyed.customerOfEntry(id, JSON.parse(value))!, options.shardCount)]!.states[i]!;
    (states[WATCHED_CASES_STATE] ??= []).push([id, value]);
  }
  return { count: unwatched.length, adoptedBy: job.plans[i]!.name };
}
