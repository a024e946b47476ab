/**
 * Sums of DOUBLE columns that do not depend on the order DuckDB adds them in. DuckDB sums a table
 * on several threads and adds their partial sums in whatever order the threads finish, so a sum of
 * doubles can differ in its last bits from one run to the next; a report's median that sat on a
 * rounding boundary then read 511.74 in one run and 511.75 in the next. Summed as decimals (128-bit
 * integers underneath) the result is exact, so every run and every thread count gives the same one.
 * Each value is first rounded to `EXACT_SCALE` decimals: far below anything a report shows, and
 * 28 digits remain before the point.
 */
export const EXACT_SCALE = 10;

const DECIMAL = `DECIMAL(38, ${EXACT_SCALE})`;

/**
 * SQL: the sum of `expr` as a DOUBLE, the same whatever order the rows are added in (NULL over no
 * rows, as `sum`); `filter`: the condition of a FILTER clause, which must follow `sum` itself.
 */
export function exactSumSql(expr: string, filter?: string): string {
  return `CAST(sum(CAST(${expr} AS ${DECIMAL}))${filter === undefined ? '' : ` FILTER (WHERE ${filter})`} AS DOUBLE)`;
}

/** SQL: the mean of `expr` as a DOUBLE, from an order-independent sum (see `exactSumSql`). */
export function exactAvgSql(expr: string): string {
  return `CAST(avg(CAST(${expr} AS ${DECIMAL})) AS DOUBLE)`;
}
