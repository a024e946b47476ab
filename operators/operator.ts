import type { PulseEvent } from './events.js';
import type { KeyedState } from './state.js';

/**
 * The contract between the runner and a streaming operator.
 *
 * Operators are pure streaming logic: they never know where events come from or where their
 * outputs go. The hot path (`process`) is synchronous; the runner calls `onWatermark` whenever the
 * job's event-time watermark advances (and once with `Infinity` at the end of a bounded input),
 * then at each checkpoint drains the outputs and persists the changed keyed state together with
 * the source positions, in one transaction.
 */
export interface Operator {
  /** Stable name from the job config; namespaces the operator's persisted state. */
  readonly name: string;
  /** Called for every accepted (valid, deduplicated, not late) event, in arrival order. */
  process(event: PulseEvent): void;
  /** Called when the watermark advances; close windows, finalise, expire state. */
  onWatermark(watermark: number): void;
  /** Keyed state to persist, by state name (stable across versions). */
  readonly states: Readonly<Record<string, KeyedState<unknown>>>;
  /**
   * Outputs produced since the previous call, coalesced: at most one row per output key (the latest
   * values), because the store replaces rows by key in one set-based statement.
   */
  drainOutputs(): OperatorOutput[];
}

/**
 * A batch of output records of one kind. The kind decides the table and how rows are written:
 * rows with the same key replace earlier ones (a window revised by a late event is written again).
 */
export interface OperatorOutput {
  kind: OutputKind;
  /** The rows; for an output that also has `columns`, built on first access. */
  rows: OutputRow[];
  /** The same rows column by column, when the operator holds them that way (see OutputColumns). */
  columns?: OutputColumns;
}

/**
 * Output rows laid out column by column. Customer windows change by the million between two
 * checkpoints; written through `rows`, each would be an object that lives just long enough to be
 * promoted to V8's old generation, and each value a separate property read. Columns let the store
 * copy a column at a time from the operator's own arrays.
 */
export interface OutputColumns {
  readonly length: number;
  /** The columns it holds (SPEC column names). */
  readonly names: readonly string[];
  /**
   * The values of one column (a SPEC column name) in row order; times in epoch ms. A numeric
   * column may come as a Float64Array, in which NaN stands for null.
   */
  column(name: string): ArrayLike<OutputRow[string]>;
}

export type OutputKind =
  | 'customer_window'
  | 'contact_kpi'
  /** Contacts per reason, window and queue x channel (table `contact_reason_volumes`). */
  | 'contact_reason_volume'
  | 'alert'
  | 'drift_metric'
  | 'case'
  /** Leads from intent (table `leads`, key lead_id). */
  | 'lead'
  /** Latest value tier and RFM scores per customer (table `customer_segments`, key customer_id). */
  | 'customer_segment'
  /** Tier migration between rescorings (table `segment_migrations`, key run_id, from_tier, to_tier). */
  | 'segment_migration'
  /** A customer's alert held back as part of a move together (table `move_members`, key alert_id, customer_id, measure, rule). */
  | 'move_member';

/** Column values by SPEC column name; times are epoch milliseconds, JSON columns plain objects. */
export type OutputRow = Record<string, string | number | boolean | null | object>;
