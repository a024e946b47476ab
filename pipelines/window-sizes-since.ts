import type { Logger } from 'pino';
import { WATERMARK_KEY, type WatermarkSnapshot } from '../operators/watermark.js';
import { startingAfter, windowKey } from '../operators/windows.js';
import type { DuckDBStore } from '../sinks/duckdb/store.js';
import type { OperatorConfig } from './job-config.js';
import { windowsRecordKey } from './registry.js';

/**
 * When each window size of the job came into it. A size added to a job file between runs on one
 * database would otherwise open its windows with the next event: a window that began before the
 * change would get only the events after it and be written like a complete one. So a size added to
 * a job that has already read events keeps only the windows that start after the newest event read
 * then (that event time, not the watermark: events up to the out-of-orderness past the watermark
 * have been counted already). The events of the windows left out still count in the other sizes.
 *
 * The cut is stored with every checkpoint, so that later runs keep it; a size taken out of an
 * operator that stays in the job loses it, and one brought back is added again (the windows in
 * between missed its events); an operator type taken out of the job keeps its sizes. It is kept by
 * operator type, not name: a type's windows are rows of one table, whichever operator of the type
 * writes them, and a `customer_windows` renamed (or a size moved to another operator of the type)
 * goes on with the open windows it finds in that table. A `contact_kpis` keeps its windows in its
 * state, by name, so its sizes are kept by name: renamed, its windows would start empty, and its
 * sizes count as added.
 */

/** `pulse_job_state` key of the record, stored with every checkpoint. */
export const WINDOW_SIZES_SINCE_KEY = 'window_sizes_since';

/**
 * By operator type (its name for an operator that keeps its windows in its state: registry.ts,
 * `windowsRecordKey`), by window (`windowKey`): the newest event time read before the window size was
 * added to the job (its windows start after it); null: there from the job's first event.
 */
export type WindowSizesSince = Record<string, Record<string, number | null>>;

/** A window size added in this run (as written in the job), and the start of its first window. */
export interface AddedWindowSize {
  /** The operator's type (`customer_windows`: the table of its windows), or its name (`contact_kpis`: its state). */
  operator: string;
  window: string;
  firstStart: number;
}

/** The record to store from now on, from the store's checkpoint; logs which sizes are added in this run. */
export async function loadWindowSizesSince(store: DuckDBStore, operators: readonly OperatorConfig[], logger: Logger): Promise<WindowSizesSince> {
  const { since, added } = windowSizesSince((await store.loadCheckpoint()).jobState, operators);
  if (added.length > 0) logger.info({ added }, addedWindowSizesText(added));
  return since;
}

/**
 * The record to store from now on, for the job's operators' windows (OperatorFactory.windows), from
 * the stored checkpoint's job state. A database without a record (a new one, or one written by an
 * older version, whose sizes' history is unknown) has every size from the start.
 */
export function windowSizesSince(
  jobState: Readonly<Record<string, unknown>>,
  operators: readonly OperatorConfig[],
): { since: WindowSizesSince; added: AddedWindowSize[] } {
  const stored = isWindowSizesSince(jobState[WINDOW_SIZES_SINCE_KEY]) ? jobState[WINDOW_SIZES_SINCE_KEY] : undefined;
  const newest = newestEventTime(jobState[WATERMARK_KEY] as WatermarkSnapshot | undefined);
  // A type with no operator in the job keeps its sizes as they were: an operator brought back
  // resumes only if nothing was read without it (pipelines/state-settings.ts, checkOperatorsLeftOut),
  // and then its open windows are whole.
  const keys = new Set(operators.map((op) => windowsRecordKey(op.factory, op.name)));
  const since: WindowSizesSince = Object.fromEntries(Object.entries(stored ?? {}).filter(([key]) => !keys.has(key)));
  const added: AddedWindowSize[] = [];
  for (const op of operators) {
    const windows = op.factory.windows?.(op.settings);
    if (windows === undefined) continue;
    const key = windowsRecordKey(op.factory, op.name);
    const kept = (since[key] ??= {});
    for (const spec of windows) {
      const window = windowKey(spec);
      const before = stored?.[key]?.[window];
      if (before !== undefined) kept[window] = before;
      else if (stored === undefined || newest === null) kept[window] = null;
      else {
        kept[window] = newest;
        added.push({ operator: key, window: spec.name, firstStart: startingAfter(spec, newest).firstStartMs });
      }
    }
  }
  return { since, added };
}

/** One log line for the run's start: which added window size starts when, and why not earlier. */
function addedWindowSizesText(added: readonly AddedWindowSize[]): string {
  const sizes = added.map((a) => `${a.operator} ${a.window} from ${new Date(a.firstStart).toISOString()}`).join(', ');
  return (
    `window sizes new in this job start with their first window after the events already read: ${sizes}. ` +
    `An earlier window would hold only part of its events; they still count in the other sizes`
  );
}

/** The newest event time the checkpoint had read, or null before any. */
function newestEventTime(snapshot: WatermarkSnapshot | undefined): number | null {
  const times = Object.values(snapshot?.partitions ?? {}).flatMap((p) => (p.maxEventTime === null ? [] : [p.maxEventTime]));
  return times.length === 0 ? null : Math.max(...times);
}

function isWindowSizesSince(value: unknown): value is WindowSizesSince {
  return typeof value === 'object' && value !== null && Object.values(value).every((v) => typeof v === 'object' && v !== null);
}
