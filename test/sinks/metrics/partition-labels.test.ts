import { describe, expect, it } from 'vitest';
import { SourcePartitionLabels } from '../../../sinks/metrics/partition-labels.js';

describe('SourcePartitionLabels', () => {
  it.each([
    ['one file: its name', ['/data/in/events.ndjson'], ['events.ndjson']],
    ['different names: the names', ['/data/tx.ndjson', '/data/usage/contacts.ndjson'], ['tx.ndjson', 'contacts.ndjson']],
    [
      'daily directories, same name: the directories that tell them apart',
      ['/exports/2026-01-05/events.ndjson', '/exports/2026-01-06/events.ndjson', '/exports/2026-01-06/other.ndjson'],
      ['2026-01-05/events.ndjson', '2026-01-06/events.ndjson', 'other.ndjson'],
    ],
    [
      'as many directories as it takes, for each file on its own',
      ['/a/x/day/events.ndjson', '/b/x/day/events.ndjson', '/c/events.ndjson'],
      ['a/x/day/events.ndjson', 'b/x/day/events.ndjson', 'c/events.ndjson'],
    ],
    ['stdin beside a file of that name', ['stdin', '/in/stdin'], ['stdin', 'in/stdin']],
  ])('%s', (_, paths, expected) => {
    const labels = new SourcePartitionLabels(paths);
    expect(paths.map((p) => labels.of(p))).toEqual(expected);
  });

  it('labels nothing the source did not declare (a file of an earlier run)', () => {
    expect(new SourcePartitionLabels(['/in/d2/events.ndjson']).of('/in/d1/events.ndjson')).toBeUndefined();
  });

  it('labels a Kafka topic/partition by its number', () => {
    expect(new SourcePartitionLabels(undefined).of('customer-events/3')).toBe('3');
  });
});
