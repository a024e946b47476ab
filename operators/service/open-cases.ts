/**
 * The open cases of each customer and category, for `cases.one_open_per_category`. A firing looked
 * for its customer's open case by scanning every watched case, so each firing cost O(cases) and a
 * contact-heavy stream O(cases^2): 150,000 contacts that opened 16,000 cases spent 94% of the
 * service operator's time in that scan (README, Benchmarks).
 *
 * Built from the cases state when first asked (and again after the state is restored), then kept
 * in step by the operator: `opened` when it watches a new case, `closed` when a case leaves the
 * `open` phase. Each key lists its open cases in the state's insertion order, so the case found is
 * the one the scan found, even in a state holding several open cases of one category (written
 * while `one_open_per_category` was off).
 */
import type { KeyedState } from '../state.js';
import type { WatchedCase } from './types.js';

export class OpenCaseIndex {
  private byKey: Map<string, string[]> | undefined;
  /** The state's `restores` when the index was built. */
  private builtFor = -1;

  constructor(private readonly cases: KeyedState<WatchedCase>) {}

  /** The customer's first open case of `category`, as a scan of the state in insertion order finds it. */
  find(customerId: string, category: string): WatchedCase | undefined {
    const id = this.index().get(keyOf(customerId, category))?.[0];
    return id === undefined ? undefined : this.cases.get(id);
  }

  /** A case was added to the state in the `open` phase. */
  opened(c: WatchedCase): void {
    if (!this.isCurrent()) return; // built from the state when next asked
    const key = keyOf(c.customer_id, c.category);
    const ids = this.byKey!.get(key);
    if (ids) ids.push(c.case_id);
    else this.byKey!.set(key, [c.case_id]);
  }

  /** A case left the `open` phase. */
  closed(c: WatchedCase): void {
    if (!this.isCurrent()) return;
    const key = keyOf(c.customer_id, c.category);
    const ids = this.byKey!.get(key);
    const at = ids?.indexOf(c.case_id) ?? -1;
    if (at < 0) return;
    if (ids!.length === 1) this.byKey!.delete(key);
    else ids!.splice(at, 1);
  }

  private isCurrent(): boolean {
    return this.byKey !== undefined && this.builtFor === this.cases.restores;
  }

  private index(): Map<string, string[]> {
    if (this.isCurrent()) return this.byKey!;
    const byKey = new Map<string, string[]>();
    this.cases.forEach((c) => {
      if (c.phase !== 'open') return;
      const key = keyOf(c.customer_id, c.category);
      const ids = byKey.get(key);
      if (ids) ids.push(c.case_id);
      else byKey.set(key, [c.case_id]);
    });
    this.byKey = byKey;
    this.builtFor = this.cases.restores;
    return byKey;
  }
}

function keyOf(customerId: string, category: string): string {
  return `${customerId}\u0000${category}`;
}
