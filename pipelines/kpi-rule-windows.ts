import type { DuckDBConnection } from '@duckdb/node-api';
import { contactKpiOptionsFromConfig } from '../operators/contact-kpis/options.js';
import { completeWithinMs, type OpenWindow } from '../operators/input-end.js';
import { validateRules } from '../operators/rules/index.js';
import type { OperatorConfig } from './job-config.js';

/** The window sizes the job's KPI rules judge. */
function kpiRuleWindowSizes(operators: readonly OperatorConfig[]): number[] {
  return operators.flatMap((op) =>
    op.type === 'contact_kpis'
      ? validateRules(op.settings['rules'], { windowSizes: contactKpiOptionsFromConfig(op.settings).windowSizesMs }).map((r) => r.windowMs)
      : [],
  );
}

/**
 * The KPI rules' windows with contacts that a bounded input ended in, its events reaching `reached`
 * (the newest event time): their rows are written as they stand, and the rules judge them in a
 * later run. Every such window, oldest first: with a watermark an hour behind the events, the
 * windows after the watermark's were left open too.
 */
export async function openRuleWindows(connection: DuckDBConnection, operators: readonly OperatorConfig[], reached: number): Promise<OpenWindow[]> {
  if (!Number.isFinite(reached)) return [];
  const open: OpenWindow[] = [];
  for (const sizeMs of new Set(kpiRuleWindowSizes(operators))) {
    const reader = await connection.runAndReadAll(
      `SELECT DISTINCT epoch_ms(window_start) AS start FROM contact_kpis
        WHERE epoch_ms(window_end) - epoch_ms(window_start) = $size AND epoch_ms(window_end) > $complete AND offered + self_service > 0`,
      { size: sizeMs, complete: reached + completeWithinMs(sizeMs) },
    );
    for (const row of reader.getRowObjectsJS()) open.push({ sizeMs, start: Number(row['start']) });
  }
  return open.sort((a, b) => a.start - b.start || a.sizeMs - b.sizeMs);
}
