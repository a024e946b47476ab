/**
 * State keys that are the JSON of a list of strings (persisted: they must stay exactly what
 * `JSON.stringify` writes), built and read without a fresh array and a full parse. Keys of state a
 * contact-heavy stream touches at every contact (the KPI operator's FCR look-ahead) were a tenth of
 * the shards' KPI time as `JSON.stringify([customer, reason])` and `JSON.parse(key)[0]`.
 */

/** A character `JSON.stringify` writes escaped: a quote, a backslash, a control character or a surrogate (a lone one is escaped). */
// eslint-disable-next-line no-control-regex -- control characters are what JSON escapes
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** `JSON.stringify(text)`. */
export function jsonString(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/** `JSON.stringify([first])`. */
export function jsonKey1(first: string): string {
  return `[${jsonString(first)}]`;
}

/** The first element of a key written by `jsonKey1` (or of any JSON list whose first element is a string). */
export function firstOfJsonKey(key: string): string {
  // Without a backslash before it, the first quote after `["` ends the first string.
  const end = key.indexOf('"', 2);
  if (key.startsWith('["') && end > 0 && key.lastIndexOf('\\', end) < 2) return key.slice(2, end);
  return (JSON.parse(key) as [string])[0];
}
