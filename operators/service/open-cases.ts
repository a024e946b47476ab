/**
 * The open cases the operator watches, indexed two ways:
 *
 * - by customer and category, for `cases.one_open_per_category`. A firing looked for its customer's
 *   open case by scanning every watched case, so each firing cost O(cases) and a contact-heavy
 *   stream O(cases^2): 150,000 contacts that opened 16,000 cases spent 94% of the service operator's
 *   time in that scan (README, Benchmarks). Each key lists its open cases in the state's insertion
 *   order, so the case found is the one the scan found, even in a state holding several open cases
 *   of one category (written while `one_open_per_category` was off);
 * - by deadline, so that a watermark passing deadlines visits the cases due, not every case.
 *
 * Built from the cases state when first asked (and again after the state is restored), then kept
 * in step by the operator: `opened` when it watches a new case, `changed` when a person closed or
 * reopened one (a closed case keeps its deadline, not its place among the open cases); a case
 * leaves the index when `takeDue` hands it over to be marked due.
 */
import { DeadlineQueue } from '../deadline-queue.js';
import type { KeyedState } from '../state.js';
import type { WatchedCase } from './types.js';

interface Index {
  byKey: Map<string, string[]>;
  deadlines: DeadlineQueue;
}

export class OpenCaseIndex {
  private built: Index | undefined;
  /** The state's `restores` when the index was built. */
  private builtFor = -1;

  constructor(private readonly cases: KeyedState<WatchedCase>) {}

  /**
   * The customer's first open case of `category` still within its deadline at `at` (event time), as
   * a scan of the state in insertion order finds it. A case past its deadline is due, whether or
   * not the watermark has marked it yet: the answer must not depend on where a batch ends (a case
   * due inside a batch took a later firing of the same batch; in a run cut elsewhere it did not).
   */
  find(customerId: string, category: string, at: number): WatchedCase | undefined {
    for (const id of this.index().byKey.get(keyOf(customerId, category)) ?? []) {
      const c = this.cases.get(id);
      if (c !== undefined && c.due_at >= at) return c;
    }
    return undefined;
  }

  /** A case was added to the state in the `open` phase. */
  opened(c: WatchedCase): void {
    if (this.isCurrent()) add(this.built!, c); // else built from the state when next asked
  }

  /** A person closed (`closed`) or reopened an open case: it leaves or rejoins its customer's open cases; its deadline stays. */
  changed(c: WatchedCase): void {
    if (!this.isCurrent()) return; // built from the state when next asked
    if (c.closed) remove(this.built!, c);
    else addOpen(this.built!, c);
  }

  /** The open cases whose deadline is before `time`, taken out of the index: the caller marks them due. */
  takeDue(time: number): WatchedCase[] {
    const index = this.index();
    const due: WatchedCase[] = [];
    for (const id of index.deadlines.popDue(time)) {
      const c = this.cases.get(id);
      if (c === undefined || c.phase !== 'open') continue;
      // Due at `time` exactly: not yet.
      if (c.due_at >= time) index.deadlines.schedule(id, c.due_at);
      else {
        remove(index, c);
        due.push(c);
      }
    }
    return due;
  }

  private isCurrent(): boolean {
    return this.built !== undefined && this.builtFor === this.cases.restores;
  }

  private index(): Index {
    if (this.isCurrent()) return this.built!;
    const index: Index = { byKey: new Map(), deadlines: new DeadlineQueue() };
    this.cases.forEach((c) => {
      if (c.phase === 'open') add(index, c);
    });
    this.built = index;
    this.builtFor = this.cases.restores;
    return index;
  }
}

/** A watched case: by its deadline, and among its customer's open cases unless a person closed it. */
function add(index: Index, c: WatchedCase): void {
  if (!c.closed) addOpen(index, c);
  index.deadlines.schedule(c.case_id, c.due_at);
}

function addOpen(index: Index, c: WatchedCase): void {
  const key = keyOf(c.customer_id, c.category);
  const ids = index.byKey.get(key);
  if (ids) ids.push(c.case_id);
  else index.byKey.set(key, [c.case_id]);
}

function remove(index: Index, c: WatchedCase): void {
  const key = keyOf(c.customer_id, c.category);
  const ids = index.byKey.get(key);
  const at = ids?.indexOf(c.case_id) ?? -1;
  if (at < 0) return;
  if (ids!.length === 1) index.byKey.delete(key);
  else ids!.splice(at, 1);
}

function keyOf(customerId: string, category: string): string {
  return `${customerId}\u0000${category}`;
}
