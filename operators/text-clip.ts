/**
 * Free text made safe to quote and to store. Strings in JavaScript are UTF-16: an emoji is two code
 * units (a surrogate pair), and a cut between them leaves a lone surrogate, which JSON.stringify
 * writes as `\ud83d` and DuckDB's JSON refuses ("no low surrogate"): one contact whose emoji sat at
 * an excerpt's end failed every checkpoint of the job, and every rerun at the same record.
 */

/** Grapheme clusters: what a reader takes for one character. */
const GRAPHEMES = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * `text` in at most `max` code units, ending in `ellipsis` when cut, never inside a grapheme
 * cluster: not between the halves of a surrogate pair, nor between a letter and its combining
 * marks (a decomposed "Café" was cut to "Cafe…"), nor inside an emoji sequence.
 */
export function clipText(text: string, max: number, ellipsis = '…'): string {
  if (text.length <= max) return text;
  let end = Math.max(0, max - ellipsis.length);
  const straddled = GRAPHEMES.segment(text).containing(end);
  if (straddled !== undefined && straddled.index < end) end = straddled.index;
  return `${text.slice(0, end)}${ellipsis}`;
}

/** `text` quoted from `from` in at most `max` code units, `…` before it when it does not start the text. */
export function clipTextFrom(text: string, from: number, max: number): string {
  return from <= 0 ? clipText(text, max) : `…${clipText(text.slice(from), max - 1)}`;
}

/**
 * `text` with each lone surrogate (a `\ud800` escape in the input, a producer's broken cut) made
 * U+FFFD. For free text only (transcripts, comments, answers, profile attributes), which nothing
 * groups by: an id with one is refused instead (operators/event-schemas.ts), as replacing it would
 * merge two ids.
 */
export function wellFormedText(text: string): string {
  return text.isWellFormed() ? text : text.toWellFormed();
}

/** The first half of a UTF-16 surrogate pair (the UTF-16 file reader keeps one back for its chunk's end too). */
export const isHighSurrogate = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff;
