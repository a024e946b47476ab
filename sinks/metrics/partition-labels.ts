/**
 * The `partition` label of `pulse_source_position`. Bounded by the job's inputs, and readable:
 *
 * - A partition the source declares before reading (files: one per path) is labelled by the
 *   shortest end of its path, in whole segments, that no other declared partition ends with. A
 *   file name when the names differ (a job of one file included); when they do not, as with daily
 *   export directories, the directories that tell them apart (`2026-01-05/events.ndjson`): under the
 *   file name alone their positions took turns in one series, which `rate()` read as resets.
 * - A file not declared (one of an earlier run, still in the checkpoint but not read now) has no
 *   label: it does not move, and a job run on each day's export would add a series a day.
 * - Without declared partitions (Kafka, whose partitions come and go with rebalances), a
 *   `topic/partition` is labelled by its partition number.
 */
export class SourcePartitionLabels {
  private readonly declared: ReadonlyMap<string, string> | undefined;

  constructor(declared: readonly string[] | undefined) {
    this.declared = declared && shortestDistinctEnds(declared);
  }

  of(partition: string): string | undefined {
    if (this.declared) return this.declared.get(partition);
    return partition.slice(partition.lastIndexOf('/') + 1);
  }
}

/**
 * Each path's shortest end (whole `/` segments) that no other path has as its end of as many
 * segments. Distinct paths get distinct labels: equal labels of i <= j segments would mean equal
 * ends of i segments, where the search would have gone on.
 */
function shortestDistinctEnds(paths: readonly string[]): Map<string, string> {
  const segments = paths.map((path) => path.split('/'));
  const end = (of: readonly string[], n: number): string => of.slice(-n).join('/');
  const labels = new Map<string, string>();
  segments.forEach((own, i) => {
    let n = 1;
    while (n < own.length && segments.some((other, j) => j !== i && end(other, n) === end(own, n))) n++;
    labels.set(paths[i]!, end(own, n));
  });
  return labels;
}
