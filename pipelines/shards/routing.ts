/**
 * Which shard (worker thread) a record goes to: the hash of its customer, so that every event of a
 * customer meets the same per-customer state, or of its event id when the customer is unknown (an
 * anonymous caller's contact), so that copies of one event meet the same duplicate detector.
 *
 * The key is found on the main thread without parsing the record: a JSON parse there would cost as
 * much as the decoding the shards are there to share. `routingKey` scans for the top-level
 * `"customer_id"` key and takes its string value when the text leaves no doubt (one occurrence of
 * the key, at depth 1, a string without escapes, no `\u` escape anywhere that could spell the key
 * another way); otherwise it parses the record. The key is what `JSON.parse` would give, so an
 * accepted event always lands on its customer's shard; a record that is not an object goes to
 * shard 0, which refuses it.
 */

const CUSTOMER_KEY = '"customer_id"';
const EVENT_KEY = '"event_id"';
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** The routing key of a raw record (a line of text or a columnar row), or null when it has none. */
export function routingKey(value: string | Record<string, unknown>): string | null {
  if (typeof value !== 'string') return keyOfObject(value);
  const customer = scanTopLevelString(value, CUSTOMER_KEY);
  if (typeof customer === 'string') return customer;
  if (customer === null) {
    const eventId = scanTopLevelString(value, EVENT_KEY);
    if (typeof eventId === 'string') return eventId;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return null;
  }
  return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? keyOfObject(parsed as Record<string, unknown>) : null;
}

function keyOfObject(record: Record<string, unknown>): string | null {
  const customer = record['customer_id'];
  if (typeof customer === 'string') return customer;
  const eventId = record['event_id'];
  return customer == null && typeof eventId === 'string' ? eventId : null;
}

/**
 * The string value of top-level `key` (quoted) in JSON text: the string, null for a JSON null,
 * undefined when the text leaves any doubt (the caller then parses it). One pass over the text up
 * to the key, tracking strings and nesting; then native searches of the rest for a second
 * occurrence (JSON.parse keeps the last of duplicate keys) or an escape that could spell one.
 */
export function scanTopLevelString(text: string, key: string): string | null | undefined {
  const at = findTopLevelKey(text, key);
  if (at < 0) return undefined;
  let i = skipSpace(text, at + key.length);
  if (text.charCodeAt(i) !== 0x3a /* : */) return undefined;
  i = skipSpace(text, i + 1);
  let value: string | null;
  let end: number;
  if (text.startsWith('null', i)) {
    value = null;
    end = i + 4;
  } else {
    if (text.charCodeAt(i) !== QUOTE) return undefined;
    end = text.indexOf('"', i + 1);
    if (end < 0) return undefined;
    value = text.slice(i + 1, end);
    if (value.includes('\\')) return undefined;
  }
  if (text.indexOf(key, end) >= 0 || text.includes('\\u')) return undefined;
  return value;
}

/**
 * Position of `key` as a key of the top-level object (depth 1, outside strings), or -1 when it is
 * not there before a nested occurrence or the end (the caller then parses the text).
 */
function findTopLevelKey(text: string, key: string): number {
  const first = key.charCodeAt(1);
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      if (depth === 1 && text.charCodeAt(i + 1) === first && text.startsWith(key, i)) return i;
      i = closingQuote(text, i);
      if (i < 0) return -1;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      depth++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return -1;
}

/** The quote that closes the string opened at `open` (a native search, then a look at escapes), or -1. */
function closingQuote(text: string, open: number): number {
  let at = text.indexOf('"', open + 1);
  while (at > 0) {
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
    at = text.indexOf('"', at + 1);
  }
  return -1;
}

function skipSpace(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return i;
    i++;
  }
}

/** FNV-1a over the key's UTF-16 code units: stable across runs and versions (state is placed by it). */
export function shardOf(key: string | null, shards: number): number {
  if (shards <= 1 || key === null) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % shards;
}
