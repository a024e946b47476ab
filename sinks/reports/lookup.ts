import type { DuckDBConnection } from '@duckdb/node-api';
import { UsageError } from '../../operators/errors.js';
import { terminalSafe } from '../terminal-text.js';
import { queryRows, str } from './db.js';

/** Lists of values up to this long are shown in full when a value is not found. */
const LIST_ALL_UP_TO = 30;
const SUGGESTIONS = 3;

export interface KnownValue {
  /** Table and column (trusted names, never user input). */
  table: string;
  column: string;
  value: string;
  /** How the value was given, for the message: `--queue`. */
  option: string;
  /** What it is, for the message: `queue`. */
  what: string;
  /** Take the one value that differs only in case (a KPI rule's `queue: billing` matches `Billing` too). */
  ignoreCase?: boolean;
}

/**
 * The value as `table.column` holds it: `value` itself, or with `ignoreCase` the one value that
 * differs from it only in case. Else throws a UsageError naming the option: with the values that
 * exist when they are few, and the close matches (Damerau-Levenshtein distance up to a third of the
 * length, at least 2, case ignored) when there are any.
 */
export async function requireKnownValue(connection: DuckDBConnection, known: KnownValue): Promise<string> {
  const { table, column, value, option, what } = known;
  const found = await queryRows(connection, `SELECT 1 FROM ${table} WHERE ${column} = $value LIMIT 1`, { value });
  if (found.length > 0) return value;
  if (known.ignoreCase) {
    const folded = await queryRows(connection, `SELECT DISTINCT ${column} AS v FROM ${table} WHERE lower(${column}) = lower($value) LIMIT 2`, { value });
    if (folded.length === 1) return str(folded[0]!['v']);
  }
  const [counted] = await queryRows(connection, `SELECT count(DISTINCT ${column}) AS n FROM ${table}`);
  const distinct = Number(counted?.['n'] ?? 0);
  if (distinct === 0) throw new UsageError(`${option} ${terminalSafe(value)}: ${table} has no rows at all; run a job that writes it first`);
  const close = await queryRows(
    connection,
    `SELECT ${column} AS v, min(damerau_levenshtein(lower(${column}), lower($value))) AS d FROM ${table}
     WHERE ${column} IS NOT NULL GROUP BY ${column}
     HAVING d <= greatest(2, length($value) // 3) ORDER BY d, v LIMIT ${SUGGESTIONS}`,
    { value },
  );
  const suggestion = close.length > 0 ? ` (did you mean ${close.map((r) => terminalSafe(str(r['v']))).join(' or ')}?)` : '';
  let listing = '';
  if (distinct <= LIST_ALL_UP_TO) {
    const all = await queryRows(connection, `SELECT DISTINCT ${column} AS v FROM ${table} WHERE ${column} IS NOT NULL ORDER BY v`);
    listing = `; ${what}s present: ${all.map((r) => terminalSafe(str(r['v']))).join(', ')}`;
  }
  throw new UsageError(`${option} ${terminalSafe(value)}: no ${what} '${terminalSafe(value)}' in ${table}${suggestion}${listing}`);
}
