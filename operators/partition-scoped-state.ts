/**
 * Population state that belongs to one partition number (job option `merge`, issue 20): a source
 * partition's cumulative partials, and the merged results of the merge partition of the same
 * number (its owner is the member that reads that source partition). Such state moves with source
 * partition n when the partition moves to another member (hand-over directory, state changelog),
 * exactly like the state of its customers; every other population state stays each member's own.
 *
 * It is marked by its state name: `<name>@<n>`. A name, not a key prefix or a new column, because
 * the stores select by it in SQL (`ends_with(state, '@n')`) and a checkpoint's changed rows carry it.
 */

const SEPARATOR = '@';

/** The state name of `state` for partition number `partition`. */
export function partitionStateName(state: string, partition: number): string {
  return `${state}${SEPARATOR}${partition}`;
}

/** The partition number a state name belongs to; undefined for state that is not partition-scoped. */
export function partitionOfStateName(state: string): number | undefined {
  const at = state.lastIndexOf(SEPARATOR);
  if (at < 0) return undefined;
  const digits = state.slice(at + 1);
  return /^\d+$/.test(digits) ? Number(digits) : undefined;
}

/** The suffix every state name of partition number `partition` ends in (for SQL `ends_with`). */
export function partitionStateSuffix(partition: number): string {
  return `${SEPARATOR}${partition}`;
}
