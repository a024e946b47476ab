import type { DuckDBConnection } from '@duckdb/node-api';
import { contactKpiOptionsFromConfig } from '../operators/contact-kpis/options.js';
import { windowsOpenAtInputEnd, type OpenWindow } from '../operators/input-end.js';
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
 * The KPI rules' windows with contacts that a bounded input ended in (`reached`: its last
 * watermark): their rows are written as they stand, and the rules judge them in a later run.
 */
export async function openRuleWindows(connection: DuckDBConnection, operators: readonly OperatorConfig[], reached: number): Promise<OpenWindow[]> {
  const open = windowsOpenAtInputEnd(kpiRuleWindowSizes(operators), reached);
  const withContacts: OpenWindow[] = [];
  for (const window of open) {
    const reader = await connection.runAndReadAll(
      `SELECT 1 FROM contact_kpis WHERE epoch_ms(window_start) = $start AND epoch_ms(window_end) = $end AND offered + self_service > 0 LIMIT 1`,
      { start: window.start, end: window.start + window.sizeMs },
    );
    if (reader.currentRowCount > 0) withContacts.push(window);
  }
  return withContacts;
}
