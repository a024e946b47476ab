/**
 * How a profile event changes what an operator knows of a customer (events.ts `ProfileEvent`): it
 * sets the attributes it carries, clears those it gives as null, and leaves the others as they
 * were. A CRM's change stream often names only what changed (`{"tier": "Gold"}`); taken as a whole
 * profile, such an event erased the customer's region, owner and the rest.
 *
 * An event older than the newest one applied (it arrived late: `late`) only fills in attributes
 * still unknown: what the newer changes left stands. Operators that keep only the latest profile
 * (service_triggers, customer_shifts) know no more than that; population_drift keeps each change
 * and folds them by time.
 */

/** An attribute after an event that carried `carried` (undefined: the event left it out). */
export function changedValue<T>(carried: T | null | undefined, kept: T | null, late = false): T | null {
  if (carried === undefined) return kept;
  return late && kept !== null ? kept : carried;
}

/**
 * Other attributes after an event that carried `carried` (a null value clears one; `late`: fills in
 * only those not kept). `keep` makes the copy kept of each value (a shared one: string-pool.ts).
 * The result is an ordinary object, its own attributes only; one named `__proto__` is an own
 * property, not the object's prototype.
 */
export function changedAttributes(
  kept: Readonly<Record<string, string>>,
  carried: Readonly<Record<string, string | null>>,
  keep: (value: string) => string,
  late = false,
): Record<string, string> {
  const result: Record<string, string> = {};
  const put = (name: string, value: string): void => {
    if (name === '__proto__') Object.defineProperty(result, name, { value, enumerable: true, writable: true, configurable: true });
    else result[name] = value;
  };
  const stands = (name: string): boolean => !Object.hasOwn(carried, name) || (late && Object.hasOwn(kept, name));
  for (const name of Object.keys(kept)) if (stands(name)) put(name, kept[name]!);
  for (const name of Object.keys(carried)) {
    const value = carried[name];
    if (value !== null && value !== undefined && !(late && Object.hasOwn(kept, name))) put(name, keep(value));
  }
  return result;
}
