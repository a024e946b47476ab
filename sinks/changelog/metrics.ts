import { Counter, type Registry } from 'prom-client';
import type { ChangelogRecord } from './records.js';

/** What a record of the changelog is, for its metrics: an entry's kind, a tombstone or a marker. */
export const CHANGELOG_RECORD_KINDS = ['state', 'window', 'dedup', 'partition_state', 'tombstone', 'marker'] as const;
export type ChangelogRecordKind = (typeof CHANGELOG_RECORD_KINDS)[number];

/**
 * What the state changelog reports (state-changelog.ts); `promChangelogMetrics` binds it to
 * prom-client. The only label is the record kind.
 */
export interface ChangelogMetrics {
  /** Records produced (and acknowledged) in one send. */
  produced(records: Iterable<ChangelogRecord>): void;
  /** State changes whose customer had no known source partition: not in the changelog (should stay 0). */
  unrouted(count: number): void;
}

export function promChangelogMetrics(registry: Registry): ChangelogMetrics {
  const produced = new Counter({
    name: 'pulse_changelog_records_total',
    help: 'Records produced to the state changelog topic (checkpoint.changelog), by kind: state, window, dedup, partition_state (KPI accumulators, drift closes and merges of a merging job), tombstone, marker.',
    labelNames: ['kind'],
    registers: [registry],
  });
  const unrouted = new Counter({
    name: 'pulse_changelog_unrouted_total',
    help: 'State changes left out of the changelog because their customer had no known source partition (a restore elsewhere would miss them; should stay 0).',
    registers: [registry],
  });
  // Every kind from the start, so that a rate over the counters has a series before the first checkpoint.
  for (const kind of CHANGELOG_RECORD_KINDS) produced.inc({ kind }, 0);
  return {
    produced: (records) => {
      const counts = new Map<ChangelogRecordKind, number>();
      for (const record of records) {
        const kind = kindOf(record);
        counts.set(kind, (counts.get(kind) ?? 0) + 1);
      }
      for (const [kind, n] of counts) produced.inc({ kind }, n);
    },
    unrouted: (count) => {
      if (count > 0) unrouted.inc(count);
    },
  };
}

/** The kind of a record: its key's first element (records.ts writes every key as a JSON array naming its kind first, `["kind", ...]`). */
function kindOf(record: ChangelogRecord): ChangelogRecordKind {
  return record.value === null ? 'tombstone' : (record.key.slice(2, record.key.indexOf('"', 2)) as ChangelogRecordKind);
}
