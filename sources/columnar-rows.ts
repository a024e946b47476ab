/**
 * Columnar inputs (Arrow IPC, Parquet) hold the same fields as the NDJSON records, typed by the
 * file. This turns one row into the plain record the decoder expects: timestamps become epoch
 * milliseconds, 64-bit integers become numbers, and `answers` may be stored as a JSON string
 * (columnar files often flatten nested maps that way).
 */
export function plainRecord(row: Record<string, unknown>): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  // A profile row has every column of the file, null where it does not carry the attribute (as a
  // survey's answers, below): its nulls are left out, so that a row of only the changed attributes
  // changes only those (operators/customer-profiles.ts), as the same record in NDJSON does.
  const profile = typeof row['type'] === 'string' && row['type'].trim().toLowerCase() === 'profile';
  for (const [key, value] of Object.entries(row)) {
    if (profile && (value === null || value === undefined)) continue;
    record[key] = plainValue(key, value);
  }
  return record;
}

function plainValue(key: string, value: unknown): unknown {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'bigint') return Number(value);
  if (key === 'answers') return plainAnswers(value);
  if (value !== null && typeof value === 'object') {
    const withJson = value as { toJSON?: () => unknown };
    if (typeof withJson.toJSON === 'function' && !Array.isArray(value)) {
      return plainValue(key, withJson.toJSON());
    }
    if (!Array.isArray(value)) {
      const nested: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) nested[k] = plainValue(k, v);
      return nested;
    }
  }
  return value;
}

/**
 * A survey's `answers` as the object SPEC section 1 has: a JSON string (how columnar files often
 * flatten a map), a STRUCT (what pandas and pyarrow write for a column of dicts: every question of
 * the file, null where this survey did not ask it, so nulls are left out) or a MAP (key and value
 * entries).
 */
function plainAnswers(value: unknown): unknown {
  if (typeof value === 'string') {
    try {
      return JSON.parse(value);
    } catch {
      return value; // left as is: the decoder rejects it with the field named
    }
  }
  const plain = plainValue('', value);
  if (Array.isArray(plain) && plain.every(isMapEntry)) {
    return Object.fromEntries(plain.filter((e) => e.value !== null).map((e) => [String(e.key), e.value]));
  }
  if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) return plain;
  return Object.fromEntries(Object.entries(plain).filter(([, answer]) => answer !== null));
}

const isMapEntry = (entry: unknown): entry is { key: unknown; value: unknown } =>
  entry !== null && typeof entry === 'object' && 'key' in entry && 'value' in entry && Object.keys(entry).length === 2;
