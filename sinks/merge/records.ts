/**
 * Records of the merge topic (job option `merge`, issue 20 item 1). Keys and values are JSON:
 *
 * - a partial: key `["partial", operator, source partition, partial key]`, value the source
 *   partition's cumulative partial (null once its reader dropped it: compaction then removes it);
 *   produced to the merge partition of its group (a queue x channel: all its windows merge in one place);
 * - a watermark report: key `["watermark", source partition]`, value `{"watermark": ms}`, produced
 *   to every merge partition after the partials of the same checkpoint.
 *
 * The key names what a record replaces, so the compacted topic keeps the latest of each.
 */
import type { MergeInput, MergePosition, PartialRecord } from '../../operators/merge-port.js';

/** A record to produce: merge partition, key and value as text. */
export interface MergeMessage {
  partition: number;
  key: string;
  value: string | null;
}

export function partialMessage(record: PartialRecord, partitions: number): MergeMessage {
  return {
    partition: groupPartition(record.group, partitions),
    key: JSON.stringify(['partial', record.operator, record.partition, record.key]),
    value: record.value === null ? null : JSON.stringify(record.value),
  };
}

/** One report per merge partition: every merger's watermark waits for every source partition. */
export function watermarkMessages(sourcePartition: string, watermark: number, partitions: number): MergeMessage[] {
  const key = JSON.stringify(['watermark', sourcePartition]);
  const value = JSON.stringify({ watermark });
  return Array.from({ length: partitions }, (_, partition) => ({ partition, key, value }));
}

/** What a record read back says, or why it cannot be read (a record this version did not write). */
export function decodeMergeRecord(key: string, value: string | null, position: MergePosition): MergeInput | { error: string } {
  let parsedKey: unknown;
  let parsedValue: unknown = null;
  try {
    parsedKey = JSON.parse(key);
    if (value !== null) parsedValue = JSON.parse(value);
  } catch {
    return { error: 'key or value is not JSON' };
  }
  if (!Array.isArray(parsedKey) || parsedKey.some((part) => typeof part !== 'string')) return { error: 'key is not an array of strings' };
  const [kind, ...rest] = parsedKey as string[];
  if (kind === 'partial' && rest.length === 3) {
    if (parsedValue !== null && typeof parsedValue !== 'object') return { error: 'partial value is not an object or null' };
    return { kind: 'partial', operator: rest[0]!, partition: rest[1]!, key: rest[2]!, value: parsedValue, position };
  }
  if (kind === 'watermark' && rest.length === 1) {
    const watermark = (parsedValue as { watermark?: unknown } | null)?.watermark;
    if (typeof watermark !== 'number' || Number.isNaN(watermark)) return { error: 'watermark report without a numeric watermark' };
    return { kind: 'watermark', partition: rest[0]!, watermark, position };
  }
  return { error: `unknown record kind ${JSON.stringify(kind)}` };
}

/** The merge partition of a group: FNV-1a of its UTF-16 code units, so every member picks the same one. */
export function groupPartition(group: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < group.length; i++) hash = Math.imul(hash ^ group.charCodeAt(i), 0x01000193) >>> 0;
  return hash % partitions;
}
