import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Router } from '../../../sinks/alerts/routing/router.js';
import { enqueueAlerts } from '../../../sinks/alerts/outbox.js';
import { DEFAULT_MEMORY_LIMIT, DuckDBStore } from '../../../sinks/duckdb/store.js';
import { inTransaction } from '../../../sinks/duckdb/transaction.js';
import { makeAlert } from './helpers.js';

let cleanup: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanup.reverse()) c();
  cleanup = [];
});

describe('outbox enqueue at scale', () => {
  it(`writes thousands of alerts of one checkpoint under the default memory limit (${DEFAULT_MEMORY_LIMIT})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pulse-outbox-scale-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const store = await DuckDBStore.open(join(dir, 'pulse.duckdb'));
    cleanup.push(() => store.close());
    const connection = store.connection;
    const limit = (await connection.runAndReadAll(`SELECT current_setting('memory_limit') AS m`)).getRowObjectsJS()[0]!['m'];
    expect(String(limit)).toMatch(/^4[0-9]{2}\.[0-9] MiB$/); // 512MB as DuckDB shows it
    // Two receivers: every alert becomes two outbox rows, 12,000 rows in one transaction, with
    // annotations the size of the KPI and shift alerts' (a description, numbers, a report link).
    const router = Router.fromConfig(
      parse(
        `route: {receiver: archive, routes: [{matchers: ['kind="service"'], receiver: hook, continue: true}, {matchers: ['alertname=~".+"'], receiver: archive}]}`,
      ),
      new Set(['archive', 'hook']),
    );
    const alerts = Array.from({ length: 6000 }, (_, i) =>
      makeAlert({
        rule: 'ServiceLevelLow',
        subject: `queue-${i}`,
        labels: { alertname: 'ServiceLevelLow', queue: `q${i % 50}`, channel: 'voice' },
        annotations: {
          summary: `service level 0.61 in queue q${i % 50}`,
          description: `service level fell to 0.61 (threshold 0.8, baseline 0.86, change -29%) in the 1h window; ${'x'.repeat(400)}`,
          report_path: `/var/lib/pulse/reports/kpi-service_level-q${i % 50}-${i}.html`,
        },
      }),
    );
    await inTransaction(connection, () => enqueueAlerts(connection, alerts, router, Date.parse('2026-03-02T10:00:00Z')));
    const counts = (
      await connection.runAndReadAll(
        `SELECT receiver, count(*)::INT AS n, count(DISTINCT alert_id)::INT AS ids, min(status) AS status FROM pulse_outbox GROUP BY receiver ORDER BY receiver`,
      )
    ).getRowObjectsJS();
    expect(counts).toEqual([
      { receiver: 'archive', n: 6000, ids: 6000, status: 'pending' },
      { receiver: 'hook', n: 6000, ids: 6000, status: 'pending' },
    ]);
    // A replay of the same checkpoint (after a crash) adds nothing.
    await inTransaction(connection, () => enqueueAlerts(connection, alerts, router, Date.parse('2026-03-02T10:05:00Z')));
    const after = (await connection.runAndReadAll(`SELECT count(*)::INT AS n, max(epoch_ms(created_at))::BIGINT AS t FROM pulse_outbox`)).getRowObjectsJS();
    expect(after).toEqual([{ n: 12000, t: BigInt(Date.parse('2026-03-02T10:00:00Z')) }]);
  }, 120_000);
});
