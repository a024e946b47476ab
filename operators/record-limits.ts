/**
 * How large and how extreme one input record may be (job YAML `limits`). A record beyond a limit
 * is dead-lettered with its reason; nothing else happens to the run. The limits exist so that one
 * hostile or broken record can neither stop the job (a line too long for memory, nesting too deep
 * for the stack) nor damage results silently (an amount whose sum overflows to Infinity, an id of
 * a megabyte).
 */
export interface RecordLimits {
  /** Longest record in bytes (an NDJSON line without its newline, a Kafka message value); enforced by the sources. */
  maxRecordBytes: number;
  /** Deepest nesting of arrays and objects; the record object itself is level 1. */
  maxNestingDepth: number;
  /** Longest identifier (event, customer, contact, agent, survey ids, queue, reason, metric, channel), in characters. */
  maxIdLength: number;
  /** Largest absolute transaction `amount`. */
  maxAmount: number;
  /** Largest usage `quantity`. */
  maxQuantity: number;
  /** Largest contact `hold_seconds` and `acw_seconds`. */
  maxContactSeconds: number;
  /** Largest absolute numeric survey answer. */
  maxSurveyAnswer: number;
}

/**
 * Defaults, with the reasoning the README repeats:
 * - 1 MiB per record: events are a few hundred bytes; Kafka's default `message.max.bytes` is
 *   about 1 MB too, so a larger record could not have come through a default Kafka anyway.
 * - depth 64: the records of SPEC section 1 nest 2 levels (record, survey answers); 64 is .NET
 *   System.Text.Json's default and far below where structured clone and JSON.stringify (which
 *   recurse) run out of stack.
 * - 256 characters per id: UUIDs are 36, most business keys under 64.
 * - amounts up to 1e12: above any single customer transaction in any currency (1e12 IDR is about
 *   60 million USD), and sums of millions of them stay finite and keep cents exact up to 2^53/100.
 * - quantities up to 1e12 (a petabyte in `data_mb`), contact times up to 86,400 s (a day of hold
 *   or after-contact work), survey answers up to 1e6 in absolute value (scores, counts, amounts).
 */
export const DEFAULT_RECORD_LIMITS: Readonly<RecordLimits> = {
  maxRecordBytes: 1_048_576,
  maxNestingDepth: 64,
  maxIdLength: 256,
  maxAmount: 1e12,
  maxQuantity: 1e12,
  maxContactSeconds: 86_400,
  maxSurveyAnswer: 1e6,
};

/** The job YAML key of each limit, named in the detail of a record refused by it. */
export const RECORD_LIMIT_KEYS: Readonly<Record<keyof RecordLimits, string>> = {
  maxRecordBytes: 'limits.max_record_bytes',
  maxNestingDepth: 'limits.max_nesting_depth',
  maxIdLength: 'limits.max_id_length',
  maxAmount: 'limits.max_amount',
  maxQuantity: 'limits.max_quantity',
  maxContactSeconds: 'limits.max_contact_seconds',
  maxSurveyAnswer: 'limits.max_survey_answer',
};

/**
 * A record the source could not hand over as text: longer than `maxRecordBytes`, or not valid
 * UTF-8. It travels in place of the record's value so that the event gate dead-letters it with
 * the source's reason, at its position, like any other refused record. `raw` is what the dead
 * letter shows: a bounded prefix of a long record, the lossy text of an undecodable one.
 */
export class UnreadableRecord {
  constructor(
    readonly reason: 'too_large' | 'invalid_json',
    readonly detail: string,
    readonly raw: string,
  ) {}
}

/** What a source hands over as one record: text, a columnar row, or why it could not be read. */
export type RawValue = string | Record<string, unknown> | UnreadableRecord;

/**
 * True when `text` (a JSON document) nests arrays and objects more than `limit` levels deep.
 * Brackets inside strings do not count. Cheap for ordinary records: when the text holds no more
 * than `limit` brackets in all, it cannot nest deeper, and only native `indexOf` scans run.
 */
export function jsonDeeperThan(text: string, limit: number): boolean {
  if (countUpTo(text, '{', limit + 1) + countUpTo(text, '[', limit + 1) <= limit) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (inString) {
      if (code === 0x5c)
        i++; // backslash: skip the escaped character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x7b || code === 0x5b) {
      if (++depth > limit) return true;
    } else if (code === 0x7d || code === 0x5d) {
      depth--;
    }
  }
  return false;
}

/** True when `value` (an already parsed record, e.g. a columnar row) nests more than `limit` levels deep. */
export function valueDeeperThan(value: unknown, limit: number): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (limit <= 0) return true;
  for (const child of Array.isArray(value) ? value : Object.values(value)) {
    if (valueDeeperThan(child, limit - 1)) return true;
  }
  return false;
}

/** Occurrences of `char` in `text`, counted up to `stop`. */
function countUpTo(text: string, char: string, stop: number): number {
  let count = 0;
  for (let at = text.indexOf(char); at !== -1 && count < stop; at = text.indexOf(char, at + 1)) count++;
  return count;
}
