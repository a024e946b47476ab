import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { OUTPUT_TABLES_DDL } from '../../../sinks/duckdb/schema.js';

/** 15-minute windows of the fixture, 2026-01-05 10:00Z onward. */
export const T0 = Date.parse('2026-01-05T10:00:00Z');
export const M15 = 15 * 60_000;
export const W = [0, 1, 2, 3].map((i) => T0 + i * M15);
export const DAY = 86_400_000;
export const D0 = Date.parse('2026-01-01T00:00:00Z');

/** Hand-made abandon rates per series and window (null: zero denominator). */
export const ABANDON: Record<string, Array<number | null>> = {
  'billing/voice': [0.05, 0.06, 0.08, 0.15],
  'billing/chat': [0.02, null, 0.03, 0.04],
  'tech/voice': [0.11, 0.12, 0.13, 0.14],
};

/** Reason volumes per window for billing (voice+chat summed where both are given). */
export const REASONS: Array<[string, string, number[]]> = [
  ['voice', 'billing_dispute', [3, 4, 2, 10]],
  ['chat', 'billing_dispute', [0, 0, 0, 4]],
  ['voice', 'password_reset', [5, 5, 6, 5]],
  ['voice', 'outage', [0, 0, 0, 3]],
];

/** Daily spend of customer c1 over 6 days; the sales alert marks the shift at day 3. */
export const SPEND = [100, 110, 90, 250, 260, 240];
export const SHIFT_DAY = 3;

const REPORT_TABLES = ['customer_windows', 'contact_kpis', 'contact_reason_volumes', 'alerts'];

export interface Fixture {
  path: string;
  dir: string;
  instance: DuckDBInstance;
  connection: DuckDBConnection;
  close(): void;
}

const ts = (ms: number) => `TIMESTAMPTZ '${new Date(ms).toISOString()}'`;

/** A temp DuckDB file with the contract DDL and a few hand-made rows. */
export async function buildFixture(extraQueue?: string): Promise<Fixture> {
  const dir = mkdtempSync(join(tmpdir(), 'pulse-reports-'));
  const path = join(dir, 'pulse.duckdb');
  const instance = await DuckDBInstance.create(path);
  const connection = await instance.connect();
  await connection.run(`SET TimeZone = 'UTC'`);
  // Only the tables the reports read, so that DDL of unrelated tables cannot break this fixture.
  for (const ddl of OUTPUT_TABLES_DDL) {
    if (REPORT_TABLES.some((t) => ddl.includes(`CREATE TABLE IF NOT EXISTS ${t} (`))) await connection.run(ddl);
  }

  const kpiRows: string[] = [];
  for (const [series, rates] of Object.entries(ABANDON)) {
    const [queue, channel] = series.split('/') as [string, string];
    rates.forEach((rate, i) => {
      const ws = W[i] as number;
      const latestBillingVoice = series === 'billing/voice' && i === 3;
      kpiRows.push(
        `(${ts(ws)}, ${ts(ws + M15)}, '${queue}', '${channel}', ${latestBillingVoice ? 40 : 20 + i}, ${latestBillingVoice ? 34 : 18},
          6, 0, 1, ${rate ?? 'NULL'}, ${latestBillingVoice ? 312.5 : 200}, ${latestBillingVoice ? 18.5 : 10}, 12, ${latestBillingVoice ? 0.825 : 0.9},
          0.1, 0.02, ${latestBillingVoice ? 0.7 : 0.8}, ${i < 2}, 2, 10, 0.6, 10, 7)`,
      );
    });
  }
  // A 1h window with a distinct value that must not show in 15m reports.
  kpiRows.push(`(${ts(T0)}, ${ts(T0 + 4 * M15)}, 'billing', 'voice', 99, 90, 9, 0, 0, 0.987, 1, 1, 1, 1, 0, 0, 1, false, 0, 0, 0, 0, 0)`);
  if (extraQueue !== undefined) {
    kpiRows.push(
      `(${ts(W[3] as number)}, ${ts((W[3] as number) + M15)}, '${extraQueue.replace(/'/g, "''")}', 'voice', 5, 5, 0, 0, 0, 0.5, 1, 1, 1, 1, 0, 0, 1, true, 0, 0, 0, 0, 0)`,
    );
  }
  await connection.run(`INSERT INTO contact_kpis SELECT *, NULL AS taxonomy_version FROM (VALUES ${kpiRows.join(',\n')})`);

  const reasonRows: string[] = [];
  for (const [channel, reason, counts] of REASONS) {
    counts.forEach((c, i) => {
      if (c > 0) reasonRows.push(`(${ts(W[i] as number)}, ${ts((W[i] as number) + M15)}, 'billing', '${channel}', '${reason}', ${c})`);
    });
  }
  reasonRows.push(`(${ts(W[3] as number)}, ${ts((W[3] as number) + M15)}, 'tech', 'voice', 'tech_only_reason', 50)`);
  await connection.run(`INSERT INTO contact_reason_volumes SELECT *, NULL AS taxonomy_version FROM (VALUES ${reasonRows.join(',\n')})`);

  const cwRows = SPEND.map((spend, d) => `('c1', ${ts(D0 + d * DAY)}, ${ts(D0 + (d + 1) * DAY)}, ${spend}, 2, ${spend / 2}, 0, ${10 + d}, '{}', 0)`);
  cwRows.push(`('c2', ${ts(D0)}, ${ts(D0 + DAY)}, 5, 1, 5, 0, 0, '{}', 0)`);
  await connection.run(`INSERT INTO customer_windows VALUES ${cwRows.join(',\n')}`);

  await connection.run(`INSERT INTO alerts VALUES
    ('a-kpi', 'analytic', 'billing_abandon_rate', 'critical', NULL, ${ts(W[3] as number)}, ${ts((W[3] as number) + M15)},
     '{"alertname":"billing_abandon_rate","kind":"analytic","severity":"critical","queue":"billing","channel":"voice","window":"15m","kpi":"abandon_rate"}',
     '{"summary":"abandon_rate > 0.1 on billing/voice (15m windows)","description":"abandon_rate was 0.15 in the 15m window","current":"0.15","baseline":"0.08","change":"+87.5%","threshold":"> 0.1","window_end":"2026-01-05T11:00:00.000Z"}',
     'firing'),
    ('a-sales', 'sales', 'spend_shift', 'warning', 'c1', ${ts(D0 + (SHIFT_DAY + 1) * DAY)}, ${ts(D0 + (SHIFT_DAY + 2) * DAY)},
     '{"alertname":"spend_shift","direction":"up"}', '{"summary":"spend rose 2.5x","shift_start":"${new Date(D0 + SHIFT_DAY * DAY).toISOString()}"}', 'firing'),
    ('a-refund', 'sales', 'CustomerLargeRefund', 'warning', 'c1', ${ts(D0 + 1 * DAY + 3_600_000)}, ${ts(D0 + 1 * DAY + 3_600_000)},
     '{"alertname":"CustomerLargeRefund"}', '{"summary":"refund of 300"}', 'firing')`);
  return {
    path,
    dir,
    instance,
    connection,
    close() {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** The aria-labels of the SVG marks with the given role description (e.g. `point`). */
export function ariaLabels(svg: string, role: string): string[] {
  const labels: string[] = [];
  for (const match of svg.matchAll(/<(?:path|line|rect)\b[^>]*>/g)) {
    const tag = match[0];
    if (!tag.includes(`aria-roledescription="${role}"`)) continue;
    labels.push(/aria-label="([^"]*)"/.exec(tag)?.[1] ?? '');
  }
  return labels;
}
