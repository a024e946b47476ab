/**
 * Appends to the lists that per-customer state keeps for the life of a customer (a series' window
 * rings, recent amounts, daily spend buckets, profile snapshots) so that each list's backing store
 * is exactly as long as the list.
 *
 * V8 grows a full array by half its capacity plus 16 slots and never gives the spare slots of a
 * short list back: a list of one number took 184 bytes after a push and 56 as an exact copy, a
 * list of 84 numbers 1,168 against 720 (Node 20, heap used per list). A customer of the default job
 * keeps about ten such lists, most of them short in its first days, so at a million customers the
 * spare slots alone were about 1.3 GB of the shard heaps (issue 13).
 *
 * The copies are made by `toSpliced`, not `concat`: apache-arrow marks its vectors
 * `Symbol.isConcatSpreadable`, which turns V8's fast `concat` off for the whole process, and the
 * slow one returns a generic list with spare slots and every number boxed (560 bytes for six).
 *
 * A list at its bound is rotated in place instead (no allocation; its store was exact already) by a
 * loop: `copyWithin` took 3.8 us on 84 numbers against 66 ns, and `shift` then `push` keeps the
 * store exact only while V8 moves the elements rather than trimming the front (up to 100 of them).
 */

/** `list` with `value` appended, in a new list of exactly that length. */
export function appendExact<T>(list: readonly T[], value: T): T[] {
  return list.toSpliced(list.length, 0, value);
}

/** `list` with `value` inserted at `index`, in a new list of exactly that length. */
export function insertExact<T>(list: readonly T[], index: number, value: T): T[] {
  return list.toSpliced(index, 0, value);
}

/**
 * `list` with `value` appended and its oldest entries dropped beyond `max` (>= 1): the same list
 * rotated in place when it is at `max` already, else a new exact one.
 */
export function appendBounded<T>(list: T[], value: T, max: number): T[] {
  if (list.length < max) return appendExact(list, value);
  if (list.length > max) return appendExact(keepNewest(list, max - 1), value);
  for (let i = 1; i < max; i++) list[i - 1] = list[i] as T;
  list[max - 1] = value;
  return list;
}

/** The newest `keep` entries of `list`, in a new exact list; `list` itself when it has no more. */
export function keepNewest<T>(list: T[], keep: number): T[] {
  return list.length > keep ? list.toSpliced(0, list.length - keep) : list;
}
