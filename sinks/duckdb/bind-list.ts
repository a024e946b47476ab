/**
 * Binds each of `values` as a parameter `<prefix><i>` of `params` and returns their placeholders
 * (`$s0, $s1, ...`), for `IN (...)`: DuckDB binds no list to a single placeholder of `IN`.
 */
export function bindList<T>(params: Record<string, T>, prefix: string, values: readonly NoInfer<T>[]): string {
  return values
    .map((value, i) => {
      params[`${prefix}${i}`] = value;
      return `$${prefix}${i}`;
    })
    .join(', ');
}

/**
 * Binds each row of `rows` as parameters `<prefix><i>_<j>` and returns the rows of a `VALUES` list
 * (`($r0_0, $r0_1), ($r1_0, $r1_1)`): many rows updated, inserted or deleted by one statement.
 */
export function bindRows<T>(params: Record<string, T>, prefix: string, rows: ReadonlyArray<readonly NoInfer<T>[]>): string {
  return rows.map((row, i) => `(${bindList(params, `${prefix}${i}_`, row)})`).join(', ');
}
