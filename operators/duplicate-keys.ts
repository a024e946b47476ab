/**
 * Finds a key written twice in one object of a JSON text. `JSON.parse` keeps the last value of a
 * repeated key without a word (RFC 8259 leaves it to the parser), so `"amount":10,"amount":1e9`
 * would be taken as 1e9, while another reader of the same export (first-wins parsers, DuckDB's
 * `read_json`) sees something else: such a record is refused instead (operators/decode.ts).
 *
 * Written by hand because it runs for every record: the parse is already done, and a scan of the
 * text is needed only when a cheap count cannot rule a repeat out. No JSON library reports repeated
 * keys without a second, slower parse of every record.
 */

/**
 * The first repeated key of `text` (a JSON document) that parses to `parsed`; undefined when no
 * object in it names a key twice.
 *
 * Every key is a string followed by `:`. When no key's closing quote is separated from its colon
 * by white space, each key puts at least one `":` into the text, so a text with no more `":` than
 * `parsed` has keys holds no repeat, and only the rare text with more (a value holding `":`, or a
 * repeat) or with a spaced colon is scanned.
 */
export function repeatedKey(text: string, parsed: unknown): string | undefined {
  if (!SPACED_COLON.test(text) && countKeyColons(text) <= countKeys(parsed)) return undefined;
  return scanForRepeatedKey(text);
}

/** A string's closing quote, white space, then a colon: a key the `":` count would miss. */
const SPACED_COLON = /"[ \t\r\n]+:/;

function countKeyColons(text: string): number {
  let count = 0;
  for (let at = text.indexOf('":'); at !== -1; at = text.indexOf('":', at + 2)) count++;
  return count;
}

/** Keys of every object in a parsed value. */
function countKeys(value: unknown): number {
  if (value === null || typeof value !== 'object') return 0;
  let count = 0;
  if (Array.isArray(value)) {
    for (const item of value) count += countKeys(item);
    return count;
  }
  for (const key in value) count += 1 + countKeys((value as Record<string, unknown>)[key]);
  return count;
}

/** Walks the text (valid JSON) with one set of keys per open object. */
function scanForRepeatedKey(text: string): string | undefined {
  // One entry per open bracket: the keys of an object so far, or null for an array.
  const open: Array<Set<string> | null> = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x7b) open.push(new Set());
    else if (code === 0x5b) open.push(null);
    else if (code === 0x7d || code === 0x5d) open.pop();
    else if (code === 0x22) {
      const end = closingQuote(text, i);
      const keys = open[open.length - 1];
      if (keys && isFollowedByColon(text, end + 1)) {
        const raw = text.slice(i + 1, end);
        // "\u0061" and "a" are one key to JSON.parse.
        const key = raw.includes('\\') ? (JSON.parse(`"${raw}"`) as string) : raw;
        if (keys.has(key)) return key;
        keys.add(key);
      }
      i = end;
    }
  }
  return undefined;
}

/** Where the string that opens at `start` ends (its closing quote). */
function closingQuote(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x5c) i++;
    else if (code === 0x22) return i;
  }
  return text.length;
}

function isFollowedByColon(text: string, from: number): boolean {
  for (let i = from; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x3a) return true;
    if (code !== 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) return false;
  }
  return false;
}
