/**
 * A shard's share of a source batch as it crosses to its worker thread: the text records joined
 * into one string, with their lengths and offsets in typed arrays that are transferred, not copied.
 *
 * A structured clone of an array of `{ offset, value }` objects serialises and rebuilds every object
 * and string one by one; one string and two buffers cost a copy of the text and little else (on the
 * default job the per-record clone was the largest cost of posting a batch, on the main thread and
 * again in the worker). The worker cuts the text back into records with `slice`, which returns the
 * exact UTF-16 code units, so any text crosses unchanged: embedded newlines, multi-byte characters,
 * empty records, lone surrogates. Records that are not text (columnar rows) and records a source
 * could not read (`UnreadableRecord`, a class a structured clone would drop) travel beside it.
 */
import { UnreadableRecord } from '../../operators/record-limits.js';
import type { RawRecord } from '../../sources/source.js';

/** `lengths` entry of a record in `others`: a columnar row. */
const ROW = -1;
/** `lengths` entry of a record in `others`: the fields of an unreadable record. */
const UNREADABLE = -2;

type Unreadable = Pick<UnreadableRecord, 'reason' | 'detail' | 'raw'>;

export interface RecordFrame {
  /** The text records, concatenated in order. */
  text: string;
  /** Records in the frame. */
  count: number;
  /** Per record: the length of its text in `text` (UTF-16 code units), or ROW / UNREADABLE. */
  lengths: Int32Array;
  /** Per record: its position in its partition (RawRecord.offset). */
  offsets: Float64Array;
  /** The records that are not text, in order. */
  others: Array<Record<string, unknown> | Unreadable>;
}

/** Collects one shard's records of a batch (on the main thread), then frames them. */
export class RecordFrameBuilder {
  private readonly texts: string[] = [];
  private readonly others: RecordFrame['others'] = [];
  private readonly lengths: Int32Array;
  private readonly offsets: Float64Array;
  private count = 0;

  /** `capacity`: the most records the frame can get (the source batch's size). */
  constructor(capacity: number) {
    this.lengths = new Int32Array(capacity);
    this.offsets = new Float64Array(capacity);
  }

  add(record: RawRecord): void {
    const { value } = record;
    const i = this.count++;
    this.offsets[i] = record.offset;
    if (typeof value === 'string') {
      this.lengths[i] = value.length;
      this.texts.push(value);
    } else if (value instanceof UnreadableRecord) {
      this.lengths[i] = UNREADABLE;
      this.others.push({ reason: value.reason, detail: value.detail, raw: value.raw });
    } else {
      this.lengths[i] = ROW;
      this.others.push(value);
    }
  }

  /** The frame; its `lengths` and `offsets` buffers are to be transferred (`transfers`). */
  build(): RecordFrame {
    return { text: this.texts.join(''), count: this.count, lengths: this.lengths, offsets: this.offsets, others: this.others };
  }
}

/** The buffers of a frame to hand over with postMessage instead of copying them. */
export function frameTransfers(frame: RecordFrame): ArrayBuffer[] {
  return [frame.lengths.buffer as ArrayBuffer, frame.offsets.buffer as ArrayBuffer];
}

/** The records of a frame (in the worker), in the order they were added. */
export function unframeRecords({ text, count, lengths, offsets, others }: RecordFrame): RawRecord[] {
  const records = new Array<RawRecord>(count);
  let at = 0;
  let other = 0;
  for (let i = 0; i < count; i++) {
    const length = lengths[i]!;
    let value: RawRecord['value'];
    if (length >= 0) {
      value = text.slice(at, at + length);
      at += length;
    } else if (length === UNREADABLE) {
      const { reason, detail, raw } = others[other++] as Unreadable;
      value = new UnreadableRecord(reason, detail, raw);
    } else {
      value = others[other++] as Record<string, unknown>;
    }
    records[i] = { offset: offsets[i]!, value };
  }
  return records;
}
