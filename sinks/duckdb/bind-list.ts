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
